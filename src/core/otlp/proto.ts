/**
 * OTLP protobuf decoding (HTTP `application/x-protobuf` and gRPC) and the
 * protobuf answers receivers send back.
 */

import * as protobuf from 'protobufjs/light';
import { bytesToBase64, int64Value, longToBigInt, parseBytesId, type LongLike } from '../encoding';
import type { AttributeValue, Attributes, DecodeResult, InstrumentationScope, Span, SpanEvent, SpanLink } from '../model';
import { MalformedPayloadError, rejectedCount, setOwn } from '../model';
import { DEFAULT_DECODE_LIMITS, TOO_DEEP, assembleSpan, overSpanLimit, rejectSpan, spanKindOf, spanLimitOf, statusCodeOf, truncated, type DecodeLimits } from './common';
import { OtlpTypes } from './schema';

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A wire-level problem: the bytes are not a protobuf message. */
class WireError extends Error {}

/**
 * Walks the protobuf wire format of an `ExportTraceServiceRequest` and builds
 * spans as it reads, applying the {@link DecodeLimits} before anything is
 * allocated: attributes, events, links, array items and spans past a limit are
 * skipped and counted. (Materialising the whole message first, as a generic
 * decoder does, lets 16 MB of empty attributes claim a gigabyte of heap.)
 *
 * A known field with an unexpected wire type is skipped as an unknown field, as
 * the reference protobuf parsers do, and counted for the error message.
 */
class ProtoRequestDecoder {
  private readonly reader: protobuf.Reader;
  /** Known fields met with the wrong wire type (a hint that this is not a trace export). */
  wrongWireTypes = 0;
  private spanBudget: number;

  constructor(
    bytes: Uint8Array,
    private readonly limits: DecodeLimits,
    private readonly result: DecodeResult,
  ) {
    this.reader = protobuf.Reader.create(bytes);
    this.spanBudget = spanLimitOf(limits);
  }

  /** Reads a length prefix and returns where that sub-message ends. */
  private subEnd(): number {
    const length = this.reader.uint32();
    const end = this.reader.pos + length;
    if (end > this.reader.len) throw new WireError(`a length of ${length} at offset ${this.reader.pos} runs past the end of the message`);
    return end;
  }

  /**
   * Calls `onField(field, wireType)` for each field up to `end`; `onField`
   * returns false for fields it did not consume, which are then skipped.
   */
  private fields(end: number, onField: (field: number, wireType: number) => boolean): void {
    const reader = this.reader;
    while (reader.pos < end) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 0) throw new WireError(`field number 0 at offset ${reader.pos}`);
      if (!onField(field, wireType)) reader.skipType(wireType);
    }
    if (reader.pos !== end) throw new WireError(`a field runs past the end of its message at offset ${end}`);
  }

  /** True when `wireType` is the one expected; otherwise notes the mismatch (the field is skipped). */
  private is(wireType: number, expected: number): boolean {
    if (wireType === expected) return true;
    this.wrongWireTypes++;
    return false;
  }

  private skip(end: number): void {
    this.reader.pos = end;
  }

  private text(value: string): string {
    return value.length > this.limits.maxStringLength ? truncated(value, this.limits.maxStringLength) : value;
  }

  private bytesText(bytes: Uint8Array): string {
    const limit = this.limits.maxStringLength;
    const fullLength = Math.ceil(bytes.length / 3) * 4;
    if (fullLength <= limit) return bytesToBase64(bytes);
    // Encode only the part that is kept: base64 of a huge blob is not built just to be cut.
    const kept = bytesToBase64(bytes.subarray(0, Math.ceil(limit / 4) * 3)).slice(0, limit);
    return `${kept}…[truncated ${fullLength - limit} characters]`;
  }

  request(): void {
    const end = this.reader.len;
    let index = 0;
    this.fields(end, (field, wireType) => {
      if (field !== 1 || !this.is(wireType, LEN)) return false;
      this.resourceSpans(this.subEnd(), index++);
      return true;
    });
  }

  private resourceSpans(end: number, r: number): void {
    const start = this.reader.pos;
    const resource: Attributes = {};
    let hasScopeSpans = false;
    // Fields may come in any order: read the resource first, then the spans that share it.
    this.fields(end, (field, wireType) => {
      if (field === 1 && this.is(wireType, LEN)) {
        this.resource(this.subEnd(), resource);
        return true;
      }
      if (field === 2) hasScopeSpans = true;
      return false;
    });
    this.reader.pos = start;
    // instrumentationLibrarySpans (1000) is the pre-1.0 name, read only when scopeSpans is absent.
    const spansField = hasScopeSpans ? 2 : 1000;
    let s = 0;
    this.fields(end, (field, wireType) => {
      if (field !== spansField || !this.is(wireType, LEN)) return false;
      this.scopeSpans(this.subEnd(), resource, r, s++);
      return true;
    });
  }

  private resource(end: number, target: Attributes): void {
    const budget = { kept: Object.keys(target).length, dropped: 0 };
    this.fields(end, (field, wireType) => {
      if (field !== 1 || !this.is(wireType, LEN)) return false;
      this.keyValue(this.subEnd(), target, 0, this.limits.maxAttributes, budget);
      return true;
    });
  }

  private scopeSpans(end: number, resource: Attributes, r: number, s: number): void {
    const start = this.reader.pos;
    const scope: InstrumentationScope = { name: '', attributes: {} };
    this.fields(end, (field, wireType) => {
      if (field !== 1 || !this.is(wireType, LEN)) return false;
      this.scope(this.subEnd(), scope);
      return true;
    });
    this.reader.pos = start;
    let i = 0;
    this.fields(end, (field, wireType) => {
      if (field !== 2 || !this.is(wireType, LEN)) return false;
      const spanEnd = this.subEnd();
      const index = i++;
      const path = () => `resourceSpans[${r}].scopeSpans[${s}].spans[${index}]`;
      if (this.spanBudget <= 0) {
        this.skip(spanEnd);
        rejectSpan(this.result, path, overSpanLimit(this.limits));
        return true;
      }
      this.spanBudget--;
      const span = this.span(spanEnd, resource, scope);
      if (typeof span === 'string') rejectSpan(this.result, path, span);
      else this.result.spans.push(span);
      return true;
    });
  }

  private scope(end: number, scope: InstrumentationScope): void {
    const budget = { kept: 0, dropped: 0 };
    this.fields(end, (field, wireType) => {
      if (field === 1 && this.is(wireType, LEN)) scope.name = this.text(this.reader.string());
      else if (field === 2 && this.is(wireType, LEN)) {
        const version = this.reader.string();
        if (version) scope.version = this.text(version);
      } else if (field === 3 && this.is(wireType, LEN)) this.keyValue(this.subEnd(), scope.attributes, 0, this.limits.maxAttributes, budget);
      else return false;
      return true;
    });
  }

  /** One `KeyValue` into `target`, unless `budget` is spent (then it is skipped and counted). */
  private keyValue(end: number, target: Attributes, depth: number, limit: number, budget: { kept: number; dropped: number }): void {
    if (budget.kept >= limit) {
      budget.dropped++;
      this.skip(end);
      return;
    }
    let key = '';
    let value: AttributeValue = null;
    this.fields(end, (field, wireType) => {
      if (field === 1 && this.is(wireType, LEN)) key = this.reader.string();
      else if (field === 2 && this.is(wireType, LEN)) value = this.anyValue(this.subEnd(), depth);
      else return false;
      return true;
    });
    budget.kept++;
    setOwn<AttributeValue>(target, key, value);
  }

  private anyValue(end: number, depth: number): AttributeValue {
    const reader = this.reader;
    let value: AttributeValue = null;
    // A oneof: the last member on the wire wins.
    this.fields(end, (field, wireType) => {
      switch (field) {
        case 1:
          if (!this.is(wireType, LEN)) return false;
          value = this.text(reader.string());
          return true;
        case 2:
          if (!this.is(wireType, VARINT)) return false;
          value = reader.bool();
          return true;
        case 3:
          if (!this.is(wireType, VARINT)) return false;
          value = int64Value(longToBigInt(reader.int64() as unknown as LongLike, true));
          return true;
        case 4:
          if (!this.is(wireType, FIXED64)) return false;
          value = reader.double();
          return true;
        case 5:
        case 6: {
          if (!this.is(wireType, LEN)) return false;
          const innerEnd = this.subEnd();
          if (depth >= this.limits.maxDepth) {
            this.skip(innerEnd);
            value = TOO_DEEP;
          } else value = field === 5 ? this.arrayValue(innerEnd, depth + 1) : this.kvlistValue(innerEnd, depth + 1);
          return true;
        }
        case 7:
          if (!this.is(wireType, LEN)) return false;
          value = this.bytesText(reader.bytes());
          return true;
        default:
          return false;
      }
    });
    return value;
  }

  private arrayValue(end: number, depth: number): AttributeValue[] {
    const out: AttributeValue[] = [];
    this.fields(end, (field, wireType) => {
      if (field !== 1 || !this.is(wireType, LEN)) return false;
      const itemEnd = this.subEnd();
      if (out.length >= this.limits.maxArrayLength) this.skip(itemEnd);
      else out.push(this.anyValue(itemEnd, depth));
      return true;
    });
    return out;
  }

  private kvlistValue(end: number, depth: number): Record<string, AttributeValue> {
    const out: Record<string, AttributeValue> = {};
    const budget = { kept: 0, dropped: 0 };
    this.fields(end, (field, wireType) => {
      if (field !== 1 || !this.is(wireType, LEN)) return false;
      this.keyValue(this.subEnd(), out, depth, this.limits.maxArrayLength, budget);
      return true;
    });
    return out;
  }

  private event(end: number): SpanEvent {
    const event: SpanEvent = { name: '', timeUnixNano: 0n, attributes: {} };
    const budget = { kept: 0, dropped: 0 };
    let droppedBySender = 0;
    this.fields(end, (field, wireType) => {
      if (field === 1 && this.is(wireType, FIXED64)) event.timeUnixNano = longToBigInt(this.reader.fixed64() as unknown as LongLike, false);
      else if (field === 2 && this.is(wireType, LEN)) event.name = this.text(this.reader.string());
      else if (field === 3 && this.is(wireType, LEN)) this.keyValue(this.subEnd(), event.attributes, 0, this.limits.maxAttributes, budget);
      else if (field === 4 && this.is(wireType, VARINT)) droppedBySender = this.reader.uint32();
      else return false;
      return true;
    });
    const dropped = budget.dropped + droppedBySender;
    if (dropped) event.droppedAttributesCount = dropped;
    return event;
  }

  /** A link, or undefined when its ids are unusable. */
  private link(end: number): SpanLink | undefined {
    let traceId: Uint8Array | undefined;
    let spanId: Uint8Array | undefined;
    let traceState = '';
    const attributes: Attributes = {};
    const budget = { kept: 0, dropped: 0 };
    this.fields(end, (field, wireType) => {
      if (field === 1 && this.is(wireType, LEN)) traceId = this.reader.bytes();
      else if (field === 2 && this.is(wireType, LEN)) spanId = this.reader.bytes();
      else if (field === 3 && this.is(wireType, LEN)) traceState = this.text(this.reader.string());
      else if (field === 4 && this.is(wireType, LEN)) this.keyValue(this.subEnd(), attributes, 0, this.limits.maxAttributes, budget);
      else return false;
      return true;
    });
    const linkTrace = parseBytesId(traceId, 16);
    const linkSpan = parseBytesId(spanId, 8);
    if (typeof linkTrace !== 'string' || typeof linkSpan !== 'string') return undefined;
    const link: SpanLink = { traceId: linkTrace, spanId: linkSpan, attributes };
    if (traceState) link.traceState = traceState;
    return link;
  }

  private span(end: number, resource: Attributes, scope: InstrumentationScope): Span | string {
    const reader = this.reader;
    let traceIdBytes: Uint8Array | undefined;
    let spanIdBytes: Uint8Array | undefined;
    let parentBytes: Uint8Array | undefined;
    let traceState = '';
    let flags = 0;
    let name = '';
    let kind = 0;
    let start = 0n;
    let endTime = 0n;
    let statusCode = 0;
    let statusMessage = '';
    let droppedBySender = { attributes: 0, events: 0, links: 0 };
    const attributes: Attributes = {};
    const attributeBudget = { kept: 0, dropped: 0 };
    const events: SpanEvent[] = [];
    let droppedEvents = 0;
    const links: SpanLink[] = [];
    let droppedLinks = 0;
    this.fields(end, (field, wireType) => {
      switch (field) {
        case 1:
        case 2:
        case 4: {
          if (!this.is(wireType, LEN)) return false;
          const bytes = reader.bytes();
          if (field === 1) traceIdBytes = bytes;
          else if (field === 2) spanIdBytes = bytes;
          else parentBytes = bytes;
          return true;
        }
        case 3:
          if (!this.is(wireType, LEN)) return false;
          traceState = this.text(reader.string());
          return true;
        case 5:
          if (!this.is(wireType, LEN)) return false;
          name = this.text(reader.string());
          return true;
        case 6:
          if (!this.is(wireType, VARINT)) return false;
          kind = reader.int32();
          return true;
        case 7:
        case 8: {
          if (!this.is(wireType, FIXED64)) return false;
          const time = longToBigInt(reader.fixed64() as unknown as LongLike, false);
          if (field === 7) start = time;
          else endTime = time;
          return true;
        }
        case 9:
          if (!this.is(wireType, LEN)) return false;
          this.keyValue(this.subEnd(), attributes, 0, this.limits.maxAttributes, attributeBudget);
          return true;
        case 11: {
          if (!this.is(wireType, LEN)) return false;
          const eventEnd = this.subEnd();
          if (events.length >= this.limits.maxEvents) {
            this.skip(eventEnd);
            droppedEvents++;
          } else events.push(this.event(eventEnd));
          return true;
        }
        case 13: {
          if (!this.is(wireType, LEN)) return false;
          const linkEnd = this.subEnd();
          const link = links.length >= this.limits.maxLinks ? this.skip(linkEnd) : this.link(linkEnd);
          if (link) links.push(link);
          else droppedLinks++;
          return true;
        }
        case 10:
        case 12:
        case 14: {
          if (!this.is(wireType, VARINT)) return false;
          const count = reader.uint32();
          droppedBySender = { ...droppedBySender, [field === 10 ? 'attributes' : field === 12 ? 'events' : 'links']: count };
          return true;
        }
        case 15: {
          if (!this.is(wireType, LEN)) return false;
          this.fields(this.subEnd(), (statusField, statusWire) => {
            if (statusField === 2 && this.is(statusWire, LEN)) statusMessage = this.text(reader.string());
            else if (statusField === 3 && this.is(statusWire, VARINT)) statusCode = reader.int32();
            else return false;
            return true;
          });
          return true;
        }
        case 16:
          if (!this.is(wireType, FIXED32)) return false;
          flags = reader.fixed32();
          return true;
        default:
          return false;
      }
    });

    const traceId = parseBytesId(traceIdBytes, 16);
    if (typeof traceId !== 'string') return traceId.error;
    const spanId = parseBytesId(spanIdBytes, 8);
    if (typeof spanId !== 'string') return spanId.error;
    let parentSpanId: string | null = null;
    if (parentBytes && parentBytes.length > 0) {
      const parsed = parseBytesId(parentBytes, 8);
      if (typeof parsed !== 'string') return `parent ${parsed.error}`;
      parentSpanId = parsed;
    }
    return assembleSpan({
      traceId,
      spanId,
      parentSpanId,
      traceState,
      flags,
      name,
      kind: spanKindOf(kind),
      startTimeUnixNano: start,
      endTimeUnixNano: endTime === 0n ? start : endTime,
      statusCode: statusCodeOf(statusCode),
      statusMessage,
      attributes,
      events,
      links,
      droppedAttributesCount: attributeBudget.dropped + droppedBySender.attributes,
      droppedEventsCount: droppedEvents + droppedBySender.events,
      droppedLinksCount: droppedLinks + droppedBySender.links,
      resource,
      scope,
      origin: 'otlp',
    });
  }
}

/**
 * Decodes an OTLP protobuf `ExportTraceServiceRequest`, within `limits`.
 * Throws {@link MalformedPayloadError} when the bytes are not one.
 */
export function decodeOtlpProto(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  const result: DecodeResult = { spans: [], rejected: [] };
  const decoder = new ProtoRequestDecoder(bytes, limits, result);
  try {
    decoder.request();
  } catch (error) {
    // protobufjs's Reader throws RangeError past the end and a plain Error for an invalid wire type.
    if (error instanceof WireError || error instanceof RangeError || (error as Error).constructor === Error) {
      throw new MalformedPayloadError(`invalid OTLP protobuf: ${(error as Error).message}${notTracesHint(decoder)}`);
    }
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
