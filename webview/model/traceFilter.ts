/**
 * Trace list filtering and grouping. The server filters too; the view applies
 * the same filters to what it receives so a host that ignores some parameter
 * still shows a consistent list. Pure, DOM-free.
 */

import type { FacetValueJson, FacetsJson, TraceSummaryJson } from '../../src/protocol/api';
import type { TraceQuery } from '../../src/protocol/query';

/** True when a trace summary passes every filter set in `query` (`limit` is ignored). */
export function matchesTraceQuery(trace: TraceSummaryJson, query: TraceQuery): boolean {
  if (query.errors && trace.errorCount === 0) return false;
  if (query.pinned && !trace.pinned) return false;
  if (query.environment && trace.environment !== query.environment) return false;
  if (query.model && !trace.models.includes(query.model)) return false;
  if (query.customer && trace.customerIdentifier !== query.customer) return false;
  if (query.thread && trace.threadIdentifier !== query.thread) return false;
  if (query.traceGroup && trace.traceGroupIdentifier !== query.traceGroup) return false;
  if (query.service && trace.service !== query.service && !trace.services.includes(query.service)) return false;
  // `name` matches a span of any name in the trace; the summary knows only the root's, so it cannot rule a trace out: the server decides.
  if (query.minDurationMs !== undefined && trace.durationMs < query.minDurationMs) return false;
  if (query.maxDurationMs !== undefined && trace.durationMs > query.maxDurationMs) return false;
  const text = query.q?.trim().toLowerCase();
  if (text) {
    // The summary is all the view has; the server also searches span content.
    const haystack = [
      trace.traceId,
      trace.name,
      trace.service ?? '',
      ...trace.services,
      ...trace.models,
      trace.customerIdentifier ?? '',
      trace.threadIdentifier ?? '',
      trace.traceGroupIdentifier ?? '',
      trace.environment ?? '',
    ]
      .join('\n')
      .toLowerCase();
    if (!haystack.includes(text)) return false;
  }
  return true;
}

/** The filters of {@link TraceQuery}, each checked on its own by {@link filterTraces}. */
const FILTER_FIELDS = ['q', 'errors', 'pinned', 'environment', 'model', 'customer', 'thread', 'traceGroup', 'service', 'name', 'minDurationMs', 'maxDurationMs'] as const;

function sameFilter(a: TraceQuery[(typeof FILTER_FIELDS)[number]], b: TraceQuery[(typeof FILTER_FIELDS)[number]]): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return Boolean(a) === Boolean(b);
  if (typeof a === 'string' || typeof b === 'string') return String(a ?? '').trim() === String(b ?? '').trim();
  return a === b;
}

/**
 * Filters a list the server returned for `fetchedWith` by `query`, so a
 * changed filter shows at once while the list is fetched again. A filter the
 * server already applied with the same value is left to the server: it is
 * exact (text in span content, a customer or thread on any span), where the
 * summary only approximates it.
 */
export function filterTraces(traces: TraceSummaryJson[], query: TraceQuery, fetchedWith?: TraceQuery): TraceSummaryJson[] {
  const effective: TraceQuery = { ...query };
  if (fetchedWith !== undefined) {
    for (const field of FILTER_FIELDS) if (sameFilter(query[field], fetchedWith[field])) delete effective[field];
  }
  if (activeFilterCount(effective) === 0 && !effective.q?.trim()) return traces;
  return traces.filter((trace) => matchesTraceQuery(trace, effective));
}

/** The list's order: newest first by start time, then by last update, then by id. */
export function compareNewestFirst(a: TraceSummaryJson, b: TraceSummaryJson): number {
  return b.startTimeMs - a.startTimeMs || b.updatedAtMs - a.updatedAtMs || (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0);
}

/** A copy of `traces` in the list's order ({@link compareNewestFirst}). */
export function sortNewestFirst(traces: TraceSummaryJson[]): TraceSummaryJson[] {
  return [...traces].sort(compareNewestFirst);
}

/** How the list is grouped. */
export type TraceGrouping = 'none' | 'thread' | 'traceGroup';

/** One group of the list. */
export interface TraceGroup {
  /** The thread or trace group identifier; null for traces without one. */
  key: string | null;
  /** Traces of the group: oldest first inside a thread or trace group (conversation order). */
  traces: TraceSummaryJson[];
  /** Latest activity in the group, for ordering groups newest first. */
  lastActivityMs: number;
  errorCount: number;
  cost: number | null;
}

/**
 * Groups traces by Respan thread or trace group. Groups come newest activity
 * first; inside a group traces run oldest first, so a thread reads as the
 * conversation it was. Traces without an identifier form one last group.
 */
export function groupTraces(traces: TraceSummaryJson[], by: TraceGrouping): TraceGroup[] {
  if (by === 'none') {
    const sorted = sortNewestFirst(traces);
    return [{ key: null, traces: sorted, lastActivityMs: sorted[0]?.updatedAtMs ?? 0, errorCount: sum(sorted, (t) => t.errorCount), cost: costOf(sorted) }];
  }
  const groups = new Map<string | null, TraceSummaryJson[]>();
  for (const trace of traces) {
    const key = (by === 'thread' ? trace.threadIdentifier : trace.traceGroupIdentifier) ?? null;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(trace);
  }
  const result: TraceGroup[] = [];
  for (const [key, list] of groups) {
    list.sort((a, b) => a.startTimeMs - b.startTimeMs || (a.traceId < b.traceId ? -1 : 1));
    result.push({
      key,
      traces: list,
      lastActivityMs: Math.max(...list.map((t) => Math.max(t.updatedAtMs, t.startTimeMs + t.durationMs))),
      errorCount: sum(list, (t) => t.errorCount),
      cost: costOf(list),
    });
  }
  return result.sort((a, b) => (a.key === null ? 1 : 0) - (b.key === null ? 1 : 0) || b.lastActivityMs - a.lastActivityMs);
}

/** One value offered by a filter drop-down. */
export interface FilterOption {
  value: string;
  /** Traces that have the value. */
  traces: number;
}

/** The values each filter drop-down offers, sorted by value. */
export interface FilterChoices {
  models: FilterOption[];
  customers: FilterOption[];
  threads: FilterOption[];
  traceGroups: FilterOption[];
  services: FilterOption[];
  environments: FilterOption[];
  /** Span names; the store's facets count any span, the fallback from listed traces only their roots. */
  names: FilterOption[];
}

/** Orders drop-down values; numeric, so `thread-9` comes before `thread-10`. One collator: `localeCompare` builds one per call. */
const valueOrder = new Intl.Collator(undefined, { numeric: true });

function sortedOptions(counts: Map<string, number>): FilterOption[] {
  return [...counts].map(([value, traces]) => ({ value, traces })).sort((a, b) => valueOrder.compare(a.value, b.value));
}

/**
 * Values present in a list of summaries: what the drop-downs offer until the
 * store's facets ({@link facetChoices}) have arrived.
 */
export function filterChoices(traces: TraceSummaryJson[]): FilterChoices {
  const models = new Map<string, number>();
  const customers = new Map<string, number>();
  const threads = new Map<string, number>();
  const traceGroups = new Map<string, number>();
  const services = new Map<string, number>();
  const environments = new Map<string, number>();
  const names = new Map<string, number>();
  const count = (counts: Map<string, number>, value: string | null) => {
    if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  };
  for (const trace of traces) {
    for (const model of new Set(trace.models)) count(models, model);
    for (const service of new Set(trace.service ? [trace.service, ...trace.services] : trace.services)) count(services, service);
    count(customers, trace.customerIdentifier);
    count(threads, trace.threadIdentifier);
    count(traceGroups, trace.traceGroupIdentifier);
    count(environments, trace.environment);
    count(names, trace.name);
  }
  return {
    models: sortedOptions(models),
    customers: sortedOptions(customers),
    threads: sortedOptions(threads),
    traceGroups: sortedOptions(traceGroups),
    services: sortedOptions(services),
    environments: sortedOptions(environments),
    names: sortedOptions(names),
  };
}

/** Every value the store knows (`GET /api/facets`), for the drop-downs. */
export function facetChoices(facets: FacetsJson): FilterChoices {
  const options = (values: FacetValueJson[] | undefined) => sortedOptions(new Map((values ?? []).map((facet) => [facet.value, facet.traces])));
  return {
    models: options(facets.models),
    customers: options(facets.customers),
    threads: options(facets.threads),
    traceGroups: options(facets.traceGroups),
    services: options(facets.services),
    environments: options(facets.environments),
    names: options(facets.names),
  };
}

/** Number of filters set (text excluded), for the filter button's badge. */
export function activeFilterCount(query: TraceQuery): number {
  let n = 0;
  if (query.errors) n++;
  if (query.pinned) n++;
  if (query.environment) n++;
  for (const value of [query.model, query.customer, query.thread, query.traceGroup, query.service, query.name]) if (value) n++;
  if (query.minDurationMs !== undefined) n++;
  if (query.maxDurationMs !== undefined) n++;
  return n;
}

/**
 * Parses a duration typed by the user: `250`, `250ms`, `1.5s`, `2m`. Returns
 * undefined for empty or unreadable input.
 */
export function parseDurationInput(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? 'ms').toLowerCase();
  return unit === 'm' ? value * 60_000 : unit === 's' ? value * 1000 : value;
}

function sum<T>(items: T[], get: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += get(item);
  return total;
}

function costOf(traces: TraceSummaryJson[]): number | null {
  let total: number | null = null;
  for (const trace of traces) if (trace.cost !== null) total = (total ?? 0) + trace.cost;
  return total;
}
