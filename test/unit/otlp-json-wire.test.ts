/**
 * The fast OTLP/JSON path (`jsonWire.ts`) against the general decoder: on
 * every body it accepts, its spans must equal the general decoder's; anything
 * else it must hand over (undefined). Real SDK output, generated canonical
 * bodies, the forms it must hand over, and seeded mutations.
 */

import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { DecodeResult } from '../../src/core/model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/core/otlp/common';
import { decodeOtlpJsonBytes, decodeOtlpJsonText } from '../../src/core/otlp/json';
import { decodeCanonicalOtlpJson } from '../../src/core/otlp/jsonWire';

const TRACE = '5b8efff798038103d269b633813fc60c';

/** What the general decoder makes of `bytes`: its result, or the message it throws. */
function general(bytes: Uint8Array, limits: DecodeLimits): DecodeResult | { error: string } {
  try {
    return decodeOtlpJsonText(Buffer.from(bytes).toString('utf8'), limits);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Decodes `bytes` both ways; asserts they agree whenever the fast path accepts. Returns whether it did. */
function agree(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): boolean {
  const fast = decodeCanonicalOtlpJson(bytes, limits);
  if (fast === undefined) return false;
  assert.deepStrictEqual(fast, general(bytes, limits), `fast and general decoders differ on ${Buffer.from(bytes).toString('utf8').slice(0, 400)}`);
  return true;
}

const json = (value: unknown, indent?: number) => Buffer.from(JSON.stringify(value, null, indent));

/** A small seeded generator (mulberry32), so every run checks the same bodies. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLE_TEXTS = [
  'openai',
  'gpt-4o-mini',
  '',
  'a much longer value that is past the sixty-four bytes the intern table keeps, so it is decoded each time',
  'line one\nline "two"\t\\ end',
  'emoji 🤖 and CJK 漢字, accents é',
  '<script>alert(1)</script>',
  '\u0000\u001f control',
  '\ud83d\ude00 surrogate pair',
];

/** A JSON value of a field the decoders do not read (a newer OTLP field, a vendor's extra). */
function unknownValue(next: () => number): unknown {
  const values = [null, true, false, 0, -1.5e-7, 12345678901234567890, 'text with \\ "quotes" \u2028 and 🤖', [], {}, [1, [2, { deep: [null, { a: 'b' }] }]], { type: 'service', id_keys: ['service.name'], description: { nested: true } }];
  return values[Math.floor(next() * values.length)];
}

/** A random canonical span, as an SDK would write it (with every AnyValue kind). */
function canonicalSpan(next: () => number, index: number): Record<string, unknown> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const hex = (length: number) => Array.from({ length }, () => pick('0123456789abcdefABCDEF'.split(''))).join('').replace(/^./, '1');
  const value = (depth: number): Record<string, unknown> => {
    switch (Math.floor(next() * (depth > 1 ? 5 : 7))) {
      case 0:
        return { stringValue: pick(SAMPLE_TEXTS) };
      case 1:
        return { intValue: pick([0, -1, 42, 9007199254740991, '9007199254740993', '-9223372036854775808', '18446744073709551615', '007']) };
      case 2:
        return { doubleValue: pick([0, -0, 0.7, -1.5e-7, 1e300, 123456789012345680000]) };
      case 3:
        return { boolValue: next() < 0.5 };
      case 4:
        return { bytesValue: 'AQID' };
      case 5:
        return { arrayValue: { values: Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1)) } };
      default:
        return { kvlistValue: { values: [{ key: 'inner', value: value(depth + 1) }, { key: '__proto__', value: value(depth + 1) }] } };
    }
  };
  const start = 1_700_000_000_000_000_000n + BigInt(Math.floor(next() * 1e12));
  const end = start + BigInt(Math.floor(next() * 5e9)) - (next() < 0.1 ? 10n : 0n);
  const span: Record<string, unknown> = {
    traceId: next() < 0.7 ? TRACE : hex(32),
    spanId: next() < 0.1 ? Buffer.from(hex(16), 'hex').toString('base64') : hex(16),
    parentSpanId: next() < 0.3 ? '' : hex(16),
    name: pick(SAMPLE_TEXTS),
    kind: next() < 0.8 ? Math.floor(next() * 7) : pick(['SPAN_KIND_CLIENT', 'server', '2', 'SPAN_KIND_NOPE']),
    startTimeUnixNano: next() < 0.5 ? start.toString() : Number(start),
    endTimeUnixNano: end.toString(),
    attributes: Array.from({ length: Math.floor(next() * 8) }, (_, i) => ({ key: `attr.${i % 3}.${pick(['a', 'gen_ai.system', 'é'])}`, value: value(0) })),
    droppedAttributesCount: Math.floor(next() * 2),
    events: Array.from({ length: Math.floor(next() * 3) }, () => ({
      timeUnixNano: start.toString(),
      name: pick(['exception', 'log']),
      attributes: [{ key: 'exception.message', value: { stringValue: pick(SAMPLE_TEXTS) } }],
      droppedAttributesCount: Math.floor(next() * 2),
    })),
    droppedEventsCount: 0,
    status: next() < 0.3 ? { code: 2, message: pick(SAMPLE_TEXTS) } : { code: Math.floor(next() * 3) },
    links: next() < 0.2 ? [{ traceId: hex(32), spanId: hex(16), traceState: 'k=v', attributes: [], droppedAttributesCount: 0, flags: 1 }] : [],
    droppedLinksCount: 0,
  };
  if (index % 4 === 0) span.flags = 257;
  if (index % 5 === 0) span.traceState = 'vendor=1';
  if (index % 6 === 0) delete span.endTimeUnixNano;
  if (next() < 0.3) span.entityRefs = unknownValue(next);
  return span;
}

function canonicalRequest(next: () => number, spans: number): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 0, entityRefs: unknownValue(next) },
        scopeSpans: [
          { scope: { name: 'lib', version: next() < 0.5 ? '1.0' : '', attributes: [] }, spans: Array.from({ length: spans }, (_, i) => canonicalSpan(next, i)), schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
        ],
        schemaUrl: '',
      },
    ],
  };
}

/** Spans from the real OTel JS SDK, as its OTLP/HTTP JSON exporter sends them. */
async function realSdkBody(): Promise<Buffer> {
  let server: Server | undefined;
  const body = new Promise<Buffer>((resolve) => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.end('{}');
        resolve(Buffer.concat(chunks));
      });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1/traces` });
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'wire-test' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('wire-test', '1.2.3');
  const parent = tracer.startSpan('workflow', { kind: SpanKind.SERVER });
  const child = tracer.startSpan(
    'openai.chat',
    {
      attributes: { 'gen_ai.system': 'openai', 'gen_ai.usage.input_tokens': 120, temperature: 0.7, stream: false, tags: ['a', 'b'], 'gen_ai.prompt.0.content': 'Say "hi"\n🤖' },
      links: [{ context: parent.spanContext(), attributes: { reason: 'follows' } }],
    },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('token', { index: 3 });
  child.recordException(new Error('rate limited'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  child.end();
  await provider.forceFlush();
  const sent = await body;
  await provider.shutdown();
  server!.close();
  return sent;
}

describe('OTLP/JSON fast path', () => {
  it("takes the real OTel JS exporter's output and decodes it exactly as the general decoder does", async () => {
    const body = await realSdkBody();
    assert.ok(agree(body), 'the fast path handed the SDK body over');
    const [child] = decodeCanonicalOtlpJson(body, DEFAULT_DECODE_LIMITS)!.spans;
    assert.equal(child.name, 'openai.chat');
    assert.equal(child.links.length, 1);
    assert.equal(child.status.code, 'ERROR');
    assert.equal(child.attributes['gen_ai.prompt.0.content'], 'Say "hi"\n🤖');
  });

  it('takes generated canonical bodies (every AnyValue kind, escapes, UTF-8, numeric and string int64) and agrees', () => {
    const next = random(7);
    for (let round = 0; round < 300; round++) {
      const body = canonicalRequest(next, 1 + Math.floor(next() * 6));
      assert.ok(agree(json(body)), `handed over a canonical body: ${JSON.stringify(body).slice(0, 300)}`);
    }
  });

  it('skips fields it does not read, anywhere the general decoder ignores them', () => {
    const body = json(canonicalRequest(random(13), 2)).toString();
    const extra = '"vendorExtra":{"list":[1,-2.5e3,true,false,null,"a\\"b\\u00e9"],"nested":{"x":[]}}';
    const variants = [
      body.replace('{"resourceSpans":', `{${extra},"resourceSpans":`),
      body.replace('"scope":{', `${extra},"scope":{`),
      body.replace('"status":{', `"status":{${extra},`),
      body.replace('{"key":', `{${extra},"key":`),
      body.replace('"events":[', `${extra},"events":[`),
    ];
    for (const variant of variants) {
      assert.notEqual(variant, body);
      assert.ok(agree(Buffer.from(variant)), `handed over: ${variant.slice(0, 200)}`);
    }
  });

  it("reads base64 ids and enum names, as protobuf's own JSON mapping writes them", () => {
    const body = canonicalRequest(random(17), 1) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    const [span] = body.resourceSpans[0].scopeSpans[0].spans;
    Object.assign(span, {
      traceId: Buffer.from(TRACE, 'hex').toString('base64'),
      spanId: Buffer.from('0102030405060708', 'hex').toString('base64'),
      parentSpanId: Buffer.from('0a0b0c0d0e0f1011', 'hex').toString('base64url'),
      kind: 'SPAN_KIND_SERVER',
      status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
      links: [{ traceId: Buffer.from(TRACE, 'hex').toString('base64'), spanId: 'AQIDBAUGBwg=' }],
    });
    const bytes = json(body);
    assert.ok(agree(bytes));
    const [decoded] = decodeCanonicalOtlpJson(bytes, DEFAULT_DECODE_LIMITS)!.spans;
    assert.deepEqual([decoded.traceId, decoded.spanId, decoded.parentSpanId, decoded.kind, decoded.status.code], [TRACE, '0102030405060708', '0a0b0c0d0e0f1011', 'SERVER', 'ERROR']);
    assert.deepEqual([decoded.links[0].traceId, decoded.links[0].spanId], [TRACE, '0102030405060708']);
  });

  it('takes indented JSON too', () => {
    assert.ok(agree(json(canonicalRequest(random(3), 3), 2)));
  });

  it('keeps int64 exact from bare numbers and strings, and computes the same milliseconds', () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"eee19b7ec3c1b174","name":"n","startTimeUnixNano":1700000000123456789,"endTimeUnixNano":"1700000000987654321","attributes":[{"key":"big","value":{"intValue":9007199254740993}},{"key":"min","value":{"intValue":"-9223372036854775808"}},{"key":"small","value":{"intValue":"-0"}}]}]}]}]}`;
    const result = decodeCanonicalOtlpJson(Buffer.from(text), DEFAULT_DECODE_LIMITS);
    assert.ok(result);
    const [span] = result.spans;
    assert.equal(span.startTimeUnixNano, 1700000000123456789n);
    assert.equal(span.endTimeUnixNano, 1700000000987654321n);
    assert.equal(span.startTimeMs, 1700000000123.456789);
    assert.equal(span.durationMs, 864.197532);
    assert.equal(span.attributes.big, 9007199254740993n);
    assert.equal(span.attributes.min, -9223372036854775808n);
    assert.ok(Object.is(span.attributes.small, 0));
    assert.ok(agree(Buffer.from(text)));
  });

  it('cuts long strings at the limit exactly as the general decoder does', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxStringLength: 20 };
    const next = random(11);
    for (let round = 0; round < 50; round++) assert.ok(agree(json(canonicalRequest(next, 3)), limits));
  });

  describe('hands everything else to the general decoder', () => {
    const base = () => canonicalRequest(random(5), 2) as { resourceSpans: { resource?: unknown; scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    const handedOver: Record<string, () => Buffer> = {
      'snake_case fields': () => Buffer.from(json(base()).toString().replace(/"startTimeUnixNano"/g, '"start_time_unix_nano"')),
      'an id that is neither hex nor base64': () => {
        const body = base();
        body.resourceSpans[0].scopeSpans[0].spans[0].spanId = 'not-an-id';
        return json(body);
      },
      'an unknown field inside an AnyValue': () => {
        const body = base();
        body.resourceSpans[0].scopeSpans[0].spans[0].attributes = [{ key: 'k', value: { note: 1, stringValue: 'v' } }];
        return json(body);
      },
      'an unknown snake_case field': () => {
        const body = base();
        body.resourceSpans[0].scopeSpans[0].spans[0].future_field = 1;
        return json(body);
      },
      'the old instrumentationLibrarySpans': () => {
        const [group] = base().resourceSpans;
        return json({ resourceSpans: [{ resource: group.resource, instrumentationLibrarySpans: group.scopeSpans }] });
      },
      'malformed JSON inside an unknown field': () => Buffer.from(json(base()).toString().replace('"status":{', '"extra":[1,],"status":{')),
      'a bad escape inside an unknown field': () => Buffer.from(json(base()).toString().replace('"status":{', '"extra":"\\q","status":{')),
      'an unknown field nested past 64 levels': () => Buffer.from(json(base()).toString().replace('"status":{', `"extra":${'['.repeat(70)}${']'.repeat(70)},"status":{`)),
      'a field sent twice': () => Buffer.from(json(base()).toString().replace('"name":', '"name":"first","name":')),
      'the resource after its spans': () => {
        const [group] = base().resourceSpans;
        return json({ resourceSpans: [{ scopeSpans: group.scopeSpans, resource: group.resource }] });
      },
      'an all-zero span id': () => {
        const body = base();
        body.resourceSpans[0].scopeSpans[0].spans[1].spanId = '0000000000000000';
        return json(body);
      },
      'a missing start time': () => {
        const body = base();
        delete body.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano;
        return json(body);
      },
      'an escaped field name': () => Buffer.from(json(base()).toString().replace('"name":', '"n\\u0061me":')),
      'trailing bytes': () => Buffer.concat([json(base()), Buffer.from('x')]),
      'a truncated body': () => json(base()).subarray(0, 300),
      'a byte-order mark': () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(base())]),
      'a logs export': () => json({ resourceLogs: [] }),
      'an empty object': () => json({}),
      'null values': () => Buffer.from(json(base()).toString().replace('"status":{', '"traceState":null,"status":{')),
    };
    for (const [name, make] of Object.entries(handedOver)) {
      it(name, () => {
        const bytes = make();
        assert.equal(decodeCanonicalOtlpJson(bytes, DEFAULT_DECODE_LIMITS), undefined);
        const expected = general(bytes, DEFAULT_DECODE_LIMITS);
        if ('error' in expected) assert.throws(() => decodeOtlpJsonBytes(bytes), { message: expected.error });
        else assert.deepStrictEqual(decodeOtlpJsonBytes(bytes), expected);
      });
    }

    it('a body past a decode limit (the general decoder counts what it drops)', () => {
      const limits = { ...DEFAULT_DECODE_LIMITS, maxAttributes: 1, maxSpansPerRequest: 1 };
      const bytes = json(base());
      assert.equal(decodeCanonicalOtlpJson(bytes, limits), undefined);
      assert.deepStrictEqual(decodeOtlpJsonBytes(bytes, limits), general(bytes, limits));
    });
  });

  it('never disagrees with the general decoder on mutated bodies (seeded fuzzing)', () => {
    const next = random(2024);
    const seeds = Array.from({ length: 20 }, () => json(canonicalRequest(next, 2)));
    const interesting = [0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x39, 0x2d, 0x20, 0x0a, 0x00, 0x80, 0xc3, 0xe2, 0xf0, 0xff];
    let accepted = 0;
    for (let round = 0; round < 4000; round++) {
      const seed = seeds[round % seeds.length];
      const bytes = Buffer.from(seed);
      let body: Buffer = bytes;
      const mutations = 1 + Math.floor(next() * 3);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(next() * body.length);
        const byte = next() < 0.7 ? interesting[Math.floor(next() * interesting.length)] : Math.floor(next() * 256);
        const kind = next();
        if (kind < 0.5) body[at] = byte;
        else if (kind < 0.75) body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
        else body = Buffer.concat([body.subarray(0, at), Buffer.from([byte]), body.subarray(at)]);
      }
      if (agree(body)) accepted++;
    }
    // Many mutations land in string contents the fast path still takes: the comparison is not vacuous.
    assert.ok(accepted > 250, `only ${accepted} mutated bodies were decoded by the fast path`);
  });
});
