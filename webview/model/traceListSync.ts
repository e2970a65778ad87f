/**
 * Keeps the trace list in step with the store. The whole list is fetched when
 * the filters change, after a reconnect, or when a burst named more traces
 * than one request should carry; otherwise each change event costs a request
 * for just the traces it named (`ids=`), merged into the list. So a list of
 * 10,000 traces is not serialised again for every span that arrives.
 * Refreshes are spaced by a multiple of what the last one cost, so a large
 * list never keeps the listener busy. DOM-free; time is injected.
 */

import type { StoreChangeJson, TraceListJson, TraceSummaryJson } from '../../src/protocol/api';
import type { TraceQuery } from '../../src/protocol/query';
import { compareNewestFirst } from './traceFilter';
import { mergeTraceUpdates } from './traceList';

/**
 * Most traces the list holds. Each costs about 0.5 KB of JSON and a little
 * more as an object in the page, and a full fetch of 20,000 takes about a
 * quarter of a second end to end; twice the store's default retention of
 * 10,000 traces, so by default every trace is listed.
 */
export const TRACE_LIST_LIMIT = 20_000;
/** Most trace ids one partial refresh asks for; they travel in the URL (33 bytes each), which servers cap near 16 KB. */
export const MAX_REFRESH_IDS = 200;

/** The list as last fetched. */
export interface TraceListState {
  /** Matching traces in list order ({@link compareNewestFirst}); the newest {@link TraceListSyncOptions.limit} when more match. */
  traces: TraceSummaryJson[];
  /** Traces in the store that match the filters, listed or not. */
  total: number;
  /** The filters the server applied (no `limit`, no `traceIds`). */
  fetchedWith: TraceQuery;
  /** The inspector is still restoring the traces it kept on disk: more will be listed. */
  restoring: boolean;
}

/** Clock and timers, injected so tests control time. */
export interface SyncTimers {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Settings of a {@link TraceListSync}. */
export interface TraceListSyncOptions {
  /** Lists traces (the host's `listTraces`). */
  fetch(query: TraceQuery): Promise<TraceListJson>;
  /** Called with every new state of the list. */
  onState(state: TraceListState): void;
  /** Called with the message of a failed fetch, and with null once a fetch succeeds. */
  onError(message: string | null): void;
  /** Default {@link TRACE_LIST_LIMIT}. */
  limit?: number;
  /** Default {@link MAX_REFRESH_IDS}. */
  maxRefreshIds?: number;
  /** Least time between the end of one fetch and the start of the next caused by store changes, ms. Default 300. */
  minIntervalMs?: number;
  /** The wait after a fetch is at least this many times what it took. Default 4. */
  costFactor?: number;
  timers?: SyncTimers;
}

const browserTimers: SyncTimers = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Fetches and refreshes the trace list for the current filters. Call {@link dispose} when done. */
export class TraceListSync {
  private query: TraceQuery = {};
  private state: TraceListState | null = null;
  /** Traces named by change events since the last fetch started. */
  private readonly pendingIds = new Set<string>();
  private fullNeeded = false;
  /** Whether the pending work was asked for by the user (filters, reload): it does not wait for the spacing. */
  private urgent = false;
  private inFlight = false;
  /** Bumped when the filters change, so an answer for older filters is dropped. */
  private generation = 0;
  private timer: unknown;
  private nextAllowedAt = 0;
  private disposed = false;
  private readonly limit: number;
  private readonly maxRefreshIds: number;
  private readonly minIntervalMs: number;
  private readonly costFactor: number;
  private readonly timers: SyncTimers;

  constructor(private readonly options: TraceListSyncOptions) {
    this.limit = options.limit ?? TRACE_LIST_LIMIT;
    this.maxRefreshIds = options.maxRefreshIds ?? MAX_REFRESH_IDS;
    this.minIntervalMs = options.minIntervalMs ?? 300;
    this.costFactor = options.costFactor ?? 4;
    this.timers = options.timers ?? browserTimers;
  }

  /** The list as last fetched; null before the first answer. */
  get current(): TraceListState | null {
    return this.state;
  }

  /** Sets the filters and fetches the whole list for them at once. */
  setQuery(query: TraceQuery): void {
    this.query = { ...query, limit: undefined, traceIds: undefined };
    this.generation++;
    this.reload();
  }

  /** Fetches the whole list again at once (after a reconnect, an import, a deletion). */
  reload(): void {
    this.fullNeeded = true;
    this.urgent = true;
    this.schedule();
  }

  /** Takes note of a store change; the traces it names are refreshed after the spacing. */
  noteChange(change: StoreChangeJson): void {
    if (change.cleared) this.fullNeeded = true;
    for (const id of change.added) this.pendingIds.add(id);
    for (const id of change.updated) this.pendingIds.add(id);
    if (change.evicted.length > 0) this.dropEvicted(change.evicted);
    this.schedule();
  }

  /** Stops: no more fetches, and answers still on their way are ignored. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Evicted traces leave the list at once, without a request. */
  private dropEvicted(evicted: string[]): void {
    // An answer on its way may have been written before the eviction: ask again after it.
    if (this.inFlight) for (const id of evicted) this.pendingIds.add(id);
    const state = this.state;
    if (!state) return;
    const gone = new Set(evicted);
    const traces = state.traces.filter((trace) => !gone.has(trace.traceId));
    if (traces.length === state.traces.length) return;
    this.publish({ ...state, traces, total: state.total - (state.traces.length - traces.length) });
  }

  private hasWork(): boolean {
    return this.fullNeeded || this.pendingIds.size > 0;
  }

  private schedule(): void {
    if (this.disposed || this.inFlight || !this.hasWork()) return;
    if (this.timer !== undefined) {
      if (!this.urgent) return;
      this.timers.clearTimeout(this.timer);
    }
    const delay = this.urgent ? 0 : Math.max(0, this.nextAllowedAt - this.timers.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delay);
  }

  private async run(): Promise<void> {
    if (this.disposed || this.inFlight || !this.hasWork()) return;
    const state = this.state;
    const truncated = state === null || state.total > state.traces.length;
    const full = this.fullNeeded || truncated || this.pendingIds.size > this.maxRefreshIds;
    const ids = full ? [] : [...this.pendingIds];
    this.pendingIds.clear();
    this.fullNeeded = false;
    this.urgent = false;
    const generation = this.generation;
    const filters = this.query;
    this.inFlight = true;
    const started = this.timers.now();
    let failed = false;
    try {
      const result = await this.options.fetch(full ? { ...filters, limit: this.limit } : { ...filters, traceIds: ids });
      if (this.disposed || generation !== this.generation) return;
      const restoring = result.loading === true;
      if (full) {
        // The server orders by start time alone; the list breaks ties by last update too.
        this.publish({ traces: [...result.traces].sort(compareNewestFirst), total: result.total, fetchedWith: filters, restoring });
      } else if (this.state) {
        const merged = mergeTraceUpdates(this.state.traces, ids, result.traces);
        this.publish({ traces: merged.length > this.limit ? merged.slice(0, this.limit) : merged, total: merged.length, fetchedWith: filters, restoring });
      }
      // The restore's end sends no change of its own: ask again, after the spacing, until an answer says it ended.
      if (restoring) this.fullNeeded = true;
      this.options.onError(null);
    } catch (error) {
      if (this.disposed || generation !== this.generation) return;
      failed = true;
      // Resync fully on the next change or reload; no retry loop against a listener that is down.
      this.fullNeeded = true;
      this.options.onError((error as Error).message);
    } finally {
      this.inFlight = false;
      const now = this.timers.now();
      this.nextAllowedAt = now + Math.max(this.minIntervalMs, this.costFactor * (now - started));
      if (!failed || this.urgent) this.schedule();
    }
  }

  private publish(state: TraceListState): void {
    this.state = state;
    this.options.onState(state);
  }
}
