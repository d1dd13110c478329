// The built-in forwarding engines by name; the name is also the GOLB_ENGINE value and the
// `--engine` flag.
import type { ForwardEngine } from './engine.js';
import { createHttpProxyEngine } from './http-proxy-engine.js';
import { createUndiciEngine } from './undici-engine.js';

export type EngineName = 'http-proxy' | 'undici';
export const ENGINE_NAMES: readonly EngineName[] = ['undici', 'http-proxy'];

/** The built-in forwarding engine called `name`; throws on an unknown name. */
export function createEngine(name: EngineName): ForwardEngine {
  switch (name) {
    case 'undici':
      return createUndiciEngine();
    case 'http-proxy':
      return createHttpProxyEngine();
    default:
      throw new Error(`unknown forwarding engine ${JSON.stringify(name)} (expected ${ENGINE_NAMES.join(' or ')})`);
  }
}

/** GOLB_ENGINE, or undici (the faster, see docs/benchmarks.md) when unset; throws on an unknown name. */
export function engineFromEnv(): EngineName {
  const name = process.env.GOLB_ENGINE;
  if (!name) return 'undici';
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) throw new Error(`GOLB_ENGINE=${name}: expected ${ENGINE_NAMES.join(' or ')}`);
  return name as EngineName;
}
