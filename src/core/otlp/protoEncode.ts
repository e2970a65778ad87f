/**
 * Decoded spans back to an OTLP protobuf `ExportTraceServiceRequest`, written
 * straight into bytes (no message objects), so that {@link decodeOtlpProto}
 * gives the same spans again: the compact form the on-disk journal keeps of
 * spans whose request body it does not have.
 *
 * What the span model does not keep is not written either (a link's flags and
 * dropped count, schema URLs). Values come back as the decoders made them,
 * except a `bigint` outside int64 (only JSON senders make one), which comes
 * back as its decimal text, the form the API shows it in anyway.
 */

import type { AttributeValue, Attributes, InstrumentationScope, Span, SpanEvent, SpanLink } from '../model';
import { SPAN_KINDS, STATUS_CODES } from '../model';
import { TOO_DEEP } from './common';

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Nesting written at most. Stored values are already within the decoders'
 * depth limit; this only bounds the recursion should one not be.
 */
const MAX_DEPTH = 64;

/** `TextEncoder`, reached through globalThis because core is compiled without DOM or Node types. */
const { TextEncoder } = globalThis as unknown as {
  TextEncoder: new () => { encodeInto(text: string, target: Uint8Array): { read: number; written: number } };
};
const textEncoder = new TextEncoder();

/** Strings this long go through the native encoder; shorter ones are copied in a loop. */
const NATIVE_STRING_LENGTH = 48;

/** The value of each hex digit's char code (ids are lowercase hex). */
const NIBBLE = new Uint8Array(128);
for (let digit = 0; digit < 16; digit++) {
  NIBBLE['0123456789abcdef'.charCodeAt(digit)] = digit;
  NIBBLE['0123456789ABCDEF'.charCodeAt(digit)] = digit;
}

/** A growable byte buffer with protobuf primitives; messages are length-prefixed by back-patching. */
class ProtoWriter {
  bytes = new Uint8Array(64 * 1024);
  private view = new DataView(this.bytes.buffer);
  pos = 0;

  private ensure(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  tag(field: number, wireType: number): void {
    this.uint((field << 3) | wireType);
  }

  /** A non-negative integer below 2^53 as a varint. */
  uint(value: number): void {
    this.ensure(10);
    const bytes = this.bytes;
    if (value < 0x80) {
      bytes[this.pos++] = value;
      return;
    }
    while (value >= 0x80) {
      bytes[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    bytes[this.pos++] = value;
  }

  /** A signed 64-bit integer as a varint (negatives in ten bytes, two's complement). */
  int64(value: bigint): void {
    let rest = BigInt.asUintN(64, value);
    this.ensure(10);
    while (rest >= 0x80n) {
      this.bytes[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.bytes[this.pos++] = Number(rest);
  }

  fixed64(value: bigint): void {
    this.ensure(8);
    // Stores the value modulo 2^64, as a fixed64 field holds it.
    this.view.setBigUint64(this.pos, value, true);
    this.pos += 8;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  string(field: number, text: string): void {
    this.tag(field, LEN);
    const length = text.length;
    this.ensure(5 + 3 * length);
    if (length < NATIVE_STRING_LENGTH) {
      let ascii = true;
      for (let i = 0; i < length; i++) {
        if (text.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        const bytes = this.bytes;
        bytes[this.pos++] = length;
        for (let i = 0; i < length; i++) bytes[this.pos++] = text.charCodeAt(i);
        return;
      }
    }
    const at = this.begin();
    this.pos += textEncoder.encodeInto(text, this.bytes.subarray(this.pos)).written;
    this.end(at);
  }

  /** Hex id text as its bytes. */
  id(field: number, hex: string): void {
    const length = hex.length >> 1;
    this.tag(field, LEN);
    this.uint(length);
    this.ensure(length);
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) bytes[this.pos++] = (NIBBLE[hex.charCodeAt(2 * i) & 0x7f] << 4) | NIBBLE[hex.charCodeAt(2 * i + 1) & 0x7f];
  }

  /** Starts a length-prefixed message: one byte is reserved for its length. Returns the mark for {@link end}. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of the message begun at `mark`, moving it when the length needs more than one byte. */
  end(mark: number): void {
    const length = this.pos - mark - 1;
    if (length < 0x80) {
      this.bytes[mark] = length;
      return;
    }
    let extra = 0;
    for (let rest = length; rest >= 0x80; rest = Math.floor(rest / 0x80)) extra++;
    this.ensure(extra);
    this.bytes.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    this.pos += extra;
    let at = mark;
    let rest = length;
    while (rest >= 0x80) {
      this.bytes[at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.bytes[at] = rest;
  }

  /** The bytes written, copied out. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.pos);
  }
}

/** One writer for every call: its buffer grows to the largest request written and is reused. */
const sharedWriter = new ProtoWriter();

function anyValue(writer: ProtoWriter, value: AttributeValue, depth: number): void {
  switch (typeof value) {
    case 'string':
      return writer.string(1, value);
    case 'boolean':
      writer.tag(2, VARINT);
      return writer.uint(value ? 1 : 0);
    case 'number':
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
        writer.tag(3, VARINT);
        if (value >= 0) writer.uint(value);
        else writer.int64(BigInt(value));
      } else {
        writer.tag(4, FIXED64);
        writer.double(value);
      }
      return;
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) return writer.string(1, value.toString());
      writer.tag(3, VARINT);
      return writer.int64(value);
  }
  if (value === null) return;
  if (depth >= MAX_DEPTH) return writer.string(1, TOO_DEEP);
  if (Array.isArray(value)) {
    writer.tag(5, LEN);
    const array = writer.begin();
    for (const item of value) {
      writer.tag(1, LEN);
      const at = writer.begin();
      anyValue(writer, item, depth + 1);
      writer.end(at);
    }
    writer.end(array);
    return;
  }
  writer.tag(6, LEN);
  const list = writer.begin();
  keyValues(writer, 1, value, depth + 1);
  writer.end(list);
}

/** Each entry of `attributes` as a `KeyValue` in field `field`. */
function keyValues(writer: ProtoWriter, field: number, attributes: Attributes, depth: number): void {
  for (const key in attributes) {
    writer.tag(field, LEN);
    const pair = writer.begin();
    writer.string(1, key);
    writer.tag(2, LEN);
    const value = writer.begin();
    anyValue(writer, attributes[key], depth);
    writer.end(value);
    writer.end(pair);
  }
}

function event(writer: ProtoWriter, item: SpanEvent): void {
  writer.tag(11, LEN);
  const at = writer.begin();
  writer.tag(1, FIXED64);
  writer.fixed64(item.timeUnixNano);
  writer.string(2, item.name);
  keyValues(writer, 3, item.attributes, 0);
  if (item.droppedAttributesCount) {
    writer.tag(4, VARINT);
    writer.uint(item.droppedAttributesCount);
  }
  writer.end(at);
}

function link(writer: ProtoWriter, item: SpanLink): void {
  writer.tag(13, LEN);
  const at = writer.begin();
  writer.id(1, item.traceId);
  writer.id(2, item.spanId);
  if (item.traceState) writer.string(3, item.traceState);
  keyValues(writer, 4, item.attributes, 0);
  writer.end(at);
}

function count(writer: ProtoWriter, field: number, value: number | undefined): void {
  if (!value) return;
  writer.tag(field, VARINT);
  writer.uint(value);
}

function span(writer: ProtoWriter, item: Span): void {
  writer.tag(2, LEN);
  const at = writer.begin();
  writer.id(1, item.traceId);
  writer.id(2, item.spanId);
  if (item.traceState) writer.string(3, item.traceState);
  if (item.parentSpanId !== null) writer.id(4, item.parentSpanId);
  writer.string(5, item.name);
  writer.tag(6, VARINT);
  writer.uint(SPAN_KINDS.indexOf(item.kind));
  writer.tag(7, FIXED64);
  writer.fixed64(item.startTimeUnixNano);
  writer.tag(8, FIXED64);
  writer.fixed64(item.endTimeUnixNano);
  keyValues(writer, 9, item.attributes, 0);
  count(writer, 10, item.droppedAttributesCount);
  for (const each of item.events) event(writer, each);
  count(writer, 12, item.droppedEventsCount);
  for (const each of item.links) link(writer, each);
  count(writer, 14, item.droppedLinksCount);
  writer.tag(15, LEN);
  const status = writer.begin();
  if (item.status.message) writer.string(2, item.status.message);
  writer.tag(3, VARINT);
  writer.uint(STATUS_CODES.indexOf(item.status.code));
  writer.end(status);
  if (item.flags) {
    writer.tag(16, FIXED32);
    writer.fixed32(item.flags);
  }
  writer.end(at);
}

function scope(writer: ProtoWriter, item: InstrumentationScope): void {
  writer.tag(1, LEN);
  const at = writer.begin();
  writer.string(1, item.name);
  if (item.version) writer.string(2, item.version);
  keyValues(writer, 3, item.attributes, 0);
  writer.end(at);
}

/**
 * Encodes `spans` as one export request, grouped by their (shared) resource
 * and scope objects, so the decoded spans share them again. Spans come back
 * grouped that way, not in the order given.
 */
export function encodeSpansProto(spans: Iterable<Span>): Uint8Array {
  const groups = new Map<Attributes, Map<InstrumentationScope, Span[]>>();
  for (const item of spans) {
    let scopes = groups.get(item.resource);
    if (scopes === undefined) groups.set(item.resource, (scopes = new Map()));
    let list = scopes.get(item.scope);
    if (list === undefined) scopes.set(item.scope, (list = []));
    list.push(item);
  }
  const writer = sharedWriter;
  writer.pos = 0;
  for (const [resource, scopes] of groups) {
    writer.tag(1, LEN);
    const resourceSpans = writer.begin();
    writer.tag(1, LEN);
    const resourceAt = writer.begin();
    keyValues(writer, 1, resource, 0);
    writer.end(resourceAt);
    for (const [scopeItem, list] of scopes) {
      writer.tag(2, LEN);
      const scopeSpans = writer.begin();
      scope(writer, scopeItem);
      for (const item of list) span(writer, item);
      writer.end(scopeSpans);
    }
    writer.end(resourceSpans);
  }
  return writer.finish();
}
