// Problems found in a config file: errors and warnings at a line and column, collected in the
// order found (load-config.ts sorts them) and never thrown.

export interface Pos {
  line: number;
  col: number;
}

export interface Problem extends Pos {
  message: string;
  severity: 'error' | 'warning';
}

/** Collects errors and warnings in the order found (sorted later). */
export class Problems {
  readonly list: Problem[] = [];

  error(at: Pos, message: string): void {
    this.list.push({ line: at.line, col: at.col, message, severity: 'error' });
  }

  warn(at: Pos, message: string): void {
    this.list.push({ line: at.line, col: at.col, message, severity: 'warning' });
  }

  get errorCount(): number {
    return this.list.filter((p) => p.severity === 'error').length;
  }
}
