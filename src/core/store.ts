/**
 * The in-memory trace store: trees built incrementally from spans arriving in
 * any order and any number of requests, bounded retention with pinning,
 * per-trace aggregates for listing and filtering, and coalesced change events.
 */

import type { StoreJournal } from './journal';
import type { AttributeValue, Attributes, Span, TokenUsage } from './model';
import type { SpanSource } from './spanSource';

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
  /** Spans kept at most, over all traces. Default 200,000. */
  maxSpans?: number;
  /** Traces kept at most. Default 10,000. */
  maxTraces?: number;
  /**
   * Approximate heap bytes of span content kept at most (see {@link approxSpanBytes}).
   * Span counts alone do not bound memory: one span may carry megabytes of
   * prompts. Default 1 GiB.
   */
  maxBytes?: number;
  /**
   * Defers the delivery of change events, so a burst of spans becomes one event.
   * Default: a 50 ms timer.
   */
  schedule?: Scheduler;
  /** Wall clock, for `updatedAtMs`. */
  nowMs?: () => number;
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
  errorCount: number;
  /** Spans whose parent has not arrived. */
  orphanCount: number;
  startTimeMs: number;
  endTimeMs: number;
  /** The earliest span without a parent id, if any arrived. */
  rootSpan: Span | undefined;
  /** The earliest span of all, named when no root has arrived. */
  earliestSpan: Span | undefined;
  tokens: Required<TokenUsage>;
  cost: number;
  costedSpans: number;
  facets: TraceFacets;
  /** Approximate heap bytes of the trace's spans ({@link approxSpanBytes}). */
  approxBytes: number;
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
  pinnedOnly?: boolean;
  /**
   * Consider only these traces (ids in any case; unknown ids are skipped).
   * Lets a view refresh the few traces a change event named without
   * matching every trace again.
   */
  traceIds?: readonly string[];
  /** Return at most this many (newest first). */
  limit?: number;
}

/**
 * Bytes charged per span besides its attributes: the span object, derived
 * fields, ids, times. Calibrated with bench/ingest.ts, where a typical span
 * (12 attributes) measures about 880 heap bytes and is charged about 1,100.
 */
const SPAN_OVERHEAD_BYTES = 320;
/** Bytes charged per attribute, array item or object besides its strings. */
const VALUE_OVERHEAD_BYTES = 24;

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

/**
 * Approximate heap bytes a span keeps alive: its strings (one byte per
 * character, as V8 stores Latin-1 text) plus fixed overheads. Resource and
 * scope are charged to every span that shares them, so the estimate errs high.
 */
export function approxSpanBytes(span: Span): number {
  // Resource and scope are one object shared by the spans of a request: not charged per span.
  let bytes = SPAN_OVERHEAD_BYTES + span.name.length + span.status.message.length + attributesBytes(span.attributes);
  for (const event of span.events) bytes += VALUE_OVERHEAD_BYTES + event.name.length + attributesBytes(event.attributes);
  for (const link of span.links) bytes += VALUE_OVERHEAD_BYTES + attributesBytes(link.attributes);
  return bytes;
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
    errorCount: 0,
    orphanCount: 0,
    startTimeMs: Infinity,
    endTimeMs: -Infinity,
    rootSpan: undefined,
    earliestSpan: undefined,
    tokens: { input: 0, output: 0, total: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    cost: 0,
    costedSpans: 0,
    facets: {
      services: new Map(),
      models: new Map(),
      customers: new Map(),
      threads: new Map(),
      traceGroups: new Map(),
      environments: new Map(),
      names: new Map(),
    },
    approxBytes: 0,
  };
}

/** Adds (`sign` 1) or removes (`sign` -1) one span's share of its trace's aggregates. */
function account(entry: TraceEntry, span: Span, sign: 1 | -1): void {
  const derived = span.derived;
  if (derived.isError) entry.errorCount += sign;
  const tokens = derived.tokens;
  if (tokens) {
    entry.tokens.input += sign * (tokens.input ?? 0);
    entry.tokens.output += sign * (tokens.output ?? 0);
    entry.tokens.total += sign * (tokens.total ?? 0);
    entry.tokens.cacheRead += sign * (tokens.cacheRead ?? 0);
    entry.tokens.cacheWrite += sign * (tokens.cacheWrite ?? 0);
    entry.tokens.reasoning += sign * (tokens.reasoning ?? 0);
  }
  if (derived.cost !== undefined) {
    entry.cost += sign * derived.cost;
    entry.costedSpans += sign;
  }
  const facets = entry.facets;
  bump(facets.services, derived.service, sign);
  bump(facets.models, derived.model, sign);
  bump(facets.customers, derived.respan?.customerIdentifier, sign);
  bump(facets.threads, derived.respan?.threadIdentifier, sign);
  bump(facets.traceGroups, derived.respan?.traceGroupIdentifier, sign);
  bump(facets.environments, derived.respan?.environment, sign);
  bump(facets.names, span.name, sign);
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
  private byteTotal = 0;
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
  private pending: { added: Set<string>; updated: Set<string>; evicted: Set<string>; cleared: boolean } | undefined;
  private journal: StoreJournal | undefined;

  constructor(options: TraceStoreOptions = {}) {
    this.maxSpans = options.maxSpans ?? 200_000;
    this.maxTraces = options.maxTraces ?? 10_000;
    this.maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
    this.schedule = options.schedule ?? defaultSchedule;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Spans in the store. */
  get spanCount(): number {
    return this.spanTotal;
  }

  /** Traces in the store. */
  get traceCount(): number {
    return this.traces.size;
  }

  /** Approximate heap bytes of the spans in the store ({@link approxSpanBytes}). */
  get approxBytes(): number {
    return this.byteTotal;
  }

  /** The retention bounds. */
  get limits(): { maxSpans: number; maxTraces: number; maxBytes: number } {
    return { maxSpans: this.maxSpans, maxTraces: this.maxTraces, maxBytes: this.maxBytes };
  }

  /** Changes the retention bounds; evicts at once if the store is now over them. */
  setLimits(limits: { maxSpans?: number; maxTraces?: number; maxBytes?: number }): void {
    this.maxSpans = limits.maxSpans ?? this.maxSpans;
    this.maxTraces = limits.maxTraces ?? this.maxTraces;
    this.maxBytes = limits.maxBytes ?? this.maxBytes;
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
    if (spans.length === 0) return;
    const now = options.atMs ?? this.nowMs();
    this.journal?.spansAdded(spans, now, options.source);
    for (const span of spans) this.addOne(span, now);
    this.enforceRetention();
  }

  private addOne(span: Span, now: number): void {
    let entry = this.lastEntry;
    if (entry === undefined || entry.traceId !== span.traceId || this.pending === undefined || this.pending !== this.lastPending) {
      entry = this.traces.get(span.traceId);
      if (entry === undefined) {
        entry = emptyEntry(span.traceId);
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
    // Spans of one trace that came in different requests share one id string.
    span.traceId = entry.traceId;

    const previous = entry.spans.get(span.spanId);
    // The estimate depends only on the (immutable) span, so a replaced span is uncharged exactly.
    this.charge(entry, approxSpanBytes(span) - (previous === undefined ? 0 : approxSpanBytes(previous)));
    if (previous !== undefined) {
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

    account(entry, span, 1);
    if (span.startTimeMs < entry.startTimeMs) entry.startTimeMs = span.startTimeMs;
    const end = spanEndMs(span);
    if (end > entry.endTimeMs) entry.endTimeMs = end;
    if (parent === null && earlier(entry.rootSpan, span)) entry.rootSpan = span;
    if (earlier(entry.earliestSpan, span)) entry.earliestSpan = span;
  }

  private replace(entry: TraceEntry, previous: Span, span: Span): void {
    account(entry, previous, -1);
    account(entry, span, 1);
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
    // Replacement can move times and roots either way: recompute what depends on them.
    this.recomputeExtremes(entry);
  }

  private recomputeExtremes(entry: TraceEntry): void {
    entry.startTimeMs = Infinity;
    entry.endTimeMs = -Infinity;
    entry.rootSpan = undefined;
    entry.earliestSpan = undefined;
    for (const span of entry.spans.values()) {
      if (span.startTimeMs < entry.startTimeMs) entry.startTimeMs = span.startTimeMs;
      const end = spanEndMs(span);
      if (end > entry.endTimeMs) entry.endTimeMs = end;
      if (span.parentSpanId === null && earlier(entry.rootSpan, span)) entry.rootSpan = span;
      if (earlier(entry.earliestSpan, span)) entry.earliestSpan = span;
    }
  }

  private charge(entry: TraceEntry, bytes: number): void {
    this.byteTotal += bytes;
    entry.approxBytes += bytes;
  }

  private withinBounds(): boolean {
    return this.spanTotal <= this.maxSpans && this.traces.size <= this.maxTraces && this.byteTotal <= this.maxBytes;
  }

  private enforceRetention(): void {
    if (this.withinBounds()) return;
    for (const entry of this.traces.values()) {
      if (this.withinBounds()) break;
      if (!entry.pinned) {
        this.remove(entry);
        this.journal?.evicted(entry.traceId);
      }
    }
  }

  private remove(entry: TraceEntry): void {
    this.traces.delete(entry.traceId);
    this.spanTotal -= entry.spans.size;
    this.byteTotal -= entry.approxBytes;
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
    this.ensurePending().cleared = true;
  }

  /** Traces matching `query`, most recently started first. */
  list(query: TraceQuery = {}): { traces: TraceEntry[]; total: number } {
    const matches: TraceEntry[] = [];
    const textPattern = query.text ? new RegExp(escapeRegExp(query.text), 'i') : undefined;
    const candidates = query.traceIds ? this.entriesOf(query.traceIds) : this.traces.values();
    for (const entry of candidates) {
      if (this.matches(entry, query, textPattern)) matches.push(entry);
    }
    matches.sort((a, b) => b.startTimeMs - a.startTimeMs || (a.traceId < b.traceId ? -1 : 1));
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

  /** Distinct facet values over all traces, each with the number of traces that have it. */
  facetValues(): Record<keyof TraceFacets, Array<{ value: string; traces: number }>> {
    const totals = {} as Record<keyof TraceFacets, Map<string, number>>;
    for (const entry of this.traces.values()) {
      for (const facet of Object.keys(entry.facets) as (keyof TraceFacets)[]) {
        const counts = (totals[facet] ??= new Map());
        for (const value of entry.facets[facet].keys()) counts.set(value, (counts.get(value) ?? 0) + 1);
      }
    }
    const out = {} as Record<keyof TraceFacets, Array<{ value: string; traces: number }>>;
    for (const facet of ['services', 'models', 'customers', 'threads', 'traceGroups', 'environments', 'names'] as const) {
      out[facet] = [...(totals[facet] ?? new Map<string, number>())]
        .map(([value, traces]) => ({ value, traces }))
        .sort((a, b) => b.traces - a.traces || a.value.localeCompare(b.value));
    }
    return out;
  }

  /**
   * The tree of one trace. Spans whose parent is missing, and one span of each
   * loop of parent links, become roots flagged as orphans, so every span is
   * reachable exactly once and no walk of the tree can loop.
   */
  tree(traceId: string): TraceTree | undefined {
    const entry = this.get(traceId);
    if (!entry) return undefined;
    const spans = [...entry.spans.values()].sort(compareStart);
    const children = new Map<string, string[]>();
    const roots: string[] = [];
    const orphans = new Set<string>();
    for (const span of spans) {
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
    const walk = (start: string) => {
      const stack = [start];
      while (stack.length > 0) {
        const id = stack.pop()!;
        if (reached.has(id)) continue;
        reached.add(id);
        const kids = children.get(id);
        if (kids) for (const kid of kids) if (!reached.has(kid)) stack.push(kid);
      }
    };
    for (const root of roots) walk(root);
    if (reached.size < spans.length) {
      // What no root reaches hangs off a loop of parents: break each loop at its earliest span.
      for (const span of spans) {
        if (reached.has(span.spanId)) continue;
        const parentList = children.get(span.parentSpanId!);
        if (parentList) parentList.splice(parentList.indexOf(span.spanId), 1);
        roots.push(span.spanId);
        orphans.add(span.spanId);
        walk(span.spanId);
      }
      const order = new Map(spans.map((span, index) => [span.spanId, index]));
      roots.sort((a, b) => order.get(a)! - order.get(b)!);
    }
    return { entry, spans, roots, orphans, children };
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

/** Start-time order; the millisecond double decides almost always, the exact nanoseconds break ties. */
function compareStart(a: Span, b: Span): number {
  const byMs = a.startTimeMs - b.startTimeMs;
  if (byMs !== 0) return byMs;
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
