/**
 * JSON shapes of the local query API (`GET /api/traces`, `GET /api/traces/{id}`,
 * the `/api/events` live stream). Scripts depend on these: change them only by
 * adding fields. The same shapes travel inside webview messages.
 */

import type { ForwardingChange, ForwardingStatus } from '../core/forward/forwarder';
import type { StoreChange } from '../core/store';
import type { DisplayKind, RespanParams, SourceLocation, SpanKind, StatusCode, TokenUsage } from '../core/model';

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
  /** USD, summed over spans that carry a cost, each LLM call counted once (see `SpanJson.costCountedInDescendant`). */
  cost: number | null;
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
}

/** One value of a facet and how many traces have it on at least one span. */
export interface FacetValueJson {
  value: string;
  traces: number;
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
}

/** A span event, with its exact time as a decimal string. */
export interface SpanEventJson {
  name: string;
  timeUnixNano: string;
  timeMs: number;
  attributes: Record<string, unknown>;
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
  respan: RespanParams | null;
  sourceLocation: SourceLocation | null;
  entityName: string | null;
  entityPath: string | null;
  workflowName: string | null;
  isError: boolean;
  origin: 'otlp' | 'ingest';
}

/** Body of `GET /api/traces/{traceId}`. */
export interface TraceDetailJson {
  traceId: string;
  /** Root span ids, including orphans, ordered by start time. */
  roots: string[];
  /** Spans ordered by start time. */
  spans: SpanJson[];
  summary: TraceSummaryJson;
}

/**
 * One event of the live stream (`GET /api/events`, Server-Sent Events, event
 * name `change`): what changed in the store since the previous event. The
 * store's own change event is already JSON-safe and travels unchanged.
 */
export type StoreChangeJson = StoreChange;

/** Error body of every query API failure. */
export interface ApiErrorJson {
  error: string;
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
