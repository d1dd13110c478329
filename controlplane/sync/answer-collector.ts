// Collects the data planes' answers (ACK/NACK) to one new version, for a caller that reports them
// as they come (golbctl reload). Listens from construction on, so it must be created before the
// version is published: an ACK cannot slip past between the push and the first wait.
import { isOnVersion } from './on-version.js';
import type { DataPlaneSession, SyncServer } from './sync-server.js';

export interface Answer {
  acked: boolean;
  /** The NACK's errors, joined; '' for an ACK. */
  error: string;
  version: string;
}

export interface AnswerTally {
  acked: string[];
  nacked: string[];
  /** Targets that neither ACKed nor NACKed before the wait ended. */
  pending: string[];
}

export class AnswerCollector {
  readonly #answers = new Map<string, Answer>();
  readonly #off: () => void;
  #wake: () => void = () => {};

  /** `running()` is the version being served now: answers about any other are not kept. */
  constructor(sync: SyncServer, running: () => string | undefined) {
    this.#off = sync.on((e) => {
      if ((e.type === 'ack' || e.type === 'nack') && e.version === running()) {
        this.#answers.set(e.session.id, { acked: e.type === 'ack', error: e.type === 'nack' ? e.errors.join('; ') : '', version: e.version });
        this.#wake();
      } else if (e.type === 'disconnected') this.#wake();
    });
  }

  /**
   * Once `version` is the running one: forgets answers about the version before (heard while the
   * change was being saved) and counts the targets already on `version` as ACKed.
   */
  settle(version: string, targets: readonly DataPlaneSession[]): void {
    for (const [id, a] of this.#answers) if (a.version !== version) this.#answers.delete(id);
    for (const t of targets) if (isOnVersion(t, version)) this.#answers.set(t.id, { acked: true, error: '', version });
  }

  /**
   * Waits until every connected target has answered, `deadlineMs` (epoch) passes or `stop()` is
   * true; `onAnswer` hears each answer once, in arrival order.
   */
  async collect(targets: readonly DataPlaneSession[], deadlineMs: number, stop: () => boolean, onAnswer: (id: string, a: Answer) => void): Promise<AnswerTally> {
    const reported = new Set<string>();
    for (;;) {
      for (const [id, a] of this.#answers) {
        if (reported.has(id)) continue;
        reported.add(id);
        onAnswer(id, a);
      }
      const waiting = targets.filter((t) => !this.#answers.has(t.id) && t.connected);
      if (waiting.length === 0 || Date.now() >= deadlineMs || stop()) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, Math.max(0, Math.min(250, deadlineMs - Date.now())));
      });
    }
    const answers = [...this.#answers];
    return {
      acked: answers.filter(([, a]) => a.acked).map(([id]) => id),
      nacked: answers.filter(([, a]) => !a.acked).map(([id]) => id),
      pending: targets.filter((t) => !this.#answers.has(t.id)).map((t) => t.id),
    };
  }

  /** Stops listening (always call it, also when publishing failed). */
  close(): void {
    this.#off();
  }
}
