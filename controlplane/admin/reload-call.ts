// The Admin `Reload` call: golbctl's streaming reload. Writes `rejected` (invalid: nothing changed),
// or `accepted` (with the diff; a dry run stops there), then one `result` per data plane as its
// ACK/NACK arrives, then `done` once all answered, the wait ran out or golbctl went away.
// The change itself takes the road every change takes (config-rollout.ts).
import * as grpc from '@grpc/grpc-js';
import type { ReloadEvent } from '../../proto/gen/golb/v1/ReloadEvent.js';
import type { ReloadRequest__Output } from '../../proto/gen/golb/v1/ReloadRequest.js';
import type { Snapshot } from '../../proto/index.js';
import { formatConfigError } from '../config/errors.js';
import type { ConfigRollout } from '../config-rollout.js';
import type { ConfigStore } from '../config-store.js';
import { diffSnapshots, toConfigDiff } from '../snapshot/diff.js';
import { StateStoreError } from '../state/state-store.js';
import type { SyncServer } from '../sync/sync-server.js';
import { errorMessage } from './config-error-message.js';
import { RELOAD_WAIT_DEFAULT_MS } from '../../proto/defaults.js';

export interface ReloadCallDeps {
  store: ConfigStore;
  sync: SyncServer;
  rollout: ConfigRollout;
  log(line: string): void;
}

/** Serves one authorized Reload call to its end. */
export async function serveReload(call: grpc.ServerWritableStream<ReloadRequest__Output, ReloadEvent>, d: ReloadCallDeps): Promise<void> {
  const req = call.request;
  const store = d.store;
  const candidate = req.reread || req.content === '' ? await store.readOwnFile() : store.prepare(req.content, req.filename || 'config', { external: false });
  if (!candidate.ok) {
    d.log(`[reload] rejected, nothing changed:\n${candidate.errors.map(formatConfigError).join('\n')}`);
    call.write({ rejected: { errors: candidate.errors.map(errorMessage) } });
    call.end();
    return;
  }
  const previous = store.snapshot;
  const diff = toConfigDiff(diffSnapshots(previous, candidate.snapshot));
  if (req.dry_run) {
    call.write({ accepted: { version: candidate.snapshot.version, previous_version: previous?.version ?? '', diff, dry_run: true, unchanged: candidate.snapshot.version === previous?.version, dataplanes: [] } });
    call.end();
    return;
  }
  const targets = d.sync.connected();
  // Listen before applying so no ACK can slip past.
  const answers = d.rollout.listenForAnswers();
  try {
    let applied: Snapshot;
    try {
      applied = await d.rollout.apply(candidate);
    } catch (err) {
      d.log(`[reload] not applied: ${(err as Error).message}`);
      call.emit('error', { code: err instanceof StateStoreError ? grpc.status.UNAVAILABLE : grpc.status.INTERNAL, details: (err as Error).message });
      return;
    }
    const version = applied.version;
    answers.settle(version, targets);
    call.write({
      accepted: { version, previous_version: previous?.version ?? '', diff, dry_run: false, unchanged: version === previous?.version, dataplanes: targets.map((t) => t.id) },
    });
    const tally = await answers.collect(targets, Date.now() + (req.timeout_ms || RELOAD_WAIT_DEFAULT_MS), () => call.cancelled, (id, a) =>
      call.write({ result: { dataplane_id: id, version, acked: a.acked, error: a.error } }),
    );
    call.write({ done: { version, ...tally } });
    call.end();
  } finally {
    answers.close();
  }
}
