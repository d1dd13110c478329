// What one resolution of a name amounts to: addresses, "the name does not exist" (NXDOMAIN, or
// exists with no address), or a failure to learn anything (SERVFAIL, timeout, refused). Only
// the first changes the backends at once; NXDOMAIN does after a grace period; failures never.

export type LookupOutcome =
  | { kind: 'ok'; addresses: string[]; ttlS: number | null }
  | { kind: 'nxdomain'; message: string }
  | { kind: 'error'; message: string };

/** node:dns error codes that mean "this name has no such records", as opposed to "no answer". */
const NXDOMAIN = 'ENOTFOUND';
const NODATA = 'ENODATA';

export interface AddressAnswer {
  address: string;
  ttl: number;
}

/**
 * Combines the A and AAAA answers for one name. Either failing for another reason than
 * NXDOMAIN/NODATA → error (keep what we had: half an answer could empty half the pool).
 * Example: A → [10.0.0.1 ttl 5], AAAA → ENODATA → ok [10.0.0.1], ttl 5; A → ENOTFOUND,
 * AAAA → ENOTFOUND → nxdomain; A → ok, AAAA → ETIMEOUT → error.
 */
export function combineAddressAnswers(
  name: string,
  answers: ReadonlyArray<PromiseSettledResult<readonly AddressAnswer[]>>,
): LookupOutcome {
  const addresses: string[] = [];
  let ttlS: number | null = null;
  let nxdomain = 0;
  for (const a of answers) {
    if (a.status === 'fulfilled') {
      for (const r of a.value) {
        addresses.push(r.address);
        ttlS = ttlS === null ? r.ttl : Math.min(ttlS, r.ttl);
      }
      continue;
    }
    const code = (a.reason as NodeJS.ErrnoException | undefined)?.code;
    if (code === NXDOMAIN) nxdomain++;
    else if (code !== NODATA) return { kind: 'error', message: `${name}: ${describe(a.reason)}` };
  }
  if (addresses.length > 0) return { kind: 'ok', addresses: [...new Set(addresses)], ttlS };
  return { kind: 'nxdomain', message: nxdomain > 0 ? `${name}: NXDOMAIN (no such name)` : `${name}: no A/AAAA records` };
}

/** Classifies an SRV query's failure the same way. */
export function srvFailure(name: string, err: unknown): LookupOutcome {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === NXDOMAIN) return { kind: 'nxdomain', message: `${name}: NXDOMAIN (no such name)` };
  if (code === NODATA) return { kind: 'nxdomain', message: `${name}: no SRV records` };
  return { kind: 'error', message: `${name}: ${describe(err)}` };
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ESERVFAIL: 'SERVFAIL',
  ETIMEOUT: 'timeout',
  ECONNREFUSED: 'connection refused by the name server',
  EREFUSED: 'REFUSED by the name server',
};

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ?? '';
  return DESCRIPTIONS[code] ?? (code !== '' ? code : String(e?.message ?? err));
}
