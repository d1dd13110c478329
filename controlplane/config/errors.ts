// A problem found in a config file, located at file:line:col. Errors reject the whole file;
// warnings are reported but the config still loads.

export interface ConfigError {
  file: string;
  /** 1-based; 0 when the problem is with the file as a whole (e.g. it cannot be read). */
  line: number;
  /** 1-based column of the offending token; 0 with line 0. */
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

/** `file:line:col: message`, or `file:line:col: warning: message` for a warning. */
export function formatConfigError(e: ConfigError): string {
  const where = `${e.file}:${e.line}:${e.col}`;
  return e.severity === 'warning' ? `${where}: warning: ${e.message}` : `${where}: ${e.message}`;
}

/** Orders problems by position (line, then column); stable for equal positions. */
export function sortConfigErrors(list: readonly ConfigError[]): ConfigError[] {
  return [...list].sort((a, b) => a.line - b.line || a.col - b.col);
}
