/**
 * Pieces shared by the OTLP JSON and protobuf decoders: enum mapping, decode
 * limits, and the final assembly of a normalised span.
 */

import { deriveFields } from '../derive';
import { streamingOf } from '../llm/streaming';
import { nanosToMillis } from '../encoding';
import type { Attributes, DerivedFields, InstrumentationScope, Rejections, Span, SpanEvent, SpanKind, SpanLink, SpanOrigin, SpanStatus, StatusCode } from '../model';
import { SPAN_KINDS, STATUS_CODES } from '../model';
import { MAX_NESTING_DEPTH } from '../nesting';

/**
 * Bounds that keep one hostile or buggy span from exhausting memory. Values
 * past a bound are truncated with a visible marker, never silently dropped.
 */
export interface DecodeLimits {
  /** Characters kept of one string value. */
  maxStringLength: number;
  /** Attributes kept per span, event, link, resource or scope. */
  maxAttributes: number;
  /** Nesting depth of array/kvlist values. */
  maxDepth: number;
  /** Items kept of one array or kvlist value. */
  maxArrayLength: number;
  /** Events kept per span. */
  maxEvents: number;
  /** Links kept per span. */
  maxLinks: number;
  /**
   * Spans (or log records) taken from one request; the rest are rejected (and
   * counted). Bounds the memory one request can claim. Default 100,000.
   */
  maxSpansPerRequest?: number;
}

/** Generous defaults: real LLM prompts run to hundreds of kilobytes. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxStringLength: 1_000_000,
  maxAttributes: 2_000,
  maxDepth: MAX_NESTING_DEPTH,
  maxArrayLength: 10_000,
  maxEvents: 1_000,
  maxLinks: 1_000,
  maxSpansPerRequest: 100_000,
};

/** Rejections listed one by one per request; later ones are only counted. */
export const MAX_LISTED_REJECTIONS = 100;

/** Records a rejected span (or log record) in `result`: listed while the list is short, counted after. */
export function rejectSpan(result: Rejections, path: () => string, reason: string): void {
  if (result.rejected.length < MAX_LISTED_REJECTIONS) result.rejected.push({ path: path(), reason });
  else result.moreRejected = (result.moreRejected ?? 0) + 1;
}

/** The reason given for spans, or the log records named by `items`, past {@link DecodeLimits.maxSpansPerRequest}. */
export function overSpanLimit(limits: DecodeLimits, items = 'spans'): string {
  return `over the limit of ${spanLimitOf(limits)} ${items} per request`;
}

/**
 * Spans (or log records, or ingest items) a decoder in steps reads between two
 * pauses: 512 small spans take about 1.5 ms, 512 with a dozen attributes each
 * about 4 ms (the decoders run to the end at once through `runToEnd`, or give
 * other work a turn between steps through `runInSteps`).
 */
export const DECODE_STEP_SPANS = 512;

/** {@link DecodeLimits.maxSpansPerRequest} or its default. */
export function spanLimitOf(limits: DecodeLimits): number {
  return limits.maxSpansPerRequest ?? 100_000;
}

/**
 * A copy of `text` that shares no characters with it: a V8 slice keeps its
 * whole parent alive, and the store charges only what it keeps.
 */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** `text` cut at `limit` characters, with a marker saying how many were cut. */
export function truncated(text: string, limit: number): string {
  return `${detached(text.slice(0, limit))}…[truncated ${text.length - limit} characters]`;
}

/**
 * Characters kept of a span's or link's `traceState`. W3C Trace Context has
 * vendors propagate up to 512 characters, so a longer one is not a trace state
 * worth its memory.
 */
export const MAX_TRACE_STATE_LENGTH = 512;

/** List members longer than this are the first a vendor drops to fit (W3C Trace Context). */
const LONG_TRACE_STATE_MEMBER = 128;

/**
 * A `traceState` as kept. Past {@link MAX_TRACE_STATE_LENGTH} (or the string
 * limit, if lower) whole list members are dropped, the long ones first, then
 * from the right, as W3C Trace Context tells a vendor to: what is kept is still
 * a valid trace state, so it forwards as one. Empty when no member fits.
 */
export function traceStateText(value: string, limits: DecodeLimits): string {
  const limit = Math.min(MAX_TRACE_STATE_LENGTH, limits.maxStringLength);
  if (value.length <= limit) return value;
  let kept = '';
  for (let start = 0; start < value.length; ) {
    const comma = value.indexOf(',', start);
    const end = comma < 0 ? value.length : comma;
    const member = value.slice(start, end).trim();
    start = end + 1;
    if (member === '' || member.length > LONG_TRACE_STATE_MEMBER) continue;
    const next = kept === '' ? member : `${kept},${member}`;
    if (next.length > limit) break;
    kept = next;
  }
  return detached(kept);
}

export { TOO_DEEP } from '../nesting';

/** Span kind from an OTLP enum number or name (`SPAN_KIND_CLIENT`, `CLIENT`, any case). */
export function spanKindOf(value: unknown): SpanKind {
  if (typeof value === 'number') return SPAN_KINDS[value] ?? 'UNSPECIFIED';
  if (typeof value === 'string') {
    const name = value.toUpperCase().replace(/^SPAN_KIND_/, '');
    if ((SPAN_KINDS as readonly string[]).includes(name)) return name as SpanKind;
    if (/^\d+$/.test(value)) return SPAN_KINDS[Number(value)] ?? 'UNSPECIFIED';
  }
  return 'UNSPECIFIED';
}

/** Status code from an OTLP enum number or name (`STATUS_CODE_ERROR`, `ERROR`, any case). */
export function statusCodeOf(value: unknown): StatusCode {
  if (typeof value === 'number') return STATUS_CODES[value] ?? 'UNSET';
  if (typeof value === 'string') {
    const name = value.toUpperCase().replace(/^STATUS_CODE_/, '');
    if ((STATUS_CODES as readonly string[]).includes(name)) return name as StatusCode;
    if (/^\d+$/.test(value)) return STATUS_CODES[Number(value)] ?? 'UNSET';
  }
  return 'UNSET';
}

/** Everything a decoder has read of one span, before derivation. */
export interface SpanParts {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState?: string;
  flags?: number;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  statusCode: StatusCode;
  statusMessage: string;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
  resource: Attributes;
  scope: InstrumentationScope;
  origin: SpanOrigin;
  /**
   * The start and duration in milliseconds, when the decoder has them cheaper
   * than bigint arithmetic; must equal what {@link assembleSpan} computes.
   */
  startTimeMs?: number;
  durationMs?: number;
}

/*
 * Values shared by every span that has them, so a million retained spans do
 * not hold a million equal copies. Frozen: spans are never mutated after
 * decoding, and freezing makes sure sharing cannot leak a change.
 */
const NO_EVENTS = Object.freeze([]) as unknown as SpanEvent[];
const NO_LINKS = Object.freeze([]) as unknown as SpanLink[];
const BARE_STATUS: Record<StatusCode, SpanStatus> = {
  UNSET: Object.freeze({ code: 'UNSET', message: '' }),
  OK: Object.freeze({ code: 'OK', message: '' }),
  ERROR: Object.freeze({ code: 'ERROR', message: '' }),
};

/** Assembles a normalised span and computes its derived fields. */
export function assembleSpan(parts: SpanParts): Span {
  const end = parts.endTimeUnixNano >= parts.startTimeUnixNano ? parts.endTimeUnixNano : parts.startTimeUnixNano;
  const span: Span = {
    traceId: parts.traceId,
    spanId: parts.spanId,
    parentSpanId: parts.parentSpanId,
    name: parts.name,
    kind: parts.kind,
    startTimeUnixNano: parts.startTimeUnixNano,
    endTimeUnixNano: parts.endTimeUnixNano,
    startTimeMs: parts.startTimeMs ?? nanosToMillis(parts.startTimeUnixNano),
    durationMs: parts.durationMs ?? nanosToMillis(end - parts.startTimeUnixNano),
    status: parts.statusMessage === '' ? BARE_STATUS[parts.statusCode] : { code: parts.statusCode, message: parts.statusMessage },
    attributes: parts.attributes,
    events: parts.events.length === 0 ? NO_EVENTS : parts.events,
    links: parts.links.length === 0 ? NO_LINKS : parts.links,
    resource: parts.resource,
    scope: parts.scope,
    origin: parts.origin,
    derived: deriveFields(parts.attributes, parts.resource, parts.statusCode, parts.events, parts.name),
  };
  if (span.derived.displayKind === 'llm') {
    const streaming = streamingOf(span.attributes, span.events, span.startTimeUnixNano, span.durationMs, span.derived.tokens);
    if (streaming) span.derived.streaming = streaming;
  }
  if (parts.traceState) span.traceState = parts.traceState;
  if (parts.flags) span.flags = parts.flags;
  if (parts.droppedAttributesCount) span.droppedAttributesCount = parts.droppedAttributesCount;
  if (parts.droppedEventsCount) span.droppedEventsCount = parts.droppedEventsCount;
  if (parts.droppedLinksCount) span.droppedLinksCount = parts.droppedLinksCount;
  return span;
}

/** The derived fields `span` would have with `events` instead of its own: attaching log records recomputes them. */
export function derivedWithEvents(span: Span, events: readonly SpanEvent[]): DerivedFields {
  return deriveFields(span.attributes, span.resource, span.status.code, events, span.name);
}
