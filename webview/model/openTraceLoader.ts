/**
 * Loads the trace the view shows. A trace opens from its lean binary form
 * (rows first, span details fetched on demand); a small one is then taken
 * whole as JSON (every span's details in the page, find over attributes),
 * told as a second outcome the way a live update is, once the lean rows are
 * painted (parsing the JSON would otherwise hold them off screen). A refresh of a trace
 * known to be small takes the JSON alone. A newer load supersedes an older
 * one, and an answer for a trace the view no longer wants is dropped.
 * DOM-free: the app gives it the service and is told the outcome.
 */

import { LeanTraceReader, type LeanTrace } from '../../src/core/leanTrace';
import { isServiceError } from '../../src/core/service/errors';
import type { LogRecordJson, TraceSummaryJson } from '../../src/protocol/api';
import type { ServiceCall } from '../../src/protocol/service';
import { opensLean, parseLeanHead, SpanDetailsCache } from './spanDetails';
import { buildTraceIndex, leanTraceIndex, type TraceIndex } from './traceIndex';

/** A trace as the view shows it. */
export interface OpenTrace {
  traceId: string;
  index: TraceIndex;
  summary: TraceSummaryJson;
  /** The trace's log records that are not events of a span. */
  logs: LogRecordJson[];
  /** Details fetched span by span, for a large trace in the lean form; null when the index has them all or they are on their way whole. */
  details: SpanDetailsCache | null;
  /** Evicted or deleted from the store while open: still shown, marked stale. */
  gone?: boolean;
  /** The first spans of a trace still arriving (its index holds them; `summary.spanCount` is the whole count): the whole trace follows as another outcome. */
  partial?: boolean;
}

/** What became of a load. */
export type TraceLoadOutcome = { kind: 'loaded'; trace: OpenTrace } | { kind: 'gone'; traceId: string } | { kind: 'failed'; traceId: string; message: string };

/** Settings of an {@link OpenTraceLoader}. */
export interface OpenTraceLoaderOptions {
  call: ServiceCall;
  /** The trace's span count if the page already knows it (the open trace, the list). */
  knownSpanCount(traceId: string): number | undefined;
  /** Whether the view still wants `traceId` (not closed or switched meanwhile). */
  wants(traceId: string): boolean;
  /** Called with the outcome of the latest load of a trace still wanted. */
  onOutcome(outcome: TraceLoadOutcome): void;
  /** Called when a load that shows progress starts (true) and when the latest one ends (false). */
  onLoading(loading: boolean): void;
  /** Called when a span's details arrive for a lean trace (the view re-renders if it shows that span). */
  onDetails(trace: OpenTrace, spanId: string): void;
  /** The lean answer's bytes as they arrive, when the host can stream them; without it the answer comes whole from {@link call}. */
  streamLean?(traceId: string): AsyncIterable<Uint8Array>;
  /** Resolves once the view has painted what it was last told: a small trace's JSON is fetched after its lean rows are on screen, not in their way. */
  afterPaint(): Promise<void>;
}

/** Loads traces for the view, latest request wins. */
export class OpenTraceLoader {
  private seq = 0;

  constructor(private readonly options: OpenTraceLoaderOptions) {}

  /** Loads `traceId`; `quiet` (a refresh) shows no progress. Supersedes every earlier load. */
  async load(traceId: string, quiet: boolean): Promise<void> {
    const seq = ++this.seq;
    const { options } = this;
    const current = () => seq === this.seq && options.wants(traceId);
    if (!quiet) options.onLoading(true);
    performance.mark('rti:request');
    try {
      const known = quiet ? options.knownSpanCount(traceId) : undefined;
      if (known !== undefined && !opensLean(known)) {
        const whole = await this.fetchWhole(traceId);
        if (current()) options.onOutcome(whole ? { kind: 'loaded', trace: whole } : { kind: 'gone', traceId });
        return;
      }
      const lean = await this.fetchLean(traceId, current, (first) => options.onOutcome({ kind: 'loaded', trace: first }));
      if (!current()) return;
      options.onOutcome(lean ? { kind: 'loaded', trace: lean } : { kind: 'gone', traceId });
      if (seq === this.seq) options.onLoading(false);
      if (!lean || opensLean(lean.index.count)) return;
      await options.afterPaint();
      if (!current()) return;
      const whole = await this.fetchWhole(traceId);
      if (current() && whole) options.onOutcome({ kind: 'loaded', trace: whole });
    } catch (error) {
      if (current()) options.onOutcome({ kind: 'failed', traceId, message: (error as Error).message });
    } finally {
      if (seq === this.seq) options.onLoading(false);
    }
  }

  private async fetchWhole(traceId: string): Promise<OpenTrace | null> {
    const detail = await orGone(this.options.call('getTrace', { traceId }));
    if (!detail) return null;
    const index = buildTraceIndex(detail);
    return { traceId, index, summary: detail.summary, logs: detail.logs, details: null };
  }

  /** The trace from its lean form (null when gone, or no longer `wanted`); `onFirst` is told the first spans once a screen's worth arrived while the rest is still coming. */
  private async fetchLean(traceId: string, wanted: () => boolean, onFirst: (first: OpenTrace) => void): Promise<OpenTrace | null> {
    const reader = new LeanTraceReader();
    let firstShown = false;
    try {
      for await (const bytes of this.leanBytes(traceId)) {
        if (!wanted()) return null;
        reader.push(bytes);
        const { trace } = reader;
        if (!firstShown && trace && reader.spans >= Math.min(trace.count, FIRST_SPANS) && reader.spans < trace.count) {
          firstShown = true;
          onFirst({ ...this.leanOpenTrace(traceId, firstSpans(trace, reader.spans)), partial: true });
          // Bytes already received would otherwise be read on at once, and the first rows painted only with the last.
          await this.options.afterPaint();
        }
      }
    } catch (error) {
      if (isServiceError(error, 'not-found')) return null;
      throw error;
    }
    performance.mark('rti:data');
    const trace = this.leanOpenTrace(traceId, reader.finish());
    performance.mark('rti:indexed');
    return trace;
  }

  private async *leanBytes(traceId: string): AsyncIterable<Uint8Array> {
    if (this.options.streamLean) yield* this.options.streamLean(traceId);
    else yield await this.options.call('getLeanTrace', { traceId });
  }

  private leanOpenTrace(traceId: string, lean: LeanTrace): OpenTrace {
    const head = parseLeanHead(lean.head);
    const index = leanTraceIndex(traceId, lean);
    const trace: OpenTrace = { traceId, index, summary: head.summary, logs: head.logs, details: null };
    // A small trace's details all come with its JSON, next: none are fetched one by one meanwhile.
    if (opensLean(head.summary.spanCount)) {
      trace.details = new SpanDetailsCache(traceId, (spanId) => this.options.call('getSpan', { traceId, spanId }).catch(goneAsNull), (spanId) => this.options.onDetails(trace, spanId));
    }
    return trace;
  }
}

/** Spans that fill a screen of rows many times over: the first rows are shown once this many arrived. */
const FIRST_SPANS = 2048;

/** The first `spans` spans of a trace still arriving, as a trace of their own (tree order: their parents are among them). */
function firstSpans(trace: LeanTrace, spans: number): LeanTrace {
  return {
    ...trace,
    count: spans,
    parent: trace.parent.slice(0, spans),
    orphan: trace.orphan.slice(0, spans),
    startMs: trace.startMs.slice(0, spans),
    durationMs: trace.durationMs.slice(0, spans),
    isError: trace.isError.slice(0, spans),
    displayKind: trace.displayKind.slice(0, spans),
    spanId: trace.spanId.slice(0, spans),
    name: trace.name.slice(0, spans),
    service: trace.service.slice(0, spans),
    model: trace.model.slice(0, spans),
    statusMessage: trace.statusMessage.slice(0, spans),
  };
}

/** A request's result, or null when the service says the trace (or span) is not there. */
function orGone<T>(request: Promise<T>): Promise<T | null> {
  return request.catch(goneAsNull);
}

function goneAsNull(error: unknown): null {
  if (isServiceError(error, 'not-found')) return null;
  throw error;
}
