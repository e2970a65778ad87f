import * as assert from 'node:assert/strict';
import { MalformedPayloadError } from '../../src/core/model';
import { decodeOtlpJson, decodeOtlpJsonText, parseJsonText, quoteLargeIntegers } from '../../src/core/otlp/json';
import { decodeOtlpProto, encodeExportRequestProto } from '../../src/core/otlp/proto';
import { encodeOtlpJson } from '../../src/core/otlp/export';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const PARENT = 'eee19b7ec3c1b173';

function request(spans: unknown[], resourceAttributes: unknown[] = [{ key: 'service.name', value: { stringValue: 'svc' } }]) {
  return { resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 'lib', version: '1.0' }, spans }] }] };
}

function span(overrides: Record<string, unknown> = {}) {
  return { traceId: TRACE, spanId: SPAN, name: 'op', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000500000000', ...overrides };
}

describe('OTLP/JSON decoding', () => {
  it('decodes every AnyValue type', () => {
    const attributes = [
      { key: 's', value: { stringValue: 'text' } },
      { key: 'b', value: { boolValue: true } },
      { key: 'i', value: { intValue: '42' } },
      { key: 'in', value: { intValue: 7 } },
      { key: 'd', value: { doubleValue: 1.5 } },
      { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: '1' }] } } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }] } } },
      { key: 'bytes', value: { bytesValue: 'AQID' } },
      { key: 'empty', value: {} },
    ];
    const [decoded] = decodeOtlpJson(request([span({ attributes })])).spans;
    assert.deepEqual(decoded.attributes, { s: 'text', b: true, i: 42, in: 7, d: 1.5, a: ['x', 1], kv: { inner: false }, bytes: 'AQID', empty: null });
  });

  it('keeps int64 values beyond 2^53 exact, from strings and from bare JSON numbers', () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${SPAN}","name":"n","startTimeUnixNano":1700000000123456789,"endTimeUnixNano":"1700000000987654321","attributes":[{"key":"big","value":{"intValue":9007199254740993}},{"key":"bigs","value":{"intValue":"-9223372036854775808"}}]}]}]}]}`;
    const [decoded] = decodeOtlpJsonText(text).spans;
    assert.equal(decoded.startTimeUnixNano, 1700000000123456789n);
    assert.equal(decoded.endTimeUnixNano, 1700000000987654321n);
    assert.equal(decoded.attributes.big, 9007199254740993n);
    assert.equal(decoded.attributes.bigs, -9223372036854775808n);
    assert.equal(decoded.durationMs, 864.197532);
  });

  it('leaves numbers inside strings and floats alone when quoting large integers', () => {
    const text = '{"a":"12345678901234567890","b":12345678901234567890,"c":1.2345678901234567e+30,"d":[-12345678901234567]}';
    assert.equal(quoteLargeIntegers(text), '{"a":"12345678901234567890","b":"12345678901234567890","c":1.2345678901234567e+30,"d":["-12345678901234567"]}');
    assert.deepEqual(parseJsonText(text), { a: '12345678901234567890', b: '12345678901234567890', c: 1.2345678901234567e30, d: ['-12345678901234567'] });
  });

  it('keeps long fractions and exponents whole while quoting a large integer in the same body', () => {
    const text = '{"f":0.30000000000000004,"g":1.5e-12345678901234567,"h":-2.0000000000000000001E+5,"big":12345678901234567}';
    assert.equal(quoteLargeIntegers(text), '{"f":0.30000000000000004,"g":1.5e-12345678901234567,"h":-2.0000000000000000001E+5,"big":"12345678901234567"}');
    assert.deepEqual(parseJsonText(text), { f: 0.30000000000000004, g: 0, h: -200000, big: '12345678901234567' });
  });

  it('accepts snake_case field names, enum names and upper-case hex ids', () => {
    const body = {
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: TRACE.toUpperCase(),
                  span_id: SPAN.toUpperCase(),
                  parent_span_id: PARENT,
                  name: 'snake',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: '1',
                  end_time_unix_nano: '2',
                  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                  attributes: [{ key: 'k', value: { string_value: 'v', } }],
                },
              ],
            },
          ],
        },
      ],
    };
    const [decoded] = decodeOtlpJson(body).spans;
    assert.equal(decoded.traceId, TRACE);
    assert.equal(decoded.spanId, SPAN);
    assert.equal(decoded.parentSpanId, PARENT);
    assert.equal(decoded.kind, 'CLIENT');
    assert.deepEqual(decoded.status, { code: 'ERROR', message: 'boom' });
    assert.equal(decoded.attributes.k, 'v');
    assert.equal(decoded.derived.isError, true);
  });

  it('accepts numeric enums and short enum names', () => {
    const spans = decodeOtlpJson(request([span({ kind: 3, status: { code: 1 } }), span({ spanId: PARENT, kind: 'PRODUCER', status: { code: 'OK' } })])).spans;
    assert.deepEqual(spans.map((s) => [s.kind, s.status.code]), [['CLIENT', 'OK'], ['PRODUCER', 'OK']]);
  });

  it('treats an empty or absent parent id as a root', () => {
    const spans = decodeOtlpJson(request([span({ parentSpanId: '' }), span({ spanId: PARENT })])).spans;
    assert.deepEqual(spans.map((s) => s.parentSpanId), [null, null]);
  });

  it('accepts base64 ids from generic protobuf-JSON encoders', () => {
    const [decoded] = decodeOtlpJson(request([span({ traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: '7uGbfsPBsXQ=' })])).spans;
    assert.equal(decoded.traceId, TRACE);
    assert.equal(decoded.spanId, SPAN);
  });

  it('rejects a bad span by itself and keeps the good ones', () => {
    const result = decodeOtlpJson(request([span({ spanId: '--' }), span(), span({ spanId: PARENT, traceId: '0'.repeat(32) }), span({ spanId: 'aaaaaaaaaaaaaaaa', startTimeUnixNano: 'soon' })]));
    assert.equal(result.spans.length, 1);
    assert.equal(result.rejected.length, 3);
    assert.match(result.rejected[0].reason, /span id "--" is not 16 hex digits/);
    assert.equal(result.rejected[0].path, 'resourceSpans[0].scopeSpans[0].spans[0]');
    assert.match(result.rejected[1].reason, /trace id is all zeros/);
    assert.match(result.rejected[2].reason, /startTimeUnixNano/);
  });

  it('rejects attributes given as a plain object, naming the problem', () => {
    const result = decodeOtlpJson(request([span({ attributes: { k: 'v' } })]));
    assert.equal(result.spans.length, 0);
    assert.match(result.rejected[0].reason, /attributes must be an array of \{key, value\}/);
  });

  it('rejects scopeSpans given as an object without losing sibling resources', () => {
    const body = { resourceSpans: [{ scopeSpans: { spans: [] } }, request([span()]).resourceSpans[0]] };
    const result = decodeOtlpJson(body);
    assert.equal(result.spans.length, 1);
    assert.match(result.rejected[0].reason, /must be an array, got an object/);
  });

  it('answers an unusable body with MalformedPayloadError', () => {
    assert.throws(() => decodeOtlpJsonText('{"resourceSpans": ['), MalformedPayloadError);
    assert.throws(() => decodeOtlpJson([]), /must be a JSON object/);
    assert.throws(() => decodeOtlpJson({ resourceSpans: 'x' }), /resourceSpans must be an array/);
    assert.throws(() => decodeOtlpJson({ resourceLogs: [] }), /logs or metrics/);
  });

  it('takes an empty request as valid and empty', () => {
    assert.deepEqual(decodeOtlpJson({}), { spans: [], rejected: [] });
  });

  it('shares resource and scope objects between the spans of one group', () => {
    const [a, b] = decodeOtlpJson(request([span(), span({ spanId: PARENT })])).spans;
    assert.equal(a.resource, b.resource);
    assert.equal(a.scope, b.scope);
    assert.deepEqual(a.scope, { name: 'lib', version: '1.0', attributes: {} });
  });

  it('truncates long strings and deep nesting with a visible marker', () => {
    let deep: Record<string, unknown> = { stringValue: 'bottom' };
    for (let i = 0; i < 50; i++) deep = { arrayValue: { values: [deep] } };
    const limits = { maxStringLength: 10, maxAttributes: 2, maxDepth: 3, maxArrayLength: 100, maxEvents: 10, maxLinks: 10 };
    const attributes = [
      { key: 'long', value: { stringValue: 'x'.repeat(25) } },
      { key: 'deep', value: deep },
      { key: 'dropped', value: { stringValue: 'over the attribute limit' } },
    ];
    const [decoded] = decodeOtlpJson(request([span({ attributes })]), limits).spans;
    assert.equal(decoded.attributes.long, `${'x'.repeat(10)}…[truncated 15 characters]`);
    assert.deepEqual(decoded.attributes.deep, [[['[nested too deep]']]]);
    assert.equal('dropped' in decoded.attributes, false);
    assert.equal(decoded.droppedAttributesCount, 1);
  });

  it('decodes events and links, skipping links with bad ids', () => {
    const [decoded] = decodeOtlpJson(
      request([
        span({
          events: [{ name: 'exception', timeUnixNano: '1700000000100000000', attributes: [{ key: 'exception.message', value: { stringValue: 'bad' } }] }],
          links: [{ traceId: TRACE, spanId: PARENT, attributes: [] }, { traceId: 'nope', spanId: PARENT }],
        }),
      ]),
    ).spans;
    assert.equal(decoded.events[0].timeUnixNano, 1700000000100000000n);
    assert.equal(decoded.events[0].attributes['exception.message'], 'bad');
    assert.equal(decoded.derived.isError, true, 'an exception event marks the span as failed');
    assert.deepEqual(decoded.links.map((link) => link.spanId), [PARENT]);
    assert.equal(decoded.droppedLinksCount, 1);
  });
});

describe('OTLP protobuf decoding', () => {
  const hex = (text: string) => Buffer.from(text, 'hex');

  it('decodes spans with exact 64-bit times, every AnyValue type and the status', () => {
    const bytes = encodeExportRequestProto({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'proto-svc' } }] },
          scopeSpans: [
            {
              scope: { name: 'scope', version: '2' },
              spans: [
                {
                  traceId: hex(TRACE),
                  spanId: hex(SPAN),
                  parentSpanId: hex(PARENT),
                  name: 'proto-span',
                  kind: 3,
                  startTimeUnixNano: '1700000000123456789',
                  endTimeUnixNano: '1700000001123456789',
                  attributes: [
                    { key: 's', value: { stringValue: 'x' } },
                    { key: 'b', value: { boolValue: true } },
                    { key: 'i', value: { intValue: '-5' } },
                    { key: 'big', value: { intValue: '9223372036854775807' } },
                    { key: 'd', value: { doubleValue: 2.25 } },
                    { key: 'a', value: { arrayValue: { values: [{ stringValue: 'y' }] } } },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'n', value: { intValue: '3' } }] } } },
                    { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 3]) } },
                  ],
                  status: { code: 2, message: 'failed' },
                  events: [{ name: 'e', timeUnixNano: '1700000000200000000' }],
                },
              ],
            },
          ],
        },
      ],
    });
    const [decoded] = decodeOtlpProto(bytes).spans;
    assert.equal(decoded.traceId, TRACE);
    assert.equal(decoded.parentSpanId, PARENT);
    assert.equal(decoded.kind, 'CLIENT');
    assert.equal(decoded.startTimeUnixNano, 1700000000123456789n);
    assert.equal(decoded.durationMs, 1000);
    assert.deepEqual(decoded.attributes, { s: 'x', b: true, i: -5, big: 9223372036854775807n, d: 2.25, a: ['y'], kv: { n: 3 }, raw: 'AQID' });
    assert.deepEqual(decoded.status, { code: 'ERROR', message: 'failed' });
    assert.equal(decoded.events[0].timeUnixNano, 1700000000200000000n);
    assert.equal(decoded.derived.service, 'proto-svc');
  });

  it('rejects spans with ids of the wrong length and keeps the rest', () => {
    const bytes = encodeExportRequestProto({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: hex(TRACE), spanId: hex('abcd'), name: 'bad' }, { traceId: hex(TRACE), spanId: hex(SPAN), name: 'good', startTimeUnixNano: '5' }] }] }],
    });
    const result = decodeOtlpProto(bytes);
    assert.deepEqual(result.spans.map((s) => s.name), ['good']);
    assert.match(result.rejected[0].reason, /span id must be 8 bytes, got 2/);
  });

  it('answers bytes that are not protobuf with MalformedPayloadError', () => {
    assert.throws(() => decodeOtlpProto(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])), MalformedPayloadError);
  });
});

describe('OTLP/JSON export', () => {
  it('round-trips through the decoder with the same spans, resource and scope', () => {
    const original = decodeOtlpJsonText(
      JSON.stringify(
        request([
          span({ parentSpanId: PARENT, attributes: [{ key: 'n', value: { intValue: '9007199254740993' } }, { key: 'f', value: { doubleValue: 0.5 } }, { key: 'l', value: { arrayValue: { values: [{ boolValue: true }] } } }], status: { code: 2, message: 'x' } }),
          span({ spanId: PARENT }),
        ]),
      ),
    ).spans;
    const again = decodeOtlpJson(JSON.parse(JSON.stringify(encodeOtlpJson(original)))).spans;
    assert.equal(again.length, 2);
    for (let i = 0; i < 2; i++) {
      const { derived: _a, resource: ra, scope: sa, ...restA } = original[i];
      const { derived: _b, resource: rb, scope: sb, ...restB } = again[i];
      assert.deepEqual(restB, restA);
      assert.deepEqual(rb, ra);
      assert.deepEqual(sb, sa);
    }
  });
});
