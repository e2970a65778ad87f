/**
 * JSON shapes of the local query API (`GET /api/traces`, `GET /api/traces/{id}`,
 * the `/api/events` live stream). Scripts depend on these: change them only by
 * adding fields. The same shapes travel inside webview messages.
 */

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
  /** USD, summed over spans that carry a cost. */
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
 * name `change`): what changed in the store since the previous event.
 */
export interface StoreChangeJson {
  added: string[];
  updated: string[];
  evicted: string[];
  /** True when the store was cleared before the other changes happened. */
  cleared: boolean;
  /** Spans in the store after the change. */
  spanCount: number;
  traceCount: number;
}

/** Error body of every query API failure. */
export interface ApiErrorJson {
  error: string;
}
