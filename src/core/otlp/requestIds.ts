/**
 * The id strings of one request, found again by their bytes in the request
 * buffer: consecutive spans mostly share a trace id, and a parent id is
 * mostly the id of a span read before. Sharing saves building the string and
 * keeps one copy of each id per retained trace. Used by both wire decoders.
 */

import { sameBytes } from '../encoding';

const SPAN_ID_SLOTS = 256;

export class RequestIds {
  private lastTraceAt = -1;
  private lastTraceId = '';
  /** Span ids read so far, by a hash of their bytes: buffer offset and string. */
  private readonly spanIdAt = new Int32Array(SPAN_ID_SLOTS).fill(-1);
  private readonly spanIds: string[] = new Array<string>(SPAN_ID_SLOTS).fill('');
  /** The slot the last {@link spanId} looked at, for the {@link addSpanId} after a miss. */
  private slot = 0;

  constructor(private readonly buf: Uint8Array) {}

  /** The string of the trace id in `buf[at, at + length)` if it is the last one read, else undefined (then {@link addTraceId}). */
  traceId(at: number, length: number): string | undefined {
    return this.lastTraceAt >= 0 && sameBytes(this.buf, this.lastTraceAt, at, length) ? this.lastTraceId : undefined;
  }

  addTraceId(at: number, id: string): string {
    this.lastTraceAt = at;
    this.lastTraceId = id;
    return id;
  }

  /** The string of a span id in `buf[at, at + length)` read before in this request, else undefined (then {@link addSpanId}). */
  spanId(at: number, length: number): string | undefined {
    const b = this.buf;
    const end = at + length;
    // Ids are random: a few bytes from the end spread them well enough.
    const slot = (b[end - 1] ^ (b[end - 2] << 1) ^ (b[end - 3] << 2) ^ (b[end - 4] << 3) ^ b[end - 5] ^ b[at]) & (SPAN_ID_SLOTS - 1);
    this.slot = slot;
    const cachedAt = this.spanIdAt[slot];
    return cachedAt >= 0 && sameBytes(b, cachedAt, at, length) ? this.spanIds[slot] : undefined;
  }

  addSpanId(at: number, id: string): string {
    this.spanIdAt[this.slot] = at;
    this.spanIds[this.slot] = id;
    return id;
  }
}
