// The sticky-session cookie: names a backend by its stable id, expires, and is signed with
// HMAC-SHA256 under a secret every data plane shares, so any of them honours what another issued.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CookieSpec } from '../../proto/index.js';

const DEFAULT_COOKIE_NAME = 'GOLB_SESSION';
const DEFAULT_COOKIE_TTL_S = 86_400;

/** Cookie headers past this size are not parsed at all. */
const MAX_HEADER_BYTES = 8192;
/** A value of ours is ~110 bytes for a 40-character id; anything past this is not ours. */
const MAX_VALUE_BYTES = 512;
/** Same-name cookies tried per request (browsers send one per matching path); bounds HMAC work. */
const MAX_CANDIDATES = 4;
/** Verified values remembered per snapshot (the object is rebuilt with each one, so with each secret). */
const MAX_VERIFIED = 10_000;
/** base64url of a 32-byte digest, unpadded. */
const MAC_CHARS = 43;

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
    const id = Buffer.from(backendId, 'utf8').toString('base64url');
    const mac = this.#mac(this.#secrets[0]!, backendId, expiry).toString('base64url');
    const flags = this.#alwaysSecure || secure ? '; Secure' : '';
    return `${this.name}=${id}.${expiry}.${mac}; Path=/; Max-Age=${this.ttlS}; HttpOnly; SameSite=Lax${flags}`;
  }

  /**
   * The backend id a request's Cookie header pins it to, or `undefined` when no cookie of ours
   * is present, well-formed, unexpired and signed by the current or a previous secret.
   * Never throws, whatever the header holds.
   */
  read(cookieHeader: string | undefined): string | undefined {
    if (cookieHeader === undefined || cookieHeader.length > MAX_HEADER_BYTES) return undefined;
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
    const [idText, expiryText, macText] = parts as [string, string, string];
    if (!BASE64URL.test(idText) || !DIGITS.test(expiryText) || macText.length !== MAC_CHARS || !BASE64URL.test(macText)) {
      return undefined;
    }
    const expiry = Number(expiryText);
    if (expiry * 1000 <= this.#now()) return undefined;
    const idBytes = Buffer.from(idText, 'base64url');
    // Only the canonical encoding is ours: re-encoding must give back the same text.
    if (idBytes.toString('base64url') !== idText) return undefined;
    const backendId = idBytes.toString('utf8');
    if (Buffer.from(backendId, 'utf8').toString('base64url') !== idText) return undefined;
    const given = Buffer.from(macText, 'base64url');
    if (given.length !== 32 || given.toString('base64url') !== macText) return undefined;
    let ok = false;
    // Every secret is checked, so the time taken does not reveal which one matched.
    for (const secret of this.#secrets) {
      if (timingSafeEqual(this.#mac(secret, backendId, expiry), given)) ok = true;
    }
    if (!ok) return undefined;
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear();
    this.#verified.set(value, { id: backendId, expiry });
    return backendId;
  }

  #mac(secret: string, backendId: string, expiry: number): Buffer {
    return createHmac('sha256', secret).update(`${backendId}|${expiry}`).digest();
  }
}
