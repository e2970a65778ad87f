/**
 * The inspector's service: every request of `src/protocol/service.ts`
 * answered in one place, from the trace store, the forwarder and the capture
 * gate. No sockets and no editor here: the REST routes, `POST
 * /api/service/{type}` and the VS Code panel's relay only carry requests to
 * {@link InspectorService.dispatch} and its answers back.
 */

import { ForwardConfigError } from '../forward/destination';
import type { Forwarder, ForwardReceipt, ForwardTimers } from '../forward/forwarder';
import { NO_KEY_MESSAGE } from '../forward/transport';
import { decodeTraceFileInSteps } from '../importFile';
import { joinInSteps, jsonTextPieces } from '../jsonText';
import type { LogRecord } from '../logs/record';
import { BYTES_PER_MB, DEFAULT_MAX_BODY_BYTES } from '../defaults';
import { describeRejections, MalformedPayloadError, rejectedCount, type Span } from '../model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../otlp/common';
import { encodeOtlpJsonInSteps, OTLP_JSON_PIECE_DEPTH } from '../otlp/export';
import type { SpanSource } from '../spanSource';
import { runInSteps, type YieldTurn } from '../steps';
import type { TraceStore, TraceTree } from '../store';
import { INSPECTOR_ID, type StatusJson, type TraceForwardingJson } from '../../protocol/api';
import { logRecordJson, runSummaryJson, spanJson, summaryJson, traceDetailJsonInSteps } from '../../protocol/serialize';
import type { ServiceEndpoint, ServiceEventListener, ServiceHandlers, ServiceParams, ServiceRequestType, ServiceResult } from '../../protocol/service';
import { CaptureGate } from './capture';
import { applyApiKey, applyConfiguration } from './configure';
import { ServiceError } from './errors';
import { describeForward } from './forwardOutcome';
import { DEFAULT_LEAN_CACHE_BYTES, LeanTraces } from './leanTraces';
import type { ForwardingAccess } from './forwarding';
import {
  booleanParam,
  flagParam,
  numberParam,
  optionalStringParam,
  paramsObject,
  spanIdParam,
  storeQueryOf,
  stringParam,
  traceIdParam,
  traceIdsParam,
  traceQueryParam,
} from './params';

/** Longest a forward waits for Respan's answer (`waitMs`); past it the current state is told. */
export const MAX_FORWARD_WAIT_MS = 120_000;

/** What an {@link InspectorService} is built from. */
export interface InspectorServiceOptions {
  store: TraceStore;
  /** Forwarding to Respan; without it the forwarding requests answer `not-found`. */
  forwarding?: ForwardingAccess;
  /** Capture pause; a gate of its own (capturing) by default. */
  capture?: CaptureGate;
  /** Bounds of what an imported file may hold. Default {@link DEFAULT_DECODE_LIMITS}. */
  limits?: DecodeLimits;
  /** Characters an imported file may have. Default {@link DEFAULT_MAX_BODY_BYTES}, as a request body. */
  maxImportChars?: number;
  /** Timers, for a forward that waits for Respan's answer. */
  timers: ForwardTimers;
  /** Gives other work a turn between the steps of a large answer's making (the runtime's finest turn: core has no timers). */
  yieldTurn: YieldTurn;
  /** Bytes of lean traces kept encoded. Default {@link DEFAULT_LEAN_CACHE_BYTES}, or an eighth of the store's bound if less. */
  leanCacheBytes?: number;
}

/**
 * What the process serving the service says of itself in `status`: its
 * identity, its listener and its heap (core sees neither sockets nor the
 * heap). The HTTP listener describes it while it listens.
 */
export type ProcessFacts = Pick<StatusJson, 'version' | 'pid' | 'startedBy' | 'exitWhenIdleSeconds' | 'clients' | 'url' | 'endpoints' | 'dataDir' | 'disk'> & {
  heapUsedBytes: number;
};

function notFoundTrace(traceId: string): ServiceError {
  return new ServiceError('not-found', `no trace with id ${traceId} (never received, deleted, or evicted by retention)`);
}

/** The service. One per store. */
export class InspectorService implements ServiceEndpoint {
  /** Capture pause, shared by the receivers ({@link ingest}) and `setCapture`. */
  readonly capture: CaptureGate;
  /** The store it answers from. */
  readonly store: TraceStore;
  private readonly limits: DecodeLimits;
  private readonly maxImportChars: number;
  /** OTLP metrics exports answered, and their data points (metrics are counted, not kept). */
  private readonly metrics = { exportRequests: 0, dataPoints: 0 };
  private processFacts: (() => ProcessFacts) | undefined;
  /** Auto-forward as last configured: it starts when a key arrives after the setting. */
  private autoForwardWanted = false;
  /** While the store's journal replays: settles when the store takes changes again. */
  private replaying: Promise<void> | undefined;
  private readonly leanTraces: LeanTraces;
  /** Gives other work a turn between the steps of a large answer's making. */
  private readonly yieldTurn: YieldTurn;

  constructor(private readonly options: InspectorServiceOptions) {
    this.store = options.store;
    this.yieldTurn = options.yieldTurn;
    const leanCacheBytes = options.leanCacheBytes ?? Math.min(DEFAULT_LEAN_CACHE_BYTES, Math.floor(options.store.maxApproxBytes / 8));
    this.leanTraces = new LeanTraces(options.store, this.yieldTurn, options.timers, leanCacheBytes);
    options.store.onChange((change) => this.leanTraces.noteChange(change));
    this.capture = options.capture ?? new CaptureGate();
    this.limits = options.limits ?? DEFAULT_DECODE_LIMITS;
    this.maxImportChars = options.maxImportChars ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** Answers a request, typed by the table. */
  handle<K extends ServiceRequestType>(type: K, params: ServiceParams<K>): Promise<ServiceResult<K>> {
    return this.handlers[type](params);
  }

  /**
   * Answers a request that arrived by name with parameters from outside (a
   * script, a webview); each handler checks its parameters.
   */
  async dispatch(type: string, params: unknown): Promise<unknown> {
    if (!Object.hasOwn(this.handlers, type)) throw new ServiceError('invalid', `there is no service request "${type.slice(0, 60)}"`);
    const handler = this.handlers[type as ServiceRequestType] as (params: unknown) => Promise<unknown>;
    return handler(params);
  }

  /**
   * Lets the listening process describe itself in `status` (until the
   * returned function is called, when it stops listening).
   */
  describeProcess(facts: () => ProcessFacts): () => void {
    this.processFacts = facts;
    return () => {
      if (this.processFacts === facts) this.processFacts = undefined;
    };
  }

  /**
   * Holds every change to the store (the receivers' spans and log records,
   * pins, deletes, imports) until `replayed` settles, so nothing lands between
   * replayed records; reads answer meanwhile from what the store holds so far,
   * and `listTraces` says it is still loading.
   */
  holdChangesUntil(replayed: Promise<void>): void {
    const held: Promise<void> = replayed.then(
      () => this.releaseChanges(held),
      () => this.releaseChanges(held),
    );
    this.replaying = held;
  }

  private releaseChanges(held: Promise<void>): void {
    if (this.replaying === held) this.replaying = undefined;
  }

  /** Resolves when the store takes changes again; undefined when it takes them now. */
  whenWritable(): Promise<void> | undefined {
    return this.replaying;
  }

  /** Live events: store changes, and forwarding changes when the inspector forwards. */
  subscribe(listener: ServiceEventListener): () => void {
    const offStore = this.store.onChange((change) => listener({ type: 'change', data: change }));
    const offForwarding = this.options.forwarding?.onChange((change) => listener({ type: 'forwarding', data: change }));
    return () => {
      offStore();
      offForwarding?.();
    };
  }

  /**
   * The receivers' way in: stores the spans unless capture is paused (then
   * they are counted as dropped), a large body in steps. `source` is the
   * request body they were decoded from, for the store's journal. Resolves
   * with whether they were stored.
   */
  async ingest(spans: Span[], source?: SpanSource): Promise<boolean> {
    if (!this.capture.admit(spans.length)) return false;
    await runInSteps(this.store.addInSteps(spans, { source }), this.yieldTurn);
    return true;
  }

  /**
   * The receivers' way in for OTLP log records: paused capture drops them with
   * their spans. Returns the stored spans the records became events of.
   */
  ingestLogs(records: LogRecord[]): Span[] {
    return this.capture.capturing ? this.store.addLogs(records) : [];
  }

  /** Counts one OTLP metrics export of `dataPoints` data points. */
  countMetrics(dataPoints: number): void {
    this.metrics.exportRequests++;
    this.metrics.dataPoints += dataPoints;
  }

  private readonly handlers: ServiceHandlers = {
    listTraces: async (params) => {
      const query = traceQueryParam(paramsObject(params));
      const { traces, total } = this.store.list(storeQueryOf(query));
      return { traces: traces.map(summaryJson), total, ...(this.replaying ? { loading: true as const } : {}) };
    },

    listRuns: async () => ({ runs: this.store.runSummaries().map(runSummaryJson) }),

    getFacets: async () => this.store.facetValues(),

    getTrace: async (params) => runInSteps(traceDetailJsonInSteps(await this.treeInSteps(traceIdParam(paramsObject(params)))), this.yieldTurn),

    getLeanTrace: async (params) => {
      const traceId = traceIdParam(paramsObject(params));
      const body = await this.leanTraces.body(traceId);
      if (!body) throw notFoundTrace(traceId);
      return body;
    },

    getSpan: async (params) => {
      const read = paramsObject(params);
      const traceId = traceIdParam(read);
      const entry = this.store.get(traceId);
      if (!entry) throw notFoundTrace(traceId);
      const spanId = spanIdParam(read);
      const span = entry.spans.get(spanId);
      if (!span) throw new ServiceError('not-found', `trace ${entry.traceId} has no span ${spanId}`);
      return spanJson(span, this.store.shownAsOrphan(traceId, spanId), entry);
    },

    traceLogs: async (params) => {
      const traceId = traceIdParam(paramsObject(params));
      const records = this.store.logsOf(traceId);
      if (records === undefined) throw notFoundTrace(traceId);
      return { traceId, logs: records.map(logRecordJson) };
    },

    untracedLogs: async () => {
      const { records, received } = this.store.untracedLogs();
      return { logs: records.map(logRecordJson), received };
    },

    pinTrace: async (params) => {
      await this.replaying;
      const read = paramsObject(params);
      const traceId = traceIdParam(read);
      const pinned = booleanParam(read, 'pinned');
      if (!this.store.setPinned(traceId, pinned)) throw notFoundTrace(traceId);
      return { traceId, pinned };
    },

    deleteTraces: async (params) => {
      await this.replaying;
      const traceIds = traceIdsParam(paramsObject(params));
      if (traceIds === undefined) {
        this.store.clear();
        this.store.flush();
        return { deleted: [], cleared: true, traceCount: this.store.traceCount };
      }
      const deleted = traceIds.filter((traceId) => this.store.delete(traceId));
      if (traceIds.length > 0 && deleted.length === 0) {
        throw traceIds.length === 1 ? notFoundTrace(traceIds[0]) : new ServiceError('not-found', `none of these ${traceIds.length} traces is in the inspector`);
      }
      this.store.flush();
      return { deleted, cleared: false, traceCount: this.store.traceCount };
    },

    importTraces: async (params) => {
      await this.replaying;
      const read = paramsObject(params);
      const content = stringParam(read, 'content');
      const fileName = optionalStringParam(read, 'fileName');
      const from = fileName === undefined ? '' : ` from ${fileName.slice(0, 200)}`;
      if (content.length > this.maxImportChars) {
        throw new ServiceError('too-large', `nothing was imported${from}: the file is larger than the ${Number((this.maxImportChars / BYTES_PER_MB).toFixed(1))} MB the inspector accepts`);
      }
      let result;
      try {
        result = await runInSteps(decodeTraceFileInSteps(content, this.limits), this.yieldTurn);
      } catch (error) {
        if (error instanceof MalformedPayloadError) throw new ServiceError('invalid', `nothing could be imported${from}: ${error.message}`);
        throw error;
      }
      const rejected = rejectedCount(result);
      if (result.spans.length === 0 && rejected > 0) throw new ServiceError('invalid', `nothing could be imported${from}: ${describeRejections(result)}`);
      // An import is the user's own choice: it goes in while capture is paused, and is not auto-forwarded.
      await runInSteps(this.store.addInSteps(result.spans), this.yieldTurn);
      this.store.flush();
      return {
        imported: result.spans.length,
        rejected,
        traceIds: [...new Set(result.spans.map((span) => span.traceId))],
        ...(rejected > 0 ? { message: describeRejections(result) } : {}),
      };
    },

    exportTrace: async (params) => {
      const tree = await this.treeInSteps(traceIdParam(paramsObject(params)));
      const request = await runInSteps(encodeOtlpJsonInSteps(tree.spans), this.yieldTurn);
      const content = await runInSteps(joinInSteps(jsonTextPieces(request, OTLP_JSON_PIECE_DEPTH)), this.yieldTurn);
      return { fileName: `trace-${tree.entry.traceId}.json`, content };
    },

    forwardTrace: async (params) => {
      const read = paramsObject(params);
      const traceId = traceIdParam(read);
      const resend = flagParam(read, 'resend');
      const waitMs = Math.min(Math.max(numberParam(read, 'waitMs') ?? 0, 0), MAX_FORWARD_WAIT_MS);
      const forwarder = this.forwarder();
      const receipt = this.withForwardingConfig(() => forwarder.forwardTraces([traceId], { resend }));
      if (receipt.notFound.length > 0) throw notFoundTrace(traceId);
      const waited = waitMs > 0 && receipt.queued > 0;
      if (waited) await this.settled(forwarder, traceId, waitMs);
      const trace = traceForwardingJson(forwarder, traceId);
      return { ...describeForward({ receipt, trace, forwarding: forwarder.status(), waited }), ...receiptCounts(receipt), trace };
    },

    forwardPreview: async (params) => {
      const traceId = traceIdParam(paramsObject(params));
      const preview = this.forwarder().previewTraces([traceId]);
      if (preview.spanCount + preview.skippedCount === 0) throw notFoundTrace(traceId);
      return preview;
    },

    forwardingStatus: async () => this.forwarder().status(),

    forwardingTraces: async () => ({ traces: this.forwarder().traceStates() }),

    traceForwarding: async (params) => traceForwardingJson(this.forwarder(), traceIdParam(paramsObject(params))),

    retryForwarding: async (params) => {
      const traceIds = traceIdsParam(paramsObject(params));
      const forwarder = this.forwarder();
      const queued = this.withForwardingConfig(() => forwarder.retryFailed(traceIds));
      return { queued, status: forwarder.status() };
    },

    setCapture: async (params) => {
      this.capture.setCapturing(booleanParam(paramsObject(params), 'capturing'));
      return { capturing: this.capture.capturing, droppedSpans: this.capture.dropped };
    },

    status: async () => {
      if (!this.processFacts) throw new ServiceError('unavailable', 'the inspector is not listening');
      const { heapUsedBytes, ...facts } = this.processFacts();
      return {
        inspector: INSPECTOR_ID,
        ...facts,
        spanCount: this.store.spanCount,
        traceCount: this.store.traceCount,
        capturing: this.capture.capturing,
        droppedSpans: this.capture.dropped,
        memory: { storeBytes: this.store.approxBytes, maxStoreBytes: this.store.maxApproxBytes, heapUsedBytes, leanTraceCache: this.leanTraces.counts() },
        priceTable: this.store.costs.tableLabel ?? null,
        logRecordCount: this.store.logRecordCount,
        metrics: { ...this.metrics },
      };
    },

    configure: async (params) => {
      const forwarder = this.options.forwarding?.current();
      const { result, autoForward } = applyConfiguration(params, this.store, forwarder);
      if (autoForward !== undefined) this.autoForwardWanted = autoForward;
      return result;
    },

    setApiKey: async (params) => {
      const forwarder = this.forwarder();
      applyApiKey(params, forwarder, this.autoForwardWanted || forwarder.autoForward);
      return forwarder.status();
    },
  };

  /** The trace's tree, built in steps (a 100,000-span tree takes about 0.2 s). */
  private async treeInSteps(traceId: string): Promise<TraceTree> {
    const tree = await runInSteps(this.store.treeInSteps(traceId), this.yieldTurn);
    if (!tree) throw notFoundTrace(traceId);
    return tree;
  }

  private forwarder(): Forwarder {
    const access = this.options.forwarding;
    if (!access) throw new ServiceError('not-found', 'forwarding to Respan is not available in this inspector');
    const forwarder = access.current();
    if (!forwarder) throw new ServiceError('unavailable', `forwarding to Respan is unavailable: ${access.unavailableReason()}`);
    return forwarder;
  }

  /** Runs a forwarder call that refuses to run without a key or with invalid settings, as an `unavailable` error. */
  private withForwardingConfig<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      if (!(error instanceof ForwardConfigError)) throw error;
      const hint = error.message === NO_KEY_MESSAGE ? `; ${this.options.forwarding?.missingKeyHint}` : '';
      throw new ServiceError('unavailable', `${error.message}${hint}`);
    }
  }

  /** Resolves when the trace is delivered or failed, or after `ms`. */
  private settled(forwarder: Forwarder, traceId: string, ms: number): Promise<void> {
    const { timers } = this.options;
    return new Promise((resolve) => {
      const timer = timers.setTimeout(resolve, ms);
      void forwarder.whenSettled([traceId]).then(() => {
        timers.clearTimeout(timer);
        resolve();
      });
    });
  }
}

function receiptCounts(receipt: ForwardReceipt): { queued: number; alreadySent: number; overflowed: number } {
  return { queued: receipt.queued, alreadySent: receipt.alreadySent, overflowed: receipt.overflowed };
}

function traceForwardingJson(forwarder: Forwarder, traceId: string): TraceForwardingJson {
  return { ...forwarder.traceStatus(traceId), spans: forwarder.spanStatuses(traceId).map(({ traceId: _trace, ...span }) => span) };
}
