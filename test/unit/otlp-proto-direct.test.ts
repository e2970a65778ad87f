/**
 * The direct protobuf decoder (field loops over protobufjs's Reader) against
 * protobufjs-encoded fixtures and hand-made wire bytes: every AnyValue type,
 * exact 64-bit values, events, links, dropped counts, ids, wire-type
 * mismatches, unknown fields, truncated input, and the string intern table.
 */
import * as assert from 'node:assert/strict';
import { Utf8Interner, MAX_INTERNED_BYTES } from '../../src/core/intern';
import { nanosToMillis } from '../../src/core/encoding';
import { MalformedPayloadError, type Span } from '../../src/core/model';
import { DEFAULT_DECODE_LIMITS } from '../../src/core/otlp/common';
import { decodeOtlpProto, encodeExportRequestProto } from '../../src/core/otlp/proto';
import { OtlpTypes } from '../../src/core/otlp/schema';
import { lengthField, randomOtlpRequest, seededRandom, toProtoObject, varint } from '../fixtures/otlp';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const PARENT = 'eee19b7ec3c1b173';

type Json = Record<string, unknown>;

function encode(spans: Json[], resourceAttributes: Json[] = []): Buffer {
  return Buffer.from(encodeExportRequestProto(toProtoObject({ resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 'lib', version: '2' }, spans }] }] })));
}

function span(overrides: Json = {}): Json {
  return { traceId: TRACE, spanId: SPAN, name: 'op', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000250000000', ...overrides };
}

function only(bytes: Uint8Array): Span {
  const result = decodeOtlpProto(bytes);
  assert.equal(result.spans.length, 1, JSON.stringify(result.rejected));
  return result.spans[0];
}

function fixed64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(value);
  return out;
}

/** Raw span fields with valid ids, plus `extra` wire bytes. */
function rawSpan(extra: Buffer[]): Buffer {
  return Buffer.concat([lengthField(1, Buffer.from(TRACE, 'hex')), lengthField(2, Buffer.from(SPAN, 'hex')), ...extra]);
}

function rawRequest(spanBytes: Buffer): Buffer {
  return lengthField(1, lengthField(2, lengthField(2, spanBytes)));
}

/** A KeyValue field (number `field`) holding `key` and the raw AnyValue bytes. */
function keyValue(field: number, key: string, anyValue: Buffer): Buffer {
  return lengthField(field, Buffer.concat([lengthField(1, Buffer.from(key)), lengthField(2, anyValue)]));
}

describe('direct OTLP protobuf decoder', () => {
  it('decodes every AnyValue type, nested ones included', () => {
    const attributes = [
      { key: 's', value: { stringValue: 'text' } },
      { key: 'utf8', value: { stringValue: 'café 🙂 プロンプト' } },
      { key: 't', value: { boolValue: true } },
      { key: 'f', value: { boolValue: false } },
      { key: 'i', value: { intValue: '42' } },
      { key: 'neg', value: { intValue: '-7' } },
      { key: 'safe', value: { intValue: String(Number.MAX_SAFE_INTEGER) } },
      { key: 'minSafe', value: { intValue: String(Number.MIN_SAFE_INTEGER) } },
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'max', value: { intValue: '9223372036854775807' } },
      { key: 'min', value: { intValue: '-9223372036854775808' } },
      { key: 'd', value: { doubleValue: 1.5 } },
      { key: 'negZero', value: { doubleValue: -0 } },
      { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: '1' }, { arrayValue: { values: [{ boolValue: true }] } }, {}] } } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }, { key: 'deeper', value: { kvlistValue: { values: [{ key: 'n', value: { doubleValue: 2 } }] } } }] } } },
      { key: 'emptyArray', value: { arrayValue: {} } },
      { key: 'bytes', value: { bytesValue: 'AQID' } },
      { key: 'emptyBytes', value: { bytesValue: '' } },
      { key: 'empty', value: {} },
      { key: '', value: { stringValue: 'empty key' } },
    ];
    const decoded = only(encode([span({ attributes })]));
    assert.deepEqual(decoded.attributes, {
      s: 'text',
      utf8: 'café 🙂 プロンプト',
      t: true,
      f: false,
      i: 42,
      neg: -7,
      safe: Number.MAX_SAFE_INTEGER,
      minSafe: Number.MIN_SAFE_INTEGER,
      big: 9007199254740993n,
      max: 9223372036854775807n,
      min: -9223372036854775808n,
      d: 1.5,
      negZero: -0,
      a: ['x', 1, [true], null],
      kv: { inner: false, deeper: { n: 2 } },
      emptyArray: [],
      bytes: 'AQID',
      emptyBytes: '',
      empty: null,
      '': 'empty key',
    });
    assert.ok(Object.is(decoded.attributes.negZero, -0));
  });

  it('reads integers exactly on both sides of the int32 and 2^53 boundaries', () => {
    const values = [0n, 1n, -1n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), -(2n ** 31n) - 1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) + 1n, -(2n ** 53n)];
    const attributes = values.map((value, i) => ({ key: `v${i}`, value: { intValue: value.toString() } }));
    const decoded = only(encode([span({ attributes })]));
    values.forEach((value, i) => {
      const expected = value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
      assert.equal(decoded.attributes[`v${i}`], expected, value.toString());
    });
  });

  it('keeps the last member of an AnyValue oneof that appears twice on the wire', () => {
    const twice = Buffer.concat([lengthField(1, Buffer.from('first')), varint((3 << 3) | 0), varint(5)]);
    const decoded = only(rawRequest(rawSpan([keyValue(9, 'k', twice)])));
    assert.equal(decoded.attributes.k, 5);
  });

  it('reads 64-bit times exactly, with the millisecond fields matching the bigint arithmetic', () => {
    const cases: Array<[bigint, bigint]> = [
      [1_700_000_000_123_456_789n, 1_700_000_000_987_654_321n],
      [2n ** 53n + 1n, 2n ** 53n + 1_000_001n],
      [2n ** 32n - 1n, 2n ** 32n + 999_999n],
      [18_446_744_073_709_551_615n - 5_000_000n, 18_446_744_073_709_551_615n],
      [1n, 1n],
    ];
    for (const [start, end] of cases) {
      const decoded = only(encode([span({ startTimeUnixNano: start.toString(), endTimeUnixNano: end.toString() })]));
      assert.equal(decoded.startTimeUnixNano, start);
      assert.equal(decoded.endTimeUnixNano, end);
      assert.equal(decoded.startTimeMs, nanosToMillis(start));
      assert.equal(decoded.durationMs, nanosToMillis(end - start));
    }
  });

  it('ends a span without an end time at its start, and gives an end before the start a zero duration', () => {
    const open = only(encode([span({ endTimeUnixNano: '0' })]));
    assert.equal(open.endTimeUnixNano, open.startTimeUnixNano);
    assert.equal(open.durationMs, 0);
    const backwards = only(encode([span({ startTimeUnixNano: '5000000000', endTimeUnixNano: '4000000000' })]));
    assert.equal(backwards.endTimeUnixNano, 4_000_000_000n);
    assert.equal(backwards.durationMs, 0);
  });

  it('decodes events and links with their attributes, trace state and dropped counts', () => {
    const decoded = only(
      encode([
        span({
          droppedAttributesCount: 3,
          droppedEventsCount: 4,
          droppedLinksCount: 5,
          flags: 257,
          traceState: 'rojo=00f067aa0ba902b7',
          kind: 3,
          status: { code: 2, message: 'boom' },
          events: [
            { timeUnixNano: '1700000000100000000', name: 'exception', attributes: [{ key: 'exception.message', value: { stringValue: 'bad' } }], droppedAttributesCount: 2 },
            { name: 'bare' },
          ],
          links: [
            { traceId: PARENT + PARENT, spanId: PARENT, traceState: 'k=v', attributes: [{ key: 'why', value: { stringValue: 'retry' } }] },
            { traceId: TRACE, spanId: '00' },
            { traceId: '0'.repeat(32), spanId: PARENT },
          ],
        }),
      ]),
    );
    assert.deepEqual(decoded.events, [
      { name: 'exception', timeUnixNano: 1_700_000_000_100_000_000n, attributes: { 'exception.message': 'bad' }, droppedAttributesCount: 2 },
      { name: 'bare', timeUnixNano: 0n, attributes: {} },
    ]);
    assert.deepEqual(decoded.links, [{ traceId: PARENT + PARENT, spanId: PARENT, traceState: 'k=v', attributes: { why: 'retry' } }]);
    assert.equal(decoded.droppedAttributesCount, 3);
    assert.equal(decoded.droppedEventsCount, 4);
    assert.equal(decoded.droppedLinksCount, 5 + 2, 'two links with bad ids are dropped and counted');
    assert.equal(decoded.flags, 257);
    assert.equal(decoded.traceState, 'rojo=00f067aa0ba902b7');
    assert.equal(decoded.kind, 'CLIENT');
    assert.deepEqual(decoded.status, { code: 'ERROR', message: 'boom' });
    assert.equal(decoded.derived.isError, true);
  });

  it('adds the events, links and attributes cut at the limits to the counts the sender dropped', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxAttributes: 1, maxEvents: 1, maxLinks: 1 };
    const attributes = [
      { key: 'a', value: { stringValue: '1' } },
      { key: 'b', value: { stringValue: '2' } },
    ];
    const events = [{ name: 'e1', attributes }, { name: 'e2' }, { name: 'e3' }];
    const links = [{ traceId: TRACE, spanId: PARENT }, { traceId: TRACE, spanId: SPAN }];
    const [decoded] = decodeOtlpProto(encode([span({ attributes, events, links, droppedAttributesCount: 10, droppedEventsCount: 20, droppedLinksCount: 30 })]), limits).spans;
    assert.deepEqual(decoded.attributes, { a: '1' });
    assert.equal(decoded.droppedAttributesCount, 11);
    assert.deepEqual(decoded.events.map((event) => [event.name, event.attributes, event.droppedAttributesCount]), [['e1', { a: '1' }, 1]]);
    assert.equal(decoded.droppedEventsCount, 22);
    assert.equal(decoded.links.length, 1);
    assert.equal(decoded.droppedLinksCount, 31);
  });

  it('names bad trace, span and parent ids, and shares id strings between spans', () => {
    const result = decodeOtlpProto(
      encode([
        span({ spanId: PARENT }),
        span({ parentSpanId: PARENT }),
        span({ traceId: 'abcd' }),
        span({ spanId: '0000000000000000' }),
        span({ parentSpanId: 'abcdef' }),
        span({ traceId: '0'.repeat(32) }),
      ]),
    );
    assert.deepEqual(
      result.rejected.map((rejected) => rejected.reason),
      ['trace id must be 16 bytes, got 2', 'span id is all zeros', 'parent span id must be 8 bytes, got 3', 'trace id is all zeros'],
    );
    assert.deepEqual(result.rejected.map((rejected) => rejected.path), [2, 3, 4, 5].map((i) => `resourceSpans[0].scopeSpans[0].spans[${i}]`));
    const [parent, child] = result.spans;
    assert.equal(child.parentSpanId, PARENT);
    assert.equal(child.parentSpanId, parent.spanId);
    assert.equal(child.traceId, TRACE);
    const missing = decodeOtlpProto(rawRequest(Buffer.concat([lengthField(2, Buffer.from(SPAN, 'hex'))])));
    assert.equal(missing.rejected[0].reason, 'trace id must be 16 bytes, got 0');
  });

  it('decodes ids and strings the same from a Buffer, a plain Uint8Array and an offset view', () => {
    const bytes = encode([span({ parentSpanId: PARENT, attributes: [{ key: 'k', value: { stringValue: 'v' } }] })], [{ key: 'service.name', value: { stringValue: 'svc' } }]);
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 7);
    const fromBuffer = decodeOtlpProto(bytes);
    assert.deepEqual(decodeOtlpProto(new Uint8Array(bytes)), fromBuffer);
    assert.deepEqual(decodeOtlpProto(padded.subarray(7)), fromBuffer);
    assert.equal(fromBuffer.spans[0].derived.service, 'svc');
  });

  it('skips unknown fields of every wire type at every level', () => {
    const unknown = (field: number) =>
      Buffer.concat([varint((field << 3) | 0), varint(300), varint((field << 3) | 1), Buffer.alloc(8, 7), varint((field << 3) | 5), Buffer.alloc(4, 7), lengthField(field, Buffer.from('zz'))]);
    const anyValue = Buffer.concat([unknown(20), lengthField(1, Buffer.from('v')), unknown(21)]);
    const attribute = lengthField(9, Buffer.concat([unknown(30), lengthField(1, Buffer.from('k')), lengthField(2, anyValue)]));
    const status = lengthField(15, Buffer.concat([unknown(9), varint((3 << 3) | 0), varint(1)]));
    const spanBytes = rawSpan([unknown(99), attribute, status, lengthField(5, Buffer.from('named'))]);
    const request = lengthField(1, Buffer.concat([unknown(50), lengthField(2, Buffer.concat([unknown(60), lengthField(2, spanBytes)]))]));
    const decoded = only(Buffer.concat([unknown(77), request]));
    assert.equal(decoded.name, 'named');
    assert.deepEqual(decoded.attributes, { k: 'v' });
    assert.equal(decoded.status.code, 'OK');
  });

  it('skips known fields with the wrong wire type and keeps the span', () => {
    const wrong = [
      Buffer.concat([varint((5 << 3) | 0), varint(1)]), // name as a varint
      Buffer.concat([varint((7 << 3) | 0), varint(1)]), // start time as a varint
      Buffer.concat([varint((6 << 3) | 2), varint(1), Buffer.from([1])]), // kind as bytes
      Buffer.concat([varint((16 << 3) | 0), varint(1)]), // flags as a varint
      keyValue(9, 'bool-as-bytes', lengthField(2, Buffer.from([1]))),
      keyValue(9, 'double-as-varint', Buffer.concat([varint((4 << 3) | 0), varint(1)])),
    ];
    const decoded = only(rawRequest(rawSpan(wrong)));
    assert.equal(decoded.name, '');
    assert.equal(decoded.startTimeUnixNano, 0n);
    assert.equal(decoded.kind, 'UNSPECIFIED');
    assert.equal(decoded.flags, undefined);
    assert.deepEqual(decoded.attributes, { 'bool-as-bytes': null, 'double-as-varint': null });
  });

  it('refuses a metrics export posted to the traces path: an error naming the likely mistake, or rejected spans', () => {
    // ExportMetricsServiceRequest { resource_metrics { scope_metrics { metrics { name: "m", sum|gauge { data_points { time_unix_nano, as_double } } } } } }
    const dataPoint = Buffer.concat([varint((3 << 3) | 1), fixed64(1_700_000_000_000_000_000n), varint((4 << 3) | 1), Buffer.alloc(8)]);
    const metrics = (dataField: number) => lengthField(1, lengthField(2, lengthField(2, Buffer.concat([lengthField(1, Buffer.from('m')), lengthField(dataField, lengthField(1, dataPoint))]))));
    // A sum (field 7) lands on the span's fixed64 start time: a wrong wire type.
    assert.throws(
      () => decodeOtlpProto(metrics(7)),
      (error: Error) => error instanceof MalformedPayloadError && /not an OTLP trace export/.test(error.message) && /logs or metrics export/.test(error.message),
    );
    // A gauge (field 5) reads as a span name: the metric's name is no trace id, so nothing is accepted.
    const result = decodeOtlpProto(metrics(5));
    assert.equal(result.spans.length, 0);
    assert.deepEqual(result.rejected, [{ path: 'resourceSpans[0].scopeSpans[0].spans[0]', reason: 'trace id must be 16 bytes, got 1' }]);
  });

  it('answers every truncation of a valid request with MalformedPayloadError or a prefix of its spans', () => {
    const spans = [span({ attributes: [{ key: 'a', value: { arrayValue: { values: [{ intValue: '-1' }, { doubleValue: 2.5 }] } } }], events: [{ name: 'e', timeUnixNano: '5' }] }), span({ spanId: PARENT, parentSpanId: SPAN })];
    const bytes = encode(spans, [{ key: 'service.name', value: { stringValue: 'svc' } }]);
    const whole = decodeOtlpProto(bytes).spans;
    for (let cut = 0; cut < bytes.length; cut++) {
      let result;
      try {
        result = decodeOtlpProto(bytes.subarray(0, cut));
      } catch (error) {
        assert.ok(error instanceof MalformedPayloadError, `cut at ${cut}: ${(error as Error).message}`);
        assert.match(error.message, /^invalid OTLP protobuf: /);
        continue;
      }
      assert.deepEqual(result.spans, whole.slice(0, result.spans.length), `cut at ${cut}`);
    }
  });

  it('answers varints and lengths that run past the end with MalformedPayloadError', () => {
    const bad = [
      rawRequest(rawSpan([keyValue(9, 'k', Buffer.from([(3 << 3) | 0, 0xff, 0xff]))])), // intValue varint cut short
      rawRequest(rawSpan([Buffer.from([(7 << 3) | 1, 1, 2, 3])])), // start time cut short
      rawRequest(Buffer.concat([Buffer.from([(1 << 3) | 2, 0x7f]), Buffer.from(TRACE, 'hex')])), // trace id longer than its message
      Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x08]), // a 2 GiB length
      rawRequest(rawSpan([keyValue(9, 'k', Buffer.concat([Buffer.from([(3 << 3) | 0]), Buffer.alloc(10, 0xff), Buffer.from([1])]))])), // an 11-byte varint
    ];
    for (const bytes of bad) assert.throws(() => decodeOtlpProto(bytes), MalformedPayloadError, bytes.toString('hex'));
  });

  it('decodes like protobufjs reading the same bytes, over random requests', () => {
    const random = seededRandom(0xd1ec7);
    for (let round = 0; round < 200; round++) {
      const request = toProtoObject(randomOtlpRequest(random));
      const bytes = encodeExportRequestProto(request);
      const generic = OtlpTypes.ExportTraceServiceRequest.toObject(OtlpTypes.ExportTraceServiceRequest.decode(bytes), { longs: String, bytes: String, defaults: false }) as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<{ name?: string; startTimeUnixNano?: string; attributes?: unknown[] }> }> }>;
      };
      const expected = (generic.resourceSpans ?? []).flatMap((group) => (group.scopeSpans ?? []).flatMap((scope) => scope.spans ?? []));
      const decoded = decodeOtlpProto(bytes).spans;
      assert.equal(decoded.length, expected.length, `round ${round}`);
      decoded.forEach((got, i) => {
        assert.equal(got.name, expected[i].name ?? '');
        assert.equal(got.startTimeUnixNano.toString(), expected[i].startTimeUnixNano ?? '0');
        assert.equal(Object.keys(got.attributes).length, new Set((expected[i].attributes ?? []).map((kv) => (kv as { key: string }).key)).size);
      });
    }
  });

  it('decodes many distinct keys and values correctly through the bounded intern table', () => {
    const attributes = Array.from({ length: 1_500 }, (_, i) => ({ key: `key.${i}`, value: { stringValue: `value-${i % 700}-${'x'.repeat(i % 40)}` } }));
    const spans = Array.from({ length: 6 }, (_, n) => span({ spanId: `${n + 1}`.padStart(16, '0'), attributes }));
    for (const decoded of decodeOtlpProto(encode(spans)).spans) {
      assert.equal(Object.keys(decoded.attributes).length, 1_500);
      for (let i = 0; i < 1_500; i++) assert.equal(decoded.attributes[`key.${i}`], `value-${i % 700}-${'x'.repeat(i % 40)}`);
    }
  });
});

describe('Utf8Interner', () => {
  const bytesOf = (text: string) => Buffer.from(text);

  it('finds what was added, by content, at any offset', () => {
    const interner = new Utf8Interner();
    const first = bytesOf('..gen_ai.system..');
    assert.equal(interner.find(first, 2, 15), undefined);
    interner.add(first, 2, 15, 'gen_ai.system');
    const elsewhere = bytesOf('gen_ai.system');
    assert.equal(interner.find(elsewhere, 0, elsewhere.length), 'gen_ai.system');
    assert.equal(interner.find(bytesOf('gen_ai.systen'), 0, 13), undefined);
    assert.equal(interner.find(bytesOf('gen_ai.syste'), 0, 12), undefined);
  });

  it('tells apart strings that differ in any byte, including the last 0-3 past whole words', () => {
    const interner = new Utf8Interner();
    const base = 'abcdefghijklmno';
    const bytes = bytesOf(base);
    interner.find(bytes, 0, bytes.length);
    interner.add(bytes, 0, bytes.length, base);
    for (let i = 0; i < base.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] ^= 1;
      assert.equal(interner.find(changed, 0, changed.length), undefined, `byte ${i}`);
    }
    assert.equal(interner.find(bytes, 0, bytes.length), base);
  });

  it('does not cache strings longer than the limit', () => {
    const interner = new Utf8Interner();
    const long = bytesOf('y'.repeat(MAX_INTERNED_BYTES + 1));
    assert.equal(interner.find(long, 0, long.length), undefined);
    interner.add(long, 0, long.length, 'y'.repeat(MAX_INTERNED_BYTES + 1));
    assert.equal(interner.find(long, 0, long.length), undefined);
  });

  it('keeps a bounded number of entries: later strings replace colliding ones, never a wrong answer', () => {
    const interner = new Utf8Interner();
    const texts = Array.from({ length: 20_000 }, (_, i) => `s${i}`);
    for (const text of texts) {
      const bytes = bytesOf(text);
      if (interner.find(bytes, 0, bytes.length) === undefined) interner.add(bytes, 0, bytes.length, text);
    }
    let hits = 0;
    for (const text of texts) {
      const bytes = bytesOf(text);
      const found = interner.find(bytes, 0, bytes.length);
      if (found !== undefined) {
        assert.equal(found, text);
        hits++;
      }
    }
    assert.ok(hits > 1_000 && hits <= 4_096, `${hits} hits`);
  });
});
