// Reading a raw HTTP head as the peer received it (bytes, not a library's parsed view).

/** Header names in a raw head, lower-case, in order, repeats kept (the start line is skipped). */
export function headerNames(rawHead: string): string[] {
  return rawHead
    .split('\r\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
}
