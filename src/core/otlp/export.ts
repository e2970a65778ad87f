/**
 * Encodes normalised spans back into an OTLP/JSON `ExportTraceServiceRequest`:
 * the `/api/traces/{id}/otlp` download, the forwarder's payload, and the shape
 * any OTLP receiver (this one included) accepts unchanged.
 */

import type { AttributeValue, Attributes, InstrumentationScope, Span } from '../model';
import { SPAN_KINDS, STATUS_CODES } from '../model';
import { runToEnd } from '../steps';

/** OTLP/JSON `AnyValue`. */
export type OtlpJsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpJsonAnyValue[] } }
  | { kvlistValue: { values: OtlpJsonKeyValue[] } }
  | Record<string, never>;

/** OTLP/JSON `KeyValue`. */
export interface OtlpJsonKeyValue {
  key: string;
  value: OtlpJsonAnyValue;
}

/** OTLP/JSON span, as written by {@link encodeOtlpJson}. */
export interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  flags?: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpJsonKeyValue[];
  droppedAttributesCount?: number;
  events: Array<{ timeUnixNano: string; name: string; attributes: OtlpJsonKeyValue[]; droppedAttributesCount?: number }>;
  droppedEventsCount?: number;
  links: Array<{ traceId: string; spanId: string; traceState?: string; attributes: OtlpJsonKeyValue[] }>;
  droppedLinksCount?: number;
  status: { code: number; message?: string };
}

/** OTLP/JSON `ExportTraceServiceRequest`. */
export interface OtlpJsonExportRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpJsonKeyValue[] };
    scopeSpans: Array<{
      scope: { name: string; version?: string; attributes: OtlpJsonKeyValue[] };
      spans: OtlpJsonSpan[];
    }>;
  }>;
}

/** OTLP/JSON `AnyValue` of an attribute value. Whole numbers become `intValue`. */
export function encodeAnyValue(value: AttributeValue): OtlpJsonAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (value === null) return {};
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encodeAnyValue) } };
  return { kvlistValue: { values: encodeAttributes(value) } };
}

/** OTLP/JSON key/value list of an attribute map. */
export function encodeAttributes(attributes: Attributes): OtlpJsonKeyValue[] {
  const out: OtlpJsonKeyValue[] = [];
  for (const key in attributes) out.push({ key, value: encodeAnyValue(attributes[key]) });
  return out;
}

/** One span in OTLP/JSON. */
export function encodeSpan(span: Span): OtlpJsonSpan {
  const out: OtlpJsonSpan = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    kind: SPAN_KINDS.indexOf(span.kind),
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: encodeAttributes(span.attributes),
    events: span.events.map((event) => ({
      timeUnixNano: event.timeUnixNano.toString(),
      name: event.name,
      attributes: encodeAttributes(event.attributes),
      ...(event.droppedAttributesCount ? { droppedAttributesCount: event.droppedAttributesCount } : {}),
    })),
    links: span.links.map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      ...(link.traceState ? { traceState: link.traceState } : {}),
      attributes: encodeAttributes(link.attributes),
    })),
    status: { code: STATUS_CODES.indexOf(span.status.code), ...(span.status.message ? { message: span.status.message } : {}) },
  };
  if (span.parentSpanId !== null) out.parentSpanId = span.parentSpanId;
  if (span.traceState) out.traceState = span.traceState;
  if (span.flags) out.flags = span.flags;
  if (span.droppedAttributesCount) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.droppedEventsCount) out.droppedEventsCount = span.droppedEventsCount;
  if (span.droppedLinksCount) out.droppedLinksCount = span.droppedLinksCount;
  return out;
}

/**
 * Spans as one OTLP/JSON export request, grouped by their resource and scope
 * (spans decoded from one `resourceSpans`/`scopeSpans` share those objects, so
 * the grouping of the original request comes back).
 */
export function encodeOtlpJson(spans: Iterable<Span>): OtlpJsonExportRequest {
  return runToEnd(encodeOtlpJsonInSteps(spans));
}

/** Spans encoded between the pauses of {@link encodeOtlpJsonInSteps}. */
const ENCODE_STEP_SPANS = 1000;

/** {@link encodeOtlpJson} pausing every {@link ENCODE_STEP_SPANS} spans, for `runInSteps`. */
export function* encodeOtlpJsonInSteps(spans: Iterable<Span>): Generator<void, OtlpJsonExportRequest> {
  const byResource = new Map<Attributes, Map<InstrumentationScope, OtlpJsonSpan[]>>();
  let encoded = 0;
  for (const span of spans) {
    if (++encoded % ENCODE_STEP_SPANS === 0) yield;
    let byScope = byResource.get(span.resource);
    if (byScope === undefined) byResource.set(span.resource, (byScope = new Map()));
    let list = byScope.get(span.scope);
    if (list === undefined) byScope.set(span.scope, (list = []));
    list.push(encodeSpan(span));
  }
  return {
    resourceSpans: [...byResource].map(([resource, byScope]) => ({
      resource: { attributes: encodeAttributes(resource) },
      scopeSpans: [...byScope].map(([scope, list]) => ({
        scope: { name: scope.name, ...(scope.version ? { version: scope.version } : {}), attributes: encodeAttributes(scope.attributes) },
        spans: list,
      })),
    })),
  };
}

/** Levels of an OTLP/JSON export written member by member: request, resourceSpans, scopeSpans, down to each span written whole. */
export const OTLP_JSON_PIECE_DEPTH = 6;
