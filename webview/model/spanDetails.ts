/**
 * Large traces in the lean form: which traces stay lean, how the form's head
 * is read, and the cache of span details fetched on demand (the selected span
 * and its neighbours, so stepping through rows never waits for the network).
 * DOM-free.
 */

import { LEAN_FORM_MIN_SPANS } from '../../src/core/leanTrace';
import type { LeanTraceHeadJson, SpanJson } from '../../src/protocol/api';
import type { TraceIndex } from './traceIndex';

/** Details kept per open trace; older ones are fetched again when selected. */
const DETAILS_CACHE_SIZE = 512;
/** Spans before and after the selected one (in tree order) whose details are fetched ahead. */
const PREFETCH_AROUND = 4;

/** Whether a trace of `spanCount` spans stays in the lean form (smaller ones are taken whole as JSON, full-text find included). */
export function opensLean(spanCount: number): boolean {
  return spanCount >= LEAN_FORM_MIN_SPANS;
}

/** The head of a lean body (its summary and logs); throws a clear error when it is not one. */
export function parseLeanHead(text: string): LeanTraceHeadJson {
  let head: unknown;
  try {
    head = JSON.parse(text);
  } catch {
    throw new Error('lean trace body: its head is not JSON');
  }
  const candidate = head as Partial<LeanTraceHeadJson> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.traceId !== 'string' || typeof candidate.summary !== 'object' || candidate.summary === null || !Array.isArray(candidate.logs)) {
    throw new Error('lean trace body: its head lacks the trace id, summary or logs');
  }
  return candidate as LeanTraceHeadJson;
}

/** Fetches one span's details; null when the trace or span is gone. */
export type FetchSpan = (spanId: string) => Promise<SpanJson | null>;

/** One entry: the details, or the fetch in flight, or why it failed. */
type Entry = { span: SpanJson | null } | { pending: Promise<void> } | { error: string };

/** Details of a lean trace's spans, by span id, least recently used dropped first. */
export class SpanDetailsCache {
  private readonly entries = new Map<string, Entry>();

  /** `onLoaded` runs when a fetch settles, so the view can re-render if it shows that span. */
  constructor(
    readonly traceId: string,
    private readonly fetchSpan: FetchSpan,
    private readonly onLoaded: (spanId: string) => void,
  ) {}

  /** What is known of span `spanId`: its details (null: gone), `pending`, or an error message; `undefined` if never asked. */
  lookup(spanId: string): SpanJson | null | 'pending' | { error: string } | undefined {
    const entry = this.entries.get(spanId);
    if (entry === undefined) return undefined;
    // Most recently used last.
    this.entries.delete(spanId);
    this.entries.set(spanId, entry);
    if ('span' in entry) return entry.span;
    if ('pending' in entry) return 'pending';
    return entry;
  }

  /** Starts fetching the span's details unless they are here or on their way. */
  load(spanId: string): void {
    const known = this.entries.get(spanId);
    if (known !== undefined && !('error' in known)) return;
    const pending = this.fetchSpan(spanId).then(
      (span) => this.settle(spanId, { span }),
      (error: Error) => this.settle(spanId, { error: error.message }),
    );
    this.entries.set(spanId, { pending });
    while (this.entries.size > DETAILS_CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Loads the selected span first, then its neighbours in tree order and its parent. */
  loadAround(index: TraceIndex, span: number): void {
    this.load(index.spanId[span]);
    const pos = index.preorderPos[span];
    for (let d = 1; d <= PREFETCH_AROUND; d++) {
      if (pos + d < index.count) this.load(index.spanId[index.preorder[pos + d]]);
      if (pos - d >= 0) this.load(index.spanId[index.preorder[pos - d]]);
    }
    if (index.parent[span] >= 0) this.load(index.spanId[index.parent[span]]);
  }

  private settle(spanId: string, entry: Entry): void {
    // Dropped from the cache meanwhile: nobody waits for it.
    if (!this.entries.has(spanId)) return;
    this.entries.set(spanId, entry);
    this.onLoaded(spanId);
  }
}
