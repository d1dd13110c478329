// Tells a request line that is too long (414) from a header section that is too large (431).
// Node's parser reports HPE_HEADER_OVERFLOW for both, with the chunk it was parsing (`rawPacket`)
// and where in it it stopped (`bytesParsed`): the line that overflowed is the one in progress there.
//
// - The chunk holds the start of that line (a line feed before it, or the chunk starts with it):
//   a request line is `METHOD SP target` (a header line has a colon after its name and cannot
//   have a space first), so the decision is exact. This is every case on loopback and whenever the
//   head arrives in one read.
// - The chunk is the middle of a line that began in an earlier read: only its bytes are left.
//   A request target is made of RFC 3986 characters only (no space, no quote, no control), which a
//   header value usually is not (a Cookie header has "; ", most values have spaces): such a chunk
//   is taken as a target (414), anything else as a header (431). A header value with no space
//   split across reads (a long bearer token) can be misread as 414; both are 4xx and close.

/** `METHOD SP` then target characters up to the end: a request line still in progress. */
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [\x21-\x7e]*$/;
/** RFC 3986 pchar, '/', '?' and '%' (percent-encoding): what a request target is made of. */
const TARGET_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

/** True when the overflow happened inside the request line. Never throws, whatever it is given. */
export function isRequestLineOverflow(rawPacket: unknown, bytesParsed: unknown): boolean {
  if (!Buffer.isBuffer(rawPacket)) return false;
  const end = typeof bytesParsed === 'number' && bytesParsed >= 0 && bytesParsed <= rawPacket.length ? bytesParsed : rawPacket.length;
  if (end === 0) return false;
  const lastLf = rawPacket.lastIndexOf(0x0a, end - 1);
  const line = rawPacket.toString('latin1', lastLf + 1, end);
  if (lastLf !== -1 || REQUEST_LINE.test(line)) return REQUEST_LINE.test(line);
  return TARGET_CHARS.test(line);
}
