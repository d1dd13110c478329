// A StateStore in etcd (v3 API), shared by any number of control-plane replicas: one key holds the
// whole OperatorState. Saves are compare-and-swap on the key's mod revision, so replicas agree on
// one order of changes and one generation; every replica watches the key (no polling) and adopts
// what another saved. etcd unreachable: saves fail with a clear error (the change is refused), the
// running state keeps serving, and the watch catches up from its last revision when etcd returns.
import { Etcd3, type Watcher } from 'etcd3';
import { checkState } from './dir-store.js';
import { StateStoreError, type OperatorState, type StateStore } from './state-store.js';

const KEY = 'golb/state';
const CALL_TIMEOUT_MS = 3000;

/** `etcd://h1:2379,h2:2379` → `['http://h1:2379', 'http://h2:2379']`. */
export function parseEtcdUrl(url: string): string[] {
  const m = /^etcd:\/\/(.+)$/.exec(url);
  const hosts = m ? m[1]!.split(',').map((h) => h.trim()).filter(Boolean) : [];
  if (hosts.length === 0 || hosts.some((h) => !/^[^\s/:]+:\d+$/.test(h) && !/^\[[0-9a-f:.]+\]:\d+$/i.test(h))) {
    throw new StateStoreError(`--store takes etcd://HOST:PORT[,HOST:PORT...], got "${url}"`);
  }
  return hosts.map((h) => `http://${h}`);
}

export class EtcdStore implements StateStore {
  readonly description: string;
  readonly #client: Etcd3;
  /** Mod revision of the state key as last seen ('0': no such key yet). */
  #revision = '0';
  /** The store's revision at load: the watch starts right after it, so no change is missed. */
  #loadedAt = '0';
  #watcher: Watcher | undefined;
  #closed = false;

  constructor(url: string) {
    const hosts = parseEtcdUrl(url);
    this.description = `etcd ${hosts.map((h) => h.slice('http://'.length)).join(',')}`;
    this.#client = new Etcd3({
      hosts,
      dialTimeout: CALL_TIMEOUT_MS,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
    });
  }

  async load(): Promise<OperatorState | undefined> {
    let res;
    try {
      res = await this.#client.get(KEY).exec();
    } catch (err) {
      throw this.#unreachable(err, 'cannot read the state');
    }
    this.#loadedAt = String(res.header.revision);
    const kv = res.kvs[0];
    this.#revision = kv ? String(kv.mod_revision) : '0';
    return kv ? this.#parse(kv.value) : undefined;
  }

  async save(state: OperatorState): Promise<void> {
    let res;
    try {
      res = await this.#client
        .if(KEY, 'Mod', '==', this.#revision)
        .then(this.#client.put(KEY).value(JSON.stringify(state)))
        .commit();
    } catch (err) {
      throw this.#unreachable(err, 'the change was not applied');
    }
    if (!res.succeeded) {
      throw new StateStoreError(`another control-plane replica changed the state in ${this.description} first; the change was not applied (retry it)`);
    }
    this.#revision = String(res.header.revision);
  }

  watch(fn: (state: OperatorState) => void): void {
    void this.#client
      .watch()
      .key(KEY)
      .startRevision(String(BigInt(this.#loadedAt) + 1n))
      .create()
      .then((watcher) => {
        if (this.#closed) return void watcher.cancel();
        this.#watcher = watcher;
        watcher.on('error', () => {});
        watcher.on('put', (kv) => {
          // A newer revision than ours (another replica's save) moves our compare-and-swap base.
          if (BigInt(kv.mod_revision) > BigInt(this.#revision)) this.#revision = String(kv.mod_revision);
          try {
            fn(this.#parse(kv.value));
          } catch {
            // A value that does not parse is reported by the next load; the running state keeps serving.
          }
        });
      })
      .catch(() => {
        // The watch is retried by the client's own reconnect; a watch that cannot be created at all is
        // re-attempted shortly, so a replica started during an etcd outage still catches up.
        if (!this.#closed) setTimeout(() => this.watch(fn), 1000).unref();
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#watcher?.cancel().catch(() => {});
    this.#client.close();
  }

  #parse(value: Buffer): OperatorState {
    return checkState(JSON.parse(value.toString('utf8')), `${this.description} key ${KEY}`);
  }

  #unreachable(err: unknown, what: string): StateStoreError {
    return new StateStoreError(`${this.description} is unreachable (${(err as Error).message.split('\n')[0]}): ${what}`);
  }
}
