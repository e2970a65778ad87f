/**
 * The lean form of traces for the service: each trace's spans encoded once per
 * revision and kept (a bounded, counted cache), the encoding done chunk by
 * chunk with a turn of the event loop between chunks, so encoding a
 * 100,000-span trace never holds up ingest or other requests. A large trace
 * that stopped changing is encoded ahead, so the click that opens it finds
 * it ready; one encoding of a revision serves every request that asks for it
 * meanwhile. The head (the trace's summary and logs) is written fresh for
 * every answer: a pin or a new cost figure does not cost a new encoding.
 */

import type { ForwardTimers } from '../forward/wakeTimer';
import { encodeLeanSpans, joinLeanTrace, LEAN_FORM_MIN_SPANS, treeOrderInSteps, type LeanSpans } from '../leanTrace';
import { runInSteps, type YieldTurn } from '../steps';
import type { TraceStore } from '../store';
import type { LeanTraceCacheJson, StoreChangeJson } from '../../protocol/api';
import { leanTraceHeadJson } from '../../protocol/serialize';

/** Bytes of encoded spans kept across traces by default: a few 100,000-span traces. */
export const DEFAULT_LEAN_CACHE_BYTES = 32 * 1024 * 1024;
/** Quiet time after a large trace's last change before it is encoded ahead, ms. */
export const ENCODE_AHEAD_AFTER_MS = 1000;
/** Encoded bytes a span takes at most, about: a trace that would not fit the cache is not encoded ahead. */
const ENCODED_BYTES_PER_SPAN = 100;

interface Cached extends LeanSpans {
  revision: number;
}

/** The lean form of the store's traces, with the encodings of recently asked traces kept. */
export class LeanTraces {
  /** Least recently used first. */
  private readonly cache = new Map<string, Cached>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  /** Encodings under way, by trace: a request for the same revision waits for it instead of encoding again. */
  private readonly encoding = new Map<string, { revision: number; done: Promise<Cached | undefined> }>();
  /** The large trace that changed last, to encode ahead once the store is quiet. */
  private aheadTraceId: string | undefined;
  private aheadTimer: unknown;

  constructor(
    private readonly store: TraceStore,
    /** Resolves after other work had a turn (the event loop's next turn). */
    private readonly yieldTurn: YieldTurn,
    /** For the quiet time before a trace is encoded ahead. */
    private readonly timers: ForwardTimers,
    private readonly maxBytes = DEFAULT_LEAN_CACHE_BYTES,
  ) {}

  /** The trace's lean body; undefined for a trace not in the store. */
  async body(traceId: string): Promise<Uint8Array | undefined> {
    const spans = await this.spans(traceId);
    // The head is read after the spans, so a trace deleted meanwhile answers as gone.
    const entry = spans && this.store.get(traceId);
    return entry && joinLeanTrace(spans, JSON.stringify(leanTraceHeadJson(entry)));
  }

  /** Drops what a store change made stale (evicted and deleted traces, or all on a clear), and plans to encode the large trace that changed. */
  noteChange(change: StoreChangeJson): void {
    if (change.cleared) {
      this.cache.clear();
      this.bytes = 0;
    }
    for (const traceId of change.evicted) this.drop(traceId);
    const changed = [...change.added, ...change.updated].reverse().find((traceId) => this.worthEncodingAhead(traceId));
    if (changed === undefined) return;
    this.aheadTraceId = changed;
    this.timers.clearTimeout(this.aheadTimer);
    this.aheadTimer = this.timers.setTimeout(() => this.encodeAhead(), ENCODE_AHEAD_AFTER_MS);
  }

  /** How the cache fares, for `status`. */
  counts(): LeanTraceCacheJson {
    return { traces: this.cache.size, bytes: this.bytes, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses };
  }

  /** A trace large enough to open in the lean form whose encoding would fit the cache. */
  private worthEncodingAhead(traceId: string): boolean {
    const spans = this.store.get(traceId)?.spans.size ?? 0;
    return spans >= LEAN_FORM_MIN_SPANS && spans * ENCODED_BYTES_PER_SPAN <= this.maxBytes;
  }

  private encodeAhead(): void {
    const traceId = this.aheadTraceId;
    this.aheadTraceId = undefined;
    const entry = traceId === undefined ? undefined : this.store.get(traceId);
    if (!entry || this.cache.get(entry.traceId)?.revision === entry.revision) return;
    void this.encoded(entry.traceId, entry.revision);
  }

  private async spans(traceId: string): Promise<LeanSpans | undefined> {
    const entry = this.store.get(traceId);
    if (!entry) return undefined;
    const cached = this.cache.get(entry.traceId);
    if (cached && cached.revision === entry.revision) {
      this.hits++;
      this.cache.delete(entry.traceId);
      this.cache.set(entry.traceId, cached);
      return cached;
    }
    this.misses++;
    return this.encoded(entry.traceId, entry.revision);
  }

  /** The trace's encoding at `revision`: the one under way, or a new one. */
  private encoded(traceId: string, revision: number): Promise<Cached | undefined> {
    const running = this.encoding.get(traceId);
    if (running && running.revision === revision) return running.done;
    const done = this.encode(traceId, revision).finally(() => {
      if (this.encoding.get(traceId)?.done === done) this.encoding.delete(traceId);
    });
    this.encoding.set(traceId, { revision, done });
    return done;
  }

  private async encode(traceId: string, revision: number): Promise<Cached | undefined> {
    // Each step below holds the event loop for a bounded time; other work goes on between steps.
    const tree = await runInSteps(this.store.treeInSteps(traceId), this.yieldTurn);
    if (!tree) return undefined;
    await this.yieldTurn();
    const ordered = await runInSteps(treeOrderInSteps(tree), this.yieldTurn);
    await this.yieldTurn();
    const chunks: Uint8Array[] = [];
    let byteLength = 0;
    for (const chunk of encodeLeanSpans(tree, ordered)) {
      chunks.push(chunk);
      byteLength += chunk.length;
      await this.yieldTurn();
    }
    const spans: Cached = { count: tree.spans.length, originMs: tree.spans.length > 0 ? tree.spans[0].startTimeMs : 0, chunks, byteLength, revision };
    // A trace deleted or evicted meanwhile is answered, not kept.
    if (this.store.get(traceId)) this.keep(traceId, spans);
    return spans;
  }

  private drop(traceId: string): void {
    const old = this.cache.get(traceId);
    if (!old) return;
    this.bytes -= old.byteLength;
    this.cache.delete(traceId);
  }

  private keep(traceId: string, spans: Cached): void {
    this.drop(traceId);
    // A trace larger than the whole cache is answered, not kept.
    if (spans.byteLength > this.maxBytes) return;
    this.cache.set(traceId, spans);
    this.bytes += spans.byteLength;
    for (const [id, oldest] of this.cache) {
      if (this.bytes <= this.maxBytes) break;
      this.cache.delete(id);
      this.bytes -= oldest.byteLength;
    }
  }
}
