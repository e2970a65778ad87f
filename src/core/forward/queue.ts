/**
 * The delivery queue: what waits to be sent, in sending order, cut into
 * batches by span count and bytes, with one batch in flight at a time.
 *
 * It also learns how large a request Respan accepts. A 413 to a batch of
 * several spans lowers the byte limit of every later batch to the larger half
 * of the refused one (halving again while Respan still refuses), so the refused
 * spans go again in halves and later batches are not refused first. Only bytes
 * are lowered, never the span count: a 413 is about the body's size, and one
 * oversized span must not shrink every later batch to a single span. The
 * learned limit belongs to one server and is forgotten when the base URL
 * changes.
 *
 * The queue knows nothing of span states or HTTP: the caller encodes each
 * item as the batch is cut (and may settle items that cannot go), and says
 * which items of a finished batch go back to the front.
 */

import type { PreparedSpan } from './payload';

/** Bytes of a request body besides its spans, as counted when cutting batches. */
const BODY_OVERHEAD_BYTES = 32;

/** Bounds and timing of a {@link BatchQueue}. */
export interface BatchLimits {
  /** Spans per request. Default 500. */
  maxBatchSpans: number;
  /** Bytes per request body (a single larger span is sent alone). Default 4 MiB; lowered for the session by a 413. */
  maxBatchBytes: number;
  /** Spans held in the queue (waiting or in flight). Default 20,000. */
  maxQueuedSpans: number;
  /** How long spans wait for more to batch with, in ms. Default 1000. */
  batchDelayMs: number;
}

/** A batch taken off the queue: its items and their encodings, in sending order. */
export interface Batch<T> {
  readonly items: readonly T[];
  readonly prepared: readonly PreparedSpan[];
}

/** Settings of a {@link BatchQueue}. */
export interface BatchQueueOptions<T> {
  /** Identifies an item: adding an item with the key of a waiting one replaces it in place. */
  keyOf: (item: T) => string;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  limits: BatchLimits;
}

interface Queued<T> {
  item: T;
  /** When the item first joined the queue; a retry keeps it, so retried spans do not wait for a new batch. */
  queuedAtMs: number;
}

/** The delivery queue. See the module comment. */
export class BatchQueue<T> {
  private readonly options: BatchQueueOptions<T>;
  private readonly waiting = new Map<string, Queued<T>>();
  /** The batch in flight, as it was queued. */
  private inFlight: Array<[string, Queued<T>]> | undefined;
  private bytesLimit: number;
  private flushRequested = false;

  constructor(options: BatchQueueOptions<T>) {
    this.options = options;
    this.bytesLimit = options.limits.maxBatchBytes;
  }

  /** Items waiting (not counting the batch in flight). */
  get size(): number {
    return this.waiting.size;
  }

  /** True while a batch is in flight. */
  get isSending(): boolean {
    return this.inFlight !== undefined;
  }

  /** The byte limit of a batch: `maxBatchBytes`, or less once Respan refused a batch as too large. */
  get batchBytesLimit(): number {
    return this.bytesLimit;
  }

  /** Adds an item at the end. Returns false, adding nothing, when the queue holds `maxQueuedSpans` items. */
  add(item: T): boolean {
    if (this.waiting.size + (this.inFlight?.length ?? 0) >= this.options.limits.maxQueuedSpans) return false;
    this.waiting.set(this.options.keyOf(item), { item, queuedAtMs: this.options.now() });
    return true;
  }

  /** The next batch goes without waiting for the batch delay. */
  requestFlush(): void {
    this.flushRequested = true;
  }

  /**
   * When the next batch is due, never before `notBeforeMs`: at once for a
   * full batch or after {@link requestFlush}, else when the oldest item has
   * waited `batchDelayMs`. Undefined when nothing waits; an empty queue also
   * ends a flush request, so spans that come later wait for their batch.
   */
  dueAtMs(notBeforeMs: number): number | undefined {
    const oldest = this.waiting.values().next();
    if (oldest.done) {
      this.flushRequested = false;
      return undefined;
    }
    if (this.flushRequested || this.waiting.size >= this.options.limits.maxBatchSpans) return notBeforeMs;
    return Math.max(notBeforeMs, oldest.value.queuedAtMs + this.options.limits.batchDelayMs);
  }

  /**
   * Takes the next batch off the queue and puts it in flight. `prepare`
   * encodes an item, or returns undefined for an item that cannot go (the
   * caller settles it); such items leave the queue. A batch holds at least one
   * item, so a single item over the byte limit goes alone. Undefined when no
   * item could go.
   */
  take(prepare: (item: T) => PreparedSpan | undefined): Batch<T> | undefined {
    const { maxBatchSpans } = this.options.limits;
    const items: T[] = [];
    const prepared: PreparedSpan[] = [];
    const entries: Array<[string, Queued<T>]> = [];
    const settled: string[] = [];
    let bytes = BODY_OVERHEAD_BYTES;
    for (const [key, entry] of this.waiting) {
      const one = prepare(entry.item);
      if (one === undefined) {
        settled.push(key);
        continue;
      }
      if (items.length > 0 && bytes + one.bytes > this.bytesLimit) break;
      items.push(entry.item);
      prepared.push(one);
      entries.push([key, entry]);
      bytes += one.bytes;
      if (items.length >= maxBatchSpans) break;
    }
    for (const key of settled) this.waiting.delete(key);
    for (const [key] of entries) this.waiting.delete(key);
    if (items.length === 0) return undefined;
    this.inFlight = entries;
    return { items, prepared };
  }

  /**
   * Ends the batch in flight. `again` (items of it) go back to the front of
   * the queue in the batch's order, with their first queuing time. They were
   * counted against `maxQueuedSpans` while in flight, so they always fit.
   */
  finish(again: readonly T[] = []): void {
    const keys = new Set(again.map(this.options.keyOf));
    const front = (this.inFlight ?? []).filter(([key]) => keys.has(key));
    this.inFlight = undefined;
    if (front.length === 0) return;
    const rest = [...this.waiting];
    this.waiting.clear();
    for (const [key, entry] of [...front, ...rest]) this.waiting.set(key, entry);
  }

  /**
   * Ends `batch`, the one in flight, as refused for its size (413): no later
   * batch may hold more bytes than its larger half, and all its items go back
   * to the front, so they go again in halves. Returns the new byte limit.
   */
  finishTooLarge(batch: Batch<T>): number {
    const half = Math.ceil(batch.prepared.length / 2);
    const bytesOf = (part: readonly PreparedSpan[]) => part.reduce((sum, one) => sum + one.bytes, BODY_OVERHEAD_BYTES);
    const largerHalf = Math.max(bytesOf(batch.prepared.slice(0, half)), bytesOf(batch.prepared.slice(half)));
    this.bytesLimit = Math.min(this.bytesLimit, largerHalf);
    this.finish(batch.items);
    return this.bytesLimit;
  }

  /** Forgets the byte limit learned from 413s (another server has other limits). */
  forgetLearnedLimit(): void {
    this.bytesLimit = this.options.limits.maxBatchBytes;
  }
}
