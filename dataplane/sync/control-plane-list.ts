// The control planes a data plane may sync from (`--control-plane a:50051,b:50051`): it uses one at
// a time and, when that stream breaks, moves on to the next in turn (Envoy's list of management
// servers). Every entry is a gRPC target, so a DNS name resolving to several addresses also works.

export class ControlPlaneList {
  readonly addresses: readonly string[];
  #index = 0;

  /** `list` is comma-separated; throws when it names none. */
  constructor(list: string) {
    this.addresses = list.split(',').map((a) => a.trim()).filter(Boolean);
    if (this.addresses.length === 0) throw new Error(`no control plane address in "${list}"`);
  }

  get current(): string {
    return this.addresses[this.#index]!;
  }

  /** Moves to the next address (wrapping around) and returns it. */
  next(): string {
    this.#index = (this.#index + 1) % this.addresses.length;
    return this.current;
  }
}
