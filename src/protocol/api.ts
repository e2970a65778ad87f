/**
 * JSON shapes of the local query API (`GET /api/traces`, `GET /api/traces/{id}`,
 * the `/api/events` live stream). Scripts depend on these: change them only by
 * adding fields. The same shapes travel inside webview messages.
 */

import type { ForwardingChange, ForwardingStatus } from '../core/forward/forwarder';
import type { StoreChange } from '../core/store';
import type { CostSource, DisplayKind, RespanParams, SourceLocation, SpanKind, StatusCode, StreamingFigures, TokenUsage } from '../core/model';
import type { PricingInfo } from '../core/cost/pricing';

/** A run: one process that sent spans (its `service.instance.id`, else service name, `process.pid` and first-seen time). */
export interface RunJson {
  id: string;
  /** `service · pid 1234`, or `service · <instance id>`. */
  label: string;
  /** Start time (epoch ms) of the first span seen from the run. */
  firstSeenMs: number;
}

/**
 * One row of `GET /api/runs`: a run and what its traces in the store hold. A
 * trace with spans of several runs counts toward each.
 */
export interface RunSummaryJson extends RunJson {
  /** The run's `service.name`. */
  service: string;
  /** The latest span end (epoch ms) in its traces. */
  lastSeenMs: number;
  /** Traces with at least one span of the run. */
  traceCount: number;
  /** Spans of the run. */
  spanCount: number;
  /** Error spans of its traces. */
  errorCount: number;
  /** Token totals of its traces, each LLM call counted once (zero totals left out). */
  tokens: TokenUsage;
  /** USD of its traces that carry a cost; null when none does. */
  cost: number | null;
  /** True when {@link cost} includes an estimate from the price table. */
  costEstimated: boolean;
}

/** Body of `GET /api/runs`: every run with spans in the store, most recently active first. */
export interface RunListJson {
  runs: RunSummaryJson[];
}

/** One row of `GET /api/traces`. */
export interface TraceSummaryJson {
  traceId: string;
  /** Name of the earliest root span (or of the earliest span while no root has arrived). */
  name: string;
  /** Display kind of that span. */
  kind: DisplayKind;
  spanCount: number;
  errorCount: number;
  /** Spans whose parent never arrived (or whose parent links form a cycle). */
  orphanCount: number;
  startTimeMs: number;
  durationMs: number;
  /** Wall-clock ms of the last span received for this trace. */
  updatedAtMs: number;
  /** `service.name` of the root span's resource (or the first one seen). */
  service: string | null;
  services: string[];
  models: string[];
  tokens: TokenUsage;
  /** USD, summed over spans that carry a cost (reported, custom-priced or estimated), each call once. */
  cost: number | null;
  /** True when {@link cost} includes an estimate from the price table. */
  costEstimated: boolean;
  /** The run of the root span (or of the first span seen). */
  run: RunJson | null;
  customerIdentifier: string | null;
  threadIdentifier: string | null;
  traceGroupIdentifier: string | null;
  environment: string | null;
  pinned: boolean;
}

/** Body of `GET /api/traces`. */
export interface TraceListJson {
  traces: TraceSummaryJson[];
  /** Traces matching the filters before `limit` was applied. */
  total: number;
  /**
   * Present while the inspector is still restoring the traces it kept on
   * disk: the answer lists those restored so far, and more will follow (as
   * live `change` events).
   */
  loading?: true;
}

/** One value of a facet and how many traces have it on at least one span. */
export interface FacetValueJson {
  value: string;
  traces: number;
  /** The run's label (`runs` only). */
  label?: string;
  /**
   * USD over the traces that have the value and a cost (`customers`,
   * `threads`, `traceGroups`, `runs` only; a trace with two values counts
   * toward both).
   */
  cost?: number;
  /** Some of {@link cost} is estimated. */
  costEstimated?: boolean;
}

/**
 * Body of `GET /api/facets`: every distinct value of each filterable field
 * over all traces in the store, most common first (ties by value).
 */
export interface FacetsJson {
  services: FacetValueJson[];
  models: FacetValueJson[];
  customers: FacetValueJson[];
  threads: FacetValueJson[];
  traceGroups: FacetValueJson[];
  environments: FacetValueJson[];
  /** Span names (any span, not only roots). */
  names: FacetValueJson[];
  /** Runs (their ids), each with its label. */
  runs: FacetValueJson[];
}

/** A span event, with its exact time as a decimal string. */
export interface SpanEventJson {
  name: string;
  timeUnixNano: string;
  timeMs: number;
  attributes: Record<string, unknown>;
  /**
   * Present when the event is an OTLP log record attached to its span: what
   * the record has besides its event form. Its body is the `event.body`
   * attribute.
   */
  log?: { severityNumber: number; severityText: string; observedTimeUnixNano: string };
}

/** An OTLP log record, with its exact times as decimal strings. */
export interface LogRecordJson {
  /** Null when the record carries no trace context. */
  traceId: string | null;
  spanId: string | null;
  /** When it happened (its `timeUnixNano`, else when the SDK observed it). */
  timeUnixNano: string;
  timeMs: number;
  observedTimeUnixNano: string;
  /** 0 unspecified, 1–4 TRACE, 5–8 DEBUG, 9–12 INFO, 13–16 WARN, 17–20 ERROR, 21–24 FATAL. */
  severityNumber: number;
  severityText: string;
  /** `eventName`, or the `event.name` attribute; '' for a plain log line. */
  eventName: string;
  /** Null when absent. */
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: { name: string; version?: string; attributes: Record<string, unknown> };
}

/** A span link. `present` says whether the linked trace is in the store. */
export interface SpanLinkJson {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: Record<string, unknown>;
}

/** One span of `GET /api/traces/{traceId}`. */
export interface SpanJson {
  traceId: string;
  spanId: string;
  /** Null for a root. An orphan keeps the parent id it was sent with. */
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  status: { code: StatusCode; message: string };
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  startTimeMs: number;
  durationMs: number;
  attributes: Record<string, unknown>;
  events: SpanEventJson[];
  links: SpanLinkJson[];
  resource: Record<string, unknown>;
  scope: { name: string; version?: string; attributes: Record<string, unknown> };
  /** True when the parent is missing, or the parent chain loops: shown as a root. */
  orphan: boolean;
  /** Derived at ingest. */
  displayKind: DisplayKind;
  service: string | null;
  model: string | null;
  provider: string | null;
  tokens: TokenUsage | null;
  /** USD: reported by the sender, custom-priced or estimated ({@link costSource}). */
  cost: number | null;
  /**
   * True when the span carries tokens but the trace total counts another
   * span's for the same call instead: one call traced twice (an SDK's own
   * span under an instrumentation's, a framework's span over its client's, or
   * beside it, enclosing it in time), counted once at the innermost span that
   * carries usage: a descendant's, or the enclosed sibling's.
   */
  tokensCountedInDescendant: boolean;
  /** The same for the span's cost. */
  costCountedInDescendant: boolean;
  costSource: CostSource | null;
  /** The prices behind a custom or estimated cost (USD per million tokens per partition), or why no price is known. */
  pricing: PricingJson | null;
  /** Time to first token and tokens per second of a streamed LLM call. */
  streaming: StreamingFigures | null;
  run: RunJson | null;
  respan: RespanParams | null;
  sourceLocation: SourceLocation | null;
  entityName: string | null;
  entityPath: string | null;
  workflowName: string | null;
  isError: boolean;
  origin: 'otlp' | 'ingest';
}

/** How a span's cost was (or could not be) priced: see `PricingInfo`. */
export type PricingJson = PricingInfo;

/** Body of `GET /api/traces/{traceId}`. */
export interface TraceDetailJson {
  traceId: string;
  /** Root span ids, including orphans, ordered by start time. */
  roots: string[];
  /** Spans ordered by start time. */
  spans: SpanJson[];
  summary: TraceSummaryJson;
  /**
   * The trace's log records that are not events of a span (those are in the
   * span's `events`): records without a span id, and records whose span has not
   * arrived. In time order.
   */
  logs: LogRecordJson[];
}

/**
 * The head of `GET /api/traces/{traceId}/lean` (the binary lean form, see
 * `src/core/leanTrace.ts`): what the trace view shows besides the rows.
 */
export interface LeanTraceHeadJson {
  traceId: string;
  summary: TraceSummaryJson;
  /** As {@link TraceDetailJson.logs}. */
  logs: LogRecordJson[];
}

/** The cache of encoded lean traces (`status.memory.leanTraceCache`). */
export interface LeanTraceCacheJson {
  traces: number;
  bytes: number;
  /** The bound: past it, the least recently asked traces' encodings are dropped. */
  maxBytes: number;
  /** Answers served from the cache, and answers that encoded the trace. */
  hits: number;
  misses: number;
}

/** Body of `GET /api/traces/{traceId}/logs`: every log record of the trace, events of its spans included, in time order. */
export interface TraceLogsJson {
  traceId: string;
  logs: LogRecordJson[];
}

/** Body of `GET /api/logs`: the most recent log records that carry no trace id (oldest first, at most 1,000). */
export interface UntracedLogsJson {
  logs: LogRecordJson[];
  /** Such records received since the store was last cleared, kept or not. */
  received: number;
}

/**
 * One event of the live stream (`GET /api/events`, Server-Sent Events, event
 * name `change`): what changed in the store since the previous event. The
 * store's own change event is already JSON-safe and travels unchanged.
 */
export type StoreChangeJson = StoreChange;

/**
 * Data of the live stream's `hello` event (sent first) and `resync` event:
 * the store's size. `resync` follows a gap: the client stopped reading, the
 * listener dropped the events it could not take, and the client must refetch
 * what it shows.
 */
export interface LiveStreamCountsJson {
  spanCount: number;
  traceCount: number;
}

/** The value of {@link StatusJson.inspector}: how a client tells this inspector from anything else on the port. */
export const INSPECTOR_ID = 'respan-trace-inspector';

/** Who started an inspector process: a person (runs until stopped) or the VS Code extension (ends when idle). */
export type StartedBy = 'user' | 'extension';

/**
 * Body of `GET /api/status`: the process identifies itself, so the extension
 * attaches to an inspector already listening on its port and reports anything
 * else there as a taken port.
 */
export interface StatusJson {
  inspector: typeof INSPECTOR_ID;
  /** Version of the package the process runs. */
  version: string;
  pid: number;
  startedBy: StartedBy;
  /** Seconds the process stays up after its last client left; absent: until stopped. */
  exitWhenIdleSeconds?: number;
  /** Open live streams (`/api/events`): one per VS Code window and per browser tab. */
  clients: number;
  /** `http://host:port` of the HTTP listener. */
  url: string;
  endpoints: {
    /** OTLP/HTTP, the Respan paths, the API and the UI. */
    http: string;
    /** OTLP/gRPC, when that receiver runs. */
    grpc?: string;
  };
  /** The folder traces are kept in across restarts; null when they are kept in memory only (`--no-persist`, or the folder could not be used). */
  dataDir: string | null;
  /** Disk the kept traces use and its bound (`--max-disk-mb`); null when they are kept in memory only. */
  disk: { bytes: number; maxBytes: number } | null;
  spanCount: number;
  traceCount: number;
  /** False while capture is paused: receivers' spans are dropped (and counted), imports still go in. */
  capturing: boolean;
  /** Spans dropped since capture was last paused. */
  droppedSpans: number;
  memory: {
    /** What the store charges against its bound: every span's content, and each resource and scope once. */
    storeBytes: number;
    /** The bound (`--max-memory-mb`): past it, the least recently updated unpinned traces are evicted. */
    maxStoreBytes: number;
    /** The process's V8 heap in use (all of it: the store, requests in flight, garbage not yet collected). */
    heapUsedBytes: number;
    /** The lean forms of recently opened traces, kept until their trace changes (not part of `storeBytes`). */
    leanTraceCache: LeanTraceCacheJson;
  };
  /** Log records kept: attached to spans, waiting for their span, without a span, without a trace. */
  logRecordCount: number;
  /** OTLP metrics exports answered (metrics are counted, not kept). */
  metrics: { exportRequests: number; dataPoints: number };
  /** Where estimated costs' prices come from (the table's name and version), once it is loaded. */
  priceTable: string | null;
}

/** True when a `/api/status` body comes from a Respan Trace Inspector. */
export function isInspectorStatus(body: unknown): body is StatusJson {
  return typeof body === 'object' && body !== null && (body as { inspector?: unknown }).inspector === INSPECTOR_ID;
}

/** Error body of every query API failure. */
export interface ApiErrorJson {
  error: string;
}

/** Parameters of the `configure` request: each part given replaces that setting in the running inspector. */
export interface ConfigureParamsJson {
  /** The store's retention bounds; applied at once (evicting what is over them). */
  retention?: { maxSpans: number; maxTraces: number; maxMemoryMb: number };
  /** Per-model prices as written in settings: model name → `{input, output, cacheRead?, cacheWrite?}` in USD per million tokens. */
  prices?: Record<string, unknown>;
  /** Forwarding to Respan (the key travels apart, in `setApiKey`). */
  forwarding?: { baseUrl: string; autoForward: boolean; api: 'otlp' | 'ingest'; filter: 'all' | 'sdk'; redact: string[] };
}

/** Answer of `configure`: what could not be applied, said to the user. */
export interface ConfigureResultJson {
  /** Price entries left out, and why. */
  priceErrors: string[];
  /** Why the forwarding settings were not applied, if they were not. */
  forwardingProblem: string | null;
}

/** Whether the inspector keeps what its receivers take (`setCapture`). */
export interface CaptureJson {
  capturing: boolean;
  /** Spans dropped since capture was last paused. */
  droppedSpans: number;
}

/** Answer of `POST /api/import`: what an imported OTLP/JSON or Respan ingest JSON file gave. */
export interface ImportResultJson {
  /** Spans stored. */
  imported: number;
  /** Spans the decoder refused. */
  rejected: number;
  /** Traces that received spans, in first-seen order (a client opens the first). */
  traceIds: string[];
  /** What was refused and why, when something was. */
  message?: string;
}

/** Answer of `POST` / `DELETE /api/traces/{traceId}/pin`. */
export interface PinResultJson {
  traceId: string;
  pinned: boolean;
}

/** What a deletion removed. */
export interface DeleteResultJson {
  /** The given traces that were in the store and are now gone. */
  deleted: string[];
  /** True when every unpinned trace was removed (no ids given). */
  cleared: boolean;
  /** Traces left (pinned ones survive a clear). */
  traceCount: number;
}

/** A trace as an OTLP/JSON file (`GET /api/traces/{traceId}/otlp` answers its content). */
export interface TraceExportJson {
  /** Suggested file name. */
  fileName: string;
  /** An `ExportTraceServiceRequest` in OTLP/JSON, which any OTLP receiver (this one included) accepts. */
  content: string;
}

/**
 * Forwarding to the Respan API. These routes exist when the inspector was
 * started with a forwarder (the standalone command always has one); without
 * one they answer 404 with {@link ApiErrorJson}. No answer ever contains the
 * API key.
 *
 * - `GET /api/forwarding` → {@link ForwardingStatusJson}
 * - `GET /api/forwarding/traces` → {@link ForwardingTracesJson}
 * - `POST /api/forwarding/retry` (optional body `{"traceIds": [...]}`) → {@link ForwardRetryJson}
 * - `GET /api/traces/{traceId}/forward` → {@link TraceForwardingJson}
 * - `POST /api/traces/{traceId}/forward` (`?resend=1` to send spans Respan
 *   already has, `?wait=1` to answer once the trace is delivered or failed) →
 *   {@link ForwardTraceJson}; 202 when queued, 200 with `wait`; 404 for an
 *   unknown trace; 409 without an API key or with invalid settings; 403 for a
 *   request from another web origin.
 * - `GET /api/traces/{traceId}/forward/preview` → {@link ForwardPreviewJson}
 * - live stream (`/api/events`): event `forwarding` → {@link ForwardingChangeJson}
 */

/** Forwarding state of one span. */
export interface SpanForwardingJson {
  spanId: string;
  state: 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
  /** Why it failed or was skipped, or why it is waiting to be retried. */
  reason?: string;
  /** `rejected` (final server error), `auth` (wrong key), `retries-exhausted`, `queue-full`, `unavailable`. */
  failure?: 'rejected' | 'auth' | 'retries-exhausted' | 'queue-full' | 'unavailable';
  attempts: number;
  sentAtMs?: number;
  /** The span changed locally after Respan accepted it (it is not re-sent unless asked with `resend`). */
  changedSinceSent?: boolean;
}

/** Spans per forwarding state. */
export interface ForwardCountsJson {
  pending: number;
  sending: number;
  sent: number;
  failed: number;
  skipped: number;
}

/** Body of `GET /api/traces/{traceId}/forward`. */
export interface TraceForwardingJson {
  traceId: string;
  /** `failed` if any span failed, else `sending`, `pending`, `sent`, `skipped` (all left out by the filter), or `none` (never forwarded). */
  state: 'none' | 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
  counts: ForwardCountsJson;
  /** Up to 20 failed spans with their reasons. */
  failures: Array<{ spanId: string; reason: string }>;
  changedSinceSent: number;
  /** Every span of the trace the forwarder knows about. */
  spans: SpanForwardingJson[];
}

/** Body of `POST /api/traces/{traceId}/forward`; `ok` and `message` fit the webview's `ForwardResult`. */
export interface ForwardTraceJson {
  /** False when nothing could be queued or (with `wait`) some spans failed. */
  ok: boolean;
  /** One plain sentence for the user. */
  message: string;
  queued: number;
  alreadySent: number;
  /** Spans that did not fit in the queue (failed as "queue full", retryable). */
  overflowed: number;
  trace: TraceForwardingJson;
}

/** Body of `GET /api/forwarding`. */
export type ForwardingStatusJson = ForwardingStatus;

/** Body of `GET /api/forwarding/traces`: the state of every trace the forwarder knows (others are `none`). */
export interface ForwardingTracesJson {
  traces: Record<string, TraceForwardingJson['state']>;
}

/** One `forwarding` event of the live stream: traces whose spans changed forwarding state, and the new queue status. */
export type ForwardingChangeJson = ForwardingChange;

/** Body of `POST /api/forwarding/retry`. */
export interface ForwardRetryJson {
  queued: number;
  status: ForwardingStatusJson;
}

/** Body of `GET /api/traces/{traceId}/forward/preview`: exactly what forwarding the trace would send. */
export interface ForwardPreviewJson {
  url: string;
  method: 'POST';
  /** The Authorization header is shown as `Bearer [api key hidden]`. */
  headers: Record<string, string>;
  api: 'otlp' | 'ingest';
  filter: 'all' | 'sdk';
  redact: string[];
  spanCount: number;
  /** Spans the filter leaves out. */
  skippedCount: number;
  /** The request body (OTLP/JSON `ExportTraceServiceRequest`, or an array of ingest spans), redaction applied. */
  body: unknown;
  bytes: number;
}
