/**
 * A bounded cache of short strings keyed by their UTF-8 bytes. Attribute keys
 * and most attribute values repeat from span to span (`gen_ai.system`,
 * `openai`, a model name, a customer id): decoding them through the cache
 * skips the UTF-8 decode and, more importantly, lets a million retained spans
 * share one copy of each instead of holding a million equal strings.
 *
 * Direct-mapped and fixed in size: a collision replaces the slot, so hostile
 * input costs misses, never memory.
 */

/** Strings longer than this (in bytes) are not cached: long texts rarely repeat. */
export const MAX_INTERNED_BYTES = 64;

const SLOT_BITS = 12;
const SLOTS = 1 << SLOT_BITS;
const WORDS_PER_SLOT = MAX_INTERNED_BYTES / 4;

/** The little-endian 32-bit word of `bytes[at, at + 4)`. */
function wordAt(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

export class Utf8Interner {
  /** Byte length of each slot's string, -1 when empty. */
  private readonly lengths = new Int32Array(SLOTS).fill(-1);
  /**
   * Each slot's bytes, at word `slot * WORDS_PER_SLOT`: whole words compared as
   * words (a quarter of the comparisons), the last 0-3 bytes through `tails`.
   */
  private readonly words = new Int32Array(SLOTS * WORDS_PER_SLOT);
  private readonly tails = new Uint8Array(this.words.buffer);
  private readonly strings: string[] = new Array<string>(SLOTS).fill('');
  /** The slot the last {@link find} looked at, for the {@link add} that follows a miss. */
  private slot = 0;

  /** The cached string of the UTF-8 `bytes[start, end)`, or undefined. */
  find(bytes: Uint8Array, start: number, end: number): string | undefined {
    const length = end - start;
    if (length > MAX_INTERNED_BYTES) return undefined;
    const slot = slotOf(bytes, start, length);
    this.slot = slot;
    if (this.lengths[slot] !== length) return undefined;
    const words = this.words;
    const base = slot * WORDS_PER_SLOT;
    const whole = length >> 2;
    for (let i = 0; i < whole; i++) if (words[base + i] !== wordAt(bytes, start + 4 * i)) return undefined;
    const tails = this.tails;
    for (let i = whole * 4; i < length; i++) if (tails[base * 4 + i] !== bytes[start + i]) return undefined;
    return this.strings[slot];
  }

  /** Caches `value`, the decoding of `bytes[start, end)`, after a {@link find} of the same bytes missed. */
  add(bytes: Uint8Array, start: number, end: number, value: string): void {
    const length = end - start;
    if (length > MAX_INTERNED_BYTES) return;
    const slot = this.slot;
    const base = slot * WORDS_PER_SLOT;
    const whole = length >> 2;
    for (let i = 0; i < whole; i++) this.words[base + i] = wordAt(bytes, start + 4 * i);
    for (let i = whole * 4; i < length; i++) this.tails[base * 4 + i] = bytes[start + i];
    this.lengths[slot] = length;
    this.strings[slot] = value;
  }
}

/**
 * The slot of a byte string: a multiplicative hash of its length and a sample
 * of its bytes (both ends and the middle, where keys and ids differ). A poor
 * sample only costs misses; equality is always checked on every byte.
 */
function slotOf(bytes: Uint8Array, start: number, length: number): number {
  let hash = Math.imul(length, 0x9e3779b1);
  if (length >= 4) {
    hash = Math.imul(hash ^ wordAt(bytes, start), 0x01000193);
    hash = Math.imul(hash ^ wordAt(bytes, start + length - 4), 0x01000193);
    if (length >= 8) hash = Math.imul(hash ^ wordAt(bytes, start + ((length - 4) >> 1)), 0x01000193);
    if (length >= 12) hash = Math.imul(hash ^ wordAt(bytes, start + length - 8), 0x01000193);
  } else {
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[start + i], 0x01000193);
  }
  return (hash ^ (hash >>> 15) ^ (hash >>> 24)) & (SLOTS - 1);
}

/**
 * A bounded cache of short strings keyed by themselves, for decoders that get
 * their strings already decoded (JSON.parse makes a fresh copy of every string
 * value longer than 10 characters): equal values then share one copy.
 */
export class StringInterner {
  private readonly strings = new Map<string, string>();

  constructor(private readonly capacity = 1 << SLOT_BITS) {}

  /** The cached string equal to `value`, caching `value` itself when it is new. */
  intern(value: string): string {
    if (value.length > MAX_INTERNED_BYTES) return value;
    const cached = this.strings.get(value);
    if (cached !== undefined) return cached;
    // Bounded the simple way: start over when full (the common values come right back).
    if (this.strings.size >= this.capacity) this.strings.clear();
    this.strings.set(value, value);
    return value;
  }
}
