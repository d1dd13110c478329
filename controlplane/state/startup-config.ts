// Which config a control plane starts with. Without saved state: its --config file. With saved
// state, the state wins — it is what the fleet last ran, including a `golbctl reload FILE` the file
// on disk never saw — and the log says when the file differs (`golbctl reload` re-reads the file).
import type { Candidate, ConfigStore } from '../config-store.js';
import type { OperatorState } from './state-store.js';

export async function chooseStartupConfig(store: ConfigStore, saved: OperatorState | undefined, log: (line: string) => void): Promise<Candidate> {
  const fromFile = await store.readOwnFile();
  if (!saved?.config) return fromFile;
  const fromState = store.prepare(saved.config.text, saved.config.source);
  if (!fromState.ok) {
    // Only a newer golb reading state an older one wrote can get here: say so and use the file.
    log(`[state] the saved config (from ${saved.config.source}) no longer loads: ${fromState.errors.map((e) => e.message).join('; ')}; starting from ${store.path}`);
    return fromFile;
  }
  const when = saved.config.appliedAtUnixMs ? ` at ${new Date(saved.config.appliedAtUnixMs).toISOString()}` : '';
  if (!fromFile.ok || fromFile.text !== fromState.text) {
    log(
      `[state] ${store.path} differs from the config last applied (from ${saved.config.source}${when}); running the saved one` +
        ` (version ${fromState.snapshot.version}). Run \`golbctl reload\` to apply ${store.path} instead.`,
    );
  } else {
    log(`[state] restored the config last applied (from ${saved.config.source}${when})`);
  }
  return fromState;
}
