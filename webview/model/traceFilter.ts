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
  if (query.minCost !== undefined && (trace.cost === null || trace.cost < query.minCost)) return false;
  // `run` matches a span of any run in the trace; the summary knows only the root's, so the server decides.
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
const FILTER_FIELDS = ['q', 'errors', 'pinned', 'environment', 'model', 'customer', 'thread', 'traceGroup', 'service', 'name', 'run', 'minDurationMs', 'maxDurationMs', 'minCost'] as const;

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

/** Costliest first; traces without a cost after every trace with one; then newest first. */
export function compareCostliestFirst(a: TraceSummaryJson, b: TraceSummaryJson): number {
  const costA = a.cost ?? -Infinity;
  const costB = b.cost ?? -Infinity;
  return costB > costA ? 1 : costB < costA ? -1 : compareNewestFirst(a, b);
}

/** How the list is grouped. */
export type TraceGrouping = 'none' | 'thread' | 'traceGroup' | 'run';

/** How the list is ordered: the query's `sort`. */
export type TraceOrder = NonNullable<TraceQuery['sort']>;

/** One group of the list. */
export interface TraceGroup {
  /** The thread, trace group or run identifier; null for traces without one. */
  key: string | null;
  /** What the group header shows: the run's label, else the key. */
  label: string | null;
  /** Traces of the group: oldest first inside a group (a thread reads as its conversation), costliest first when sorted by cost. */
  traces: TraceSummaryJson[];
  /** Latest activity in the group, for ordering groups newest first. */
  lastActivityMs: number;
  errorCount: number;
  cost: number | null;
  /** Some of {@link cost} is estimated. */
  costEstimated: boolean;
}

function groupOf(key: string | null, label: string | null, traces: TraceSummaryJson[], lastActivityMs: number): TraceGroup {
  return { key, label, traces, lastActivityMs, errorCount: sum(traces, (t) => t.errorCount), cost: costOf(traces), costEstimated: traces.some((t) => t.cost !== null && t.costEstimated) };
}

function groupKeyOf(trace: TraceSummaryJson, by: Exclude<TraceGrouping, 'none'>): { key: string | null; label: string | null } {
  if (by === 'run') return { key: trace.run?.id ?? null, label: trace.run?.label ?? null };
  const key = (by === 'thread' ? trace.threadIdentifier : trace.traceGroupIdentifier) ?? null;
  return { key, label: key };
}

/**
 * Groups traces by Respan thread, trace group or run. Groups come newest
 * activity first (costliest first when sorted by cost); inside a group traces
 * run oldest first, so a thread reads as the conversation it was. Traces
 * without an identifier form one last group.
 */
export function groupTraces(traces: TraceSummaryJson[], by: TraceGrouping, order: TraceOrder = 'newest'): TraceGroup[] {
  const byCost = order === 'cost';
  if (by === 'none') {
    const sorted = [...traces].sort(byCost ? compareCostliestFirst : compareNewestFirst);
    return [groupOf(null, null, sorted, sorted[0]?.updatedAtMs ?? 0)];
  }
  const groups = new Map<string | null, { label: string | null; traces: TraceSummaryJson[] }>();
  for (const trace of traces) {
    const { key, label } = groupKeyOf(trace, by);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { label, traces: [] }));
    group.traces.push(trace);
  }
  const result: TraceGroup[] = [];
  for (const [key, { label, traces: list }] of groups) {
    list.sort(byCost ? compareCostliestFirst : (a, b) => a.startTimeMs - b.startTimeMs || (a.traceId < b.traceId ? -1 : 1));
    result.push(groupOf(key, label, list, Math.max(...list.map((t) => Math.max(t.updatedAtMs, t.startTimeMs + t.durationMs)))));
  }
  const noKeyLast = (a: TraceGroup, b: TraceGroup) => (a.key === null ? 1 : 0) - (b.key === null ? 1 : 0);
  return result.sort((a, b) => noKeyLast(a, b) || (byCost ? (b.cost ?? -Infinity) - (a.cost ?? -Infinity) || 0 : 0) || b.lastActivityMs - a.lastActivityMs);
}

/** One value offered by a filter drop-down. */
export interface FilterOption {
  value: string;
  /** Traces that have the value. */
  traces: number;
  /** What the option shows when it is not the value itself (a run's label). */
  label?: string;
  /** USD of those traces (customers, threads, trace groups, runs), when the store knows it. */
  cost?: number;
  costEstimated?: boolean;
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
  runs: FilterOption[];
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
  const runs = new Map<string, number>();
  const runLabels = new Map<string, string>();
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
    if (trace.run) {
      count(runs, trace.run.id);
      runLabels.set(trace.run.id, trace.run.label);
    }
  }
  return {
    models: sortedOptions(models),
    customers: sortedOptions(customers),
    threads: sortedOptions(threads),
    traceGroups: sortedOptions(traceGroups),
    services: sortedOptions(services),
    environments: sortedOptions(environments),
    names: sortedOptions(names),
    runs: sortedOptions(runs).map((option) => ({ ...option, label: runLabels.get(option.value) })),
  };
}

/** Every value the store knows (`GET /api/facets`), for the drop-downs. */
export function facetChoices(facets: FacetsJson): FilterChoices {
  const options = (values: FacetValueJson[] | undefined): FilterOption[] =>
    (values ?? [])
      .map((facet) => ({
        value: facet.value,
        traces: facet.traces,
        ...(facet.label !== undefined ? { label: facet.label } : {}),
        ...(facet.cost !== undefined ? { cost: facet.cost, costEstimated: facet.costEstimated ?? false } : {}),
      }))
      .sort((a, b) => valueOrder.compare(a.label ?? a.value, b.label ?? b.value));
  return {
    models: options(facets.models),
    customers: options(facets.customers),
    threads: options(facets.threads),
    traceGroups: options(facets.traceGroups),
    services: options(facets.services),
    environments: options(facets.environments),
    names: options(facets.names),
    runs: options(facets.runs),
  };
}

/** Number of filters set (text excluded), for the filter button's badge. */
export function activeFilterCount(query: TraceQuery): number {
  let n = 0;
  if (query.errors) n++;
  if (query.pinned) n++;
  if (query.environment) n++;
  for (const value of [query.model, query.customer, query.thread, query.traceGroup, query.service, query.name, query.run]) if (value) n++;
  if (query.minDurationMs !== undefined) n++;
  if (query.maxDurationMs !== undefined) n++;
  if (query.minCost !== undefined) n++;
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

/** Parses a cost typed by the user: `0.01`, `$0.5`. Undefined for empty or unreadable input. */
export function parseCostInput(text: string): number | undefined {
  const match = /^\s*\$?\s*(\d+(?:\.\d*)?|\.\d+)\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
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
