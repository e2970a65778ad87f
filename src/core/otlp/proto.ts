/**
 * OTLP protobuf decoding (HTTP `application/x-protobuf` and gRPC) and the
 * protobuf answers receivers send back.
 */

import * as protobuf from 'protobufjs/light';
import { bytesToBase64, int64Value, longToBigInt, type LongLike } from '../encoding';
import { Utf8Interner } from '../intern';
import type { AttributeValue, Attributes, DecodeResult, InstrumentationScope, Span, SpanEvent, SpanLink } from '../model';
import { MalformedPayloadError, rejectedCount, setOwn } from '../model';
import { DEFAULT_DECODE_LIMITS, TOO_DEEP, assembleSpan, overSpanLimit, rejectSpan, spanKindOf, spanLimitOf, statusCodeOf, traceStateText, truncated, type DecodeLimits } from './common';
import { RequestIds } from './requestIds';
import { OtlpTypes } from './schema';

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

const TWO_POW_32 = 4294967296;

/** A wire-level problem: the bytes are not a protobuf message. */
class WireError extends Error {}

/** protobufjs's own error for reads past the end, so messages match its readers'. */
function outOfRange(reader: protobuf.Reader, length: number): RangeError {
  return new RangeError(`index out of range: ${reader.pos} + ${length} > ${reader.len}`);
}

/** Char codes of the two lowercase hex digits of each byte value, at `2 * byte`. */
const HEX_CODES = new Uint16Array(512);
for (let byte = 0; byte < 256; byte++) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX_CODES[2 * byte] = digits.charCodeAt(0);
  HEX_CODES[2 * byte + 1] = digits.charCodeAt(1);
}

/*
 * Ids as one flat string in one call: appending 2-digit pieces would build a
 * rope of cons strings that every retained span would keep.
 */

/** Lowercase hex of the 8 bytes at `at`. */
function hex8(b: Uint8Array, at: number): string {
  const h = HEX_CODES;
  const b0 = 2 * b[at], b1 = 2 * b[at + 1], b2 = 2 * b[at + 2], b3 = 2 * b[at + 3];
  const b4 = 2 * b[at + 4], b5 = 2 * b[at + 5], b6 = 2 * b[at + 6], b7 = 2 * b[at + 7];
  return String.fromCharCode(
    h[b0], h[b0 + 1], h[b1], h[b1 + 1], h[b2], h[b2 + 1], h[b3], h[b3 + 1],
    h[b4], h[b4 + 1], h[b5], h[b5 + 1], h[b6], h[b6 + 1], h[b7], h[b7 + 1],
  );
}

/** Lowercase hex of the 16 bytes at `at`. */
function hex16(b: Uint8Array, at: number): string {
  const h = HEX_CODES;
  const b0 = 2 * b[at], b1 = 2 * b[at + 1], b2 = 2 * b[at + 2], b3 = 2 * b[at + 3];
  const b4 = 2 * b[at + 4], b5 = 2 * b[at + 5], b6 = 2 * b[at + 6], b7 = 2 * b[at + 7];
  const b8 = 2 * b[at + 8], b9 = 2 * b[at + 9], b10 = 2 * b[at + 10], b11 = 2 * b[at + 11];
  const b12 = 2 * b[at + 12], b13 = 2 * b[at + 13], b14 = 2 * b[at + 14], b15 = 2 * b[at + 15];
  return String.fromCharCode(
    h[b0], h[b0 + 1], h[b1], h[b1 + 1], h[b2], h[b2 + 1], h[b3], h[b3 + 1],
    h[b4], h[b4 + 1], h[b5], h[b5 + 1], h[b6], h[b6 + 1], h[b7], h[b7 + 1],
    h[b8], h[b8 + 1], h[b9], h[b9 + 1], h[b10], h[b10 + 1], h[b11], h[b11 + 1],
    h[b12], h[b12 + 1], h[b13], h[b13 + 1], h[b14], h[b14 + 1], h[b15], h[b15 + 1],
  );
}

function isZero(b: Uint8Array, at: number, length: number): boolean {
  for (let i = at; i < at + length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Why an id at `at` of `length` bytes (-1: absent) is unusable, or undefined when it is fine. */
function idProblem(b: Uint8Array, at: number, length: number, byteLength: 8 | 16, label: string): string | undefined {
  if (at < 0 || length !== byteLength) return `${label} must be ${byteLength} bytes, got ${at < 0 ? 0 : length}`;
  return isZero(b, at, length) ? `${label} is all zeros` : undefined;
}

/** An unsigned 64-bit value from its 32-bit halves. */
function uint64(low: number, high: number): bigint {
  // Below 2^53 the double is exact and one conversion is far cheaper than bigint shifts.
  return high < 0x200000 ? BigInt(high * TWO_POW_32 + low) : (BigInt(high) << 32n) | BigInt(low);
}

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

/** Attribute keys and short values, shared across requests (see {@link Utf8Interner}). */
const interner = new Utf8Interner();

/**
 * Walks the protobuf wire format of an `ExportTraceServiceRequest` and builds
 * spans as it reads, applying the {@link DecodeLimits} before anything is
 * allocated: attributes, events, links, array items and spans past a limit are
 * skipped and counted. (Materialising the whole message first, as a generic
 * decoder does, lets 16 MB of empty attributes claim a gigabyte of heap.)
 *
 * Each message has its own field loop over protobufjs's `Reader` primitives:
 * no intermediate message objects, no `Long`s, ids read straight from the
 * buffer (profiling showed the generic decoder, its `Long`s and the garbage
 * they make costing most of the ingest time).
 *
 * A known field with an unexpected wire type is skipped as an unknown field, as
 * the reference protobuf parsers do, and counted for the error message.
 */
class ProtoRequestDecoder {
  private readonly reader: protobuf.Reader;
  private readonly buf: Uint8Array;
  /** Known fields met with the wrong wire type (a hint that this is not a trace export). */
  wrongWireTypes = 0;
  private spanBudget: number;
  /** The halves of the last {@link varint64}. */
  private low = 0;
  private high = 0;
  private readonly ids: RequestIds;

  constructor(
    bytes: Uint8Array,
    private readonly limits: DecodeLimits,
    private readonly result: DecodeResult,
  ) {
    this.reader = protobuf.Reader.create(bytes);
    this.buf = this.reader.buf;
    this.ids = new RequestIds(this.buf);
    this.spanBudget = spanLimitOf(limits);
  }

  /** Reads a tag; throws on field number 0. */
  private tag(): number {
    const tag = this.reader.uint32();
    if (tag >>> 3 === 0) throw new WireError(`field number 0 at offset ${this.reader.pos}`);
    return tag;
  }

  /** Checks that a message's fields ended exactly at its end. */
  private ended(end: number): void {
    if (this.reader.pos !== end) throw new WireError(`a field runs past the end of its message at offset ${end}`);
  }

  /** Reads a length prefix and returns where that sub-message ends. */
  private subEnd(): number {
    const length = this.reader.uint32();
    const end = this.reader.pos + length;
    if (end > this.reader.len) throw new WireError(`a length of ${length} at offset ${this.reader.pos} runs past the end of the message`);
    return end;
  }

  /** Reads a length prefix for raw bytes and returns where they start; the reader moves past them. */
  private bytesAt(): number {
    const reader = this.reader;
    const length = reader.size();
    const at = reader.pos;
    if (at + length > reader.len) throw outOfRange(reader, length);
    reader.pos = at + length;
    return at;
  }

  /** A string field, through the intern table when short. */
  private string(): string {
    const reader = this.reader;
    const lengthAt = reader.pos;
    const length = reader.size();
    const start = reader.pos;
    const end = start + length;
    if (end > reader.len) throw outOfRange(reader, length);
    let value = interner.find(this.buf, start, end);
    if (value === undefined) {
      reader.pos = lengthAt;
      value = reader.string();
      interner.add(this.buf, start, end, value);
    }
    reader.pos = end;
    return value;
  }

  /** A varint as the 64-bit halves {@link low} and {@link high}, as protobufjs reads it. */
  private varint64(): void {
    const reader = this.reader;
    const buf = this.buf;
    const len = reader.len;
    let pos = reader.pos;
    let low = 0;
    let high = 0;
    let byte = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= len) throw this.varintOutOfRange(pos);
      byte = buf[pos++];
      low |= (byte & 127) << shift;
      if (byte < 128) return this.setVarint64(pos, low, 0);
    }
    if (pos >= len) throw this.varintOutOfRange(pos);
    byte = buf[pos++];
    low |= (byte & 127) << 28;
    high = (byte & 127) >> 4;
    if (byte < 128) return this.setVarint64(pos, low, high);
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= len) throw this.varintOutOfRange(pos);
      byte = buf[pos++];
      high |= (byte & 127) << shift;
      if (byte < 128) return this.setVarint64(pos, low, high);
    }
    reader.pos = pos;
    throw new Error('invalid varint encoding');
  }

  private setVarint64(pos: number, low: number, high: number): void {
    this.reader.pos = pos;
    this.low = low >>> 0;
    this.high = high >>> 0;
  }

  private varintOutOfRange(pos: number): RangeError {
    this.reader.pos = pos;
    return outOfRange(this.reader, 1);
  }

  /** The last {@link varint64} as a signed int64 attribute value (see `int64Value`). */
  private int64(): number | bigint {
    const low = this.low;
    const high = this.high;
    // Int32 values as int32 arithmetic, so V8 keeps them as small integers, not boxed doubles (16 bytes each).
    if ((high === 0 && low <= 0x7fffffff) || (high === 0xffffffff && low >= 0x80000000)) return low | 0;
    // Exact as a double below 2^53; beyond, and other negatives, through bigint.
    if (high < 0x200000) return high * TWO_POW_32 + low;
    return int64Value(longToBigInt({ low, high: high | 0 }, true));
  }

  /** A fixed64 field as an unsigned bigint. */
  private fixed64(): bigint {
    const reader = this.reader;
    if (reader.pos + 8 > reader.len) throw outOfRange(reader, 8);
    const low = reader.fixed32();
    return uint64(low, reader.fixed32());
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
    const reader = this.reader;
    const end = reader.len;
    let index = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === 1) {
        if (wireType === LEN) {
          this.resourceSpans(this.subEnd(), index++);
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
  }

  private resourceSpans(end: number, r: number): void {
    const reader = this.reader;
    const start = reader.pos;
    const resource: Attributes = {};
    let hasScopeSpans = false;
    // Fields may come in any order: read the resource first, then the spans that share it.
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 1) {
        if (wireType === LEN) {
          this.resource(this.subEnd(), resource);
          continue;
        }
        this.wrongWireTypes++;
      } else if (field === 2) hasScopeSpans = true;
      reader.skipType(wireType);
    }
    this.ended(end);
    reader.pos = start;
    // instrumentationLibrarySpans (1000) is the pre-1.0 name, read only when scopeSpans is absent.
    const spansField = hasScopeSpans ? 2 : 1000;
    let s = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === spansField) {
        if (wireType === LEN) {
          this.scopeSpans(this.subEnd(), resource, r, s++);
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
  }

  /** Reads one attribute into `target` unless `kept` already reached the limit (then skips it); returns the new count, unchanged when skipped. */
  private limitedAttribute(target: Attributes, kept: number): number {
    const itemEnd = this.subEnd();
    if (kept >= this.limits.maxAttributes) {
      this.reader.pos = itemEnd;
      return kept;
    }
    this.keyValue(itemEnd, target, 0);
    return kept + 1;
  }

  private resource(end: number, target: Attributes): void {
    const reader = this.reader;
    let kept = Object.keys(target).length;
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === 1) {
        if (wireType === LEN) {
          kept = this.limitedAttribute(target, kept);
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
  }

  private scopeSpans(end: number, resource: Attributes, r: number, s: number): void {
    const reader = this.reader;
    const start = reader.pos;
    const scope: InstrumentationScope = { name: '', attributes: {} };
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === 1) {
        if (wireType === LEN) {
          this.scope(this.subEnd(), scope);
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
    reader.pos = start;
    let i = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === 2) {
        if (wireType === LEN) {
          const spanEnd = this.subEnd();
          const index = i++;
          if (this.spanBudget <= 0) {
            reader.pos = spanEnd;
            rejectSpan(this.result, () => spanPath(r, s, index), overSpanLimit(this.limits));
            continue;
          }
          this.spanBudget--;
          const span = this.span(spanEnd, resource, scope);
          if (typeof span === 'string') rejectSpan(this.result, () => spanPath(r, s, index), span);
          else this.result.spans.push(span);
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
  }

  private scope(end: number, scope: InstrumentationScope): void {
    const reader = this.reader;
    let kept = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 1 || field === 2 || field === 3) {
        if (wireType === LEN) {
          if (field === 1) scope.name = this.text(this.string());
          else if (field === 2) {
            const version = this.string();
            if (version) scope.version = this.text(version);
          } else {
            kept = this.limitedAttribute(scope.attributes, kept);
          }
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
  }

  /** One `KeyValue` (the reader is past its length prefix) into `target`. */
  private keyValue(end: number, target: Attributes, depth: number): void {
    const reader = this.reader;
    let key = '';
    let value: AttributeValue = null;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 1 || field === 2) {
        if (wireType === LEN) {
          if (field === 1) key = this.string();
          else value = this.anyValue(this.subEnd(), depth);
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
    // setOwn only for the one key plain assignment would mishandle; a call per attribute adds up.
    if (key === '__proto__') setOwn<AttributeValue>(target, key, value);
    else target[key] = value;
  }

  private anyValue(end: number, depth: number): AttributeValue {
    const reader = this.reader;
    let value: AttributeValue = null;
    // A oneof: the last member on the wire wins.
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      switch (field) {
        case 1:
          if (wireType !== LEN) break;
          value = this.text(this.string());
          continue;
        case 2:
          if (wireType !== VARINT) break;
          value = reader.bool();
          continue;
        case 3:
          if (wireType !== VARINT) break;
          this.varint64();
          value = this.int64();
          continue;
        case 4:
          if (wireType !== FIXED64) break;
          value = reader.double();
          continue;
        case 5:
        case 6: {
          if (wireType !== LEN) break;
          const innerEnd = this.subEnd();
          if (depth >= this.limits.maxDepth) {
            reader.pos = innerEnd;
            value = TOO_DEEP;
          } else value = field === 5 ? this.arrayValue(innerEnd, depth + 1) : this.kvlistValue(innerEnd, depth + 1);
          continue;
        }
        case 7:
          if (wireType !== LEN) break;
          value = this.bytesText(reader.bytes());
          continue;
        default:
          reader.skipType(wireType);
          continue;
      }
      this.wrongWireTypes++;
      reader.skipType(wireType);
    }
    this.ended(end);
    return value;
  }

  private arrayValue(end: number, depth: number): AttributeValue[] {
    const reader = this.reader;
    const out: AttributeValue[] = [];
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === 1) {
        if (wireType === LEN) {
          const itemEnd = this.subEnd();
          if (out.length >= this.limits.maxArrayLength) reader.pos = itemEnd;
          else out.push(this.anyValue(itemEnd, depth));
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
    return out;
  }

  private kvlistValue(end: number, depth: number): Record<string, AttributeValue> {
    const reader = this.reader;
    const out: Record<string, AttributeValue> = {};
    let kept = 0;
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === 1) {
        if (wireType === LEN) {
          const itemEnd = this.subEnd();
          if (kept >= this.limits.maxArrayLength) reader.pos = itemEnd;
          else {
            this.keyValue(itemEnd, out, depth);
            kept++;
          }
          continue;
        }
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
    return out;
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
