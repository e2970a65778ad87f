/**
 * The fast path of OTLP/JSON: the canonical form the OTel SDKs send
 * (lowerCamelCase fields, hex ids, int64 as decimal strings or integers,
 * numeric enums), decoded straight from the request bytes into spans, without
 * the intermediate tree of `JSON.parse` or the large-integer pre-scan.
 * Profiling put `JSON.parse`, that pre-scan, the text decoding and the garbage
 * of the tree at two thirds of JSON ingest time.
 *
 * Ids in base64 and enums by name (protobuf's own JSON mapping) are read as
 * the general decoder reads them, and fields it does not read are skipped.
 * Anything else (snake_case, a span that would be rejected, a limit reached,
 * malformed JSON) makes it give up, and the caller decodes the request with
 * the general decoder in `json.ts`, which owns every error message and
 * rejection. So this path only has to be exact on what it accepts: its spans
 * equal the general decoder's for the same bytes (`otlp-json-wire.test.ts`
 * checks that on real SDK output, generated bodies and seeded mutations; the
 * fuzzer on every mutated body it tries).
 */

import { int64Value, parseJsonId } from '../encoding';
import { Utf8Interner } from '../intern';
import type { AttributeValue, Attributes, DecodeResult, InstrumentationScope, Span, SpanEvent, SpanLink, StatusCode } from '../model';
import { setOwn } from '../model';
import { runToEnd } from '../steps';
import { decodeUtf8 } from '../utf8';
import { RequestIds } from './requestIds';
import { DECODE_STEP_SPANS, assembleSpan, spanKindOf, spanLimitOf, statusCodeOf, traceStateText, truncated, type DecodeLimits } from './common';

/** Thrown (never escapes this module) when the body is not in the canonical form. */
const GIVE_UP: unique symbol = Symbol('not canonical OTLP/JSON');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Nesting of a skipped field followed before handing the body over (JSON.parse takes deeper, but nobody sends it). */
const MAX_SKIPPED_DEPTH = 64;

/** The characters after a backslash that JSON allows, besides `u`. */
const SIMPLE_ESCAPES: ReadonlySet<number> = new Set(Array.from('"\\/bfnrt', (char) => char.charCodeAt(0)));

/** Integers of up to 15 digits are exact in a double. */
const EXACT_DIGITS = 15;
/** The longest decimal int64 the general decoder takes (`parseJsonInt64`). */
const MAX_INT64_DIGITS = 20;

/** Attribute keys, field names and short values, shared across requests (see {@link Utf8Interner}). */
const interner = new Utf8Interner();

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

/** Value of an ASCII hex digit, or -1. */
function hexDigit(byte: number): number {
  if (byte >= ZERO && byte <= NINE) return byte - ZERO;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

class CanonicalJsonDecoder {
  private pos = 0;
  private readonly end: number;
  /** Set by {@link digits}: the exact value, and its whole milliseconds and the nanoseconds left over. */
  private big = 0n;
  private wholeMillis = 0;
  private restNanos = 0;
  private readonly ids: RequestIds;
  private spanBudget: number;
  /** Spans left to read before the next pause. */
  private untilPause = DECODE_STEP_SPANS;

  constructor(
    private readonly buf: Uint8Array,
    private readonly limits: DecodeLimits,
  ) {
    this.end = buf.length;
    this.ids = new RequestIds(buf);
    this.spanBudget = spanLimitOf(limits);
  }

  /* ---- JSON tokens ---- */

  /** The next non-blank byte (not consumed), or -1 at the end. */
  private peek(): number {
    const buf = this.buf;
    let pos = this.pos;
    // SDKs send no blanks: most tokens start right here.
    if (pos < this.end && buf[pos] > 0x20) return buf[pos];
    while (pos < this.end) {
      const byte = buf[pos];
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
      pos++;
    }
    this.pos = pos;
    return pos < this.end ? buf[pos] : -1;
  }

  private expect(byte: number): void {
    if (this.peek() !== byte) throw GIVE_UP;
    this.pos++;
  }

  /** After `{`: the index in `fields` of the first field, or {@link END} for `{}`. */
  private firstField(fields: FieldNames): number {
    this.expect(OPEN_BRACE);
    if (this.peek() === CLOSE_BRACE) {
      this.pos++;
      return END;
    }
    return this.field(fields);
  }

  /** The index in `fields` of the next field, or {@link END} at `}`. */
  private nextField(fields: FieldNames): number {
    return this.more(CLOSE_BRACE) ? this.field(fields) : END;
  }

  /**
   * Reads `"name":` and finds the name among `fields` by its bytes, without
   * making a string. Fields the message does not have are skipped here (see
   * {@link skipValue}), so the result is a field of `fields` or {@link END}.
   */
  private field(fields: FieldNames): number {
    const buf = this.buf;
    for (;;) {
      if (this.peek() !== QUOTE) throw GIVE_UP;
      const start = this.pos + 1;
      let at = start;
      while (at < this.end && buf[at] !== QUOTE) at++;
      const index = fields.find(buf, start, at);
      if (buf[at + 1] === COLON) this.pos = at + 2;
      else {
        this.pos = at + 1;
        this.expect(COLON);
      }
      if (index !== UNKNOWN) return index;
      this.skipValue(0);
      if (!this.more(CLOSE_BRACE)) return END;
    }
  }

  /** After `[`: whether there is a first item. */
  private firstItem(): boolean {
    this.expect(OPEN_BRACKET);
    if (this.peek() === CLOSE_BRACKET) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** Whether another item follows (consumes `,` or `]`). */
  private nextItem(): boolean {
    return this.more(CLOSE_BRACKET);
  }

  /** A string token: short ones through the intern table, escapes as JSON.parse reads them. */
  private string(): string {
    const buf = this.buf;
    if (this.peek() !== QUOTE) throw GIVE_UP;
    const start = this.pos + 1;
    let ascii = true;
    let at = start;
    for (;;) {
      if (at >= this.end) throw GIVE_UP;
      const byte = buf[at];
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) return this.escapedString(start);
      if (byte < 0x20) throw GIVE_UP;
      if (byte > 0x7f) ascii = false;
      at++;
    }
    this.pos = at + 1;
    let value = interner.find(buf, start, at);
    if (value === undefined) {
      value = decodeUtf8(buf, start, at, ascii);
      interner.add(buf, start, at, value);
    }
    return value;
  }

  private escapedString(start: number): string {
    const buf = this.buf;
    let at = start;
    for (;;) {
      if (at >= this.end) throw GIVE_UP;
      const byte = buf[at];
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) at++;
      else if (byte < 0x20) throw GIVE_UP;
      at++;
    }
    this.pos = at + 1;
    try {
      return JSON.parse(decodeUtf8(buf, start - 1, at + 1)) as string;
    } catch {
      throw GIVE_UP;
    }
  }

  /** A string value, cut at the string limit as the general decoder cuts it. */
  private text(): string {
    const value = this.string();
    return value.length > this.limits.maxStringLength ? truncated(value, this.limits.maxStringLength) : value;
  }

  /** Scans a number token (strict JSON grammar); returns its digit count if it is an integer, else -1. */
  private number(): number {
    const buf = this.buf;
    let at = this.pos;
    if (buf[at] === MINUS) at++;
    const digitsStart = at;
    if (buf[at] === ZERO) at++;
    else if (isDigit(buf[at])) while (isDigit(buf[at])) at++;
    else throw GIVE_UP;
    const digits = at - digitsStart;
    let integer = true;
    if (buf[at] === DOT) {
      at++;
      if (!isDigit(buf[at])) throw GIVE_UP;
      while (isDigit(buf[at])) at++;
      integer = false;
    }
    if ((buf[at] | 0x20) === 0x65 /* e, E */) {
      at++;
      if (buf[at] === PLUS || buf[at] === MINUS) at++;
      if (!isDigit(buf[at])) throw GIVE_UP;
      while (isDigit(buf[at])) at++;
      integer = false;
    }
    this.pos = at;
    return integer ? digits : -1;
  }

  /** An integer of at most 15 digits (counts, enums, flags). */
  private smallInteger(): number {
    if (this.peek() === QUOTE) throw GIVE_UP;
    const start = this.pos;
    const digits = this.number();
    if (digits < 0 || digits > EXACT_DIGITS) throw GIVE_UP;
    const negative = this.buf[start] === MINUS;
    const value = this.decimal(negative ? start + 1 : start, this.pos);
    return negative ? -value : value;
  }

  /** The decimal digits `buf[start, end)` as a number (exact up to 15 digits). */
  private decimal(start: number, end: number): number {
    const buf = this.buf;
    let value = 0;
    for (let at = start; at < end; at++) value = value * 10 + (buf[at] - ZERO);
    return value;
  }

  /**
   * Reads the unsigned decimal `buf[start, end)` (1-20 digits) into
   * {@link big}, {@link wholeMillis} and {@link restNanos}, exactly as
   * `BigInt` and `nanosToMillis` would compute them.
   */
  private digits(start: number, end: number): void {
    const count = end - start;
    if (count < 1 || count > MAX_INT64_DIGITS) throw GIVE_UP;
    const split = Math.max(start, end - 6);
    this.wholeMillis = this.decimal(start, split);
    this.restNanos = this.decimal(split, end);
    if (count <= EXACT_DIGITS) this.big = BigInt(this.wholeMillis * 1e6 + this.restNanos);
    else {
      const high = Math.max(start, end - 9);
      this.big = BigInt(this.decimal(start, high)) * 1_000_000_000n + BigInt(this.decimal(high, end));
    }
  }

  /** An int64 sent as a decimal string or an integer, unsigned (times): sets {@link digits}. */
  private unsigned64(): void {
    if (this.peek() === QUOTE) {
      const start = this.pos + 1;
      let at = start;
      while (isDigit(this.buf[at])) at++;
      if (this.buf[at] !== QUOTE) throw GIVE_UP;
      this.pos = at + 1;
      return this.digits(start, at);
    }
    const start = this.pos;
    if (this.buf[start] === MINUS || this.number() < 0) throw GIVE_UP;
    this.digits(start, this.pos);
  }

  /** An `intValue`: as `int64Value` gives it (a number when exact, else a bigint). */
  private intValue(): number | bigint {
    const quoted = this.peek() === QUOTE;
    if (quoted) this.pos++;
    const negative = this.buf[this.pos] === MINUS;
    const start = negative ? this.pos + 1 : this.pos;
    let at = start;
    while (isDigit(this.buf[at])) at++;
    if (quoted) {
      if (this.buf[at] !== QUOTE) throw GIVE_UP;
      this.pos = at + 1;
    } else {
      if (this.number() < 0) throw GIVE_UP;
    }
    if (at - start <= EXACT_DIGITS && at > start) {
      const value = this.decimal(start, at);
      // `| 0`-free negation that never makes -0, which int64Value never returns.
      return negative && value !== 0 ? -value : value;
    }
    this.digits(start, at);
    return int64Value(negative ? -this.big : this.big);
  }

  /** A `doubleValue` number (not the string forms of NaN and the infinities). */
  private doubleValue(): number {
    if (this.peek() === QUOTE) throw GIVE_UP;
    const start = this.pos;
    const digits = this.number();
    if (digits >= 0 && digits <= EXACT_DIGITS) {
      const negative = this.buf[start] === MINUS;
      const value = this.decimal(negative ? start + 1 : start, this.pos);
      return negative ? -value : value;
    }
    return Number(decodeUtf8(this.buf, start, this.pos, true));
  }

  private boolean(): boolean {
    this.peek();
    const buf = this.buf;
    const at = this.pos;
    if (buf[at] === 0x74 && buf[at + 1] === 0x72 && buf[at + 2] === 0x75 && buf[at + 3] === 0x65) {
      this.pos = at + 4;
      return true;
    }
    if (buf[at] === 0x66 && buf[at + 1] === 0x61 && buf[at + 2] === 0x6c && buf[at + 3] === 0x73 && buf[at + 4] === 0x65) {
      this.pos = at + 5;
      return false;
    }
    throw GIVE_UP;
  }

  /**
   * Skips a field this decoder does not read (a newer OTLP field, a vendor's
   * extra), checking it is valid JSON as `JSON.parse` would: the general
   * decoder ignores such fields, but refuses the whole body if they are malformed.
   */
  private skipValue(depth: number): void {
    if (depth > MAX_SKIPPED_DEPTH) throw GIVE_UP;
    const byte = this.peek();
    if (byte === QUOTE) return this.skipString();
    if (byte === OPEN_BRACE) {
      this.pos++;
      if (this.peek() === CLOSE_BRACE) {
        this.pos++;
        return;
      }
      do {
        if (this.peek() !== QUOTE) throw GIVE_UP;
        this.skipString();
        this.expect(COLON);
        this.skipValue(depth + 1);
      } while (this.more(CLOSE_BRACE));
      return;
    }
    if (byte === OPEN_BRACKET) {
      this.pos++;
      if (this.peek() === CLOSE_BRACKET) {
        this.pos++;
        return;
      }
      do this.skipValue(depth + 1);
      while (this.more(CLOSE_BRACKET));
      return;
    }
    if (byte === 0x6e /* n */) {
      const buf = this.buf;
      const at = this.pos;
      if (buf[at + 1] !== 0x75 || buf[at + 2] !== 0x6c || buf[at + 3] !== 0x6c) throw GIVE_UP;
      this.pos = at + 4;
      return;
    }
    if (byte === 0x74 /* t */ || byte === 0x66 /* f */) {
      this.boolean();
      return;
    }
    this.number();
  }

  /** After a member or an item: true past a `,`, false past `close`. */
  private more(close: number): boolean {
    const byte = this.peek();
    this.pos++;
    if (byte === COMMA) return true;
    if (byte === close) return false;
    throw GIVE_UP;
  }

  /** Skips a string token, checking its escapes and that it has no raw control characters. */
  private skipString(): void {
    const buf = this.buf;
    let at = this.pos + 1;
    for (;;) {
      if (at >= this.end) throw GIVE_UP;
      const byte = buf[at++];
      if (byte === QUOTE) break;
      if (byte < 0x20) throw GIVE_UP;
      if (byte !== BACKSLASH) continue;
      const escaped = buf[at++];
      if (escaped === 0x75 /* u */) {
        for (let i = 0; i < 4; i++) if (hexDigit(buf[at++]) < 0) throw GIVE_UP;
      } else if (!SIMPLE_ESCAPES.has(escaped)) throw GIVE_UP;
    }
    this.pos = at;
  }

  /* ---- ids ---- */

  /**
   * Where the digits of a quoted id of `hexLength` hex digits at {@link pos}
   * start (consuming it), or -1 (consuming nothing) when the id is written
   * some other way. All zeros is not an id.
   */
  private idDigits(hexLength: number): number {
    if (this.peek() !== QUOTE) throw GIVE_UP;
    const buf = this.buf;
    const start = this.pos + 1;
    const end = start + hexLength;
    if (end >= this.end || buf[end] !== QUOTE) return -1;
    let nonZero = false;
    for (let at = start; at < end; at++) {
      const value = hexDigit(buf[at]);
      if (value < 0) return -1;
      if (value !== 0) nonZero = true;
    }
    if (!nonZero) throw GIVE_UP;
    this.pos = end + 1;
    return start;
  }

  /** An id written other than as hex (base64, as protobuf's own JSON mapping writes bytes), read as the general decoder reads it. */
  private otherId(byteLength: 16 | 8): string {
    const id = parseJsonId(this.string(), byteLength);
    if (typeof id !== 'string') throw GIVE_UP;
    return id;
  }

  /** Lowercase hex text of the checked id digits at `at`, one flat string (a rope would be kept by every retained span). */
  private idText(at: number, hexLength: 16 | 32): string {
    const b = this.buf;
    if (hexLength === 32) return decodeUtf8(b, at, at + 32, true).toLowerCase();
    return String.fromCharCode(
      b[at] | 0x20, b[at + 1] | 0x20, b[at + 2] | 0x20, b[at + 3] | 0x20, b[at + 4] | 0x20, b[at + 5] | 0x20, b[at + 6] | 0x20, b[at + 7] | 0x20,
      b[at + 8] | 0x20, b[at + 9] | 0x20, b[at + 10] | 0x20, b[at + 11] | 0x20, b[at + 12] | 0x20, b[at + 13] | 0x20, b[at + 14] | 0x20, b[at + 15] | 0x20,
    );
  }

  /** A trace id, sharing the previous span's string when equal. */
  private traceId(): string {
    const at = this.idDigits(32);
    if (at < 0) return this.otherId(16);
    return this.ids.traceId(at, 32) ?? this.ids.addTraceId(at, this.idText(at, 32));
  }

  /** A span id, sharing the string of an equal id read before in this request. */
  private spanId(): string {
    const at = this.idDigits(16);
    if (at < 0) return this.otherId(8);
    return this.ids.spanId(at, 16) ?? this.ids.addSpanId(at, this.idText(at, 16));
  }

  /** A link's trace or span id (links are few: no sharing). */
  private linkId(hexLength: 32 | 16): string {
    const at = this.idDigits(hexLength);
    return at < 0 ? this.otherId(hexLength === 32 ? 16 : 8) : this.idText(at, hexLength);
  }

  /** An enum, by number or by name (`SPAN_KIND_SERVER`), for `spanKindOf` / `statusCodeOf` to read as the general decoder does. */
  private enumValue(): number | string {
    return this.peek() === QUOTE ? this.string() : this.smallInteger();
  }

  /* ---- OTLP messages ---- */

  /** Marks `field` as read in `seen`; a field sent twice makes the decoder give up (JSON.parse would keep the last). */
  private once(seen: number, field: number): number {
    const bit = 1 << field;
    if (seen & bit) throw GIVE_UP;
    return seen | bit;
  }

  /** `[{key, value}]` into `target`, at most `limit` entries. */
  private keyValues(target: Attributes, depth: number, limit: number): void {
    if (!this.firstItem()) return;
    let kept = 0;
    do {
      if (kept >= limit) throw GIVE_UP;
      const mark = this.pos;
      if (!this.keyValueAsSent(target, depth)) {
        this.pos = mark;
        this.keyValue(target, depth);
      }
      kept++;
    } while (this.nextItem());
  }

  /** `{"key":…,"value":…}` exactly as SDKs write it, matched byte for byte; false (having set nothing) when it is not. */
  private keyValueAsSent(target: Attributes, depth: number): boolean {
    if (!this.skip(KEY_FIRST)) return false;
    const key = this.string();
    if (!this.skip(VALUE_NEXT)) return false;
    const value = this.anyValue(depth);
    if (this.buf[this.pos] !== CLOSE_BRACE) return false;
    this.pos++;
    setAttribute(target, key, value);
    return true;
  }

  /** A `KeyValue` in any field order and spacing. */
  private keyValue(target: Attributes, depth: number): void {
    let key: string | undefined;
    let value: AttributeValue = null;
    let seen = 0;
    for (let field = this.firstField(KEY_VALUE); field !== END; field = this.nextField(KEY_VALUE)) {
      seen = this.once(seen, field);
      if (field === KeyValueField.Key) key = this.string();
      else value = this.anyValue(depth);
    }
    if (key === undefined) throw GIVE_UP;
    setAttribute(target, key, value);
  }

  /** Whether the bytes at {@link pos} are `literal`; if so, skips them. */
  private skip(literal: Uint8Array): boolean {
    const buf = this.buf;
    const pos = this.pos;
    if (pos + literal.length > this.end) return false;
    for (let i = 0; i < literal.length; i++) if (buf[pos + i] !== literal[i]) return false;
    this.pos = pos + literal.length;
    return true;
  }

  private anyValue(depth: number): AttributeValue {
    let value: AttributeValue;
    switch (this.firstField(ANY_VALUE)) {
      case END:
        return null;
      case AnyValueField.String:
      case AnyValueField.Bytes:
        value = this.text();
        break;
      case AnyValueField.Int:
        value = this.intValue();
        break;
      case AnyValueField.Bool:
        value = this.boolean();
        break;
      case AnyValueField.Double:
        value = this.doubleValue();
        break;
      case AnyValueField.Array:
        value = this.arrayValue(depth);
        break;
      default:
        value = this.kvlistValue(depth);
    }
    if (this.nextField(ANY_VALUE) !== END) throw GIVE_UP;
    return value;
  }

  private arrayValue(depth: number): AttributeValue[] {
    if (depth >= this.limits.maxDepth) throw GIVE_UP;
    const values: AttributeValue[] = [];
    let seen = 0;
    for (let field = this.firstField(VALUES); field !== END; field = this.nextField(VALUES)) {
      seen = this.once(seen, field);
      if (this.firstItem()) {
        do {
          if (values.length >= this.limits.maxArrayLength) throw GIVE_UP;
          values.push(this.anyValue(depth + 1));
        } while (this.nextItem());
      }
    }
    return values;
  }

  private kvlistValue(depth: number): Record<string, AttributeValue> {
    if (depth >= this.limits.maxDepth) throw GIVE_UP;
    const values: Record<string, AttributeValue> = {};
    let seen = 0;
    for (let field = this.firstField(VALUES); field !== END; field = this.nextField(VALUES)) {
      seen = this.once(seen, field);
      this.keyValues(values, depth + 1, this.limits.maxArrayLength);
    }
    return values;
  }

  private attributes(target: Attributes): void {
    this.keyValues(target, 0, this.limits.maxAttributes);
  }

  /** Reads the request into `result`, pausing every {@link DECODE_STEP_SPANS} spans. */
  *request(result: DecodeResult): Generator<void, void> {
    let seen = 0;
    for (let field = this.firstField(REQUEST); field !== END; field = this.nextField(REQUEST)) {
      seen = this.once(seen, field);
      if (this.firstItem()) {
        do yield* this.resourceSpans(result);
        while (this.nextItem());
      }
    }
    if (seen === 0 || this.peek() !== -1) throw GIVE_UP;
  }

  private *resourceSpans(result: DecodeResult): Generator<void, void> {
    const resource: Attributes = {};
    let seen = 0;
    for (let field = this.firstField(RESOURCE_SPANS); field !== END; field = this.nextField(RESOURCE_SPANS)) {
      seen = this.once(seen, field);
      if (field === ResourceSpansField.Resource) {
        // Spans derive fields from their resource: it must come before them, as SDKs send it.
        if (seen & (1 << ResourceSpansField.ScopeSpans)) throw GIVE_UP;
        this.resource(resource);
      } else if (field === ResourceSpansField.ScopeSpans) {
        if (this.firstItem()) {
          do yield* this.scopeSpans(resource, result);
          while (this.nextItem());
        }
      } else this.string();
    }
  }

  /** `{attributes, droppedAttributesCount}`: only the attributes are kept, as the general decoder keeps them. */
  private resource(target: Attributes): void {
    let seen = 0;
    for (let field = this.firstField(RESOURCE); field !== END; field = this.nextField(RESOURCE)) {
      seen = this.once(seen, field);
      if (field === ResourceField.Attributes) this.attributes(target);
      else this.smallInteger();
    }
  }

  private *scopeSpans(resource: Attributes, result: DecodeResult): Generator<void, void> {
    let scope: InstrumentationScope = { name: '', attributes: {} };
    let seen = 0;
    for (let field = this.firstField(SCOPE_SPANS); field !== END; field = this.nextField(SCOPE_SPANS)) {
      seen = this.once(seen, field);
      if (field === ScopeSpansField.Scope) {
        if (seen & (1 << ScopeSpansField.Spans)) throw GIVE_UP;
        scope = this.scope();
      } else if (field === ScopeSpansField.Spans) {
        if (this.firstItem()) {
          do {
            if (--this.untilPause === 0) {
              this.untilPause = DECODE_STEP_SPANS;
              yield;
            }
            if (this.spanBudget-- <= 0) throw GIVE_UP;
            result.spans.push(this.span(resource, scope));
          } while (this.nextItem());
        }
      } else this.string();
    }
  }

  private scope(): InstrumentationScope {
    const scope: InstrumentationScope = { name: '', attributes: {} };
    let seen = 0;
    for (let field = this.firstField(SCOPE); field !== END; field = this.nextField(SCOPE)) {
      seen = this.once(seen, field);
      if (field === ScopeField.Name) scope.name = this.text();
      else if (field === ScopeField.Version) {
        const version = this.text();
        if (version !== '') scope.version = version;
      } else if (field === ScopeField.Attributes) this.attributes(scope.attributes);
      else this.smallInteger();
    }
    return scope;
  }

  private events(): SpanEvent[] {
    const events: SpanEvent[] = [];
    if (!this.firstItem()) return events;
    do {
      if (events.length >= this.limits.maxEvents) throw GIVE_UP;
      let name = '';
      let time = 0n;
      const attributes: Attributes = {};
      let dropped = 0;
      let seen = 0;
      for (let field = this.firstField(EVENT); field !== END; field = this.nextField(EVENT)) {
        seen = this.once(seen, field);
        if (field === EventField.Name) name = this.text();
        else if (field === EventField.Time) {
          this.unsigned64();
          time = this.big;
        } else if (field === EventField.Attributes) this.attributes(attributes);
        else dropped = this.smallInteger();
      }
      const event: SpanEvent = { name, timeUnixNano: time, attributes };
      if (dropped) event.droppedAttributesCount = dropped;
      events.push(event);
    } while (this.nextItem());
    return events;
  }

  private links(): SpanLink[] {
    const links: SpanLink[] = [];
    if (!this.firstItem()) return links;
    do {
      if (links.length >= this.limits.maxLinks) throw GIVE_UP;
      let traceId: string | undefined;
      let spanId: string | undefined;
      let traceState: string | undefined;
      const attributes: Attributes = {};
      let seen = 0;
      for (let field = this.firstField(LINK); field !== END; field = this.nextField(LINK)) {
        seen = this.once(seen, field);
        if (field === LinkField.TraceId) traceId = this.linkId(32);
        else if (field === LinkField.SpanId) spanId = this.linkId(16);
        else if (field === LinkField.TraceState) traceState = traceStateText(this.string(), this.limits);
        else if (field === LinkField.Attributes) this.attributes(attributes);
        // The general decoder does not keep a link's flags or dropped count.
        else this.smallInteger();
      }
      if (traceId === undefined || spanId === undefined) throw GIVE_UP;
      const link: SpanLink = { traceId, spanId, attributes };
      if (traceState) link.traceState = traceState;
      links.push(link);
    } while (this.nextItem());
    return links;
  }

  private span(resource: Attributes, scope: InstrumentationScope): Span {
    let traceId: string | undefined;
    let spanId: string | undefined;
    let parentSpanId: string | null = null;
    let traceState: string | undefined;
    let flags: number | undefined;
    let name = '';
    let kind: number | string = 0;
    let start: bigint | undefined;
    let startWhole = 0;
    let startRest = 0;
    let end: bigint | undefined;
    let endWhole = 0;
    let endRest = 0;
    let statusCode: StatusCode = 'UNSET';
    let statusMessage = '';
    const attributes: Attributes = {};
    let events: SpanEvent[] = [];
    let links: SpanLink[] = [];
    let droppedAttributes = 0;
    let droppedEvents = 0;
    let droppedLinks = 0;
    let seen = 0;
    for (let field = this.firstField(SPAN); field !== END; field = this.nextField(SPAN)) {
      seen = this.once(seen, field);
      switch (field) {
        case SpanField.TraceId:
          traceId = this.traceId();
          break;
        case SpanField.SpanId:
          spanId = this.spanId();
          break;
        case SpanField.ParentSpanId:
          if (this.peek() === QUOTE && this.buf[this.pos + 1] === QUOTE) this.pos += 2;
          else parentSpanId = this.spanId();
          break;
        case SpanField.TraceState:
          traceState = traceStateText(this.string(), this.limits);
          break;
        case SpanField.Flags:
          flags = this.smallInteger();
          break;
        case SpanField.Name:
          name = this.text();
          break;
        case SpanField.Kind:
          kind = this.enumValue();
          break;
        case SpanField.StartTime:
          this.unsigned64();
          start = this.big;
          startWhole = this.wholeMillis;
          startRest = this.restNanos;
          break;
        case SpanField.EndTime:
          this.unsigned64();
          end = this.big;
          endWhole = this.wholeMillis;
          endRest = this.restNanos;
          break;
        case SpanField.Attributes:
          this.attributes(attributes);
          break;
        case SpanField.Events:
          events = this.events();
          break;
        case SpanField.Links:
          links = this.links();
          break;
        case SpanField.Status: {
          let statusSeen = 0;
          for (let part = this.firstField(STATUS); part !== END; part = this.nextField(STATUS)) {
            statusSeen = this.once(statusSeen, part);
            if (part === StatusField.Code) statusCode = statusCodeOf(this.enumValue());
            else statusMessage = this.text();
          }
          break;
        }
        case SpanField.DroppedAttributes:
          droppedAttributes = this.smallInteger();
          break;
        case SpanField.DroppedEvents:
          droppedEvents = this.smallInteger();
          break;
        default:
          droppedLinks = this.smallInteger();
      }
    }
    if (traceId === undefined || spanId === undefined || start === undefined) throw GIVE_UP;
    if (end === undefined) {
      end = start;
      endWhole = startWhole;
      endRest = startRest;
    }
    // The duration in whole milliseconds and leftover nanoseconds, borrowing as `nanosToMillis(end - start)` divides.
    let durationMs = 0;
    if (end > start) {
      let whole = endWhole - startWhole;
      let rest = endRest - startRest;
      if (rest < 0) {
        rest += 1e6;
        whole--;
      }
      durationMs = whole + rest / 1e6;
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
      endTimeUnixNano: end,
      startTimeMs: startWhole + startRest / 1e6,
      durationMs,
      statusCode,
      statusMessage,
      attributes,
      events,
      links,
      droppedAttributesCount: droppedAttributes,
      droppedEventsCount: droppedEvents,
      droppedLinksCount: droppedLinks,
      resource,
      scope,
      origin: 'otlp',
    });
  }
}

/** ASCII `text` as bytes. */
function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

const KEY_FIRST = asciiBytes('{"key":');
const VALUE_NEXT = asciiBytes(',"value":');

/** Sets one attribute; only `__proto__` needs more than an assignment (and a call per attribute adds up). */
function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') setOwn(target, key, value);
  else target[key] = value;
}

/** What `firstField` and `nextField` return at the end of an object. */
const END = -1;
/** What they return for a field the message does not have: skip its value. */
const UNKNOWN = -2;

/** Options of a {@link FieldNames}. */
interface FieldNamesOptions {
  /** Give up on any other field instead of skipping it (where the general decoder does not just ignore them). */
  onlyThese?: boolean;
  /** Other names the general decoder reads here (older OTLP names): give up on them. */
  handedOver?: readonly string[];
}

/**
 * The field names of one OTLP message, found by their bytes (so reading a
 * field name makes no string). Another name is {@link UNKNOWN}, to skip, as
 * the general decoder ignores it; but a snake_case name (the general decoder
 * reads every field under its proto name too), a name listed as handed over,
 * or escapes in a name make the decoder give up.
 */
class FieldNames {
  /** Per name length: the names of that length, as bytes, and (same positions) their indexes. */
  private readonly names: Uint8Array[][] = [];
  private readonly indexes: number[][] = [];
  private readonly onlyThese: boolean;

  constructor(names: readonly string[], options: FieldNamesOptions = {}) {
    names.forEach((name, index) => {
      const bytes = asciiBytes(name);
      (this.names[bytes.length] ??= []).push(bytes);
      (this.indexes[bytes.length] ??= []).push(index);
    });
    // Handed-over names are found like the others, at indexes past them, and refused.
    (options.handedOver ?? []).forEach((name) => {
      const bytes = asciiBytes(name);
      (this.names[bytes.length] ??= []).push(bytes);
      (this.indexes[bytes.length] ??= []).push(HANDED_OVER);
    });
    this.onlyThese = options.onlyThese ?? false;
  }

  /** The index of the name in `buf[start, end)`, or {@link UNKNOWN}. */
  find(buf: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const candidates = this.names[length];
    if (candidates !== undefined) {
      for (let c = 0; c < candidates.length; c++) {
        const name = candidates[c];
        // From the end: names of one message share prefixes (`trace…`, `dropped…`) more than endings.
        let at = length - 1;
        while (at >= 0 && name[at] === buf[start + at]) at--;
        if (at < 0) {
          const index = this.indexes[length][c];
          if (index === HANDED_OVER) throw GIVE_UP;
          return index;
        }
      }
    }
    if (this.onlyThese) throw GIVE_UP;
    // Control characters: JSON.parse refuses the body.
    for (let at = start; at < end; at++) if (buf[at] === UNDERSCORE || buf[at] === BACKSLASH || buf[at] < 0x20) throw GIVE_UP;
    return UNKNOWN;
  }
}

/** The index of a handed-over name in {@link FieldNames}. */
const HANDED_OVER = -3;
const UNDERSCORE = 0x5f;

/*
 * Each message's fields: an enum for the code, and the names in the same order.
 */

const enum KeyValueField { Key, Value }
const KEY_VALUE = new FieldNames(['key', 'value']);

const enum AnyValueField { String, Bytes, Int, Bool, Double, Array, Kvlist }
// The general decoder takes the first AnyValue field it knows, whatever comes before it.
const ANY_VALUE = new FieldNames(['stringValue', 'bytesValue', 'intValue', 'boolValue', 'doubleValue', 'arrayValue', 'kvlistValue'], { onlyThese: true });

/** The one field of `ArrayValue` and `KeyValueList`. */
const VALUES = new FieldNames(['values']);

/** The one field of `ExportTraceServiceRequest`. */
const REQUEST = new FieldNames(['resourceSpans']);

const enum ResourceSpansField { Resource, ScopeSpans, SchemaUrl }
const RESOURCE_SPANS = new FieldNames(['resource', 'scopeSpans', 'schemaUrl'], { handedOver: ['instrumentationLibrarySpans'] });

const enum ResourceField { Attributes, DroppedAttributes }
const RESOURCE = new FieldNames(['attributes', 'droppedAttributesCount']);

const enum ScopeSpansField { Scope, Spans, SchemaUrl }
const SCOPE_SPANS = new FieldNames(['scope', 'spans', 'schemaUrl'], { handedOver: ['instrumentationLibrary'] });

const enum ScopeField { Name, Version, Attributes, DroppedAttributes }
const SCOPE = new FieldNames(['name', 'version', 'attributes', 'droppedAttributesCount']);

const enum EventField { Name, Time, Attributes, DroppedAttributes }
const EVENT = new FieldNames(['name', 'timeUnixNano', 'attributes', 'droppedAttributesCount']);

const enum LinkField { TraceId, SpanId, TraceState, Attributes, DroppedAttributes, Flags }
const LINK = new FieldNames(['traceId', 'spanId', 'traceState', 'attributes', 'droppedAttributesCount', 'flags']);

const enum StatusField { Code, Message }
const STATUS = new FieldNames(['code', 'message']);

const enum SpanField {
  TraceId, SpanId, ParentSpanId, TraceState, Flags, Name, Kind, StartTime, EndTime,
  Attributes, Events, Links, Status, DroppedAttributes, DroppedEvents, DroppedLinks,
}
const SPAN = new FieldNames([
  'traceId', 'spanId', 'parentSpanId', 'traceState', 'flags', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano',
  'attributes', 'events', 'links', 'status', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount',
]);

/**
 * Decodes an OTLP/JSON `ExportTraceServiceRequest` in the canonical form SDKs
 * send, straight from its UTF-8 bytes. Undefined when the body is anything
 * else: decode it with the general decoder then, which has the final word on
 * what is wrong with it.
 */
export function decodeCanonicalOtlpJson(bytes: Uint8Array, limits: DecodeLimits): DecodeResult | undefined {
  return runToEnd(decodeCanonicalOtlpJsonInSteps(bytes, limits));
}

/** {@link decodeCanonicalOtlpJson} in steps: pauses every {@link DECODE_STEP_SPANS} spans (the bytes must not change meanwhile). */
export function* decodeCanonicalOtlpJsonInSteps(bytes: Uint8Array, limits: DecodeLimits): Generator<void, DecodeResult | undefined> {
  const result: DecodeResult = { spans: [], rejected: [] };
  try {
    yield* new CanonicalJsonDecoder(bytes, limits).request(result);
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
  return result;
}
