/**
 * The protobuf wire-format primitives the OTLP decoders share (traces and
 * logs, HTTP and gRPC): tags, lengths, ids, 64-bit values, strings through the
 * intern table, and the common messages (`KeyValue`, `AnyValue`, `Resource`,
 * `InstrumentationScope`), each read within the {@link DecodeLimits}.
 */

import * as protobuf from 'protobufjs/light';
import { bytesToBase64, int64Value, longToBigInt } from '../encoding';
import { Utf8Interner } from '../intern';
import type { AttributeValue, Attributes, InstrumentationScope } from '../model';
import { setOwn } from '../model';
import { TOO_DEEP, truncated, type DecodeLimits } from './common';

/** Protobuf wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

export const TWO_POW_32 = 4294967296;

/** A wire-level problem: the bytes are not a protobuf message. */
export class WireError extends Error {}

/** True for the errors a wire read throws on bytes that are not a protobuf message. */
export function isWireFailure(error: unknown): error is Error {
  // protobufjs's Reader throws RangeError past the end and a plain Error for an invalid wire type.
  return error instanceof WireError || error instanceof RangeError || (error as Error)?.constructor === Error;
}

/** protobufjs's own error for reads past the end, so messages match its readers'. */
export function outOfRange(reader: protobuf.Reader, length: number): RangeError {
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
export function hex8(b: Uint8Array, at: number): string {
  const h = HEX_CODES;
  const b0 = 2 * b[at], b1 = 2 * b[at + 1], b2 = 2 * b[at + 2], b3 = 2 * b[at + 3];
  const b4 = 2 * b[at + 4], b5 = 2 * b[at + 5], b6 = 2 * b[at + 6], b7 = 2 * b[at + 7];
  return String.fromCharCode(
    h[b0], h[b0 + 1], h[b1], h[b1 + 1], h[b2], h[b2 + 1], h[b3], h[b3 + 1],
    h[b4], h[b4 + 1], h[b5], h[b5 + 1], h[b6], h[b6 + 1], h[b7], h[b7 + 1],
  );
}

/** Lowercase hex of the 16 bytes at `at`. */
export function hex16(b: Uint8Array, at: number): string {
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

export function isZero(b: Uint8Array, at: number, length: number): boolean {
  for (let i = at; i < at + length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Why an id at `at` of `length` bytes (-1: absent) is unusable, or undefined when it is fine. */
export function idProblem(b: Uint8Array, at: number, length: number, byteLength: 8 | 16, label: string): string | undefined {
  if (at < 0 || length !== byteLength) return `${label} must be ${byteLength} bytes, got ${at < 0 ? 0 : length}`;
  return isZero(b, at, length) ? `${label} is all zeros` : undefined;
}

/** An unsigned 64-bit value from its 32-bit halves. */
export function uint64(low: number, high: number): bigint {
  // Below 2^53 the double is exact and one conversion is far cheaper than bigint shifts.
  return high < 0x200000 ? BigInt(high * TWO_POW_32 + low) : (BigInt(high) << 32n) | BigInt(low);
}

/** Attribute keys and short values, shared across requests (see {@link Utf8Interner}). */
const interner = new Utf8Interner();

/**
 * Reads protobuf messages field by field over protobufjs's `Reader`
 * primitives, building values as it reads and applying the {@link DecodeLimits}
 * before anything is allocated: attributes and array items past a limit are
 * skipped. (Materialising the whole message first, as a generic decoder does,
 * lets 16 MB of empty attributes claim a gigabyte of heap.) No intermediate
 * message objects, no `Long`s, ids read straight from the buffer.
 *
 * A known field with an unexpected wire type is skipped as an unknown field, as
 * the reference protobuf parsers do, and counted for the error message.
 */
export class ProtoMessageReader {
  protected readonly reader: protobuf.Reader;
  protected readonly buf: Uint8Array;
  /** Known fields met with the wrong wire type (a hint that the body is another signal's export). */
  wrongWireTypes = 0;
  /** The halves of the last {@link varint64}. */
  protected low = 0;
  protected high = 0;

  constructor(
    bytes: Uint8Array,
    protected readonly limits: DecodeLimits,
  ) {
    this.reader = protobuf.Reader.create(bytes);
    this.buf = this.reader.buf;
  }

  /** Reads a tag; throws on field number 0. */
  protected tag(): number {
    const tag = this.reader.uint32();
    if (tag >>> 3 === 0) throw new WireError(`field number 0 at offset ${this.reader.pos}`);
    return tag;
  }

  /** Checks that a message's fields ended exactly at its end. */
  protected ended(end: number): void {
    if (this.reader.pos !== end) throw new WireError(`a field runs past the end of its message at offset ${end}`);
  }

  /** Reads a length prefix and returns where that sub-message ends. */
  protected subEnd(): number {
    const length = this.reader.uint32();
    const end = this.reader.pos + length;
    if (end > this.reader.len) throw new WireError(`a length of ${length} at offset ${this.reader.pos} runs past the end of the message`);
    return end;
  }

  /** Reads a length prefix for raw bytes and returns where they start; the reader moves past them. */
  protected bytesAt(): number {
    const reader = this.reader;
    const length = reader.size();
    const at = reader.pos;
    if (at + length > reader.len) throw outOfRange(reader, length);
    reader.pos = at + length;
    return at;
  }

  /** A string field, through the intern table when short. */
  protected string(): string {
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
  protected varint64(): void {
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
  protected int64(): number | bigint {
    const low = this.low;
    const high = this.high;
    // Int32 values as int32 arithmetic, so V8 keeps them as small integers, not boxed doubles (16 bytes each).
    if ((high === 0 && low <= 0x7fffffff) || (high === 0xffffffff && low >= 0x80000000)) return low | 0;
    // Exact as a double below 2^53; beyond, and other negatives, through bigint.
    if (high < 0x200000) return high * TWO_POW_32 + low;
    return int64Value(longToBigInt({ low, high: high | 0 }, true));
  }

  /** A fixed64 field as an unsigned bigint. */
  protected fixed64(): bigint {
    const reader = this.reader;
    if (reader.pos + 8 > reader.len) throw outOfRange(reader, 8);
    const low = reader.fixed32();
    return uint64(low, reader.fixed32());
  }

  protected text(value: string): string {
    return value.length > this.limits.maxStringLength ? truncated(value, this.limits.maxStringLength) : value;
  }

  protected bytesText(bytes: Uint8Array): string {
    const limit = this.limits.maxStringLength;
    const fullLength = Math.ceil(bytes.length / 3) * 4;
    if (fullLength <= limit) return bytesToBase64(bytes);
    // Encode only the part that is kept: base64 of a huge blob is not built just to be cut.
    const kept = bytesToBase64(bytes.subarray(0, Math.ceil(limit / 4) * 3)).slice(0, limit);
    return `${kept}…[truncated ${fullLength - limit} characters]`;
  }

  /**
   * Reads every field number `field` of the message ending at `end` as a
   * sub-message: `read` gets where it ends and its index among them. Other
   * fields are skipped; that field with another wire type is counted.
   */
  protected messages(end: number, field: number, read: (end: number, index: number) => void): void {
    let index = 0;
    for (let itemEnd = this.nextMessage(end, field); itemEnd >= 0; itemEnd = this.nextMessage(end, field)) read(itemEnd, index++);
  }

  /**
   * {@link messages} one at a time, for readers that pause between items:
   * where the next field-`field` sub-message of the message ending at `end`
   * ends (the reader is at its start; the caller reads it up to there), or -1
   * when the message has no more (its end checked).
   */
  protected nextMessage(end: number, field: number): number {
    const reader = this.reader;
    while (reader.pos < end) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (tag >>> 3 === field) {
        if (wireType === LEN) return this.subEnd();
        this.wrongWireTypes++;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
    return -1;
  }

  /**
   * Reads the `resource` (field 1) of a `ResourceSpans` or `ResourceLogs` into
   * `target`, then rewinds to the group's start: fields may come in any order,
   * and its scope groups need the resource first. True when the group has a
   * field 2 (`scopeSpans`, `scopeLogs`).
   */
  protected groupResource(end: number, target: Attributes): boolean {
    const reader = this.reader;
    const start = reader.pos;
    let hasField2 = false;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 1) {
        if (wireType === LEN) {
          this.resource(this.subEnd(), target);
          continue;
        }
        this.wrongWireTypes++;
      } else if (field === 2) hasField2 = true;
      reader.skipType(wireType);
    }
    this.ended(end);
    reader.pos = start;
    return hasField2;
  }

  /**
   * Reads the `scope` (field 1) of a `ScopeSpans` or `ScopeLogs`, then rewinds
   * to the group's start, so that its items can share it.
   */
  protected groupScope(end: number): InstrumentationScope {
    const start = this.reader.pos;
    const scope: InstrumentationScope = { name: '', attributes: {} };
    this.messages(end, 1, (scopeEnd) => this.scope(scopeEnd, scope));
    this.reader.pos = start;
    return scope;
  }

  /** Reads one attribute into `target` unless `kept` already reached the limit (then skips it); returns the new count, unchanged when skipped. */
  protected limitedAttribute(target: Attributes, kept: number): number {
    const itemEnd = this.subEnd();
    if (kept >= this.limits.maxAttributes) {
      this.reader.pos = itemEnd;
      return kept;
    }
    this.keyValue(itemEnd, target, 0);
    return kept + 1;
  }

  protected resource(end: number, target: Attributes): void {
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

  protected scope(end: number, scope: InstrumentationScope): void {
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
  protected keyValue(end: number, target: Attributes, depth: number): void {
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

  protected anyValue(end: number, depth: number): AttributeValue {
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

  protected arrayValue(end: number, depth: number): AttributeValue[] {
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

  protected kvlistValue(end: number, depth: number): Record<string, AttributeValue> {
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
}
