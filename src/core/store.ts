/**
 * The in-memory trace store: trees built incrementally from spans arriving in
 * any order and any number of requests, bounded retention with pinning,
 * per-trace aggregates for listing and filtering, and coalesced change events.
 */

import { CostEstimator } from './cost/estimator';
import { BYTES_PER_MB, DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_SPANS, DEFAULT_MAX_TRACES } from './defaults';
import type { StoreJournal } from './journal';
import { attachedLogRecords, withLogRecords } from './logs/attach';
import { DetachedLogs, TraceLogs } from './logs/held';
import { byTime, type LogRecord } from './logs/record';
import type { AttributeValue, Attributes, InstrumentationScope, RespanParams, RunInfo, Span, TokenUsage } from './model';
import { emptyRollup, rollUp, type UsageRollup } from './rollup';
import { RunRegistry, type RememberedRun } from './runs';
import type { SpanSource } from './spanSource';
import { runToEnd } from './steps';

/** What changed in the store since the previous change event. */
export interface StoreChange {
  /** Traces new to the store. */
  added: string[];
  /** Traces that received spans (and were not added in the same window). */
  updated: string[];
  /** Traces removed by retention, deletion or clearing. */
  evicted: string[];
  /** True when the store was cleared during the window. */
  cleared: boolean;
  spanCount: number;
  traceCount: number;
}

/** Listener for {@link TraceStore.onChange}. */
export type StoreChangeListener = (change: StoreChange) => void;

/** Runs `callback` later; lets hosts and tests choose how change events are batched. */
export type Scheduler = (callback: () => void) => void;

/** Store settings. */
export interface TraceStoreOptions {
  /** Spans kept at most, over all traces. Default {@link DEFAULT_MAX_SPANS}. */
  maxSpans?: number;
  /** Traces kept at most. Default {@link DEFAULT_MAX_TRACES}. */
  maxTraces?: number;
  /**
   * Approximate heap bytes of span content kept at most (see {@link approxSpanBytes}).
   * Span counts alone do not bound memory: one span may carry megabytes of
   * prompts. Default {@link DEFAULT_MAX_MEMORY_MB} MB.
   */
  maxBytes?: number;
  /** Log records kept at most (attached to spans or not). Default: as many as `maxSpans`. */
  maxLogRecords?: number;
  /**
   * Defers the delivery of change events, so a burst of spans becomes one event.
   * Default: a 50 ms timer.
   */
  schedule?: Scheduler;
  /** Wall clock, for `updatedAtMs`. */
  nowMs?: () => number;
  /**
   * Prices each span that reports tokens as it enters. Default: reported
   * costs and the spans' own unit prices only (no price table).
   */
  costs?: CostEstimator;
}

/** Options of {@link TraceStore.add}. */
export interface AddOptions {
  /** The request body the spans were decoded from, for the journal (see {@link StoreJournal.spansAdded}). */
  source?: SpanSource;
  /** The time to record as the traces' `updatedAtMs` instead of now: a journal replaying its records gives their times. */
  atMs?: number;
}

/** Counts of each value of a facet (model, customer, …) within one trace. */
type Counts = Map<string, number>;

function bump(counts: Counts, value: string | undefined, delta: number): void {
  if (value === undefined) return;
  const next = (counts.get(value) ?? 0) + delta;
  if (next > 0) counts.set(value, next);
  else counts.delete(value);
}

/** The facets a trace can be filtered by, each a count of spans per value. */
export interface TraceFacets {
  services: Counts;
  models: Counts;
  customers: Counts;
  threads: Counts;
  traceGroups: Counts;
  environments: Counts;
  names: Counts;
  /** Run ids ({@link RunRegistry}). */
  runs: Counts;
}

/** One trace and its incrementally maintained aggregates. */
export interface TraceEntry {
  readonly traceId: string;
  readonly spans: Map<string, Span>;
  /** Children present per parent span id (including parents not yet arrived). */
  readonly childCounts: Map<string, number>;
  pinned: boolean;
  /** Wall-clock ms of the last span received. */
  updatedAtMs: number;
  /** Bumped on every change to the trace's spans or logs, so what is derived from it can be kept until it changes. */
  revision: number;
  errorCount: number;
  /** Spans whose parent has not arrived. */
  orphanCount: number;
  startTimeMs: number;
  endTimeMs: number;
  /** The earliest span without a parent id, if any arrived. */
  rootSpan: Span | undefined;
  /** The earliest span of all, named when no root has arrived. */
  earliestSpan: Span | undefined;
  /** Token totals, each LLM call counted once ({@link rollUp}). */
  tokens: Required<TokenUsage>;
  /** USD, each LLM call counted once. */
  cost: number;
  /** Spans that carry a cost, counted or not. */
  costedSpans: number;
  /** What keeps `tokens` and `cost` counting each call once. */
  readonly rollup: UsageRollup;
  /** Spans whose cost is an estimate from the price table (counted in `cost` or not). */
  estimatedCostSpans: number;
  facets: TraceFacets;
  /**
   * Approximate heap bytes of the trace's spans ({@link approxSpanBytes}) and
   * log records; the resources and scopes its spans share are charged by the
   * store, once each.
   */
  approxBytes: number;
  /** The trace's log records that are not part of a span, and the count of those that are; undefined until one arrives. */
  logs: TraceLogs | undefined;
}

/** A trace tree ready to show: roots (true roots, orphans, cycle breakers) and spans by start time. */
export interface TraceTree {
  entry: TraceEntry;
  spans: Span[];
  /** Root span ids in start-time order. */
  roots: string[];
  /** Spans shown as roots although they carry a parent id (missing parent, or a loop of parents). */
  orphans: Set<string>;
  /** Children ids per span id, in start-time order; orphans are nobody's children. */
  children: Map<string, string[]>;
}

/** Filters of {@link TraceStore.list}; all given ones must hold. */
export interface TraceQuery {
  /** Case-insensitive text matched against span names and attribute values. */
  text?: string;
  errorsOnly?: boolean;
  name?: string;
  service?: string;
  model?: string;
  customer?: string;
  thread?: string;
  traceGroup?: string;
  environment?: string;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Traces whose cost is at least this many USD (traces without a cost are left out). */
  minCost?: number;
  /** Run id. */
  run?: string;
  pinnedOnly?: boolean;
  /**
   * Consider only these traces (ids in any case; unknown ids are skipped).
   * Lets a view refresh the few traces a change event named without
   * matching every trace again.
   */
  traceIds?: readonly string[];
  /** `newest` (default): most recently started first; `cost`: costliest first, traces without a cost last. */
  sort?: TraceOrder;
  /** Return at most this many (in {@link sort} order). */
  limit?: number;
}

/** One run's share of the store ({@link TraceStore.runSummaries}). */
export interface RunSummary {
  run: RunInfo;
  /** Traces with at least one span of the run. */
  traceCount: number;
  /** Spans of the run. */
  spanCount: number;
  /** Error spans of those traces. */
  errorCount: number;
  /** Token totals of those traces, each LLM call counted once. */
  tokens: Required<TokenUsage>;
  /** USD of those traces that carry a cost; undefined when none does. */
  cost: number | undefined;
  /** Some of {@link cost} is estimated. */
  costEstimated: boolean;
  /** The latest span end (epoch ms) in those traces. */
  lastSeenMs: number;
}

function zeroTokens(): Required<TokenUsage> {
  return { input: 0, output: 0, total: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
}

function emptyRunSummary(run: RunInfo): RunSummary {
  return {
    run,
    traceCount: 0,
    spanCount: 0,
    errorCount: 0,
    tokens: zeroTokens(),
    cost: undefined,
    costEstimated: false,
    lastSeenMs: -Infinity,
  };
}

/** Orders of {@link TraceStore.list}. */
export type TraceOrder = 'newest' | 'cost';

/** One value of a facet: how many traces have it, and for trace-level facets what they cost. */
export interface FacetValue {
  value: string;
  traces: number;
  /** The run's label (runs facet). */
  label?: string;
  /** USD over the traces that have the value and a cost (customers, threads, trace groups, runs). */
  cost?: number;
  /** Some of {@link cost} is estimated. */
  costEstimated?: boolean;
}

/** Facets whose values get cost totals: each trace's cost counts toward every value of these it has. */
const COSTED_FACETS: ReadonlySet<keyof TraceFacets> = new Set(['customers', 'threads', 'traceGroups', 'runs']);

/**
 * Bytes charged per span besides its attributes: the span object, derived
 * fields, ids, times. Calibrated with bench/ingest.ts, where a typical span
 * (12 attributes) measures about 880 heap bytes and is charged about 1,100.
 */
const SPAN_OVERHEAD_BYTES = 320;
/** Bytes charged per attribute, array item or object besides its strings. */
const VALUE_OVERHEAD_BYTES = 24;
/** Bytes charged per resource or scope object besides its strings: the object and the store's count of its spans. */
const SHARED_OVERHEAD_BYTES = 160;

function valueBytes(value: AttributeValue): number {
  if (typeof value === 'string') return VALUE_OVERHEAD_BYTES + value.length;
  if (value === null || typeof value !== 'object') return VALUE_OVERHEAD_BYTES;
  let bytes = VALUE_OVERHEAD_BYTES;
  if (Array.isArray(value)) for (const item of value) bytes += valueBytes(item);
  else for (const key in value) bytes += key.length + valueBytes(value[key]);
  return bytes;
}

function attributesBytes(attributes: Attributes): number {
  let bytes = 0;
  for (const key in attributes) bytes += key.length + valueBytes(attributes[key]);
  return bytes;
}

/** Respan parameters may be parsed from JSON text at ingest, so they are charged (twice when they are the attribute's own strings, erring high). */
function respanBytes(respan: RespanParams): number {
  let bytes = VALUE_OVERHEAD_BYTES;
  for (const key in respan) {
    const value = respan[key as keyof RespanParams];
    if (typeof value === 'string') bytes += VALUE_OVERHEAD_BYTES + value.length;
    else if (value !== undefined) bytes += valueBytes(value);
  }
  return bytes;
}

/**
 * Approximate heap bytes a span keeps alive on its own: its strings (one
 * byte per character, as V8 stores Latin-1 text) plus fixed overheads. Its
 * resource and scope are shared with other spans and charged by the store
 * once each ({@link resourceBytes}, {@link scopeBytes}).
 */
export function approxSpanBytes(span: Span): number {
  let bytes = SPAN_OVERHEAD_BYTES + span.name.length + span.status.message.length + attributesBytes(span.attributes);
  if (span.traceState !== undefined) bytes += span.traceState.length;
  for (const event of span.events) bytes += VALUE_OVERHEAD_BYTES + event.name.length + attributesBytes(event.attributes);
  for (const link of span.links) {
    bytes += VALUE_OVERHEAD_BYTES + link.traceId.length + link.spanId.length + attributesBytes(link.attributes);
    if (link.traceState !== undefined) bytes += link.traceState.length;
  }
  if (span.derived.respan !== undefined) bytes += respanBytes(span.derived.respan);
  return bytes;
}

/** Approximate heap bytes of a resource, charged once however many spans share it. */
export function resourceBytes(resource: Attributes): number {
  return SHARED_OVERHEAD_BYTES + attributesBytes(resource);
}

/** Approximate heap bytes of an instrumentation scope, charged once however many spans share it. */
export function scopeBytes(scope: InstrumentationScope): number {
  return SHARED_OVERHEAD_BYTES + scope.name.length + (scope.version?.length ?? 0) + attributesBytes(scope.attributes);
}

/** The host's timer; reached through globalThis because core is compiled without Node or DOM types. */
const hostTimers = globalThis as unknown as { setTimeout(callback: () => void, delayMs: number): unknown };

const defaultSchedule: Scheduler = (callback) => {
  hostTimers.setTimeout(callback, 50);
};

function emptyEntry(traceId: string): TraceEntry {
  return {
    traceId,
    spans: new Map(),
    childCounts: new Map(),
    pinned: false,
    updatedAtMs: 0,
    revision: 0,
    errorCount: 0,
    orphanCount: 0,
    startTimeMs: Infinity,
    endTimeMs: -Infinity,
    rootSpan: undefined,
    earliestSpan: undefined,
    tokens: zeroTokens(),
    cost: 0,
    costedSpans: 0,
    rollup: emptyRollup(),
    estimatedCostSpans: 0,
    facets: {
      services: new Map(),
      models: new Map(),
      customers: new Map(),
      threads: new Map(),
      traceGroups: new Map(),
      environments: new Map(),
      names: new Map(),
      runs: new Map(),
    },
    approxBytes: 0,
    logs: undefined,
  };
}

/**
 * Adds (`sign` 1) or removes (`sign` -1) one span's share of its trace's
 * aggregates. Returns the change in bytes of the bookkeeping this needs.
 */
function account(entry: TraceEntry, span: Span, sign: 1 | -1): number {
  const derived = span.derived;
  if (derived.isError) entry.errorCount += sign;
  if (derived.cost !== undefined) {
    entry.costedSpans += sign;
    if (derived.costSource === 'estimate') entry.estimatedCostSpans += sign;
  }
  const facets = entry.facets;
  bump(facets.services, derived.service, sign);
  bump(facets.models, derived.model, sign);
  bump(facets.customers, derived.respan?.customerIdentifier, sign);
  bump(facets.threads, derived.respan?.threadIdentifier, sign);
  bump(facets.traceGroups, derived.respan?.traceGroupIdentifier, sign);
  bump(facets.environments, derived.respan?.environment, sign);
  bump(facets.names, span.name, sign);
  bump(facets.runs, derived.run?.id, sign);
  return rollUp(entry, span, sign);
}

function earlier(a: Span | undefined, b: Span): boolean {
  return a === undefined || b.startTimeUnixNano < a.startTimeUnixNano;
}

function spanEndMs(span: Span): number {
  return span.startTimeMs + span.durationMs;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The in-memory trace store. One per listener. */
export class TraceStore {
  private readonly traces = new Map<string, TraceEntry>();
  private spanTotal = 0;
  private maxSpans: number;
  private maxTraces: number;
  private maxBytes: number;
  /** Bytes of every trace's spans, plus every resource and scope they hold, each once. */
  private byteTotal = 0;
  /** Resources and scopes held by stored spans: how many spans hold each, and what it is charged. */
  private readonly shared = new Map<object, { spans: number; bytes: number }>();
  /** Set when given; otherwise log records are bounded by `maxSpans`. */
  private maxLogRecords: number | undefined;
  /** Log records kept in traces (attached to spans or not). */
  private logTotal = 0;
  /** Log records of traces without spans yet, and of no trace. */
  private readonly detached = new DetachedLogs();
  /**
   * The entry the last span went to, while it is still last in `traces` order
   * and noted in the `pending` change it was noted in: the next span of the
   * same trace (the common case) then needs neither re-insertion nor a note.
   */
  private lastEntry: TraceEntry | undefined;
  private lastPending: object | undefined;
  private readonly schedule: Scheduler;
  private readonly nowMs: () => number;
  private readonly listeners = new Set<StoreChangeListener>();
  /** Prices spans as they enter. */
  readonly costs: CostEstimator;
  private readonly runs = new RunRegistry();
  private pending: { added: Set<string>; updated: Set<string>; evicted: Set<string>; cleared: boolean } | undefined;
  private journal: StoreJournal | undefined;

  constructor(options: TraceStoreOptions = {}) {
    this.maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
    this.maxTraces = options.maxTraces ?? DEFAULT_MAX_TRACES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_MEMORY_MB * BYTES_PER_MB;
    this.maxLogRecords = options.maxLogRecords;
    this.schedule = options.schedule ?? defaultSchedule;
    this.nowMs = options.nowMs ?? Date.now;
    this.costs = options.costs ?? new CostEstimator();
  }

  /** Spans in the store. */
  get spanCount(): number {
    return this.spanTotal;
  }

  /** Traces in the store. */
  get traceCount(): number {
    return this.traces.size;
  }

  /**
   * Approximate heap bytes of what the store keeps: every span
   * ({@link approxSpanBytes}) and log record ({@link approxLogRecordBytes}),
   * and every resource and scope spans share, once each ({@link resourceBytes},
   * {@link scopeBytes}).
   */
  get approxBytes(): number {
    return this.byteTotal + this.detached.bytes;
  }

  /** Log records in the store: attached to spans, waiting for their span, without a span, without a trace. */
  get logRecordCount(): number {
    return this.logTotal + this.detached.records;
  }

  /** The byte bound ({@link TraceStoreOptions.maxBytes}). */
  get maxApproxBytes(): number {
    return this.maxBytes;
  }

  /** The retention bounds. */
  get limits(): { maxSpans: number; maxTraces: number; maxBytes: number } {
    return { maxSpans: this.maxSpans, maxTraces: this.maxTraces, maxBytes: this.maxBytes };
  }

  /** Changes the retention bounds; evicts at once if the store is now over them. */
  setLimits(limits: { maxSpans?: number; maxTraces?: number; maxBytes?: number; maxLogRecords?: number }): void {
    this.maxSpans = limits.maxSpans ?? this.maxSpans;
    this.maxTraces = limits.maxTraces ?? this.maxTraces;
    this.maxBytes = limits.maxBytes ?? this.maxBytes;
    this.maxLogRecords = limits.maxLogRecords ?? this.maxLogRecords;
    this.enforceRetention();
  }

  /** Sends every later change to `journal` (undefined: to none). */
  setJournal(journal: StoreJournal | undefined): void {
    this.journal = journal;
  }

  /** Subscribes to coalesced change events; returns the unsubscribe function. */
  onChange(listener: StoreChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Adds spans. A span already present (same trace and span id) is replaced;
   * children that arrived before their parent are attached when it comes.
   */
  add(spans: readonly Span[], options: AddOptions = {}): void {
    runToEnd(this.addInSteps(spans, options));
  }

  /**
   * {@link add} pausing every {@link ADD_STEP_SPANS} spans, for a large body
   * (100,000 spans take 60–100 ms). The journal records the spans at once, as
   * one add; readers see the spans added so far; retention is applied at the end.
   */
  *addInSteps(spans: readonly Span[], options: AddOptions = {}): Generator<void, void> {
    if (spans.length === 0) return;
    const now = options.atMs ?? this.nowMs();
    this.journal?.spansAdded(spans, now, options.source);
    for (let i = 0; i < spans.length; i++) {
      if (i % ADD_STEP_SPANS === ADD_STEP_SPANS - 1) yield;
      this.addOne(spans[i], now);
    }
    this.enforceRetention();
  }

  private addOne(span: Span, now: number): void {
    this.enrich(span);
    let entry = this.lastEntry;
    if (entry === undefined || entry.traceId !== span.traceId || this.pending === undefined || this.pending !== this.lastPending) {
      entry = this.traces.get(span.traceId);
      if (entry === undefined) {
        entry = emptyEntry(span.traceId);
        this.adoptPendingLogs(entry);
        this.traces.set(span.traceId, entry);
        this.note('added', span.traceId);
      } else {
        // Re-inserting keeps the Map in least-recently-updated order for eviction.
        this.traces.delete(span.traceId);
        this.traces.set(span.traceId, entry);
        this.note('updated', span.traceId);
      }
      this.lastEntry = entry;
      this.lastPending = this.pending;
    }
    entry.updatedAtMs = now;
    entry.revision++;
    // Spans of one trace that came in different requests share one id string.
    span.traceId = entry.traceId;

    const previous = entry.spans.get(span.spanId);
    let freed = 0;
    // A trace that never had a log record (the common case) skips this.
    if (entry.logs !== undefined) ({ span, freed } = this.joinLogs(entry, entry.logs, span, previous));
    // The estimate depends only on the (immutable) span, so a replaced span is uncharged exactly.
    this.charge(entry, storedSpanBytes(span) - (previous === undefined ? 0 : storedSpanBytes(previous)) - freed);
    this.holdShared(span);
    if (previous !== undefined) {
      this.releaseShared(previous);
      this.replace(entry, previous, span);
      return;
    }
    const parent = span.parentSpanId;
    if (parent !== null && !entry.spans.has(parent)) entry.orphanCount++;
    entry.spans.set(span.spanId, span);
    this.spanTotal++;
    // Children that were waiting for this span are orphans no longer.
    entry.orphanCount -= entry.childCounts.get(span.spanId) ?? 0;
    if (parent !== null) entry.childCounts.set(parent, (entry.childCounts.get(parent) ?? 0) + 1);

    this.charge(entry, account(entry, span, 1));
    this.widenExtremes(entry, span);
  }

  /** The derived fields that depend on the store: cost and run. */
  private enrich(span: Span): void {
    this.costs.apply(span);
    const run = this.runs.runOf(span.resource, span.startTimeMs);
    if (run) span.derived.run = run;
  }

  private replace(entry: TraceEntry, previous: Span, span: Span): void {
    this.charge(entry, account(entry, previous, -1) + account(entry, span, 1));
    entry.spans.set(span.spanId, span);
    if (previous.parentSpanId !== span.parentSpanId) {
      if (previous.parentSpanId !== null) {
        if (!entry.spans.has(previous.parentSpanId)) entry.orphanCount--;
        bump(entry.childCounts, previous.parentSpanId, -1);
      }
      if (span.parentSpanId !== null) {
        if (!entry.spans.has(span.parentSpanId)) entry.orphanCount++;
        entry.childCounts.set(span.parentSpanId, (entry.childCounts.get(span.parentSpanId) ?? 0) + 1);
      }
    }
    this.replaceInExtremes(entry, previous, span);
  }

  /**
   * Keeps the trace's times, root and earliest span right after `previous`
   * became `span`: a scan of the trace only when `previous` set one of them
   * and `span` does not keep it (a trace sent again would otherwise cost a
   * scan per span).
   */
  private replaceInExtremes(entry: TraceEntry, previous: Span, span: Span): void {
    const movedStart = span.startTimeUnixNano !== previous.startTimeUnixNano;
    const setStart = previous.startTimeMs === entry.startTimeMs && span.startTimeMs > previous.startTimeMs;
    const setEnd = spanEndMs(previous) === entry.endTimeMs && spanEndMs(span) < spanEndMs(previous);
    const leftRoot = entry.rootSpan === previous && (movedStart || span.parentSpanId !== null);
    const leftEarliest = entry.earliestSpan === previous && movedStart;
    if (setStart || setEnd || leftRoot || leftEarliest) {
      this.recomputeExtremes(entry);
      return;
    }
    if (entry.rootSpan === previous) entry.rootSpan = span;
    if (entry.earliestSpan === previous) entry.earliestSpan = span;
    this.widenExtremes(entry, span);
  }

  /** Takes `span` into the trace's times, root and earliest span. */
  private widenExtremes(entry: TraceEntry, span: Span): void {
    if (span.startTimeMs < entry.startTimeMs) entry.startTimeMs = span.startTimeMs;
    const end = spanEndMs(span);
    if (end > entry.endTimeMs) entry.endTimeMs = end;
    if (span.parentSpanId === null && earlier(entry.rootSpan, span)) entry.rootSpan = span;
    if (earlier(entry.earliestSpan, span)) entry.earliestSpan = span;
  }

  private recomputeExtremes(entry: TraceEntry): void {
    entry.startTimeMs = Infinity;
    entry.endTimeMs = -Infinity;
    entry.rootSpan = undefined;
    entry.earliestSpan = undefined;
    for (const span of entry.spans.values()) this.widenExtremes(entry, span);
  }

  /**
   * `span` with the log records of the span it replaces (a span sent again
   * keeps them) and those that waited for it; `freed` is what the waiting ones
   * were charged while held apart.
   */
  private joinLogs(entry: TraceEntry, logs: TraceLogs, span: Span, previous: Span | undefined): { span: Span; freed: number } {
    const waiting = logs.takeWaiting(span.spanId);
    const carried = previous === undefined ? [] : attachedLogRecords(previous);
    if (carried.length === 0 && waiting === undefined) return { span, freed: 0 };
    return { span: this.attach(entry, span, [...carried, ...(waiting?.records ?? [])], carried.length), freed: waiting?.bytes ?? 0 };
  }

  /**
   * `span` with `records` attached, of which `alreadyCounted` were attached to
   * the span it replaces; keeps the trace's record counts.
   */
  private attach(entry: TraceEntry, span: Span, records: LogRecord[], alreadyCounted: number): Span {
    const attached = withLogRecords(span, records);
    const newlyAttached = records.length - alreadyCounted - attached.dropped;
    const logs = (entry.logs ??= new TraceLogs(entry.traceId));
    logs.attached += newlyAttached;
    // Waiting records were counted when they came; only those dropped at the per-span bound leave the count.
    this.logTotal += newlyAttached - (records.length - alreadyCounted);
    // Attaching re-derives the span's fields from its events: add back what the store derives.
    this.enrich(attached.span);
    return attached.span;
  }

  /** Gives a trace whose first span arrived the log records that came before it. */
  private adoptPendingLogs(entry: TraceEntry): void {
    const logs = this.detached.takePending(entry.traceId);
    if (logs === undefined) return;
    entry.logs = logs;
    this.logTotal += logs.count;
    this.charge(entry, logs.bytes);
  }

  /**
   * Adds log records. A record that names a span of a stored trace becomes an
   * event of that span (whose derived fields then count it); one whose span
   * has not arrived waits for it, one with no span id is kept with its trace,
   * and one with no trace id is kept among the most recent untraced records.
   * Returns the spans that gained events, as now stored (the forwarder sends
   * the latest version of a span it has not sent yet).
   */
  addLogs(records: readonly LogRecord[]): Span[] {
    const updated: Span[] = [];
    if (records.length === 0) return updated;
    const now = this.nowMs();
    for (const [traceId, bySpan] of groupByTraceAndSpan(records)) {
      if (traceId === null) {
        for (const list of bySpan.values()) for (const record of list) this.detached.holdUntraced(record, approxLogRecordBytes(record), now);
        continue;
      }
      const entry = this.traces.get(traceId);
      if (entry === undefined) {
        for (const list of bySpan.values()) for (const record of list) this.detached.holdPending(traceId, record, approxLogRecordBytes(record), now);
        continue;
      }
      this.touch(entry, now);
      for (const [spanId, list] of bySpan) {
        const span = spanId === null ? undefined : entry.spans.get(spanId);
        if (span === undefined) {
          const logs = (entry.logs ??= new TraceLogs(entry.traceId));
          for (const record of list) {
            const bytes = approxLogRecordBytes(record);
            logs.hold(record, bytes, now);
            this.charge(entry, bytes);
            this.logTotal++;
          }
          continue;
        }
        this.logTotal += list.length;
        const merged = this.attach(entry, span, list, 0);
        this.charge(entry, storedSpanBytes(merged) - storedSpanBytes(span));
        this.swap(entry, span, merged);
        updated.push(merged);
      }
    }
    this.enforceRetention();
    return updated;
  }

  /** Marks a trace updated by something other than a span (its place in eviction order, the change event). */
  private touch(entry: TraceEntry, now: number): void {
    this.traces.delete(entry.traceId);
    this.traces.set(entry.traceId, entry);
    this.note('updated', entry.traceId);
    entry.updatedAtMs = now;
    entry.revision++;
    // The next span of the last trace must re-insert it: it may no longer be last in eviction order.
    this.lastEntry = undefined;
  }

  /** Replaces a span by a version with the same ids and times (log records attached). */
  private swap(entry: TraceEntry, previous: Span, span: Span): void {
    account(entry, previous, -1);
    account(entry, span, 1);
    entry.spans.set(span.spanId, span);
    if (entry.rootSpan === previous) entry.rootSpan = span;
    if (entry.earliestSpan === previous) entry.earliestSpan = span;
  }

  /** The log records of a trace: attached to its spans, waiting for their span, without a span; in time order. Undefined when the store has nothing of the trace. */
  logsOf(traceId: string): LogRecord[] | undefined {
    const id = traceId.toLowerCase();
    const entry = this.traces.get(id);
    if (entry === undefined) return this.detached.pendingOf(id)?.unattached();
    const records = entry.logs?.unattached() ?? [];
    if ((entry.logs?.attached ?? 0) > 0) {
      for (const span of entry.spans.values()) records.push(...attachedLogRecords(span));
      records.sort(byTime);
    }
    return records;
  }

  /** The most recent log records without a trace id (oldest first), and how many such records arrived since the store was cleared. */
  untracedLogs(): { records: LogRecord[]; received: number } {
    return { records: this.detached.untracedRecords(), received: this.detached.untracedReceived };
  }

  private charge(entry: TraceEntry, bytes: number): void {
    this.byteTotal += bytes;
    entry.approxBytes += bytes;
  }

  private holdShared(span: Span): void {
    this.hold(span.resource, resourceBytes);
    this.hold(span.scope, scopeBytes);
  }

  private releaseShared(span: Span): void {
    this.release(span.resource);
    this.release(span.scope);
  }

  /** Counts one more span holding `object`; the first one charges its bytes. */
  private hold<T extends object>(object: T, bytesOf: (object: T) => number): void {
    const record = this.shared.get(object);
    if (record !== undefined) {
      record.spans++;
      return;
    }
    const bytes = bytesOf(object);
    this.shared.set(object, { spans: 1, bytes });
    this.byteTotal += bytes;
  }

  /** Counts one span less holding `object`; the last one uncharges its bytes. */
  private release(object: object): void {
    const record = this.shared.get(object)!;
    if (--record.spans > 0) return;
    this.shared.delete(object);
    this.byteTotal -= record.bytes;
  }

  private withinBounds(): boolean {
    return (
      this.spanTotal <= this.maxSpans &&
      this.traces.size <= this.maxTraces &&
      this.approxBytes <= this.maxBytes &&
      this.logRecordCount <= (this.maxLogRecords ?? this.maxSpans)
    );
  }

  /** Evicts whatever was least recently updated (an unpinned trace, or log records held apart from traces) until within bounds. */
  private enforceRetention(): void {
    if (this.withinBounds()) return;
    const entries = this.traces.values();
    let next = nextUnpinned(entries);
    while (!this.withinBounds()) {
      const detachedAtMs = this.detached.oldestUpdateMs();
      if (next === undefined && detachedAtMs === Infinity) break;
      if (next === undefined || detachedAtMs <= next.updatedAtMs) this.detached.evictOldest();
      else {
        this.remove(next);
        this.journal?.evicted(next.traceId);
        next = nextUnpinned(entries);
      }
    }
  }

  private remove(entry: TraceEntry): void {
    this.traces.delete(entry.traceId);
    this.spanTotal -= entry.spans.size;
    this.byteTotal -= entry.approxBytes;
    for (const span of entry.spans.values()) this.releaseShared(span);
    this.logTotal -= entry.logs?.count ?? 0;
    if (entry === this.lastEntry) this.lastEntry = undefined;
    this.note('evicted', entry.traceId);
  }

  /** One trace's entry, or undefined. */
  get(traceId: string): TraceEntry | undefined {
    return this.traces.get(traceId.toLowerCase());
  }

  /** One span, or undefined. */
  getSpan(traceId: string, spanId: string): Span | undefined {
    return this.get(traceId)?.spans.get(spanId.toLowerCase());
  }

  /**
   * Whether span `spanId` shows as a root although it has a parent id, as in
   * {@link tree}, without building the tree unless its ancestors loop: one
   * span's details stay cheap in a 100,000-span trace.
   */
  shownAsOrphan(traceId: string, spanId: string): boolean {
    const entry = this.get(traceId);
    const span = entry?.spans.get(spanId.toLowerCase());
    if (!entry || !span || span.parentSpanId === null) return false;
    if (span.parentSpanId === span.spanId || !entry.spans.has(span.parentSpanId)) return true;
    const seen = new Set<string>([span.spanId]);
    for (let id: string | null = span.parentSpanId; id !== null; ) {
      // On a loop of parents, the tree decides which span breaks it.
      if (seen.has(id)) return this.tree(traceId)!.orphans.has(span.spanId);
      seen.add(id);
      const ancestor = entry.spans.get(id);
      if (ancestor === undefined) return false;
      id = ancestor.parentSpanId;
    }
    return false;
  }

  /** Pins or unpins a trace; pinned traces are never evicted. Returns false for an unknown trace. */
  setPinned(traceId: string, pinned: boolean): boolean {
    const entry = this.get(traceId);
    if (!entry) return false;
    if (entry.pinned !== pinned) {
      entry.pinned = pinned;
      this.journal?.pinned(entry.traceId, pinned);
      this.note('updated', entry.traceId);
      if (!pinned) this.enforceRetention();
    }
    return true;
  }

  /** Removes one trace. Returns false for an unknown trace. */
  delete(traceId: string): boolean {
    const entry = this.get(traceId);
    if (!entry) return false;
    this.remove(entry);
    this.journal?.deleted(entry.traceId);
    return true;
  }

  /** Removes every trace that is not pinned. */
  clear(): void {
    this.journal?.cleared();
    for (const entry of [...this.traces.values()]) if (!entry.pinned) this.remove(entry);
    this.detached.clear();
    this.ensurePending().cleared = true;
  }

  /** Traces matching `query`, in its `sort` order (most recently started first by default). */
  list(query: TraceQuery = {}): { traces: TraceEntry[]; total: number } {
    const matches: TraceEntry[] = [];
    const textPattern = query.text ? new RegExp(escapeRegExp(query.text), 'i') : undefined;
    const candidates = query.traceIds ? this.entriesOf(query.traceIds) : this.traces.values();
    for (const entry of candidates) {
      if (this.matches(entry, query, textPattern)) matches.push(entry);
    }
    matches.sort(query.sort === 'cost' ? byCostThenNewest : newestFirst);
    const total = matches.length;
    return { traces: query.limit !== undefined ? matches.slice(0, query.limit) : matches, total };
  }

  /** The entries of the given ids that exist, each once. */
  private entriesOf(traceIds: readonly string[]): Set<TraceEntry> {
    const entries = new Set<TraceEntry>();
    for (const traceId of traceIds) {
      const entry = this.get(traceId);
      if (entry) entries.add(entry);
    }
    return entries;
  }

  private matches(entry: TraceEntry, query: TraceQuery, textPattern: RegExp | undefined): boolean {
    const facets = entry.facets;
    if (query.errorsOnly && entry.errorCount === 0) return false;
    if (query.pinnedOnly && !entry.pinned) return false;
    if (query.name !== undefined && !facets.names.has(query.name)) return false;
    if (query.service !== undefined && !facets.services.has(query.service)) return false;
    if (query.model !== undefined && !facets.models.has(query.model)) return false;
    if (query.customer !== undefined && !facets.customers.has(query.customer)) return false;
    if (query.thread !== undefined && !facets.threads.has(query.thread)) return false;
    if (query.traceGroup !== undefined && !facets.traceGroups.has(query.traceGroup)) return false;
    if (query.environment !== undefined && !facets.environments.has(query.environment)) return false;
    const duration = entry.endTimeMs - entry.startTimeMs;
    if (query.minDurationMs !== undefined && duration < query.minDurationMs) return false;
    if (query.maxDurationMs !== undefined && duration > query.maxDurationMs) return false;
    if (query.minCost !== undefined && (entry.costedSpans === 0 || entry.cost < query.minCost)) return false;
    if (query.run !== undefined && !facets.runs.has(query.run)) return false;
    if (textPattern && !this.containsText(entry, textPattern)) return false;
    return true;
  }

  private containsText(entry: TraceEntry, pattern: RegExp): boolean {
    if (pattern.test(entry.traceId)) return true;
    for (const span of entry.spans.values()) {
      if (pattern.test(span.name) || pattern.test(span.spanId) || pattern.test(span.status.message)) return true;
      const attributes = span.attributes;
      for (const key in attributes) {
        const value = attributes[key];
        if (typeof value === 'string' ? pattern.test(value) : typeof value === 'object' && value !== null && pattern.test(JSON.stringify(value, bigintReplacer))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Distinct facet values over all traces, each with the number of traces
   * that have it; customers, threads, trace groups and runs also with what
   * those traces cost (each trace's aggregate, so each call counts once).
   */
  facetValues(): Record<keyof TraceFacets, FacetValue[]> {
    const totals = {} as Record<keyof TraceFacets, Map<string, FacetValue>>;
    for (const entry of this.traces.values()) {
      const costed = entry.costedSpans > 0;
      for (const facet of Object.keys(entry.facets) as (keyof TraceFacets)[]) {
        const values = (totals[facet] ??= new Map());
        const withCost = costed && COSTED_FACETS.has(facet);
        for (const value of entry.facets[facet].keys()) {
          let total = values.get(value);
          if (total === undefined) values.set(value, (total = { value, traces: 0 }));
          total.traces++;
          if (withCost) {
            total.cost = (total.cost ?? 0) + entry.cost;
            if (entry.estimatedCostSpans > 0) total.costEstimated = true;
          }
        }
      }
    }
    const out = {} as Record<keyof TraceFacets, FacetValue[]>;
    for (const facet of ['services', 'models', 'customers', 'threads', 'traceGroups', 'environments', 'names', 'runs'] as const) {
      out[facet] = [...(totals[facet]?.values() ?? [])].sort((a, b) => b.traces - a.traces || a.value.localeCompare(b.value));
    }
    for (const run of out.runs) run.label = this.runs.get(run.value)?.label ?? run.value;
    return out;
  }

  /**
   * The tree of one trace. Spans whose parent is missing, and one span of each
   * loop of parent links, become roots flagged as orphans, so every span is
   * reachable exactly once and no walk of the tree can loop.
   */
  tree(traceId: string): TraceTree | undefined {
    return runToEnd(this.treeInSteps(traceId));
  }

  /**
   * {@link tree} as a generator that pauses every {@link TREE_STEP_SPANS}
   * spans of work, so a caller can let other work run between steps. The
   * spans are those of the trace when it starts; a parent that arrives
   * meanwhile is not among them, so its children count as orphans.
   */
  *treeInSteps(traceId: string): Generator<void, TraceTree | undefined> {
    const entry = this.get(traceId);
    if (!entry) return undefined;
    const spans: Span[] = yield* sortedInSteps([...entry.spans.values()], compareStart);
    const children = new Map<string, string[]>();
    const roots: string[] = [];
    const orphans = new Set<string>();
    for (let i = 0; i < spans.length; i++) {
      if (i % TREE_STEP_SPANS === TREE_STEP_SPANS - 1) yield;
      const span = spans[i];
      const parent = span.parentSpanId;
      if (parent === null) roots.push(span.spanId);
      else if (!entry.spans.has(parent) || parent === span.spanId) {
        roots.push(span.spanId);
        orphans.add(span.spanId);
      } else {
        let list = children.get(parent);
        if (list === undefined) children.set(parent, (list = []));
        list.push(span.spanId);
      }
    }
    const reached = new Set<string>();
    function* walk(start: string): Generator<void> {
      const stack = [start];
      while (stack.length > 0) {
        const id = stack.pop()!;
        if (reached.has(id)) continue;
        reached.add(id);
        if (reached.size % TREE_STEP_SPANS === 0) yield;
        const kids = children.get(id);
        if (kids) for (const kid of kids) if (!reached.has(kid)) stack.push(kid);
      }
    }
    for (const root of roots) yield* walk(root);
    if (reached.size < spans.length) {
      // What no root reaches hangs off a loop of parents (or a parent that arrived meanwhile): break each loop at its earliest span.
      for (const span of spans) {
        if (reached.has(span.spanId)) continue;
        const parentList = children.get(span.parentSpanId!);
        if (parentList) parentList.splice(parentList.indexOf(span.spanId), 1);
        roots.push(span.spanId);
        orphans.add(span.spanId);
        yield* walk(span.spanId);
      }
      const order = new Map(spans.map((span, index) => [span.spanId, index]));
      roots.sort((a, b) => order.get(a)! - order.get(b)!);
    }
    return { entry, spans, roots, orphans, children };
  }

  /**
   * Every run that has spans in the store, most recently active first, with
   * what its traces hold. A trace with spans of several runs (one request
   * across services) counts toward each, as in the runs facet.
   */
  runSummaries(): RunSummary[] {
    const summaries = new Map<string, RunSummary>();
    for (const entry of this.traces.values()) {
      for (const [runId, spanCount] of entry.facets.runs) {
        const run = this.runs.get(runId);
        if (run === undefined) continue;
        let summary = summaries.get(runId);
        if (summary === undefined) summaries.set(runId, (summary = emptyRunSummary(run)));
        summary.traceCount++;
        summary.spanCount += spanCount;
        summary.errorCount += entry.errorCount;
        for (const key of Object.keys(summary.tokens) as (keyof TokenUsage)[]) summary.tokens[key] += entry.tokens[key];
        if (entry.costedSpans > 0) summary.cost = (summary.cost ?? 0) + entry.cost;
        if (entry.estimatedCostSpans > 0) summary.costEstimated = true;
        if (entry.endTimeMs > summary.lastSeenMs) summary.lastSeenMs = entry.endTimeMs;
      }
    }
    return [...summaries.values()].sort((a, b) => b.lastSeenMs - a.lastSeenMs || a.run.id.localeCompare(b.run.id));
  }

  /** The runs of the spans in the store, with what tells each apart, for a journal to keep. */
  rememberedRuns(): RememberedRun[] {
    const ids = new Set<string>();
    for (const entry of this.traces.values()) for (const runId of entry.facets.runs.keys()) ids.add(runId);
    const runs: RememberedRun[] = [];
    for (const id of ids) {
      const remembered = this.runs.remembered(id);
      if (remembered !== undefined) runs.push(remembered);
    }
    return runs;
  }

  /** Runs a journal kept: spans that come from them again (replayed or new) join them instead of starting new runs. */
  restoreRuns(runs: readonly RememberedRun[]): void {
    this.runs.restore(runs);
  }

  /** Every trace entry, least recently updated first. */
  entries(): IterableIterator<TraceEntry> {
    return this.traces.values();
  }

  private note(kind: 'added' | 'updated' | 'evicted', traceId: string): void {
    const pending = this.ensurePending();
    if (kind === 'added') {
      pending.evicted.delete(traceId);
      pending.added.add(traceId);
    } else if (kind === 'updated') {
      if (!pending.added.has(traceId)) pending.updated.add(traceId);
    } else {
      pending.added.delete(traceId);
      pending.updated.delete(traceId);
      pending.evicted.add(traceId);
    }
  }

  private ensurePending() {
    if (this.pending === undefined) {
      this.pending = { added: new Set(), updated: new Set(), evicted: new Set(), cleared: false };
      this.schedule(() => this.flush());
    }
    return this.pending;
  }

  /** Delivers the pending change event now (the scheduler calls this; tests may too). */
  flush(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    const change: StoreChange = {
      added: [...pending.added],
      updated: [...pending.updated],
      evicted: [...pending.evicted],
      cleared: pending.cleared,
      spanCount: this.spanTotal,
      traceCount: this.traces.size,
    };
    for (const listener of [...this.listeners]) listener(change);
  }
}

function newestFirst(a: TraceEntry, b: TraceEntry): number {
  return b.startTimeMs - a.startTimeMs || (a.traceId < b.traceId ? -1 : 1);
}

/** Costliest first; traces without a cost after every trace with one; then newest first. */
function byCostThenNewest(a: TraceEntry, b: TraceEntry): number {
  const costA = a.costedSpans > 0 ? a.cost : -Infinity;
  const costB = b.costedSpans > 0 ? b.cost : -Infinity;
  return costB > costA ? 1 : costB < costA ? -1 : newestFirst(a, b);
}

/** Bytes charged per log record besides its content: the record, its event form, ids, times. */
const LOG_RECORD_OVERHEAD_BYTES = 320;

/** Bytes of what a log record keeps besides its span-event form (name, attributes, body): severity, resource, scope. */
function logFactsBytes(record: LogRecord): number {
  return LOG_RECORD_OVERHEAD_BYTES + record.severityText.length + attributesBytes(record.resource) + record.scope.name.length + attributesBytes(record.scope.attributes);
}

/**
 * Approximate heap bytes a log record keeps alive while it is not part of a
 * span. The resource and scope its request shares are charged to every
 * record, so the estimate errs high.
 */
export function approxLogRecordBytes(record: LogRecord): number {
  return logFactsBytes(record) + record.eventName.length + valueBytes(record.body) + attributesBytes(record.attributes);
}

/** What a stored span costs: its own estimate, plus what its attached log records keep besides their events. */
function storedSpanBytes(span: Span): number {
  let bytes = approxSpanBytes(span);
  for (const event of span.events) if (event.log !== undefined) bytes += logFactsBytes(event.log);
  return bytes;
}

/** The next unpinned entry of `entries`, or undefined. */
function nextUnpinned(entries: IterableIterator<TraceEntry>): TraceEntry | undefined {
  for (const entry of entries) if (!entry.pinned) return entry;
  return undefined;
}

/** Records by trace id, then by span id (null: none), in arrival order: each span is rebuilt once per batch. */
function groupByTraceAndSpan(records: readonly LogRecord[]): Map<string | null, Map<string | null, LogRecord[]>> {
  const byTrace = new Map<string | null, Map<string | null, LogRecord[]>>();
  for (const record of records) {
    let bySpan = byTrace.get(record.traceId);
    if (bySpan === undefined) byTrace.set(record.traceId, (bySpan = new Map()));
    let list = bySpan.get(record.spanId);
    if (list === undefined) bySpan.set(record.spanId, (list = []));
    list.push(record);
  }
  return byTrace;
}

/** Spans added between the pauses of {@link TraceStore.addInSteps}: a few milliseconds each. */
export const ADD_STEP_SPANS = 2048;

/** Spans of work between the pauses of {@link TraceStore.treeInSteps}: a few milliseconds each. */
export const TREE_STEP_SPANS = 1024;

/** `items` sorted by `compare` (stable), pausing every {@link TREE_STEP_SPANS} items of work: blocks sorted, then merged pairwise. */
function* sortedInSteps<T>(items: T[], compare: (a: T, b: T) => number): Generator<void, T[]> {
  const n = items.length;
  let from = items;
  for (let start = 0; start < n; start += TREE_STEP_SPANS) {
    const block = from.slice(start, start + TREE_STEP_SPANS).sort(compare);
    for (let i = 0; i < block.length; i++) from[start + i] = block[i];
    if (start + TREE_STEP_SPANS < n) yield;
  }
  let to: T[] = new Array<T>(n);
  let work = 0;
  for (let width = TREE_STEP_SPANS; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const middle = Math.min(left + width, n);
      const end = Math.min(left + 2 * width, n);
      let i = left;
      let j = middle;
      for (let k = left; k < end; k++) {
        to[k] = j >= end || (i < middle && compare(from[i], from[j]) <= 0) ? from[i++] : from[j++];
        if (++work % TREE_STEP_SPANS === 0) yield;
      }
    }
    [from, to] = [to, from];
  }
  return from;
}

/** Start-time order; the millisecond double decides almost always, the exact nanoseconds break ties. */
function compareStart(a: Span, b: Span): number {
  const byMs = a.startTimeMs - b.startTimeMs;
  if (byMs !== 0) return byMs;
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
