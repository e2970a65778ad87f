/**
 * The normalised span model. Every receiver (OTLP JSON, OTLP protobuf, OTLP/gRPC,
 * Respan ingest JSON) produces these, and everything downstream (store, query
 * API, UI, forwarder) consumes only these.
 */

import type { PricingInfo } from './cost/pricing';
import type { LogRecord } from './logs/record';

/**
 * A decoded attribute value. OTLP `AnyValue` maps onto JSON values; an
 * `intValue` outside ±2^53 is kept exact as a `bigint` (serialised as a decimal
 * string by {@link toJsonValue}); `bytesValue` becomes its base64 text.
 * Decoders nest it at most `DecodeLimits.maxDepth` deep (`nesting.ts`), which
 * is what lets every reader below recurse over it.
 */
export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

/** Attribute key → decoded value. */
export type Attributes = Record<string, AttributeValue>;

/** OTLP span kinds, by their enum names without the `SPAN_KIND_` prefix. */
export type SpanKind = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

export const SPAN_KINDS: readonly SpanKind[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** OTLP status codes, by their enum names without the `STATUS_CODE_` prefix. */
export type StatusCode = 'UNSET' | 'OK' | 'ERROR';

export const STATUS_CODES: readonly StatusCode[] = ['UNSET', 'OK', 'ERROR'];

export interface SpanStatus {
  code: StatusCode;
  message: string;
}

export interface SpanEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount?: number;
  /** Set when the event is an OTLP log record attached to its span: the record itself. */
  log?: LogRecord;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  flags?: number;
  attributes: Attributes;
  droppedAttributesCount?: number;
}

/** Instrumentation scope. Shared by reference between the spans of one `scopeSpans`. */
export interface InstrumentationScope {
  name: string;
  version?: string;
  attributes: Attributes;
}

/**
 * What a span is, for icons and for picking the right detail view. Derived once
 * at ingest from the conventions of Traceloop, Respan, OpenInference and OTel
 * GenAI (WIRE.md §4), in that order of precedence.
 */
export type DisplayKind = (typeof DISPLAY_KINDS)[number];

/** Every display kind, in a fixed order: binary forms send a kind as its position here. */
export const DISPLAY_KINDS = [
  'workflow',
  'task',
  'agent',
  'tool',
  'llm',
  'embedding',
  'retriever',
  'reranker',
  'guardrail',
  'evaluator',
  'chain',
  'handoff',
  'session',
  'http',
  'database',
  'messaging',
  'span',
] as const;

/** Token counts in any of the vocabularies senders use, normalised. */
export interface TokenUsage {
  input?: number;
  output?: number;
  total?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

/** Custom unit prices a span carries (`prompt_unit_price`, `completion_unit_price`), USD per million tokens. */
export interface UnitPrices {
  prompt?: number;
  completion?: number;
}

/** How a span's cost was obtained. */
export type CostSource = 'reported' | 'custom' | 'estimate';

/** Streaming figures of an LLM call, where the SDK reports them or the span's events allow them. */
export interface StreamingFigures {
  /** From the request to the first token (or chunk) of the answer. */
  timeToFirstTokenMs?: number;
  /** Output tokens per second while the answer streamed. */
  tokensPerSecond?: number;
  /** `reported`: the SDK sent the figure; `computed`: worked out from the first-token time, the end and the output tokens. */
  tokensPerSecondSource?: 'reported' | 'computed';
}

/**
 * A run: one process that sent spans, told apart by its resource's
 * `service.instance.id`, else its service name and `process.pid` with the
 * time its first span started. Shared by every span of the run.
 */
export interface RunInfo {
  id: string;
  /** `service · pid 1234`, or `service · <instance id>`. */
  label: string;
  /** Its `service.name` ('unknown service' without one). */
  service: string;
  /** Start time (epoch ms) of the first span seen from the run. */
  firstSeenMs: number;
}

/**
 * Respan parameters (customer, thread, trace group, …) from any of their
 * spellings: Respan's own, Traceloop association properties, OpenInference,
 * OTel GenAI and the Vercel AI SDK's telemetry metadata.
 */
export interface RespanParams {
  customerIdentifier?: string;
  customerName?: string;
  customerEmail?: string;
  /** The thread (session, conversation) the span belongs to. */
  threadIdentifier?: string;
  traceGroupIdentifier?: string;
  customIdentifier?: string;
  environment?: string;
  /** Metadata with values the SDK wrote as JSON text decoded (`"\"pro\""` → `pro`). */
  metadata?: Record<string, AttributeValue>;
  /** The attribute key each field was read from, so the details can say where a value came from. */
  sources?: Partial<Record<RespanField, string>>;
}

/** The single-valued Respan parameters (everything but metadata). */
export type RespanField = Exclude<keyof RespanParams, 'metadata' | 'sources'>;

/** Where the code that produced a span lives, from `code.*` attributes. */
export interface SourceLocation {
  filePath: string;
  line?: number;
  column?: number;
  functionName?: string;
  namespace?: string;
}

/** Fields computed once at ingest from attributes, resource and scope. */
export interface DerivedFields {
  displayKind: DisplayKind;
  /** `service.name` of the resource. */
  service?: string;
  model?: string;
  provider?: string;
  tokens?: TokenUsage;
  /** USD: reported by the sender, or priced as it entered the store (see {@link costSource}). */
  cost?: number;
  /** How {@link cost} was obtained: `reported` at decoding, the others as the span enters the store. */
  costSource?: CostSource;
  /** The prices behind a custom or estimated cost, or why none is known (shared between spans). */
  pricing?: PricingInfo;
  /** Custom unit prices the span carries. */
  unitPrices?: UnitPrices;
  /** Time to first token and tokens per second of a streamed LLM call. */
  streaming?: StreamingFigures;
  /** The process that sent the span (set as the span enters the store; shared between spans). */
  run?: RunInfo;
  respan?: RespanParams;
  sourceLocation?: SourceLocation;
  /** `traceloop.entity.name` or the Respan/ingest equivalent. */
  entityName?: string;
  entityPath?: string;
  workflowName?: string;
  /** Status ERROR, or an `exception` event, or a Respan error flag. */
  isError: boolean;
}

/** Where a span came from. */
export type SpanOrigin = 'otlp' | 'ingest';

/** One normalised span. */
export interface Span {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** 16 lowercase hex digits, or null for a root. */
  parentSpanId: string | null;
  traceState?: string;
  flags?: number;
  name: string;
  kind: SpanKind;
  /** Exact nanoseconds since the epoch. */
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** Milliseconds since the epoch (double; sub-ms precision). */
  startTimeMs: number;
  /** Non-negative, in milliseconds. */
  durationMs: number;
  status: SpanStatus;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  droppedAttributesCount?: number;
  droppedEventsCount?: number;
  droppedLinksCount?: number;
  /** Resource attributes. Shared by reference between the spans of one `resourceSpans`. */
  resource: Attributes;
  scope: InstrumentationScope;
  origin: SpanOrigin;
  derived: DerivedFields;
}

/** A span that could not be accepted, and why. */
export interface RejectedSpan {
  /** Where in the request, e.g. `resourceSpans[0].scopeSpans[1].spans[3]`. */
  path: string;
  reason: string;
}

/** What a decoder makes of one request body. */
export interface DecodeResult {
  spans: Span[];
  /** Rejected spans with reasons; only the first ones of a big request are listed. */
  rejected: RejectedSpan[];
  /**
   * Further rejected spans that are counted but not listed, so a hostile body of
   * millions of bad spans costs a counter, not millions of records.
   */
  moreRejected?: number;
}

/** The rejections a decoder of any signal reports. */
export type Rejections = Pick<DecodeResult, 'rejected' | 'moreRejected'>;

/** Every item (span, log record) a decoder rejected, listed or not. */
export function rejectedCount(result: Rejections): number {
  return result.rejected.length + (result.moreRejected ?? 0);
}

/** What a decoder rejects, in messages: spans unless told otherwise (log records). */
export interface RejectedItemNoun {
  item: string;
  items: string;
}

/** One line naming what was rejected and why (the first few, then a count). */
export function describeRejections(result: Rejections, noun: RejectedItemNoun = { item: 'span', items: 'spans' }): string {
  const total = rejectedCount(result);
  const shown = result.rejected.slice(0, 5).map((item) => `${item.path}: ${item.reason}`);
  const more = total > shown.length ? `; and ${total - shown.length} more` : '';
  return `${total} ${total === 1 ? noun.item : noun.items} rejected: ${shown.join('; ')}${more}`;
}

/**
 * Sets `target[key]` as an own property, also for the key `__proto__` (which
 * plain assignment would turn into a prototype change, losing the value).
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A request body that cannot be decoded at all. Receivers answer it with 400
 * and this message.
 */
export class MalformedPayloadError extends Error {
  override readonly name = 'MalformedPayloadError';
}

/** JSON-safe form of an attribute value: `bigint` becomes its decimal string. */
export function toJsonValue(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key in value) setOwn(out, key, toJsonValue(value[key]));
    return out;
  }
  return value;
}

/** True when `value` holds a bigint anywhere, i.e. JSON.stringify would throw on it. */
function holdsBigInt(value: AttributeValue): boolean {
  if (typeof value === 'bigint') return true;
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(holdsBigInt);
  for (const key in value) if (holdsBigInt(value[key])) return true;
  return false;
}

/**
 * JSON-safe form of an attribute map. Returns the map itself when it holds no
 * bigint (the common case: attribute maps are never mutated after ingest).
 */
export function toJsonAttributes(attributes: Attributes): Record<string, unknown> {
  let needsCopy = false;
  for (const key in attributes) {
    if (holdsBigInt(attributes[key])) {
      needsCopy = true;
      break;
    }
  }
  if (!needsCopy) return attributes;
  const out: Record<string, unknown> = {};
  for (const key in attributes) setOwn(out, key, toJsonValue(attributes[key]));
  return out;
}
