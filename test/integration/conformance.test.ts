/**
 * OTLP/HTTP conformance of the receivers, after the OpenTelemetry collector's
 * receiver tests and WIRE.md §2: real sockets against a real listener. Every
 * bad request gets the right status and a message naming the problem, never a
 * 500; the listener keeps serving; good spans sent next to bad ones are kept.
 */
import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import * as protobuf from 'protobufjs/light';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/core/otlp/common';
import { decodeExportResponseProto, decodeRpcStatusProto, encodeExportRequestProto } from '../../src/core/otlp/proto';
import { TraceStore } from '../../src/core/store';
import type { TraceDetailJson } from '../../src/protocol/api';
import { INGEST_PATHS, OTLP_TRACE_PATHS } from '../../src/server/receivers';
import { InspectorServer } from '../../src/server/server';
import { toProtoObject } from '../fixtures/otlp';
import { messageOf, rawRequest, type RawResponse } from '../support/rawHttp';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const LIMIT = 512 * 1024;
const LIMITS: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxStringLength: 1_000, maxAttributes: 100, maxDepth: 8 };

/** A valid OTLP/JSON span with span id `n` (as 16 hex digits). */
function span(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: TRACE,
    spanId: n.toString(16).padStart(16, '0'),
    name: `span ${n}`,
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000500000000',
    ...overrides,
  };
}

function request(spans: unknown[], extraGroups: unknown[] = []): Record<string, unknown> {
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'conformance' } }] }, scopeSpans: [{ scope: { name: 'test' }, spans }] }, ...extraGroups] };
}

function spanIdOf(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** Descriptors of the OTLP logs and metrics export requests, to post them where traces are expected. */
const otherSignals = protobuf.Root.fromJSON({
  nested: {
    sig: {
      nested: {
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        AnyValue: { oneofs: { value: { oneof: ['stringValue', 'intValue'] } }, fields: { stringValue: { type: 'string', id: 1 }, intValue: { type: 'int64', id: 3 } } },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        Scope: { fields: { name: { type: 'string', id: 1 }, version: { type: 'string', id: 2 } } },
        ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
        ResourceLogs: { fields: { resource: { type: 'Resource', id: 1 }, scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 } } },
        ScopeLogs: { fields: { scope: { type: 'Scope', id: 1 }, logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 } } },
        LogRecord: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            observedTimeUnixNano: { type: 'fixed64', id: 11 },
            severityNumber: { type: 'int32', id: 2 },
            severityText: { type: 'string', id: 3 },
            body: { type: 'AnyValue', id: 5 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 6 },
            flags: { type: 'fixed32', id: 8 },
            traceId: { type: 'bytes', id: 9 },
            spanId: { type: 'bytes', id: 10 },
          },
        },
        ExportMetricsServiceRequest: { fields: { resourceMetrics: { rule: 'repeated', type: 'ResourceMetrics', id: 1 } } },
        ResourceMetrics: { fields: { resource: { type: 'Resource', id: 1 }, scopeMetrics: { rule: 'repeated', type: 'ScopeMetrics', id: 2 } } },
        ScopeMetrics: { fields: { scope: { type: 'Scope', id: 1 }, metrics: { rule: 'repeated', type: 'Metric', id: 2 } } },
        Metric: { fields: { name: { type: 'string', id: 1 }, description: { type: 'string', id: 2 }, unit: { type: 'string', id: 3 }, sum: { type: 'Sum', id: 7 } } },
        Sum: { fields: { dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 }, aggregationTemporality: { type: 'int32', id: 2 }, isMonotonic: { type: 'bool', id: 3 } } },
        NumberDataPoint: {
          fields: {
            attributes: { rule: 'repeated', type: 'KeyValue', id: 7 },
            startTimeUnixNano: { type: 'fixed64', id: 2 },
            timeUnixNano: { type: 'fixed64', id: 3 },
            asDouble: { type: 'double', id: 4 },
          },
        },
      },
    },
  },
});

function encodeOther(typeName: string, message: Record<string, unknown>): Buffer {
  const type = otherSignals.lookupType(`sig.${typeName}`);
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] };

/** A real-looking logs export, as the OTel SDK's log exporter would send it. */
const LOGS_EXPORT = encodeOther('ExportLogsServiceRequest', {
  resourceLogs: [
    {
      resource,
      scopeLogs: [
        {
          scope: { name: 'app.logger', version: '1.2.0' },
          logRecords: [
            {
              timeUnixNano: '1700000000000000000',
              observedTimeUnixNano: '1700000000000000001',
              severityNumber: 9,
              severityText: 'INFO',
              body: { stringValue: 'user signed in' },
              attributes: [{ key: 'user.id', value: { stringValue: 'u-1' } }],
              flags: 1,
              traceId: Buffer.from(TRACE, 'hex'),
              spanId: Buffer.from(spanIdOf(7), 'hex'),
            },
          ],
        },
      ],
    },
  ],
});

/** A real-looking metrics export (a monotonic sum). */
const METRICS_EXPORT = encodeOther('ExportMetricsServiceRequest', {
  resourceMetrics: [
    {
      resource,
      scopeMetrics: [
        {
          scope: { name: 'app.meter' },
          metrics: [
            {
              name: 'http.server.request.count',
              description: 'requests',
              unit: '1',
              sum: { dataPoints: [{ startTimeUnixNano: '1700000000000000000', timeUnixNano: '1700000060000000000', asDouble: 42, attributes: [{ key: 'route', value: { stringValue: '/' } }] }], aggregationTemporality: 2, isMonotonic: true },
            },
          ],
        },
      ],
    },
  ],
});

describe('OTLP/HTTP conformance', function () {
  this.timeout(60_000);
  let store: TraceStore;
  let server: InspectorServer;
  let base: string;

  before(async () => {
    store = new TraceStore();
    server = new InspectorServer({ store, port: 0, maxBodyBytes: LIMIT, limits: LIMITS });
    await server.start();
    base = server.url;
  });
  after(() => server.stop());
  beforeEach(() => store.clear());
  afterEach(async () => {
    const status = await rawRequest(`${base}/api/status`);
    assert.equal(status.status, 200, 'the listener keeps serving');
  });

  function post(path: string, body: Buffer | string, headers: Record<string, string | number> = {}): Promise<RawResponse> {
    return rawRequest(`${base}${path}`, { method: 'POST', body, headers });
  }
  const postJson = (body: unknown, headers: Record<string, string> = {}) => post('/v1/traces', typeof body === 'string' ? body : JSON.stringify(body), { 'Content-Type': 'application/json', ...headers });
  const postProto = (bytes: Uint8Array, headers: Record<string, string> = {}) => post('/v1/traces', Buffer.from(bytes), { 'Content-Type': 'application/x-protobuf', ...headers });

  /** Asserts an error answer: status, a message matching `pattern`, never a 500. */
  function assertError(response: RawResponse, status: number, pattern: RegExp): void {
    assert.equal(response.status, status, response.text);
    assert.match(messageOf(response), pattern);
  }

  function storedSpanIds(): string[] {
    return [...(store.get(TRACE)?.spans.keys() ?? [])].sort();
  }

  describe('content types', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'APPLICATION/JSON; CHARSET=UTF-8', ' application/json ;charset="utf-8"']) {
      it(`accepts JSON sent as "${type}"`, async () => {
        const response = await post('/v1/traces', JSON.stringify(request([span(1)])), { 'Content-Type': type });
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(JSON.parse(response.text), {});
        assert.deepEqual(storedSpanIds(), [spanIdOf(1)]);
      });
    }
    for (const type of ['application/x-protobuf', 'Application/X-Protobuf', 'APPLICATION/X-PROTOBUF; charset=binary', 'application/protobuf']) {
      it(`accepts protobuf sent as "${type}" and answers in protobuf`, async () => {
        const response = await post('/v1/traces', Buffer.from(encodeExportRequestProto(toProtoObject(request([span(2)])))), { 'Content-Type': type });
        assert.equal(response.status, 200);
        assert.match(String(response.headers['content-type']), /application\/x-protobuf/);
        assert.deepEqual(decodeExportResponseProto(response.body), { rejectedSpans: 0, errorMessage: '' });
        assert.deepEqual(storedSpanIds(), [spanIdOf(2)]);
      });
    }
    for (const type of ['text/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      it(`answers "${type}" with 415 naming the supported types`, async () => {
        const response = await post('/v1/traces', JSON.stringify(request([span(3)])), { 'Content-Type': type });
        assertError(response, 415, /application\/json.*application\/x-protobuf/);
        assert.deepEqual(storedSpanIds(), []);
      });
    }
    it('answers an unknown Content-Encoding with 415 naming the supported ones', async () => {
      const response = await postJson(request([span(1)]), { 'Content-Encoding': 'br' });
      assertError(response, 415, /Content-Encoding "br".*gzip/);
    });
  });

  describe('methods', () => {
    for (const path of [...OTLP_TRACE_PATHS, ...INGEST_PATHS]) {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        it(`answers ${method} ${path} with 405, Allow: POST and a message`, async () => {
          const response = await rawRequest(`${base}${path}`, { method });
          assertError(response, 405, /POST/);
          assert.equal(response.headers.allow, 'POST');
        });
      }
    }
  });

  describe('bodies that are not OTLP', () => {
    it('answers invalid JSON with 400 and a google.rpc.Status naming the problem', async () => {
      const response = await postJson('{"resourceSpans": [');
      assertError(response, 400, /invalid JSON/);
      assert.equal(JSON.parse(response.text).code, 3, 'INVALID_ARGUMENT');
    });

    it('answers protobuf that is not protobuf with 400 and a protobuf google.rpc.Status', async () => {
      const response = await postProto(Buffer.from('this is not protobuf at all, just text'));
      assert.equal(response.status, 400);
      const status = decodeRpcStatusProto(response.body);
      assert.equal(status.code, 3);
      assert.match(status.message, /invalid OTLP protobuf|not an OTLP trace export|no span could be accepted/);
    });

    it('answers a gzip header on a body that is not gzip with 400', async () => {
      const response = await postJson(JSON.stringify(request([span(1)])), { 'Content-Encoding': 'gzip' });
      assertError(response, 400, /not valid gzip/);
    });

    it('answers a truncated gzip body with 400', async () => {
      const gzipped = gzipSync(JSON.stringify(request([span(1)])));
      const response = await postJson(gzipped.subarray(0, gzipped.length - 12).toString('latin1'), { 'Content-Encoding': 'gzip' });
      assertError(response, 400, /gzip/);
    });

    it('answers an empty JSON body with 400 and takes an empty protobuf body as an empty export', async () => {
      assertError(await postJson(''), 400, /empty/);
      const proto = await postProto(Buffer.alloc(0));
      assert.equal(proto.status, 200);
      assert.deepEqual(decodeExportResponseProto(proto.body), { rejectedSpans: 0, errorMessage: '' });
    });

    it('takes {} as a valid export of nothing', async () => {
      const response = await postJson({});
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(response.text), {});
      assert.equal(store.spanCount, 0);
    });

    it('answers JSON that is not an object with 400', async () => {
      for (const body of ['[]', '42', '"traces"', 'null']) assertError(await postJson(body), 400, /must be a JSON object/);
    });

    it('answers a logs protobuf posted to the traces path with 400 and stores nothing', async () => {
      const response = await postProto(LOGS_EXPORT);
      assert.equal(response.status, 400);
      assert.match(decodeRpcStatusProto(response.body).message, /logs or metrics export|no span could be accepted/);
      assert.equal(store.spanCount, 0);
    });

    it('answers a metrics protobuf posted to the traces path with 400 and stores nothing', async () => {
      const response = await postProto(METRICS_EXPORT);
      assert.equal(response.status, 400);
      assert.match(decodeRpcStatusProto(response.body).message, /logs or metrics export/);
      assert.equal(store.spanCount, 0);
    });

    it('answers a logs JSON export posted to the traces path with 400', async () => {
      assertError(await postJson({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }), 400, /logs or metrics export/);
    });
  });

  describe('size limits', () => {
    /** A valid JSON export padded with trailing spaces to exactly `size` bytes. */
    function paddedJson(size: number): Buffer {
      const text = JSON.stringify(request([span(1)]));
      assert.ok(text.length <= size);
      return Buffer.from(text + ' '.repeat(size - text.length));
    }

    it('accepts a body exactly at the limit and answers one byte over with 413', async () => {
      const atLimit = await post('/v1/traces', paddedJson(LIMIT), { 'Content-Type': 'application/json' });
      assert.equal(atLimit.status, 200, atLimit.text);
      assertError(await post('/v1/traces', paddedJson(LIMIT + 1), { 'Content-Type': 'application/json' }), 413, new RegExp(`limit of ${LIMIT} bytes`));
    });

    it('measures the limit after decompression: at the limit accepted, one byte over 413', async () => {
      const atLimit = await post('/v1/traces', gzipSync(paddedJson(LIMIT)), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      assert.equal(atLimit.status, 200, atLimit.text);
      const over = gzipSync(paddedJson(LIMIT + 1));
      assert.ok(over.length < LIMIT / 10, 'the compressed body itself is small');
      assertError(await post('/v1/traces', over, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }), 413, /after decompression/);
    });

    it('answers an over-limit chunked body (no Content-Length) with 413', async () => {
      const response = await rawRequest(`${base}/v1/traces`, { method: 'POST', body: paddedJson(LIMIT * 3), chunked: true, headers: { 'Content-Type': 'application/json' } });
      assertError(response, 413, /larger than the limit/);
    });

    it('applies the limit to the ingest API too', async () => {
      const body = Buffer.from(`[${' '.repeat(LIMIT)}]`);
      const response = await post('/api/v1/traces/ingest', body, { 'Content-Type': 'application/json' });
      assertError(response, 413, /larger than the limit/);
    });
  });

  describe('ids and structure', () => {
    it('rejects ids of the wrong length or not hex, names them, and keeps the good spans', async () => {
      const bad = [
        span(10, { traceId: 'abc' }),
        span(11, { traceId: `${'z'.repeat(32)}` }),
        span(12, { spanId: '--' }),
        span(13, { spanId: '0123456789abcdef00' }),
        span(14, { parentSpanId: '--' }),
        span(15, { traceId: '0'.repeat(32) }),
      ];
      const response = await postJson(request([span(1), ...bad, span(2)]));
      assert.equal(response.status, 200);
      const { partialSuccess } = JSON.parse(response.text) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
      assert.equal(partialSuccess.rejectedSpans, 6);
      assert.match(partialSuccess.errorMessage, /trace id "abc" is not 32 hex digits/);
      assert.match(partialSuccess.errorMessage, /span id "--" is not 16 hex digits/);
      assert.deepEqual(storedSpanIds(), [spanIdOf(1), spanIdOf(2)]);
    });

    it('rejects protobuf ids of the wrong length in a partial success', async () => {
      const proto = encodeExportRequestProto(toProtoObject(request([span(1), { ...span(2), spanId: 'abcd' }])));
      const response = await postProto(proto);
      assert.equal(response.status, 200);
      const answer = decodeExportResponseProto(response.body);
      assert.equal(answer.rejectedSpans, 1);
      assert.match(answer.errorMessage, /span id must be 8 bytes, got 2/);
      assert.deepEqual(storedSpanIds(), [spanIdOf(1)]);
    });

    it('answers a request whose every span is bad with 400', async () => {
      assertError(await postJson(request([span(1, { spanId: '--' })])), 400, /no span could be accepted/);
    });

    it('rejects scopeSpans given as an object, keeping the other resources', async () => {
      const broken = { resource: {}, scopeSpans: { scope: { name: 'x' }, spans: [span(9)] } };
      const response = await postJson(request([span(1)], [broken]));
      assert.equal(response.status, 200);
      assert.match(JSON.parse(response.text).partialSuccess.errorMessage, /scopeSpans: must be an array, got an object/);
      assert.deepEqual(storedSpanIds(), [spanIdOf(1)]);
      assertError(await postJson({ resourceSpans: [broken] }), 400, /scopeSpans: must be an array/);
    });

    it('rejects attributes given as a plain JSON object, naming the problem', async () => {
      const response = await postJson(request([span(1), span(2, { attributes: { 'gen_ai.system': 'openai' } })]));
      assert.equal(response.status, 200);
      assert.match(JSON.parse(response.text).partialSuccess.errorMessage, /attributes must be an array of \{key, value\}, got an object/);
      assert.deepEqual(storedSpanIds(), [spanIdOf(1)]);
    });

    it('accepts snake_case field names and enum names', async () => {
      const snake = {
        resource_spans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { string_value: 'snake' } }] },
            scope_spans: [
              {
                scope: { name: 'snake-scope' },
                spans: [
                  {
                    trace_id: TRACE.toUpperCase(),
                    span_id: spanIdOf(5),
                    parent_span_id: '',
                    name: 'snake span',
                    kind: 'SPAN_KIND_CLIENT',
                    start_time_unix_nano: '1700000000000000000',
                    end_time_unix_nano: '1700000002000000000',
                    attributes: [{ key: 'n', value: { int_value: '7' } }],
                    status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                  },
                ],
              },
            ],
          },
        ],
      };
      const response = await postJson(snake);
      assert.equal(response.status, 200, response.text);
      const detail = JSON.parse((await rawRequest(`${base}/api/traces/${TRACE}`)).text) as TraceDetailJson;
      const [stored] = detail.spans;
      assert.equal(stored.kind, 'CLIENT');
      assert.deepEqual(stored.status, { code: 'ERROR', message: 'bad' });
      assert.equal(stored.durationMs, 2000);
      assert.deepEqual(stored.attributes, { n: 7 });
      assert.equal(stored.service, 'snake');
    });
  });

  describe('bounded values', () => {
    it('truncates very long strings with a marker', async () => {
      const long = 'x'.repeat(50_000);
      const response = await postJson(request([span(1, { name: long, attributes: [{ key: 'prompt', value: { stringValue: long } }] })]));
      assert.equal(response.status, 200);
      const stored = store.getSpan(TRACE, spanIdOf(1))!;
      assert.equal(stored.attributes.prompt, `${'x'.repeat(1_000)}…[truncated 49000 characters]`);
      assert.equal(stored.name, stored.attributes.prompt);
    });

    it('keeps the first maxAttributes attributes and counts the rest as dropped, in both encodings', async () => {
      const attributes = Array.from({ length: 5_000 }, (_, i) => ({ key: `k${i}`, value: { intValue: String(i) } }));
      const body = request([span(1, { attributes })]);
      assert.equal((await postJson(body)).status, 200);
      assert.equal(Object.keys(store.getSpan(TRACE, spanIdOf(1))!.attributes).length, 100);
      assert.equal(store.getSpan(TRACE, spanIdOf(1))!.droppedAttributesCount, 4_900);
      store.clear();
      assert.equal((await postProto(encodeExportRequestProto(toProtoObject(body)))).status, 200);
      assert.equal(store.getSpan(TRACE, spanIdOf(1))!.droppedAttributesCount, 4_900);
    });

    it('stops deep AnyValue nesting at the depth limit with a marker, in both encodings', async () => {
      let value: Record<string, unknown> = { stringValue: 'bottom' };
      for (let i = 0; i < 500; i++) value = i % 2 ? { arrayValue: { values: [value] } } : { kvlistValue: { values: [{ key: 'k', value }] } };
      const body = request([span(1, { attributes: [{ key: 'deep', value }] })]);
      const json = await post('/v1/traces', JSON.stringify(body), { 'Content-Type': 'application/json' });
      assert.equal(json.status, 200, json.text);
      const depthOf = (v: unknown): number => (Array.isArray(v) ? 1 + depthOf(v[0]) : v && typeof v === 'object' ? 1 + depthOf(Object.values(v)[0]) : 0);
      const stored = store.getSpan(TRACE, spanIdOf(1))!.attributes.deep;
      assert.equal(depthOf(stored), LIMITS.maxDepth);
      assert.match(JSON.stringify(stored), /\[nested too deep\]/);
      store.clear();
      const proto = await postProto(encodeExportRequestProto(toProtoObject(request([span(1, { attributes: [{ key: 'deep', value: { stringValue: 'shallow' } }] })]))));
      assert.equal(proto.status, 200);
    });

  });

  describe('64-bit integers', () => {
    const big = '9007199254740993'; // 2^53 + 1: a double would make it ...992
    const start = '1700000000123456789';

    it('keeps intValue and nanosecond times above 2^53 exact from bare JSON numbers and strings', async () => {
      const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${spanIdOf(1)}","startTimeUnixNano":${start},"endTimeUnixNano":"1700000000987654321","attributes":[{"key":"bare","value":{"intValue":${big}}},{"key":"quoted","value":{"intValue":"-9223372036854775808"}}]}]}]}]}`;
      assert.equal((await post('/v1/traces', text, { 'Content-Type': 'application/json' })).status, 200);
      const [stored] = (JSON.parse((await rawRequest(`${base}/api/traces/${TRACE}`)).text) as TraceDetailJson).spans;
      assert.equal(stored.startTimeUnixNano, start);
      assert.equal(stored.endTimeUnixNano, '1700000000987654321');
      assert.deepEqual(stored.attributes, { bare: big, quoted: '-9223372036854775808' });
    });

    it('keeps them exact through protobuf', async () => {
      const proto = encodeExportRequestProto(
        toProtoObject(request([span(1, { startTimeUnixNano: start, endTimeUnixNano: '18446744073709551615', attributes: [{ key: 'big', value: { intValue: big } }, { key: 'max', value: { intValue: '9223372036854775807' } }] })])),
      );
      assert.equal((await postProto(proto)).status, 200);
      const [stored] = (JSON.parse((await rawRequest(`${base}/api/traces/${TRACE}`)).text) as TraceDetailJson).spans;
      assert.equal(stored.startTimeUnixNano, start);
      assert.equal(stored.endTimeUnixNano, '18446744073709551615');
      assert.deepEqual(stored.attributes, { big, max: '9223372036854775807' });
    });
  });

  describe('ingest API bad input', () => {
    it('answers each bad ingest body with 400 and a message, and keeps good spans next to bad ones', async () => {
      const ingest = (body: string) => post('/api/v1/traces/ingest', body, { 'Content-Type': 'application/json' });
      assertError(await ingest('{"data": '), 400, /invalid JSON/);
      assertError(await ingest('{"data": {"trace_unique_id": 1}}'), 400, /array of spans/);
      assertError(await ingest('[{"trace_unique_id": "t"}]'), 400, /span_unique_id is required/);
      assertError(await ingest(''), 400, /invalid JSON|empty/);
      const mixed = await ingest(JSON.stringify([{ trace_unique_id: 't1', span_unique_id: 's1' }, { trace_unique_id: 't1' }, { trace_unique_id: 't1', span_unique_id: 's3', start_time: 'yesterday' }]));
      assert.equal(mixed.status, 200);
      const answer = JSON.parse(mixed.text) as { ingested_count: number; rejected_count: number; error_message: string };
      assert.equal(answer.ingested_count, 1);
      assert.equal(answer.rejected_count, 2);
      assert.match(answer.error_message, /start_time .* is not an RFC3339 time/);
      assertError(await ingest('[{"trace_unique_id": "t", "span_unique_id": "s", "start_time": -1e308}]'), 400, /start_time number -1e\+308/);
    });
  });
});

describe('OTLP/HTTP hostile bodies under a larger limit', function () {
  this.timeout(60_000);
  let store: TraceStore;
  let server: InspectorServer;

  before(async () => {
    store = new TraceStore();
    server = new InspectorServer({ store, port: 0, maxBodyBytes: 8 * 1024 * 1024, limits: LIMITS });
    await server.start();
  });
  after(() => server.stop());

  it('survives AnyValue nesting 100,000 levels deep, keeping the span cut at the depth limit', async () => {
    const depth = 100_000;
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${spanIdOf(1)}","startTimeUnixNano":"1","attributes":[{"key":"d","value":${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"x"}${']}}'.repeat(depth)}}]}]}]}]}`;
    const response = await rawRequest(`${server.url}/v1/traces`, { method: 'POST', body: text, headers: { 'Content-Type': 'application/json' } });
    assert.equal(response.status, 200, response.text);
    assert.match(JSON.stringify(store.getSpan(TRACE, spanIdOf(1))!.attributes.d), /^(\[){8}"\[nested too deep\]"(\]){8}$/);
  });

  it('refuses 1 GB of gzipped zeros at an 8 MiB limit without inflating it', async () => {
    // gzip members concatenate: 16 members of 64 MiB of zeros inflate to 1 GiB.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    assert.ok(bomb.length < 8 * 1024 * 1024, `the bomb itself (${bomb.length} bytes) is under the limit`);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
    const response = await rawRequest(`${server.url}/v1/traces`, { method: 'POST', body: bomb, headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' } });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    assert.equal(response.status, 413);
    assert.match(messageOf(response), /after decompression/);
    const grownMb = (peak - baseline) / 1e6;
    assert.ok(grownMb < 100, `memory grew by ${grownMb.toFixed(0)} MB while refusing the bomb`);
    assert.equal((await rawRequest(`${server.url}/api/status`)).status, 200);
  });
});
