/**
 * Byte, id and time conversions shared by the decoders. Kept allocation-light:
 * they run once per span id and timestamp on the ingest hot path.
 */

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX_BYTE[bytes[i]];
  return hex;
}

/** Whether `bytes[a, a + length)` equals `bytes[c, c + length)`. */
export function sameBytes(bytes: Uint8Array, a: number, c: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[c + i]) return false;
  return true;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < BASE64_ALPHABET.length; i++) BASE64_VALUE[BASE64_ALPHABET.charCodeAt(i)] = i;
// URL-safe alphabet too: protobuf JSON mappings accept both.
BASE64_VALUE['-'.charCodeAt(0)] = 62;
BASE64_VALUE['_'.charCodeAt(0)] = 63;

/** Bytes of standard or URL-safe base64 text, or undefined when it is not base64. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  const trimmed = text.replace(/=+$/, '');
  if (trimmed.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((trimmed.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < trimmed.length; i++) {
    const code = trimmed.charCodeAt(i);
    const value = code < 128 ? BASE64_VALUE[code] : -1;
    if (value < 0) return undefined;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

/** Standard base64 of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63] + BASE64_ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += `${BASE64_ALPHABET[n >> 18]}${BASE64_ALPHABET[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += `${BASE64_ALPHABET[n >> 18]}${BASE64_ALPHABET[(n >> 12) & 63]}${BASE64_ALPHABET[(n >> 6) & 63]}=`;
  }
  return out;
}

const HEX_ID = /^[0-9a-fA-F]+$/;

/**
 * A trace or span id from OTLP/JSON as lowercase hex. OTLP/JSON uses hex
 * (any case); protobuf-JSON mappings that follow the generic rules send base64,
 * which is accepted too since the two never have the same length.
 * Returns an error message when the id is unusable.
 */
export function parseJsonId(value: unknown, byteLength: 16 | 8): string | { error: string } {
  const label = byteLength === 16 ? 'trace id' : 'span id';
  if (typeof value !== 'string') return { error: `${label} must be a hex string, got ${describe(value)}` };
  if (value.length === byteLength * 2 && HEX_ID.test(value)) {
    const hex = value.toLowerCase();
    return isAllZero(hex) ? { error: `${label} is all zeros` } : hex;
  }
  const bytes = base64ToBytes(value);
  if (bytes && bytes.length === byteLength) {
    const hex = bytesToHex(bytes);
    return isAllZero(hex) ? { error: `${label} is all zeros` } : hex;
  }
  return { error: `${label} ${JSON.stringify(value.slice(0, 64))} is not ${byteLength * 2} hex digits` };
}

function isAllZero(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false;
  return true;
}

/** At most 20 digits: every int64 and uint64 fits, and BigInt() never parses a megabyte of digits. */
const DECIMAL = /^-?\d{1,20}$/;

/**
 * A 64-bit integer from OTLP/JSON: a decimal string (the norm) or a JSON number.
 * Strings stay exact beyond 2^53. Returns undefined for anything else,
 * including digit strings too long to be a 64-bit integer.
 */
export function parseJsonInt64(value: unknown): bigint | undefined {
  if (typeof value === 'string') return DECIMAL.test(value) ? BigInt(value) : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  return undefined;
}

/** A 64-bit value as protobufjs hands it over: a `Long`-like pair of 32-bit halves, or a number. */
export interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

/** Exact `bigint` of a protobufjs 64-bit value. */
export function longToBigInt(value: LongLike | number | string | undefined | null, signed: boolean): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (typeof value === 'string') return BigInt(value);
  const unsignedValue = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return signed && value.high < 0 ? unsignedValue - (1n << 64n) : unsignedValue;
}

/** Milliseconds (double) of nanoseconds since the epoch. */
export function nanosToMillis(nanos: bigint): number {
  // Split to keep sub-millisecond precision a plain Number(nanos) / 1e6 would lose.
  const whole = nanos / 1_000_000n;
  return Number(whole) + Number(nanos - whole * 1_000_000n) / 1e6;
}

/** Exact nanoseconds of milliseconds since the epoch (may carry a fraction). */
export function millisToNanos(millis: number): bigint {
  const whole = Math.floor(millis);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((millis - whole) * 1e6));
}

/** Short description of a JSON value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

/** An int64 attribute value: a number when exact, otherwise the bigint. */
export function int64Value(value: bigint): number | bigint {
  return value <= SAFE_MAX && value >= SAFE_MIN ? Number(value) : value;
}
