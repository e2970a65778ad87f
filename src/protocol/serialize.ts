/**
 * Turns store contents into the query API's JSON shapes (`api.ts`). Used by the
 * HTTP query API and by the VS Code host when it answers the webview.
 */

import type { LogRecord } from '../core/logs/record';
import type { Attributes, RunInfo, Span, SpanEvent } from '../core/model';
import { toJsonAttributes, toJsonValue } from '../core/model';
import { costCountedElsewhere, tokensCountedElsewhere } from '../core/rollup';
import { runToEnd } from '../core/steps';
import type { RunSummary, TraceEntry, TraceTree } from '../core/store';
import type { LeanTraceHeadJson, LogRecordJson, RunJson, RunSummaryJson, SpanEventJson, SpanJson, TraceDetailJson, TraceSummaryJson } from './api';

function firstKey(counts: Map<string, number>): string | null {
  for (const key of counts.keys()) return key;
  return null;
}

/** The list row of one trace. */
export function summaryJson(entry: TraceEntry): TraceSummaryJson {
  const head = entry.rootSpan ?? entry.earliestSpan;
  const tokens = entry.tokens;
  return {
    traceId: entry.traceId,
    name: head?.name ?? '',
    kind: head?.derived.displayKind ?? 'span',
    spanCount: entry.spans.size,
    errorCount: entry.errorCount,
    orphanCount: entry.orphanCount,
    startTimeMs: entry.startTimeMs,
    durationMs: Math.max(0, entry.endTimeMs - entry.startTimeMs),
    updatedAtMs: entry.updatedAtMs,
    service: head?.derived.service ?? firstKey(entry.facets.services),
    services: [...entry.facets.services.keys()],
    models: [...entry.facets.models.keys()],
    tokens: Object.fromEntries(Object.entries(tokens).filter(([, value]) => value !== 0)),
    cost: entry.costedSpans > 0 ? entry.cost : null,
    costEstimated: entry.estimatedCostSpans > 0,
    run: runJson(head?.derived.run),
    customerIdentifier: head?.derived.respan?.customerIdentifier ?? firstKey(entry.facets.customers),
    threadIdentifier: head?.derived.respan?.threadIdentifier ?? firstKey(entry.facets.threads),
    traceGroupIdentifier: head?.derived.respan?.traceGroupIdentifier ?? firstKey(entry.facets.traceGroups),
    environment: head?.derived.respan?.environment ?? firstKey(entry.facets.environments),
    pinned: entry.pinned,
  };
}

function runJson(run: RunInfo | undefined): RunJson | null {
  return run === undefined ? null : { id: run.id, label: run.label, firstSeenMs: run.firstSeenMs };
}

/** One row of `GET /api/runs`. */
export function runSummaryJson(summary: RunSummary): RunSummaryJson {
  return {
    ...runJson(summary.run)!,
    service: summary.run.service,
    lastSeenMs: summary.lastSeenMs,
    traceCount: summary.traceCount,
    spanCount: summary.spanCount,
    errorCount: summary.errorCount,
    tokens: Object.fromEntries(Object.entries(summary.tokens).filter(([, value]) => value !== 0)),
    cost: summary.cost ?? null,
    costEstimated: summary.costEstimated,
  };
}

const jsonAttributesCache = new WeakMap<Attributes, Record<string, unknown>>();

/** JSON attributes, converted once per shared resource/scope object. */
function sharedAttributesJson(attributes: Attributes): Record<string, unknown> {
  let json = jsonAttributesCache.get(attributes);
  if (json === undefined) jsonAttributesCache.set(attributes, (json = toJsonAttributes(attributes)));
  return json;
}

/** One span of `entry` in the query API's shape. */
export function spanJson(span: Span, orphan: boolean, entry: TraceEntry): SpanJson {
  const derived = span.derived;
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    status: span.status,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    startTimeMs: span.startTimeMs,
    durationMs: span.durationMs,
    attributes: toJsonAttributes(span.attributes),
    events: span.events.map(spanEventJson),
    links: span.links.map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      ...(link.traceState ? { traceState: link.traceState } : {}),
      attributes: toJsonAttributes(link.attributes),
    })),
    resource: sharedAttributesJson(span.resource),
    scope: {
      name: span.scope.name,
      ...(span.scope.version ? { version: span.scope.version } : {}),
      attributes: sharedAttributesJson(span.scope.attributes),
    },
    orphan,
    displayKind: derived.displayKind,
    service: derived.service ?? null,
    model: derived.model ?? null,
    provider: derived.provider ?? null,
    tokens: derived.tokens ?? null,
    cost: derived.cost ?? null,
    tokensCountedInDescendant: tokensCountedElsewhere(entry, span),
    costCountedInDescendant: costCountedElsewhere(entry, span),
    costSource: derived.costSource ?? null,
    pricing: derived.pricing ?? null,
    streaming: derived.streaming ?? null,
    run: runJson(derived.run),
    respan: derived.respan ? { ...derived.respan, ...(derived.respan.metadata ? { metadata: toJsonValue(derived.respan.metadata) as Record<string, never> } : {}) } : null,
    sourceLocation: derived.sourceLocation ?? null,
    entityName: derived.entityName ?? null,
    entityPath: derived.entityPath ?? null,
    workflowName: derived.workflowName ?? null,
    isError: derived.isError,
    origin: span.origin,
  };
}

/** Milliseconds (double, microsecond precision) of nanoseconds since the epoch. */
function millisOf(nanos: bigint): number {
  return Number(nanos / 1000n) / 1000;
}

function spanEventJson(event: SpanEvent): SpanEventJson {
  const json: SpanEventJson = {
    name: event.name,
    timeUnixNano: event.timeUnixNano.toString(),
    timeMs: millisOf(event.timeUnixNano),
    attributes: toJsonAttributes(event.attributes),
  };
  if (event.log !== undefined) {
    json.log = { severityNumber: event.log.severityNumber, severityText: event.log.severityText, observedTimeUnixNano: event.log.observedTimeUnixNano.toString() };
  }
  return json;
}

/** One log record in the query API's shape. */
export function logRecordJson(record: LogRecord): LogRecordJson {
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    timeUnixNano: record.timeUnixNano.toString(),
    timeMs: millisOf(record.timeUnixNano),
    observedTimeUnixNano: record.observedTimeUnixNano.toString(),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    eventName: record.eventName,
    body: toJsonValue(record.body),
    attributes: toJsonAttributes(record.attributes),
    resource: sharedAttributesJson(record.resource),
    scope: {
      name: record.scope.name,
      ...(record.scope.version ? { version: record.scope.version } : {}),
      attributes: sharedAttributesJson(record.scope.attributes),
    },
  };
}

/** A whole trace in the query API's shape. */
export function traceDetailJson(tree: TraceTree): TraceDetailJson {
  return runToEnd(traceDetailJsonInSteps(tree));
}

/** Spans written between the pauses of {@link traceDetailJsonInSteps}. */
const DETAIL_STEP_SPANS = 1000;

/** {@link traceDetailJson} pausing every {@link DETAIL_STEP_SPANS} spans, for `runInSteps`. */
export function* traceDetailJsonInSteps(tree: TraceTree): Generator<void, TraceDetailJson> {
  const spans: SpanJson[] = new Array(tree.spans.length);
  for (let i = 0; i < tree.spans.length; i++) {
    if (i % DETAIL_STEP_SPANS === DETAIL_STEP_SPANS - 1) yield;
    const span = tree.spans[i];
    spans[i] = spanJson(span, tree.orphans.has(span.spanId), tree.entry);
  }
  return {
    traceId: tree.entry.traceId,
    roots: tree.roots,
    spans,
    summary: summaryJson(tree.entry),
    logs: tree.entry.logs?.unattached().map(logRecordJson) ?? [],
  };
}

/** The head of a trace's lean form: its summary and the logs that belong to no span. */
export function leanTraceHeadJson(entry: TraceEntry): LeanTraceHeadJson {
  return { traceId: entry.traceId, summary: summaryJson(entry), logs: entry.logs?.unattached().map(logRecordJson) ?? [] };
}

