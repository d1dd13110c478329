// The sticky-session cookie: names a backend by an opaque token (a keyed hash of its stable id, so
// it says nothing about the backend's pool or address), expires, and is signed with HMAC-SHA256
// under a secret every data plane shares, so any of them honours what another issued.
// Value: TOKEN.EXPIRY.MAC with TOKEN = base64url(HMAC(secret, "backend\0" + id)[0..12]) and
// MAC = base64url(HMAC(secret, "TOKEN|EXPIRY")). The token depends only on the secret and the id,
// so it survives reorders and reloads; it is resolved back through the ids this snapshot knows.
// Cookies of the earlier format (base64url of the id) fail the check and are re-pinned once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CookieSpec } from '../../proto/index.js';

const DEFAULT_COOKIE_NAME = 'GOLB_SESSION';
const DEFAULT_COOKIE_TTL_S = 86_400;

/** A value of ours is 16 + 1 + 10 + 1 + 43 = 71 bytes; anything past this is not ours. */
const MAX_VALUE_BYTES = 512;
/**
 * Same-name cookies tried per request (browsers send one per matching path); bounds HMAC work.
 * The Cookie header itself has no size limit here: the listener's head limit bounds it, and a
 * scan over it is linear (one indexOf per pair), so stickiness holds for every request accepted.
 */
const MAX_CANDIDATES = 4;
/** Verified values remembered per snapshot (the object is rebuilt with each one, so with each secret). */
const MAX_VERIFIED = 10_000;
/** base64url of a 32-byte digest, unpadded. */
const MAC_CHARS = 43;
/** Token bytes: 96 bits, so two backends of one config never share a token in practice. */
const TOKEN_BYTES = 12;
/** base64url of TOKEN_BYTES, unpadded. */
const TOKEN_CHARS = 16;

/** RFC 6265 §4.1.1 cookie-name (an RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DIGITS = /^[0-9]{1,12}$/;

export class StickyCookie {
  readonly name: string;
  readonly ttlS: number;
  readonly #secrets: readonly string[];
  readonly #alwaysSecure: boolean;
  readonly #now: () => number;
  /**
   * Values that already passed the HMAC check, with what they said: a returning client costs a map
   * lookup instead of an HMAC per request (about 8% of CPU on the cookie path). Only values signed
   * by a current secret get in; the expiry is still checked on every use.
   */
  readonly #verified = new Map<string, { id: string; expiry: number }>();
  /** Token under the current secret, per backend id known to this snapshot. */
  readonly #tokenById = new Map<string, string>();
  /** Every token (current and previous secrets) of a known backend id, back to the id. */
  readonly #idByToken = new Map<string, string>();

  /**
   * `now` returns ms since the epoch (injected by tests). An empty name or TTL takes the default
   * (GOLB_SESSION, 24 h). Throws when the secret is empty — anyone could then forge a pin — or
   * when the name is not a valid cookie name.
   */
  constructor(settings: CookieSpec, now: () => number = Date.now) {
    this.name = settings.name || DEFAULT_COOKIE_NAME;
    if (!TOKEN.test(this.name)) throw new Error(`cookie name ${JSON.stringify(this.name)} is not a valid token`);
    this.ttlS = settings.ttl_s > 0 ? settings.ttl_s : DEFAULT_COOKIE_TTL_S;
    if (!settings.secret) throw new Error('cookie secret is empty');
    this.#secrets = [settings.secret, ...(settings.previous_secrets ?? []).filter((s) => s !== '')];
    this.#alwaysSecure = settings.secure;
    this.#now = now;
  }

  /**
   * The full Set-Cookie header value pinning the client to `backendId`, signed with the current
   * secret. Secure when the settings ask for it always, or when this request came over HTTPS.
   */
  issue(backendId: string, secure = false): string {
    const expiry = Math.floor(this.#now() / 1000) + this.ttlS;
    const token = this.#tokenOf(backendId);
    const mac = this.#mac(this.#secrets[0]!, token, expiry).toString('base64url');
    const flags = this.#alwaysSecure || secure ? '; Secure' : '';
    return `${this.name}=${token}.${expiry}.${mac}; Path=/; Max-Age=${this.ttlS}; HttpOnly; SameSite=Lax${flags}`;
  }

  /**
   * Makes `backendIds` resolvable by `read`: called once per selector while the snapshot's
   * runtime is built (before any request sees it). A cookie naming an id never registered (or
   * issued) through this object reads as undefined, i.e. re-pinned.
   */
  register(backendIds: Iterable<string>): void {
    for (const id of backendIds) this.#tokenOf(id);
  }

  #tokenOf(backendId: string): string {
    const known = this.#tokenById.get(backendId);
    if (known !== undefined) return known;
    let current = '';
    // Tokens under previous secrets too, so cookies issued before a rotation still resolve.
    for (const secret of this.#secrets) {
      const token = createHmac('sha256', secret).update(`backend\0${backendId}`).digest().subarray(0, TOKEN_BYTES).toString('base64url');
      if (current === '') current = token;
      if (!this.#idByToken.has(token)) this.#idByToken.set(token, backendId);
    }
    this.#tokenById.set(backendId, current);
    return current;
  }

  /**
   * The backend id a request's Cookie header pins it to, or `undefined` when no cookie of ours
   * is present, well-formed, unexpired and signed by the current or a previous secret.
   * Never throws, whatever the header holds.
   */
  read(cookieHeader: string | undefined): string | undefined {
    if (cookieHeader === undefined) return undefined;
    const name = this.name;
    let tried = 0;
    let from = 0;
    while (from < cookieHeader.length && tried < MAX_CANDIDATES) {
      const semi = cookieHeader.indexOf(';', from);
      const end = semi === -1 ? cookieHeader.length : semi;
      let start = from;
      while (start < end && (cookieHeader.charCodeAt(start) === 0x20 || cookieHeader.charCodeAt(start) === 0x09)) start++;
      from = end + 1;
      // Only a pair called exactly NAME is sliced out; other cookies cost a comparison.
      if (!cookieHeader.startsWith(name, start) || cookieHeader.charCodeAt(start + name.length) !== 0x3d) continue;
      tried++;
      const id = this.#verify(cookieHeader.slice(start + name.length + 1, end).trim());
      if (id !== undefined) return id;
    }
    return undefined;
  }

  #verify(rawValue: string): string | undefined {
    if (rawValue.length > MAX_VALUE_BYTES) return undefined;
    // RFC 6265 allows the value inside double quotes.
    const value = rawValue.length >= 2 && rawValue.startsWith('"') && rawValue.endsWith('"') ? rawValue.slice(1, -1) : rawValue;
    const known = this.#verified.get(value);
    if (known !== undefined) return known.expiry * 1000 > this.#now() ? known.id : undefined;
    const parts = value.split('.');
    if (parts.length !== 3) return undefined;
    const [token, expiryText, macText] = parts as [string, string, string];
    if (token.length !== TOKEN_CHARS || !BASE64URL.test(token) || !DIGITS.test(expiryText) || macText.length !== MAC_CHARS || !BASE64URL.test(macText)) {
      return undefined;
    }
    const expiry = Number(expiryText);
    if (expiry * 1000 <= this.#now()) return undefined;
    const backendId = this.#idByToken.get(token);
    if (backendId === undefined) return undefined;
    const given = Buffer.from(macText, 'base64url');
    // Only the canonical encoding is ours: re-encoding must give back the same text.
    if (given.length !== 32 || given.toString('base64url') !== macText) return undefined;
    let ok = false;
    // Every secret is checked, so the time taken does not reveal which one matched.
    for (const secret of this.#secrets) {
      if (timingSafeEqual(this.#mac(secret, token, expiry), given)) ok = true;
    }
    if (!ok) return undefined;
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear();
    this.#verified.set(value, { id: backendId, expiry });
    return backendId;
  }

  #mac(secret: string, token: string, expiry: number): Buffer {
    return createHmac('sha256', secret).update(`${token}|${expiry}`).digest();
  }
}
