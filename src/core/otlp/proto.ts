/**
 * OTLP protobuf decoding (HTTP `application/x-protobuf` and gRPC) and the
 * protobuf answers receivers send back.
 */

import { longToBigInt, type LongLike } from '../encoding';
import type { Attributes, DecodeResult, InstrumentationScope, Span, SpanEvent, SpanLink } from '../model';
import { MalformedPayloadError, rejectedCount } from '../model';
import { runToEnd } from '../steps';
import { DECODE_STEP_SPANS, DEFAULT_DECODE_LIMITS, assembleSpan, overSpanLimit, rejectSpan, spanKindOf, spanLimitOf, statusCodeOf, traceStateText, type DecodeLimits } from './common';
import { FIXED32, FIXED64, LEN, ProtoMessageReader, TWO_POW_32, VARINT, hex16, hex8, idProblem, isWireFailure, outOfRange, uint64 } from './protoWire';
import { RequestIds } from './requestIds';
import { OtlpTypes } from './schema';

/**
 * Milliseconds of the unsigned 64-bit nanoseconds `high:low`, exactly as
 * `nanosToMillis` computes them, without bigint arithmetic: with
 * 2^32 = 4294 * 10^6 + 967296, the whole milliseconds and the remainder are
 * integers below 2^53, so every step is exact in doubles.
 */
function millisOf(low: number, high: number): number {
  const rest = high * 967296 + low;
  const remainder = rest % 1e6;
  const whole = high * 4294 + (rest - remainder) / 1e6;
  return whole + remainder / 1e6;
}

/** Milliseconds from start to end (0 when the end is before the start), as `assembleSpan` computes them. */
function durationMillis(startLow: number, startHigh: number, endLow: number, endHigh: number): number {
  if (endHigh < startHigh || (endHigh === startHigh && endLow < startLow)) return 0;
  // Subtract with a borrow from the high half.
  return endLow >= startLow ? millisOf(endLow - startLow, endHigh - startHigh) : millisOf(endLow - startLow + TWO_POW_32, endHigh - startHigh - 1);
}

/**
 * Walks the protobuf wire format of an `ExportTraceServiceRequest` and builds
 * spans as it reads (see {@link ProtoMessageReader}): events, links and spans
 * past a limit are skipped and counted.
 */
class ProtoRequestDecoder extends ProtoMessageReader {
  private spanBudget: number;
  /** Spans left to read before the next pause. */
  private untilPause = DECODE_STEP_SPANS;
  private readonly ids: RequestIds;

  constructor(
    bytes: Uint8Array,
    limits: DecodeLimits,
    private readonly result: DecodeResult,
  ) {
    super(bytes, limits);
    this.ids = new RequestIds(this.buf);
    this.spanBudget = spanLimitOf(limits);
  }

  /** Reads the request, pausing every {@link DECODE_STEP_SPANS} spans. */
  *request(): Generator<void, void> {
    const end = this.reader.len;
    let r = 0;
    for (let groupEnd = this.nextMessage(end, 1); groupEnd >= 0; groupEnd = this.nextMessage(end, 1)) yield* this.resourceSpans(groupEnd, r++);
  }

  private *resourceSpans(end: number, r: number): Generator<void, void> {
    const resource: Attributes = {};
    // instrumentationLibrarySpans (1000) is the pre-1.0 name, read only when scopeSpans is absent.
    const spansField = this.groupResource(end, resource) ? 2 : 1000;
    let s = 0;
    for (let scopeEnd = this.nextMessage(end, spansField); scopeEnd >= 0; scopeEnd = this.nextMessage(end, spansField)) yield* this.scopeSpans(scopeEnd, resource, r, s++);
  }

  private *scopeSpans(end: number, resource: Attributes, r: number, s: number): Generator<void, void> {
    const scope = this.groupScope(end);
    let index = 0;
    for (let spanEnd = this.nextMessage(end, 2); spanEnd >= 0; spanEnd = this.nextMessage(end, 2), index++) {
      if (--this.untilPause === 0) {
        this.untilPause = DECODE_STEP_SPANS;
        yield;
      }
      if (this.spanBudget <= 0) {
        this.reader.pos = spanEnd;
        rejectSpan(this.result, () => spanPath(r, s, index), overSpanLimit(this.limits));
        continue;
      }
      this.spanBudget--;
      const span = this.span(spanEnd, resource, scope);
      if (typeof span === 'string') rejectSpan(this.result, () => spanPath(r, s, index), span);
      else this.result.spans.push(span);
    }
  }

  private event(end: number): SpanEvent {
    const reader = this.reader;
    const event: SpanEvent = { name: '', timeUnixNano: 0n, attributes: {} };
    let kept = 0;
    let dropped = 0;
    let droppedBySender = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 1) {
        if (wireType === FIXED64) {
          event.timeUnixNano = this.fixed64();
          continue;
        }
        this.wrongWireTypes++;
      } else if (field === 2 || field === 3) {
        if (wireType === LEN) {
          if (field === 2) event.name = this.text(this.string());
          else {
            const before = kept;
            kept = this.limitedAttribute(event.attributes, kept);
            if (kept === before) dropped++;
          }
          continue;
        }
        this.wrongWireTypes++;
      } else if (field === 4) {
        if (wireType === VARINT) {
          droppedBySender = reader.uint32();
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
    if (dropped + droppedBySender) event.droppedAttributesCount = dropped + droppedBySender;
    return event;
  }

  /** A link, or undefined when its ids are unusable. */
  private link(end: number): SpanLink | undefined {
    const reader = this.reader;
    let traceAt = -1;
    let traceLength = 0;
    let spanAt = -1;
    let spanLength = 0;
    let traceState = '';
    const attributes: Attributes = {};
    let kept = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field >= 1 && field <= 4) {
        if (wireType === LEN) {
          if (field === 1) {
            traceAt = this.bytesAt();
            traceLength = reader.pos - traceAt;
          } else if (field === 2) {
            spanAt = this.bytesAt();
            spanLength = reader.pos - spanAt;
          } else if (field === 3) traceState = traceStateText(this.string(), this.limits);
          else kept = this.limitedAttribute(attributes, kept);
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
    const buf = this.buf;
    if (idProblem(buf, traceAt, traceLength, 16, 'trace id') !== undefined || idProblem(buf, spanAt, spanLength, 8, 'span id') !== undefined) return undefined;
    const link: SpanLink = { traceId: hex16(buf, traceAt), spanId: hex8(buf, spanAt), attributes };
    if (traceState) link.traceState = traceState;
    return link;
  }

  private span(end: number, resource: Attributes, scope: InstrumentationScope): Span | string {
    const reader = this.reader;
    const limits = this.limits;
    let traceAt = -1;
    let traceLength = 0;
    let spanAt = -1;
    let spanLength = 0;
    let parentAt = -1;
    let parentLength = 0;
    let traceState = '';
    let flags = 0;
    let name = '';
    let kind = 0;
    let startLow = 0;
    let startHigh = 0;
    let endLow = 0;
    let endHigh = 0;
    let statusCode = 0;
    let statusMessage = '';
    let attributesDroppedBySender = 0;
    let eventsDroppedBySender = 0;
    let linksDroppedBySender = 0;
    const attributes: Attributes = {};
    let keptAttributes = 0;
    let droppedAttributes = 0;
    const events: SpanEvent[] = [];
    let droppedEvents = 0;
    const links: SpanLink[] = [];
    let droppedLinks = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      switch (field) {
        case 1:
        case 2:
        case 4: {
          if (wireType !== LEN) break;
          const at = this.bytesAt();
          const length = reader.pos - at;
          if (field === 1) {
            traceAt = at;
            traceLength = length;
          } else if (field === 2) {
            spanAt = at;
            spanLength = length;
          } else {
            parentAt = at;
            parentLength = length;
          }
          continue;
        }
        case 3:
          if (wireType !== LEN) break;
          traceState = traceStateText(this.string(), limits);
          continue;
        case 5:
          if (wireType !== LEN) break;
          name = this.text(this.string());
          continue;
        case 6:
          if (wireType !== VARINT) break;
          kind = reader.int32();
          continue;
        case 7:
        case 8: {
          if (wireType !== FIXED64) break;
          if (reader.pos + 8 > reader.len) throw outOfRange(reader, 8);
          const low = reader.fixed32();
          const high = reader.fixed32();
          if (field === 7) {
            startLow = low;
            startHigh = high;
          } else {
            endLow = low;
            endHigh = high;
          }
          continue;
        }
        case 9: {
          if (wireType !== LEN) break;
          const before = keptAttributes;
          keptAttributes = this.limitedAttribute(attributes, keptAttributes);
          if (keptAttributes === before) droppedAttributes++;
          continue;
        }
        case 11: {
          if (wireType !== LEN) break;
          const eventEnd = this.subEnd();
          if (events.length >= limits.maxEvents) {
            reader.pos = eventEnd;
            droppedEvents++;
          } else events.push(this.event(eventEnd));
          continue;
        }
        case 13: {
          if (wireType !== LEN) break;
          const linkEnd = this.subEnd();
          let link: SpanLink | undefined;
          if (links.length >= limits.maxLinks) reader.pos = linkEnd;
          else link = this.link(linkEnd);
          if (link) links.push(link);
          else droppedLinks++;
          continue;
        }
        case 10:
        case 12:
        case 14: {
          if (wireType !== VARINT) break;
          const count = reader.uint32();
          if (field === 10) attributesDroppedBySender = count;
          else if (field === 12) eventsDroppedBySender = count;
          else linksDroppedBySender = count;
          continue;
        }
        case 15: {
          if (wireType !== LEN) break;
          const statusEnd = this.subEnd();
          while (reader.pos < statusEnd) {
            const statusTag = this.tag();
            const statusField = statusTag >>> 3;
            const statusWire = statusTag & 7;
            if (statusField === 2) {
              if (statusWire === LEN) {
                statusMessage = this.text(this.string());
                continue;
              }
              this.wrongWireTypes++;
            } else if (statusField === 3) {
              if (statusWire === VARINT) {
                statusCode = reader.int32();
                continue;
              }
              this.wrongWireTypes++;
            }
            reader.skipType(statusWire);
          }
          this.ended(statusEnd);
          continue;
        }
        case 16:
          if (wireType !== FIXED32) break;
          flags = reader.fixed32();
          continue;
        default:
          reader.skipType(wireType);
          continue;
      }
      this.wrongWireTypes++;
      reader.skipType(wireType);
    }
    this.ended(end);

    const buf = this.buf;
    const traceProblem = idProblem(buf, traceAt, traceLength, 16, 'trace id');
    if (traceProblem !== undefined) return traceProblem;
    const spanProblem = idProblem(buf, spanAt, spanLength, 8, 'span id');
    if (spanProblem !== undefined) return spanProblem;
    let parentSpanId: string | null = null;
    if (parentLength > 0) {
      const parentProblem = idProblem(buf, parentAt, parentLength, 8, 'span id');
      if (parentProblem !== undefined) return `parent ${parentProblem}`;
      parentSpanId = this.ids.spanId(parentAt, 8) ?? this.ids.addSpanId(parentAt, hex8(this.buf, parentAt));
    }
    // An end of 0 means "not given": the span ends where it starts.
    if (endLow === 0 && endHigh === 0) {
      endLow = startLow;
      endHigh = startHigh;
    }
    const start = uint64(startLow, startHigh);
    const endsAtStart = endLow === startLow && endHigh === startHigh;
    return assembleSpan({
      traceId: this.ids.traceId(traceAt, 16) ?? this.ids.addTraceId(traceAt, hex16(this.buf, traceAt)),
      spanId: this.ids.spanId(spanAt, 8) ?? this.ids.addSpanId(spanAt, hex8(this.buf, spanAt)),
      parentSpanId,
      traceState,
      flags,
      name,
      kind: spanKindOf(kind),
      startTimeUnixNano: start,
      endTimeUnixNano: endsAtStart ? start : uint64(endLow, endHigh),
      startTimeMs: millisOf(startLow, startHigh),
      durationMs: endsAtStart ? 0 : durationMillis(startLow, startHigh, endLow, endHigh),
      statusCode: statusCodeOf(statusCode),
      statusMessage,
      attributes,
      events,
      links,
      droppedAttributesCount: droppedAttributes + attributesDroppedBySender,
      droppedEventsCount: droppedEvents + eventsDroppedBySender,
      droppedLinksCount: droppedLinks + linksDroppedBySender,
      resource,
      scope,
      origin: 'otlp',
    });
  }
}

function spanPath(r: number, s: number, index: number): string {
  return `resourceSpans[${r}].scopeSpans[${s}].spans[${index}]`;
}

/**
 * Decodes an OTLP protobuf `ExportTraceServiceRequest`, within `limits`.
 * Throws {@link MalformedPayloadError} when the bytes are not one.
 */
export function decodeOtlpProto(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  return runToEnd(decodeOtlpProtoInSteps(bytes, limits));
}

/** {@link decodeOtlpProto} in steps: pauses every {@link DECODE_STEP_SPANS} spans (the bytes must not change meanwhile). */
export function* decodeOtlpProtoInSteps(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Generator<void, DecodeResult> {
  const result: DecodeResult = { spans: [], rejected: [] };
  const decoder = new ProtoRequestDecoder(bytes, limits, result);
  try {
    yield* decoder.request();
  } catch (error) {
    if (isWireFailure(error)) throw new MalformedPayloadError(`invalid OTLP protobuf: ${error.message}${notTracesHint(decoder)}`);
    throw error;
  }
  if (result.spans.length === 0 && rejectedCount(result) > 0 && decoder.wrongWireTypes > 0) {
    throw new MalformedPayloadError(`not an OTLP trace export: no span could be read${notTracesHint(decoder)}`);
  }
  return result;
}

function notTracesHint(decoder: ProtoRequestDecoder): string {
  return decoder.wrongWireTypes > 0 ? ` (${decoder.wrongWireTypes} fields have the wrong wire type for a trace export: is this a logs or metrics export sent to the traces path?)` : '';
}

/** Protobuf `ExportTraceServiceResponse`, with `partialSuccess` when spans were rejected. */
export function encodeExportResponseProto(rejectedSpans: number, errorMessage: string): Uint8Array {
  const message = rejectedSpans > 0 || errorMessage ? { partialSuccess: { rejectedSpans, errorMessage } } : {};
  return OtlpTypes.ExportTraceServiceResponse.encode(OtlpTypes.ExportTraceServiceResponse.create(message)).finish();
}

/** Protobuf `google.rpc.Status`, the body of OTLP/HTTP protobuf error answers. */
export function encodeRpcStatusProto(code: number, message: string): Uint8Array {
  return OtlpTypes.RpcStatus.encode(OtlpTypes.RpcStatus.create({ code, message })).finish();
}

/** Decodes a protobuf `ExportTraceServiceResponse` (for tests and the forwarder). */
export function decodeExportResponseProto(bytes: Uint8Array): { rejectedSpans: number; errorMessage: string } {
  const decoded = OtlpTypes.ExportTraceServiceResponse.decode(bytes) as unknown as {
    partialSuccess?: { rejectedSpans?: LongLike | number; errorMessage?: string };
  };
  return {
    rejectedSpans: Number(longToBigInt(decoded.partialSuccess?.rejectedSpans, true)),
    errorMessage: decoded.partialSuccess?.errorMessage ?? '',
  };
}

/** Decodes a protobuf `google.rpc.Status` (for tests). */
export function decodeRpcStatusProto(bytes: Uint8Array): { code: number; message: string } {
  const decoded = OtlpTypes.RpcStatus.decode(bytes) as unknown as { code?: number; message?: string };
  return { code: decoded.code ?? 0, message: decoded.message ?? '' };
}

/** Encodes an OTLP export request given as protobufjs-compatible plain objects (tests, benchmarks). */
export function encodeExportRequestProto(request: Record<string, unknown>): Uint8Array {
  const type = OtlpTypes.ExportTraceServiceRequest;
  const message = type.fromObject(request);
  return type.encode(message).finish();
}
