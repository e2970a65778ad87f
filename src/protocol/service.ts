/**
 * The inspector's service: every operation a client can ask for, as one table
 * from request type to its parameters and result. The handlers
 * (`src/core/service`), every transport (`POST /api/service/{type}`, the REST
 * routes, the VS Code panel's relay) and every client (the browser UI, the
 * webview, the extension) are typed by it.
 *
 * Adding a request is one entry here and one handler in
 * `src/core/service/inspectorService.ts`: a handler that answers the wrong
 * shape does not compile, and every transport carries the new request as it
 * is. Results are JSON, except those of {@link BINARY_RESULTS}: bytes, sent
 * as `application/octet-stream` over HTTP and as an `ArrayBuffer` over
 * `postMessage`.
 */

import type { ServiceErrorReason } from '../core/service/errors';
import type {
  CaptureJson,
  ConfigureParamsJson,
  ConfigureResultJson,
  DeleteResultJson,
  FacetsJson,
  ForwardingChangeJson,
  ForwardingStatusJson,
  ForwardingTracesJson,
  ForwardPreviewJson,
  ForwardRetryJson,
  ForwardTraceJson,
  ImportResultJson,
  PinResultJson,
  RunListJson,
  SpanJson,
  StatusJson,
  StoreChangeJson,
  TraceDetailJson,
  TraceExportJson,
  TraceForwardingJson,
  TraceListJson,
  TraceLogsJson,
  UntracedLogsJson,
} from './api';
import type { TraceQuery } from './query';

/** The parameters of a request that takes none. */
export type NoParams = Record<string, never>;

/**
 * Every request a client can send, with its parameters and its result.
 * Trace and span ids are hex (any case). Failures are a `ServiceError` with a
 * reason ({@link SERVICE_ERROR_STATUS} maps it over HTTP).
 */
export interface ServiceRequests {
  /** Traces matching the filters, newest first (`GET /api/traces`). */
  listTraces: { params: { query?: TraceQuery }; result: TraceListJson };
  /**
   * Runs (each process that sent spans) with spans in the store, most
   * recently active first, with their traces' counts, tokens and cost
   * (`GET /api/runs`). `listTraces` with `query.run` lists one run's traces.
   */
  listRuns: { params: NoParams; result: RunListJson };
  /** Every value of each filterable field over the whole store, for filter drop-downs (`GET /api/facets`). */
  getFacets: { params: NoParams; result: FacetsJson };
  /** One trace with all its spans (`GET /api/traces/{traceId}`); `not-found` for an unknown trace. */
  getTrace: { params: { traceId: string }; result: TraceDetailJson };
  /**
   * One trace in the lean binary form for the waterfall (`src/core/leanTrace.ts`;
   * `GET /api/traces/{traceId}/lean`): binary over every transport (see
   * {@link BINARY_RESULTS}); `not-found` for an unknown trace.
   */
  getLeanTrace: { params: { traceId: string }; result: Uint8Array };
  /** One span's details (`GET /api/traces/{traceId}/spans/{spanId}`); `not-found` for an unknown trace or span. */
  getSpan: { params: { traceId: string; spanId: string }; result: SpanJson };
  /** A trace's OTLP log records, attached to its spans or not (`GET /api/traces/{traceId}/logs`). */
  traceLogs: { params: { traceId: string }; result: TraceLogsJson };
  /** The most recent log records that carry no trace id (`GET /api/logs`). */
  untracedLogs: { params: NoParams; result: UntracedLogsJson };
  /** Pins (retention never evicts it) or unpins a trace (`POST` / `DELETE /api/traces/{traceId}/pin`). */
  pinTrace: { params: { traceId: string; pinned: boolean }; result: PinResultJson };
  /**
   * Deletes the given traces (`DELETE /api/traces/{traceId}`), or every
   * unpinned trace when `traceIds` is absent (`DELETE /api/traces`).
   * `not-found` when ids were given and none was in the store.
   */
  deleteTraces: { params: { traceIds?: string[] }; result: DeleteResultJson };
  /**
   * Stores the spans of an OTLP/JSON or Respan ingest JSON file, even while
   * capture is paused (`POST /api/import`). `invalid` when nothing in it could
   * be imported. `fileName` only names the file in messages.
   */
  importTraces: { params: { content: string; fileName?: string }; result: ImportResultJson };
  /** The trace as an OTLP/JSON file (`GET /api/traces/{traceId}/otlp`). */
  exportTrace: { params: { traceId: string }; result: TraceExportJson };
  /**
   * Sends a trace to Respan (`POST /api/traces/{traceId}/forward`). `resend`
   * sends spans Respan already has; with `waitMs`, answers once the trace is
   * delivered or failed, or after that long (at most two minutes).
   * `unavailable` without an API key or with invalid forwarding settings.
   */
  forwardTrace: { params: { traceId: string; resend?: boolean; waitMs?: number }; result: ForwardTraceJson };
  /** Exactly what forwarding the trace would send, key hidden (`GET /api/traces/{traceId}/forward/preview`). */
  forwardPreview: { params: { traceId: string }; result: ForwardPreviewJson };
  /** The forwarding queue's state (`GET /api/forwarding`); `not-found` in an inspector without forwarding. */
  forwardingStatus: { params: NoParams; result: ForwardingStatusJson };
  /** The forwarding state of every trace the forwarder knows (`GET /api/forwarding/traces`). */
  forwardingTraces: { params: NoParams; result: ForwardingTracesJson };
  /** One trace's forwarding state, span by span (`GET /api/traces/{traceId}/forward`). */
  traceForwarding: { params: { traceId: string }; result: TraceForwardingJson };
  /** Queues failed spans again, of the given traces or all (`POST /api/forwarding/retry`). */
  retryForwarding: { params: { traceIds?: string[] }; result: ForwardRetryJson };
  /** Pauses (`false`) or resumes capture: while paused, receivers' spans are dropped and counted. */
  setCapture: { params: { capturing: boolean }; result: CaptureJson };
  /** The inspector's URL and counts (`GET /api/status`). */
  status: { params: NoParams; result: StatusJson };
  /**
   * Applies a client's settings at once, without a restart (the VS Code
   * extension's `respanInspector.*`): each part given replaces that setting,
   * absent parts stay as they are.
   */
  configure: { params: ConfigureParamsJson; result: ConfigureResultJson };
  /**
   * Hands the forwarder the Respan API key (`null` forgets it). The key is
   * never part of any answer, status or log line.
   */
  setApiKey: { params: { apiKey: string | null }; result: ForwardingStatusJson };
}

/** A request type. */
export type ServiceRequestType = keyof ServiceRequests;

/** The request types whose result is bytes. */
type BinaryRequestType = { [K in ServiceRequestType]: ServiceRequests[K]['result'] extends Uint8Array ? K : never }[ServiceRequestType];

/** Every request whose result is bytes, checked against the table both ways. */
export const BINARY_RESULTS: Readonly<Record<BinaryRequestType, true>> = { getLeanTrace: true };

/** Media type of a binary result over HTTP. */
export const BINARY_MEDIA_TYPE = 'application/octet-stream';
/** The parameters of request `K`. */
export type ServiceParams<K extends ServiceRequestType> = ServiceRequests[K]['params'];
/** The result of request `K`. */
export type ServiceResult<K extends ServiceRequestType> = ServiceRequests[K]['result'];

/** The handlers of every request: a handler answering another shape than its entry's result does not compile. */
export type ServiceHandlers = { [K in ServiceRequestType]: (params: ServiceParams<K>) => Promise<ServiceResult<K>> };

/** Sends one request, typed by the table. */
export type ServiceCall = <K extends ServiceRequestType>(type: K, params: ServiceParams<K>) => Promise<ServiceResult<K>>;

/**
 * Carries a request to the service and brings back its result, or rejects
 * with a `ServiceError` (a transport failure is an `Error`).
 */
export type ServiceTransport = (type: ServiceRequestType, params: unknown) => Promise<unknown>;

/**
 * The one typed client over a transport. The transport's answer is trusted to
 * be the table's result: the service on the other end answered it through the
 * checked handler table.
 */
export function createServiceCall(transport: ServiceTransport): ServiceCall {
  return <K extends ServiceRequestType>(type: K, params: ServiceParams<K>) => transport(type, params) as Promise<ServiceResult<K>>;
}

// ---------------------------------------------------------------------------
// Live changes

/** The payload of each live event, by event type (the SSE event name of `/api/events`). */
export interface ServiceEvents {
  /** What changed in the store since the previous event, coalesced so a burst of spans is one event. */
  change: StoreChangeJson;
  /** Traces whose spans changed forwarding state, and the queue's new status. */
  forwarding: ForwardingChangeJson;
}

/** One live event. */
export type ServiceEvent = { [K in keyof ServiceEvents]: { type: K; data: ServiceEvents[K] } }[keyof ServiceEvents];

const EVENT_TYPES = { change: true, forwarding: true } satisfies Record<keyof ServiceEvents, true>;

/** Every event type, for clients that subscribe by name (an `EventSource`). */
export const SERVICE_EVENT_TYPES = Object.keys(EVENT_TYPES) as Array<keyof ServiceEvents>;

/** Receives live events. */
export type ServiceEventListener = (event: ServiceEvent) => void;

/** Anything that answers service requests for a transport that knows them only by name (the service itself). */
export interface ServiceEndpoint {
  /** Answers a request named by a string, with parameters not checked yet; `invalid` for an unknown type. */
  dispatch(type: string, params: unknown): Promise<unknown>;
  /** Subscribes to live events; returns the unsubscribe function. */
  subscribe(listener: ServiceEventListener): () => void;
}

// ---------------------------------------------------------------------------
// HTTP form

/** `POST {SERVICE_PATH_PREFIX}{type}` with the JSON parameters as body answers the JSON result. */
export const SERVICE_PATH_PREFIX = '/api/service/';

/** The HTTP status of each failure reason; clients read a status back through the same table. */
export const SERVICE_ERROR_STATUS: Readonly<Record<ServiceErrorReason, number>> = {
  'not-found': 404,
  invalid: 400,
  unavailable: 409,
  'too-large': 413,
};

/** The reason an HTTP error status stands for, if it is one of {@link SERVICE_ERROR_STATUS}. */
export function reasonOfStatus(status: number): ServiceErrorReason | undefined {
  for (const [reason, code] of Object.entries(SERVICE_ERROR_STATUS) as Array<[ServiceErrorReason, number]>) if (code === status) return reason;
  return undefined;
}
