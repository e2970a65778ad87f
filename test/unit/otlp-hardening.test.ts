/**
 * Decoders under hostile and odd input: limits applied before memory is spent,
 * rejections counted without being stored one by one, wire-level oddities of
 * protobuf, and agreement between the JSON and protobuf decoders.
 */
import * as assert from 'node:assert/strict';
import { decodeIngest } from '../../src/core/ingest';
import { MalformedPayloadError, rejectedCount, toJsonAttributes } from '../../src/core/model';
import { DEFAULT_DECODE_LIMITS, MAX_LISTED_REJECTIONS, type DecodeLimits } from '../../src/core/otlp/common';
import { decodeOtlpJson, decodeOtlpJsonText } from '../../src/core/otlp/json';
import { decodeCanonicalOtlpJson } from '../../src/core/otlp/jsonWire';
import { decodeOtlpProto, encodeExportRequestProto } from '../../src/core/otlp/proto';
import { lengthField, randomOtlpRequest, seededRandom, toProtoObject, varint } from '../fixtures/otlp';
import { fullGc } from '../support/gc';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** Protobuf bytes of a span with valid ids plus `extra` raw field bytes. */
function spanBytes(extra: Buffer): Buffer {
  return Buffer.concat([lengthField(1, Buffer.from(TRACE, 'hex')), lengthField(2, Buffer.from(SPAN, 'hex')), extra]);
}

/** A whole request holding `spans` (raw span message bytes) in one resource and scope. */
function requestBytes(spans: Buffer[]): Buffer {
  return lengthField(1, lengthField(2, Buffer.concat(spans.map((span) => lengthField(2, span)))));
}

describe('protobuf decoding within limits', () => {
  it('skips attributes past the limit without building them, and counts them', () => {
    const count = 4_000_000;
    const empties = Buffer.alloc(count * 2);
    for (let i = 0; i < empties.length; i += 2) empties[i] = 0x4a; // field 9 (attributes), length 0
    const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxAttributes: 10 };
    const before = process.memoryUsage().rss;
    const result = decodeOtlpProto(requestBytes([spanBytes(empties)]), limits);
    const grewMb = (process.memoryUsage().rss - before) / 1e6;
    assert.equal(result.spans.length, 1);
    assert.equal(Object.keys(result.spans[0].attributes).length, 1, 'ten empty keys collapse into one key ""');
    assert.equal(result.spans[0].droppedAttributesCount, count - 10);
    assert.ok(grewMb < 150, `decoding 4M empty attributes grew the process by ${grewMb.toFixed(0)} MB`);
  });

  it('lists the first rejections and only counts the rest', () => {
    const empties = Buffer.alloc(1_000_000 * 2);
    for (let i = 0; i < empties.length; i += 2) empties[i] = 0x12; // field 2 (spans), length 0
    const result = decodeOtlpProto(lengthField(1, lengthField(2, empties)));
    assert.equal(result.spans.length, 0);
    assert.equal(result.rejected.length, MAX_LISTED_REJECTIONS);
    assert.equal(rejectedCount(result), 1_000_000);
    assert.match(result.rejected[0].reason, /trace id must be 16 bytes, got 0/);
  });

  it('takes at most maxSpansPerRequest spans and rejects the rest by name', () => {
    const spans = [1, 2, 3, 4, 5].map((n) => spanBytes(lengthField(5, Buffer.from(`s${n}`))));
    const result = decodeOtlpProto(requestBytes(spans), { ...DEFAULT_DECODE_LIMITS, maxSpansPerRequest: 3 });
    assert.deepEqual(result.spans.map((span) => span.name), ['s1', 's2', 's3']);
    assert.equal(rejectedCount(result), 2);
    assert.match(result.rejected[0].reason, /over the limit of 3 spans per request/);
  });

  it('reads the resource even when it comes after the spans on the wire', () => {
    const resource = lengthField(1, lengthField(1, Buffer.concat([lengthField(1, Buffer.from('service.name')), lengthField(2, lengthField(1, Buffer.from('late')))])));
    const scopeSpans = lengthField(2, lengthField(2, spanBytes(Buffer.alloc(0))));
    const [span] = decodeOtlpProto(lengthField(1, Buffer.concat([scopeSpans, resource]))).spans;
    assert.equal(span.derived.service, 'late');
  });

  it('skips a known field with the wrong wire type, like the reference parsers', () => {
    // Span name (field 5) sent as a varint: skipped, the span is kept.
    const result = decodeOtlpProto(requestBytes([spanBytes(Buffer.concat([varint((5 << 3) | 0), varint(7)]))]));
    assert.equal(result.spans.length, 1);
    assert.equal(result.spans[0].name, '');
  });

  it('names a logs-shaped message as probably not a trace export', () => {
    // A LogRecord: time_unix_nano (1, fixed64), severity_number (2, varint), body (5, AnyValue).
    const logRecord = Buffer.concat([varint((1 << 3) | 1), Buffer.alloc(8, 1), varint((2 << 3) | 0), varint(9), lengthField(5, lengthField(1, Buffer.from('hello')))]);
    assert.throws(
      () => decodeOtlpProto(lengthField(1, lengthField(2, lengthField(2, logRecord)))),
      (error: Error) => error instanceof MalformedPayloadError && /logs or metrics export/.test(error.message),
    );
  });

  it('answers truncated, overlong and invalid wire data with MalformedPayloadError', () => {
    const good = requestBytes([spanBytes(Buffer.alloc(0))]);
    for (const bad of [good.subarray(0, good.length - 3), Buffer.from([0x0a, 0x05, 0x01]), Buffer.from([0x0f]), Buffer.from([0x00, 0x00]), Buffer.from([0x0b, 0x0b, 0x0b])]) {
      assert.throws(() => decodeOtlpProto(bad), MalformedPayloadError, bad.toString('hex'));
    }
  });

  it('stops nesting at maxDepth without recursing into the rest', () => {
    let value = lengthField(1, Buffer.from('bottom'));
    for (let i = 0; i < 5_000; i++) value = lengthField(5, lengthField(1, value));
    const attribute = lengthField(9, Buffer.concat([lengthField(1, Buffer.from('deep')), lengthField(2, value)]));
    const [span] = decodeOtlpProto(requestBytes([spanBytes(attribute)]), { ...DEFAULT_DECODE_LIMITS, maxDepth: 4 }).spans;
    assert.deepEqual(span.attributes.deep, [[[['[nested too deep]']]]]);
  });

  it('encodes only the kept part of a huge bytesValue, with a marker', () => {
    const bytes = encodeExportRequestProto(
      toProtoObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, attributes: [{ key: 'blob', value: { bytesValue: Buffer.alloc(3_000).toString('base64') } }] }] }] }] }),
    );
    const [span] = decodeOtlpProto(bytes, { ...DEFAULT_DECODE_LIMITS, maxStringLength: 8 }).spans;
    assert.equal(span.attributes.blob, 'AAAAAAAA…[truncated 3992 characters]');
  });

  it('truncates long span names, status messages and scope names', () => {
    const long = 'n'.repeat(50);
    const request = { resourceSpans: [{ scopeSpans: [{ scope: { name: long }, spans: [{ traceId: TRACE, spanId: SPAN, startTimeUnixNano: '1', name: long, status: { code: 2, message: long } }] }] }] };
    const limits = { ...DEFAULT_DECODE_LIMITS, maxStringLength: 10 };
    for (const [span] of [decodeOtlpProto(encodeExportRequestProto(toProtoObject(request)), limits).spans, decodeOtlpJson(request, limits).spans]) {
      assert.equal(span.name, `${'n'.repeat(10)}…[truncated 40 characters]`);
      assert.equal(span.status.message, span.name);
      assert.equal(span.scope.name, span.name);
    }
  });
});

describe('fields that have no business being large', () => {
  const longState = (label: string) => `${label}=${'s'.repeat(1_000_000)}`;
  // 25-character members, the second too long to keep: 19 short ones fit in 512 with their commas.
  const manyMembers = Array.from({ length: 40 }, (_, i) => (i === 1 ? `long=${'l'.repeat(200)}` : `v${String(i).padStart(2, '0')}=${'m'.repeat(21)}`));
  const request = () => ({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              { traceId: TRACE, spanId: SPAN, startTimeUnixNano: '1', traceState: longState('span'), links: [{ traceId: TRACE, spanId: SPAN, traceState: longState('link') }] },
              { traceId: TRACE, spanId: 'eee19b7ec3c1b175', startTimeUnixNano: '1', traceState: 'vendor=short,other=ok' },
              { traceId: TRACE, spanId: 'fff19b7ec3c1b175', startTimeUnixNano: '1', traceState: manyMembers.join(','), links: [{ traceId: TRACE, spanId: SPAN, traceState: manyMembers.join(',') }] },
            ],
          },
        ],
      },
    ],
  });

  it('cuts a traceState (span or link) past the 512 characters of W3C Trace Context to whole members, in every decoder', () => {
    const body = Buffer.from(JSON.stringify(request()));
    const decoded = {
      'general JSON': decodeOtlpJsonText(body.toString('utf8')),
      'fast JSON': decodeCanonicalOtlpJson(body, DEFAULT_DECODE_LIMITS),
      protobuf: decodeOtlpProto(encodeExportRequestProto(toProtoObject(request()))),
    };
    for (const [decoder, result] of Object.entries(decoded)) {
      assert.ok(result, `${decoder} took the body`);
      const [cut, short, members] = result.spans;
      assert.equal(cut.traceState, undefined, `${decoder}: a single member past the limit leaves no trace state`);
      assert.equal(cut.links[0].traceState, undefined, decoder);
      assert.equal(short.traceState, 'vendor=short,other=ok', decoder);
      assert.equal(members.traceState, manyMembers.slice(0, 20).filter((_, i) => i !== 1).join(','), decoder);
      assert.ok(members.traceState!.length <= 512, decoder);
      assert.equal(members.links[0].traceState, members.traceState, decoder);
    }
    assert.deepStrictEqual(decoded['fast JSON'], decoded['general JSON'], 'the fast path cuts exactly as the general decoder');
  });

  it('keeps only the kept part of a cut value alive, not the original it was cut from', () => {
    const kept: unknown[] = [];
    fullGc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40; i++) {
      const body = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, startTimeUnixNano: '1', traceState: longState(`v${i}`), attributes: [{ key: 'doc', value: { stringValue: `${i}`.padEnd(2_000_000, 'd') } }] }] }] }] };
      kept.push(decodeOtlpJson(body, { ...DEFAULT_DECODE_LIMITS, maxStringLength: 100_000 }).spans[0]);
    }
    fullGc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
    assert.equal(kept.length, 40);
    assert.ok(grownMb < 20, `40 spans cut to about 100 KB each keep ${grownMb.toFixed(1)} MB (uncut: 120 MB)`);
  });
});

describe('decoding keys and numbers that would trip naive code', () => {
  it('keeps an attribute named __proto__ as a plain attribute, in every decoder', () => {
    const attributes = [
      { key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } },
      { key: 'x', value: { stringValue: 'y' } },
    ];
    const request = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, startTimeUnixNano: '1', attributes }] }] }] };
    const fromJson = decodeOtlpJsonText(JSON.stringify(request)).spans[0].attributes;
    const fromProto = decodeOtlpProto(encodeExportRequestProto(toProtoObject(request))).spans[0].attributes;
    const fromIngest = decodeIngest(JSON.parse('[{"trace_unique_id":"t","span_unique_id":"s","metadata":{"__proto__":{"polluted":true}}}]')).spans[0].attributes;
    for (const decoded of [fromJson, fromProto]) {
      assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
      assert.deepEqual(Object.keys(decoded), ['__proto__', 'x']);
      assert.equal((decoded as Record<string, unknown>).polluted, undefined);
      assert.deepEqual(JSON.parse(JSON.stringify(toJsonAttributes({ ...decoded, big: 2n ** 64n }))).__proto__, { polluted: true });
    }
    const metadata = fromIngest.metadata as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
    assert.deepEqual(Object.keys(metadata), ['__proto__']);
  });

  it('refuses int64 strings longer than any 64-bit integer instead of parsing them', () => {
    const digits = '9'.repeat(2_000_000);
    const result = decodeOtlpJsonText(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${SPAN}","startTimeUnixNano":${digits}}]}]}]}`);
    assert.equal(result.spans.length, 0);
    assert.match(result.rejected[0].reason, /startTimeUnixNano must be a decimal string or number/);
  });

  it('lists the first JSON rejections and counts the rest, also past the span limit', () => {
    const spans = Array.from({ length: 500 }, () => ({ traceId: 'nope' }));
    const result = decodeOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans }] }] }, { ...DEFAULT_DECODE_LIMITS, maxSpansPerRequest: 400 });
    assert.equal(result.rejected.length, MAX_LISTED_REJECTIONS);
    assert.equal(rejectedCount(result), 500);
    const ingest = decodeIngest(Array.from({ length: 5 }, (_, i) => ({ trace_unique_id: 't', span_unique_id: `s${i}` })), { limits: { ...DEFAULT_DECODE_LIMITS, maxSpansPerRequest: 2 } });
    assert.equal(ingest.spans.length, 2);
    assert.match(ingest.rejected[0].reason, /over the limit of 2 spans per request/);
  });
});

describe('ingest times and latencies out of range (found by the fuzzer)', () => {
  it('rejects numeric times that overflow to infinity instead of throwing RangeError', () => {
    const result = decodeIngest([
      { trace_unique_id: 't', span_unique_id: 'a', start_time: -1e308 },
      { trace_unique_id: 't', span_unique_id: 'b', timestamp: 1e308 },
      { trace_unique_id: 't', span_unique_id: 'c', latency: 1e308 },
      { trace_unique_id: 't', span_unique_id: 'd', start_time: 1_700_000_000 },
    ]);
    assert.deepEqual(result.spans.map((span) => span.name), ['span']);
    assert.equal(result.spans[0].startTimeMs, 1_700_000_000_000);
    assert.match(result.rejected[0].reason, /start_time number -1e\+308 is not an RFC3339 time/);
    assert.match(result.rejected[1].reason, /timestamp number 1e\+308 is not an RFC3339 time/);
    assert.match(result.rejected[2].reason, /latency number 1e\+308 is not a duration in seconds/);
  });
});

describe('JSON and protobuf decoders agree', () => {
  it('decode 100 random requests into the same spans', () => {
    const seed = 0x5eed;
    const random = seededRandom(seed);
    for (let round = 0; round < 100; round++) {
      const request = randomOtlpRequest(random);
      const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxAttributes: 1 + Math.floor(random() * 8), maxDepth: 1 + Math.floor(random() * 4), maxStringLength: 5 + Math.floor(random() * 30), maxArrayLength: 1 + Math.floor(random() * 5), maxEvents: 2, maxLinks: 2 };
      const fromJson = decodeOtlpJson(JSON.parse(JSON.stringify(request)), limits);
      const fromProto = decodeOtlpProto(encodeExportRequestProto(toProtoObject(request)), limits);
      assert.deepEqual(fromProto, fromJson, `seed ${seed}, round ${round}`);
    }
  });
});
