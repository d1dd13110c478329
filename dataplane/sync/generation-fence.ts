// Fencing by generation: a data plane never applies a snapshot older than the one it runs, so a
// control plane restarted from stale state (or a lagging replica) cannot roll the fleet back.
// Generation 0 means "unfenced" (a control plane that does not stamp generations) and is let through.

export class GenerationFence {
  #generation = 0n;
  #version = '';

  /** The generation running now ('0' before the first fenced snapshot). */
  get generation(): string {
    return String(this.#generation);
  }

  /** Why a snapshot must not be applied, or undefined when it may be. Pure: records nothing. */
  refusal(generation: string, version: string): string | undefined {
    const incoming = parseGeneration(generation);
    if (incoming === 0n || this.#generation === 0n) return undefined;
    if (incoming < this.#generation) {
      return `generation ${incoming} is older than generation ${this.#generation} running here: refusing to roll back (this control plane's state is stale)`;
    }
    if (incoming === this.#generation && version !== this.#version) {
      return `generation ${incoming} already runs here with version ${this.#version}, not ${version}: refusing a second config under one generation`;
    }
    return undefined;
  }

  /** Records a snapshot that was applied. */
  applied(generation: string, version: string): void {
    const g = parseGeneration(generation);
    if (g === 0n) return;
    this.#generation = g;
    this.#version = version;
  }
}

function parseGeneration(s: string): bigint {
  try {
    return BigInt(s || '0');
  } catch {
    return 0n;
  }
}
