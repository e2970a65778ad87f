/**
 * Respan ingest API decoding (`/api/v1/traces/ingest` and friends, WIRE.md §3):
 * span objects with string ids, RFC3339 times and LLM fields at the top level.
 * Every field other than ids and times is kept as an attribute under its own
 * name, so the derivation rules and the UI see it like any other attribute.
 */

import { describe, millisToNanos } from './encoding';
import type { AttributeValue, Attributes, DecodeResult, InstrumentationScope, Span, StatusCode } from './model';
import { MalformedPayloadError, setOwn } from './model';
import { runToEnd } from './steps';
import { DECODE_STEP_SPANS, DEFAULT_DECODE_LIMITS, TOO_DEEP, assembleSpan, overSpanLimit, rejectSpan, spanLimitOf, truncated, type DecodeLimits } from './otlp/common';

/**
 * Fields read into the span's own times rather than kept as attributes. The
 * ids stay attributes too (`span_parent_id` only when there is a parent), so
 * forwarding in ingest form sends them back exactly as they came.
 */
const STRUCTURAL_FIELDS = new Set(['start_time', 'timestamp']);

const HEX = /^[0-9a-f]+$/;

/** 32-bit FNV-1a of `text` with a seed, as 8 hex digits. */
function fnv1a(text: string, seed: number): string {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * A hex id of `byteLength` bytes for an ingest id. Hex ids (and UUIDs) of the
 * right length are used as they are, so ids shared with OTLP senders line up;
 * any other string is hashed deterministically, so a re-sent span gets the same id.
 */
export function ingestIdToHex(id: string, byteLength: 16 | 8): string {
  const compact = id.toLowerCase().replace(/-/g, '');
  if (compact.length === byteLength * 2 && HEX.test(compact) && !/^0+$/.test(compact)) return compact;
  let hex = '';
  for (let seed = 0; hex.length < byteLength * 2; seed++) hex += fnv1a(id, seed * 0x9e3779b1);
  return hex;
}

/** Milliseconds an int64 of nanoseconds spans either side of the epoch. */
const MAX_INT64_MILLIS = 9_223_372_036_854;

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Nanoseconds since the epoch of an RFC3339 time (fractions to the nanosecond;
 * no zone means UTC), or of a number of epoch seconds or milliseconds.
 */
export function parseIngestTime(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Epoch seconds are below 1e11 for the next few thousand years; larger numbers are milliseconds.
    const millis = value < 1e11 ? value * 1000 : value;
    // Only times an int64 of nanoseconds can hold (years 1678 to 2262), as in OTLP; beyond, ±1e308 s overflows to infinity.
    return Math.abs(millis) <= MAX_INT64_MILLIS ? millisToNanos(millis) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = RFC3339.exec(value.trim());
  if (!match) return undefined;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  const seconds = Date.parse(`${date}T${time}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt(fraction.slice(0, 9).padEnd(9, '0'));
}

function toAttribute(value: unknown, limits: DecodeLimits, depth: number): AttributeValue {
  if (typeof value === 'string') return value.length > limits.maxStringLength ? truncated(value, limits.maxStringLength) : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (depth >= limits.maxDepth) return TOO_DEEP;
  if (Array.isArray(value)) return value.slice(0, limits.maxArrayLength).map((item) => toAttribute(item, limits, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, AttributeValue> = {};
    let count = 0;
    for (const key in value as Record<string, unknown>) {
      if (count++ >= limits.maxArrayLength) break;
      setOwn(out, key, toAttribute((value as Record<string, unknown>)[key], limits, depth + 1));
    }
    return out;
  }
  return null;
}

/**
 * False for a field that is absent or null. Respan's Python exporters dump
 * every field of their model, the unset ones as null: null says nothing.
 */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function idField(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function statusOf(item: Record<string, unknown>): { code: StatusCode; message: string } {
  const message = typeof item.error_message === 'string' ? item.error_message : '';
  const statusCode = typeof item.status_code === 'number' ? item.status_code : typeof item.status_code === 'string' ? Number(item.status_code) : NaN;
  const status = typeof item.status === 'string' ? item.status.toLowerCase() : '';
  const failed = item.error_bit === 1 || item.error_bit === true || statusCode >= 400 || status === 'error' || status === 'failed';
  // Respan's Haystack exporter puts a failed component's error in `warnings`.
  if (failed) return { code: 'ERROR', message: message || (typeof item.warnings === 'string' ? item.warnings : '') };
  if (Number.isFinite(statusCode) || status === 'success') return { code: 'OK', message };
  return { code: message ? 'ERROR' : 'UNSET', message };
}

const INGEST_SCOPE: InstrumentationScope = { name: 'respan.ingest', attributes: {} };

/** Options for {@link decodeIngest}. */
export interface IngestDecodeOptions {
  limits?: DecodeLimits;
  /** Clock for spans that carry no time at all. */
  nowMs?: () => number;
}

function decodeItem(item: unknown, resource: Attributes, limits: DecodeLimits, nowMs: () => number): Span | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return `span must be an object, got ${describe(item)}`;
  const fields = item as Record<string, unknown>;
  const spanKey = idField(fields.span_unique_id);
  if (spanKey === undefined) return 'span_unique_id is required';
  // Respan's LiteLLM exporter sends no trace id for a call made outside a trace: it is a trace of its own.
  const traceKey = idField(fields.trace_unique_id) ?? spanKey;
  const parentKey = idField(fields.span_parent_id);

  const latencyMs = typeof fields.latency === 'number' && fields.latency >= 0 ? fields.latency * 1000 : undefined;
  if (latencyMs !== undefined && !Number.isFinite(latencyMs)) return `latency ${describe(fields.latency)} is not a duration in seconds`;
  let start = parseIngestTime(fields.start_time);
  // `timestamp` is when the span ended.
  let end = parseIngestTime(fields.timestamp);
  if (isSet(fields.start_time) && start === undefined) return `start_time ${describe(fields.start_time)} is not an RFC3339 time`;
  if (isSet(fields.timestamp) && end === undefined) return `timestamp ${describe(fields.timestamp)} is not an RFC3339 time`;
  const latencyNs = latencyMs === undefined ? undefined : millisToNanos(latencyMs);
  if (start === undefined && end !== undefined) start = latencyNs === undefined ? end : end - latencyNs;
  if (end === undefined && start !== undefined) end = latencyNs === undefined ? start : start + latencyNs;
  if (start === undefined || end === undefined) {
    end = millisToNanos(nowMs());
    start = latencyNs === undefined ? end : end - latencyNs;
  }

  const attributes: Attributes = {};
  for (const key in fields) {
    if (STRUCTURAL_FIELDS.has(key) || !isSet(fields[key]) || (key === 'span_parent_id' && parentKey === undefined)) continue;
    setOwn(attributes, key, toAttribute(fields[key], limits, 0));
  }
  const status = statusOf(fields);
  const fullName = idField(fields.span_name) ?? idField(fields.span_workflow_name) ?? idField(fields.trace_name) ?? idField(fields.log_type) ?? 'span';
  const name = fullName.length > limits.maxStringLength ? truncated(fullName, limits.maxStringLength) : fullName;
  return assembleSpan({
    traceId: ingestIdToHex(traceKey, 16),
    spanId: ingestIdToHex(spanKey, 8),
    parentSpanId: parentKey === undefined ? null : ingestIdToHex(parentKey, 8),
    name,
    kind: 'INTERNAL',
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    statusCode: status.code,
    statusMessage: status.message,
    attributes,
    events: [],
    links: [],
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    resource,
    scope: INGEST_SCOPE,
    origin: 'ingest',
  });
}

/**
 * Decodes a parsed Respan ingest body: a raw array of span objects, `{"data": [...]}`,
 * or a single span object. Throws {@link MalformedPayloadError} for any other shape.
 */
export function decodeIngest(body: unknown, options: IngestDecodeOptions = {}): DecodeResult {
  return runToEnd(decodeIngestInSteps(body, options));
}

/** {@link decodeIngest} in steps: pauses every {@link DECODE_STEP_SPANS} spans (the body must not change meanwhile). */
export function* decodeIngestInSteps(body: unknown, options: IngestDecodeOptions = {}): Generator<void, DecodeResult> {
  const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  const nowMs = options.nowMs ?? Date.now;
  let items: unknown[];
  if (Array.isArray(body)) items = body;
  else if (typeof body === 'object' && body !== null && Array.isArray((body as { data?: unknown }).data)) items = (body as { data: unknown[] }).data;
  else if (typeof body === 'object' && body !== null && ('trace_unique_id' in body || 'span_unique_id' in body)) items = [body];
  else throw new MalformedPayloadError(`a Respan ingest body must be an array of spans or {"data": [...]}, got ${describe(body)}`);

  const result: DecodeResult = { spans: [], rejected: [] };
  const resource: Attributes = {};
  const spanLimit = spanLimitOf(limits);
  for (let index = 0; index < items.length; index++) {
    if (index % DECODE_STEP_SPANS === DECODE_STEP_SPANS - 1) yield;
    const path = () => `[${index}]`;
    if (index >= spanLimit) {
      rejectSpan(result, path, overSpanLimit(limits));
      continue;
    }
    const span = decodeItem(items[index], resource, limits, nowMs);
    if (typeof span === 'string') rejectSpan(result, path, span);
    else result.spans.push(span);
  }
  return result;
}
