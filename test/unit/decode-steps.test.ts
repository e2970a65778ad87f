/**
 * Trace decoding in steps: each decoder pauses every few hundred spans, so a
 * listener running it with `runInSteps` lets other work through while a large
 * body decodes. Pausing must change nothing: a 100,000-span body decoded in
 * steps, with another decode's steps run between its own, gives exactly the
 * spans, rejections and errors of the decode in one go.
 */

import * as assert from 'node:assert/strict';
import { MalformedPayloadError, type DecodeResult, type Span } from '../../src/core/model';
import { DECODE_STEP_SPANS, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/core/otlp/common';
import { decodeOtlpJsonBytes, decodeOtlpJsonBytesInSteps } from '../../src/core/otlp/json';
import { decodeCanonicalOtlpJson } from '../../src/core/otlp/jsonWire';
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

/** The result of a decode, or the error it throws. */
type Outcome = { result: DecodeResult } | { error: unknown };

interface Stepped {
  outcome: Outcome;
  pauses: number;
}

/**
 * Runs the decodes of `sources` in steps, one step of each in turn (so each
 * pauses with the others' steps run in between), and counts each one's pauses.
 */
function stepTogether(sources: SpanSource[]): Stepped[] {
  const runs = sources.map((item) => ({ steps: decodeSpanSourceInSteps(item, LIMITS), pauses: 0, outcome: undefined as Outcome | undefined }));
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

function atOnce(item: SpanSource): Outcome {
  try {
    return { result: decodeSpanSource(item, LIMITS) };
  } catch (error) {
    return { error };
  }
}

/** Asserts both decodes gave the same spans and rejections (or threw the same error). */
function assertSame(stepped: Outcome, expected: Outcome): void {
  if ('error' in expected) {
    assert.ok('error' in stepped, 'decoded in steps, but in one go it throws');
    assert.ok(stepped.error instanceof MalformedPayloadError && expected.error instanceof MalformedPayloadError);
    assert.equal(stepped.error.message, expected.error.message);
    return;
  }
  assert.ok('result' in stepped, `in steps it throws ${'error' in stepped ? String(stepped.error) : ''}`);
  assert.equal(stepped.result.spans.length, expected.result.spans.length);
  assert.deepStrictEqual(stepped.result, expected.result);
}

/** Decodes `first` and `second` in steps, interleaved, and checks each against its decode in one go; returns what the first gave. */
function checkInterleaved(first: SpanSource, second: SpanSource): Stepped {
  const [a, b] = stepTogether([first, second]);
  assertSame(a.outcome, atOnce(first));
  assertSame(b.outcome, atOnce(second));
  return a;
}

describe('trace decoding in steps', function () {
  this.timeout(120_000);

  it('decodes a 100,000-span protobuf body pausing every few hundred spans, to the same spans and rejections as in one go', () => {
    const bytes = otlpProto(COUNT, 'proto', 997);
    const { outcome, pauses } = checkInterleaved(source('otlp-protobuf', bytes), source('otlp-protobuf', otlpProto(20_000, 'other')));
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
    const { pauses } = checkInterleaved(source('otlp-json', bytes), source('otlp-json', bytesOf(otlpJson(20_000, 'other'))));
    assert.ok(pauses >= MIN_PAUSES - 1, `paused ${pauses} times`);
  });

  it('decodes the spans of a 100,000-span OTLP/JSON body the fast path hands over (JSON.parse) in steps, to the same spans and rejections', () => {
    const bytes = bytesOf(otlpJson(COUNT, 'general', 997));
    assert.equal(decodeCanonicalOtlpJson(bytes, LIMITS), undefined, 'the body is handed to the general decoder');
    const { outcome, pauses } = checkInterleaved(source('otlp-json', bytes), source('otlp-json', bytesOf(otlpJson(20_000, 'other', 991))));
    // The fast path pauses before giving up at the first rejected span; the general decoder then pauses as it reads every span.
    assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times`);
    assert.ok('result' in outcome && outcome.result.rejected.length > 0);
  });

  it('decodes a 100,000-span Respan ingest body in steps, to the same spans and rejections', () => {
    const bytes = ingestBody(COUNT, 'ingest');
    const { outcome, pauses } = checkInterleaved(source('respan-ingest-json', bytes), source('respan-ingest-json', ingestBody(20_000, 'other')));
    assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times`);
    assert.ok('result' in outcome && outcome.result.rejected.length > 0);
  });

  it('throws the same MalformedPayloadError in steps as in one go, for a protobuf body broken after 100,000 spans and for bodies that are not JSON', () => {
    // A field number 0 after the last group: the whole body is refused, after all its spans were read.
    const broken = Buffer.concat([otlpProto(COUNT, 'broken'), Buffer.from([0])]);
    const { outcome, pauses } = checkInterleaved(source('otlp-protobuf', broken), source('otlp-protobuf', otlpProto(1_000, 'other')));
    assert.ok('error' in outcome && outcome.error instanceof MalformedPayloadError, 'a broken body is refused');
    assert.match(outcome.error.message, /^invalid OTLP protobuf: field number 0/);
    assert.ok(pauses >= MIN_PAUSES, `paused ${pauses} times before the broken field`);
    const notJson = bytesOf(otlpJson(1_000, 'bad')).subarray(0, 50_000);
    checkInterleaved(source('otlp-json', notJson), source('respan-ingest-json', Buffer.from('[{"span_unique_id": 1,')));
    checkInterleaved(source('respan-ingest-json', Buffer.from('{"spans": []}')), source('otlp-json', Buffer.from('{"resourceLogs": []}')));
  });

  it('pauses in the JSON fallback between decoding the text, JSON.parse and the spans', () => {
    // One span: nothing to pause for but the parts that cannot be cut.
    const steps = decodeOtlpJsonBytesInSteps(bytesOf(otlpJson(1, 'one', 1)), LIMITS);
    let pauses = 0;
    for (let step = steps.next(); !step.done; step = steps.next()) pauses++;
    assert.equal(pauses, 3);
  });
});
