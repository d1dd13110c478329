// What one sync stream may send the control plane: a hello with bounded fields, reports of
// bounded size. Anything past these bounds is a protocol error that ends the stream, so a client
// cannot grow the control plane's memory or inject control characters into its log.
import type { Hello__Output } from '../../proto/gen/golb/v1/Hello.js';

export const SYNC_LIMITS = {
  /** Concurrent sync streams (--max-dataplanes); one more is refused with RESOURCE_EXHAUSTED. */
  maxStreams: 10_000,
  /** A stream that has not said hello by then is ended. */
  helloTimeoutMs: 10_000,
  idChars: 128,
  hostnameChars: 255,
  softwareVersionChars: 64,
  trafficAddressChars: 300,
  versionChars: 128,
  labels: 64,
  labelKeyChars: 128,
  labelValueChars: 512,
  /** Backends (or routes) one stats or health report may name; also the cap on a session's health map. */
  reportEntries: 20_000,
  /** Largest gRPC message the control plane reads (the grpc default, made explicit). */
  maxMessageBytes: 4 * 1024 * 1024,
} as const;

/** gRPC server options that go with these limits: message size, and pings that find dead peers. */
export const GRPC_SERVER_OPTIONS = {
  'grpc.max_receive_message_length': SYNC_LIMITS.maxMessageBytes,
  // A data plane whose host died or was cut off without a FIN is seen gone within ~30 s, so its
  // id is free again for the process that replaces it (see SyncServer: duplicate ids).
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
} as const;

/** No control characters (they would forge lines in the control plane's log). */
const PRINTABLE = /^[^\x00-\x1f\x7f]*$/;
/** Data plane ids: nanoids, pod names, `--id` values. */
const ID = /^[A-Za-z0-9._:@-]+$/;

/** Why `hello` is refused, or undefined when it is within bounds. */
export function checkHello(hello: Hello__Output): string | undefined {
  const L = SYNC_LIMITS;
  if (hello.id !== '' && (hello.id.length > L.idChars || !ID.test(hello.id))) {
    return `hello: id must be 1-${L.idChars} characters of A-Z a-z 0-9 . _ : @ -`;
  }
  const fields: Array<[string, string, number]> = [
    ['hostname', hello.hostname, L.hostnameChars],
    ['software_version', hello.software_version, L.softwareVersionChars],
    ['traffic_address', hello.traffic_address, L.trafficAddressChars],
    ['current_version', hello.current_version, L.versionChars],
  ];
  for (const [name, value, max] of fields) {
    if (value.length > max) return `hello: ${name} is longer than ${max} characters`;
    if (!PRINTABLE.test(value)) return `hello: ${name} must not contain control characters`;
  }
  if (!/^\d{1,16}$/.test(hello.started_unix_ms)) return 'hello: started_unix_ms must be a non-negative time in ms';
  const labels = Object.entries(hello.labels);
  if (labels.length > L.labels) return `hello: at most ${L.labels} labels`;
  for (const [k, v] of labels) {
    if (k.length > L.labelKeyChars || v.length > L.labelValueChars) return `hello: a label key is at most ${L.labelKeyChars} characters, a value ${L.labelValueChars}`;
    if (!PRINTABLE.test(k + v)) return 'hello: labels must not contain control characters';
  }
  return undefined;
}
