// A config value that points outside the text (`env:NAME`, `file:PATH`). Only the control plane's
// own config file may use them: config pushed through the Admin API (golbctl reload FILE,
// validate) is written by whoever holds a token, and resolving its references would let them read
// the control plane's environment or files and have the value sent to every data plane.

const PREFIXES = ['env:', 'file:'] as const;

export function isExternalReference(value: string): boolean {
  return PREFIXES.some((p) => value.startsWith(p));
}

/** The error for a reference in config that came through the Admin API. */
export function refusedReference(value: string): string {
  const prefix = PREFIXES.find((p) => value.startsWith(p)) ?? 'env:';
  return `"${prefix}" references are resolved only from the control plane's own config file, not in config sent through the Admin API; put the reference in that file and run \`golbctl reload\` without a FILE`;
}
