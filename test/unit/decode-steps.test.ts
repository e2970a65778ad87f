/**
 * Trace decoding in steps: each decoder pauses every few hundred spans, so a
 * listener running it with `runInSteps` lets other work through while a large
 * body decodes. Pausing must change nothing: a 100,000-span body decoded in
 * steps, with another decode's steps run between its own, gives exactly the
 * spans, rejections and errors of the decode in one go.
 */

import * as assert from 'node:assert/strict';
import * as protobuf from 'protobufjs/light';
import type { LogDecodeResult } from '../../src/core/logs/record';
import { MalformedPayloadError, type DecodeResult, type Span } from '../../src/core/model';
import { DECODE_STEP_SPANS, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/core/otlp/common';
import { decodeOtlpJsonBytes, decodeOtlpJsonBytesInSteps } from '../../src/core/otlp/json';
import { decodeCanonicalOtlpJson } from '../../src/core/otlp/jsonWire';
import { decodeOtlpLogsJsonBytes, decodeOtlpLogsJsonBytesInSteps } from '../../src/core/otlp/logsJson';
import { decodeOtlpLogsProto, decodeOtlpLogsProtoInSteps } from '../../src/core/otlp/logsProto';
import { encodeSpansProto } from '../../src/core/otlp/protoEncode';
import { decodeSpanSource, decodeSpanSourceInSteps, type SpanSource, type SpanSourceFormat } from '../../src/core/spanSource';

const COUNT = 100_000;
/** Fewer than the body's spans, so the last are rejected past the per-request limit. */
const LIMITS: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxSpansPerRequest: COUNT - 300 };
/** A 100,000-span body pauses about COUNT / DECODE_STEP_SPANS times; far fewer would mean it holds the event loop in long stretches. */
const MIN_PAUSES = Math.floor(COUNT / DECODE_STEP_SPANS) - 2;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const text = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** An OTLP/JSON export of `count` spans in two resources of two scopes each; `zeroIdEvery` makes every such span's id all zeros (rejected). */
function otlpJson(count: number, label: string, zeroIdEvery = 0): Record<string, unknown> {
  const spans = Array.from({ length: count }, (_, n) => ({
    traceId: hex(1 + Math.floor(n / 1000), 32),
    spanId: zeroIdEvery > 0 && n % zeroIdEvery === zeroIdEvery - 1 ? '0'.repeat(16) : hex(n + 1, 16),
    parentSpanId: n % 1000 === 0 ? '' : hex(n - (n % 1000) + 1, 16),
    name: `${label} ${n % 50}`,
    kind: 1 + (n % 5),
    startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) * 1_000_123n),
    endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) * 1_000_123n + 2_500_001n),
    attributes: [text('gen_ai.system', 'openai'), text('step', `${label}-${n % 300}`), { key: 'index', value: { intValue: String(n) } }],
    status: n % 97 === 0 ? { code: 2, message: 'failed' } : { code: 0 },
  }));
  const quarter = Math.ceil(count / 4);
  const group = (r: number) => ({
    resource: { attributes: [text('service.name', `${label}-service-${r}`)] },
    scopeSpans: [0, 1].map((s) => ({ scope: { name: `${label}-scope-${s}`, version: '1.0' }, spans: spans.slice((2 * r + s) * quarter, (2 * r + s + 1) * quarter) })),
  });
  return { resourceSpans: [group(0), group(1)] };
}

const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value));

/** A protobuf export of `count` spans; `zeroIdEvery` as in {@link otlpJson}. */
function otlpProto(count: number, label: string, zeroIdEvery = 0): Uint8Array {
  const spans: Span[] = decodeOtlpJsonBytes(bytesOf(otlpJson(count, label))).spans;
  if (zeroIdEvery > 0) for (let n = zeroIdEvery - 1; n < spans.length; n += zeroIdEvery) spans[n] = { ...spans[n], spanId: '0'.repeat(16) };
  return encodeSpansProto(spans);
}

/** A Respan ingest body of `count` spans; every 1000th has no span id (rejected). */
function ingestBody(count: number, label: string): Buffer {
  return bytesOf(
    Array.from({ length: count }, (_, n) => ({
      trace_unique_id: `${label}-trace-${Math.floor(n / 1000)}`,
      span_unique_id: n % 1000 === 999 ? null : `${label}-span-${n}`,
      span_parent_id: n % 1000 === 0 ? null : `${label}-span-${n - (n % 1000)}`,
      span_name: `${label} ${n % 50}`,
      start_time: '2024-05-01T10:00:00.123456Z',
      timestamp: '2024-05-01T10:00:01.5Z',
      model: 'gpt-4o-mini',
      prompt_tokens: 100 + (n % 7),
    })),
  );
}

const source = (format: SpanSourceFormat, bytes: Uint8Array): SpanSource => ({ format, bytes, receivedAtMs: 1_714_557_600_000 });

/** A decode in steps, and the same decode in one go. */
interface Decode<T> {
  steps(): Generator<void, T>;
  atOnce(): T;
}

const traces = (item: SpanSource): Decode<DecodeResult> => ({ steps: () => decodeSpanSourceInSteps(item, LIMITS), atOnce: () => decodeSpanSource(item, LIMITS) });

/** The result of a decode, or the error it throws. */
type Outcome<T> = { result: T } | { error: unknown };

interface Stepped<T> {
  outcome: Outcome<T>;
  pauses: number;
}

/** Runs `decodes` in steps, one step of each in turn (so each pauses with the others' steps run in between), and counts each one's pauses. */
function stepTogether<T>(decodes: Decode<T>[]): Stepped<T>[] {
  const runs = decodes.map((decode) => ({ steps: decode.steps(), pauses: 0, outcome: undefined as Outcome<T> | undefined }));
  while (runs.some((run) => run.outcome === undefined)) {
    for (const run of runs) {
      if (run.outcome !== undefined) continue;
      try {
        const step = run.steps.next();
        if (step.done) run.outcome = { result: step.value };
        else run.pauses++;
      } catch (error) {
        run.outcome = { error };
      }
    }
  }
  return runs.map((run) => ({ outcome: run.outcome!, pauses: run.pauses }));
}

function atOnce<T>(decode: Decode<T>): Outcome<T> {
  try {
    return { result: decode.atOnce() };
  } catch (error) {
    return { error };
  }
}

/** Asserts both decodes gave the same items and rejections (or threw the same error). */
function assertSame<T>(stepped: Outcome<T>, expected: Outcome<T>): void {
  if ('error' in expected) {
    assert.ok('error' in stepped, 'decoded in steps, but in one go it throws');
    assert.ok(stepped.error instanceof MalformedPayloadError && expected.error instanceof MalformedPayloadError);
    assert.equal(stepped.error.message, expected.error.message);
    return;
  }
  assert.ok('result' in stepped, `in steps it throws ${'error' in stepped ? String(stepped.error) : ''}`);
  assert.deepStrictEqual(stepped.result, expected.result);
}

/** Runs `first` and `second` in steps, interleaved, and checks each against its decode in one go; returns what the first gave. */
function checkInterleaved<T>(first: Decode<T>, second: Decode<T>): Stepped<T> {
  const [a, b] = stepTogether([first, second]);
  assertSame(a.outcome, atOnce(first));
  assertSame(b.outcome, atOnce(second));
  return a;
}

describe('trace decoding in steps', function () {
  this.timeout(120_000);

  it('decodes a 100,000-span protobuf body pausing every few hundred spans, to the same spans and rejections as in one go', () => {
    const bytes = otlpProto(COUNT, 'proto', 997);
    const { outcome, pauses } = checkInterleaved(traces(source('otlp-protobuf', bytes)), traces(source('otlp-protobuf', otlpProto(20_000, 'other'))));
    assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times`);
    assert.ok('result' in outcome);
    // Spans with zero ids and spans past the per-request limit are rejected alike in steps.
    const reasons = new Set(outcome.result.rejected.map((item) => item.reason));
    assert.ok(reasons.has('span id is all zeros'), [...reasons].join('; '));
    assert.ok((outcome.result.moreRejected ?? 0) > 0);
  });

  it('decodes a 100,000-span canonical OTLP/JSON body (the fast path) in steps, to the same spans as in one go', () => {
    const bytes = bytesOf(otlpJson(COUNT - 300, 'json'));
    assert.ok(decodeCanonicalOtlpJson(bytes, LIMITS) !== undefined, 'the body takes the fast path');
    const { pauses } = checkInterleaved(traces(source('otlp-json', bytes)), traces(source('otlp-json', bytesOf(otlpJson(20_000, 'other')))));
    assert.ok(pauses >= MIN_PAUSES - 1, `paused ${pauses} times`);
  });

  it('decodes the spans of a 100,000-span OTLP/JSON body the fast path hands over (JSON.parse) in steps, to the same spans and rejections', () => {
    const bytes = bytesOf(otlpJson(COUNT, 'general', 997));
    assert.equal(decodeCanonicalOtlpJson(bytes, LIMITS), undefined, 'the body is handed to the general decoder');
    const { outcome, pauses } = checkInterleaved(traces(source('otlp-json', bytes)), traces(source('otlp-json', bytesOf(otlpJson(20_000, 'other', 991)))));
    // The fast path pauses before giving up at the first rejected span; the general decoder then pauses as it reads every span.
    assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times`);
    assert.ok('result' in outcome && outcome.result.rejected.length > 0);
  });

  it('decodes a 100,000-span Respan ingest body in steps, to the same spans and rejections', () => {
    const bytes = ingestBody(COUNT, 'ingest');
    const { outcome, pauses } = checkInterleaved(traces(source('respan-ingest-json', bytes)), traces(source('respan-ingest-json', ingestBody(20_000, 'other'))));
    assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times`);
    assert.ok('result' in outcome && outcome.result.rejected.length > 0);
  });

  it('throws the same MalformedPayloadError in steps as in one go, for a protobuf body broken after 100,000 spans and for bodies that are not JSON', () => {
    // A field number 0 after the last group: the whole body is refused, after all its spans were read.
    const broken = Buffer.concat([otlpProto(COUNT, 'broken'), Buffer.from([0])]);
    const { outcome, pauses } = checkInterleaved(traces(source('otlp-protobuf', broken)), traces(source('otlp-protobuf', otlpProto(1_000, 'other'))));
    assert.ok('error' in outcome && outcome.error instanceof MalformedPayloadError, 'a broken body is refused');
    assert.match(outcome.error.message, /^invalid OTLP protobuf: field number 0/);
    assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times before the broken field`);
    const notJson = bytesOf(otlpJson(1_000, 'bad')).subarray(0, 50_000);
    checkInterleaved(traces(source('otlp-json', notJson)), traces(source('respan-ingest-json', Buffer.from('[{"span_unique_id": 1,'))));
    checkInterleaved(traces(source('respan-ingest-json', Buffer.from('{"spans": []}'))), traces(source('otlp-json', Buffer.from('{"resourceLogs": []}'))));
  });

  it('pauses in the JSON fallback between decoding the text, JSON.parse and the spans', () => {
    // One span: nothing to pause for but the parts that cannot be cut.
    const steps = decodeOtlpJsonBytesInSteps(bytesOf(otlpJson(1, 'one', 1)), LIMITS);
    let pauses = 0;
    for (let step = steps.next(); !step.done; step = steps.next()) pauses++;
    assert.equal(pauses, 3);
  });
});

/** An OTLP/JSON logs export of `count` records in one scope; every 1000th has a malformed trace id (rejected). */
function logsJson(count: number, label: string): Record<string, unknown> {
  const logRecords = Array.from({ length: count }, (_, n) => ({
    timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) * 1_000_123n),
    severityNumber: 9,
    body: { stringValue: `${label} line ${n % 300}` },
    traceId: n % 1000 === 999 ? 'not hex' : hex(1 + Math.floor(n / 1000), 32),
    spanId: hex(n + 1, 16),
    attributes: [text('event.name', `${label}.event`)],
  }));
  return { resourceLogs: [{ resource: { attributes: [text('service.name', `${label}-service`)] }, scopeLogs: [{ scope: { name: `${label}-scope` }, logRecords }] }] };
}

/** The same records as protobuf, written field by field (the schema has no logs request type to encode with). */
function logsProto(count: number, label: string): Uint8Array {
  const writer = protobuf.Writer.create();
  const message = (field: number) => writer.uint32((field << 3) | 2).fork();
  const string = (field: number, value: string) => writer.uint32((field << 3) | 2).string(value);
  const keyValue = (field: number, key: string, value: string) => {
    message(field);
    string(1, key);
    message(2);
    string(1, value);
    writer.ldelim().ldelim();
  };
  message(1); // resourceLogs
  message(1); // resource
  keyValue(1, 'service.name', `${label}-service`);
  writer.ldelim();
  message(2); // scopeLogs
  message(1);
  string(1, `${label}-scope`);
  writer.ldelim();
  for (let n = 0; n < count; n++) {
    message(2); // logRecords
    writer.uint32((1 << 3) | 1).fixed64(1_700_000_000_000_000 + n);
    writer.uint32(2 << 3).int32(9);
    message(5);
    string(1, `${label} line ${n % 300}`);
    writer.ldelim();
    keyValue(6, 'event.name', `${label}.event`);
    writer.uint32((9 << 3) | 2).bytes(Buffer.from(hex(1 + Math.floor(n / 1000), 32), 'hex'));
    // Every 1000th span id is 3 bytes (not all zeros, which would be no span): rejected.
    writer.uint32((10 << 3) | 2).bytes(Buffer.from(hex(n + 1, 16), 'hex').subarray(n % 1000 === 999 ? 5 : 0));
    writer.ldelim();
  }
  writer.ldelim().ldelim();
  return writer.finish();
}

const logs = (decode: typeof decodeOtlpLogsProto, inSteps: typeof decodeOtlpLogsProtoInSteps, bytes: Uint8Array): Decode<LogDecodeResult> => ({
  steps: () => inSteps(bytes, LIMITS),
  atOnce: () => decode(bytes, LIMITS),
});

describe('logs decoding in steps', function () {
  this.timeout(120_000);

  for (const [encoding, decode, inSteps, body] of [
    ['protobuf', decodeOtlpLogsProto, decodeOtlpLogsProtoInSteps, logsProto],
    ['JSON', decodeOtlpLogsJsonBytes, decodeOtlpLogsJsonBytesInSteps, (count: number, label: string) => bytesOf(logsJson(count, label))],
  ] as const) {
    it(`decodes a 100,000-record ${encoding} logs body pausing every few hundred records, to the same records and rejections as in one go`, () => {
      const { outcome, pauses } = checkInterleaved(logs(decode, inSteps, body(COUNT, 'logs')), logs(decode, inSteps, body(20_000, 'other')));
      assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times`);
      assert.ok('result' in outcome);
      // Kept: all but the 300 past the limit and the 99 malformed before them.
      assert.equal(outcome.result.records.length, COUNT - 300 - 99);
      assert.equal(outcome.result.rejected.length + (outcome.result.moreRejected ?? 0), 300 + 99);
    });
  }
});

