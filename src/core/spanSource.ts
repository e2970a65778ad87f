/**
 * The request bodies spans arrive in, each with its decoder: one table, read
 * by the receivers when a body arrives and by the on-disk journal when it
 * replays the same bytes after a restart, so both decode alike.
 */

import { decodeIngestInSteps } from './ingest';
import type { DecodeResult } from './model';
import type { DecodeLimits } from './otlp/common';
import { decodeOtlpJsonBytesInSteps, parseJsonBytesInSteps } from './otlp/json';
import { decodeOtlpProtoInSteps } from './otlp/proto';
import { runToEnd } from './steps';

/** The body of one request as received (after decompression), and how to read it. */
export interface SpanSource {
  readonly format: SpanSourceFormat;
  readonly bytes: Uint8Array;
  /** Wall-clock ms when it arrived: the time of Respan ingest spans that carry none. */
  readonly receivedAtMs: number;
}

/** The formats of {@link SPAN_SOURCE_FORMATS}. */
export type SpanSourceFormat = 'otlp-protobuf' | 'otlp-json' | 'respan-ingest-json';

/**
 * Each format's decoder, in steps (see `steps.ts`): it pauses every few hundred
 * spans. Format names are written to disk: they are never renamed or reused.
 */
export const SPAN_SOURCE_FORMATS: Readonly<Record<SpanSourceFormat, (source: SpanSource, limits: DecodeLimits) => Generator<void, DecodeResult>>> = {
  'otlp-protobuf': (source, limits) => decodeOtlpProtoInSteps(source.bytes, limits),
  'otlp-json': (source, limits) => decodeOtlpJsonBytesInSteps(source.bytes, limits),
  'respan-ingest-json': ingestInSteps,
};

/** A Respan ingest body: the text and `JSON.parse` at once, with a pause after each, then its spans in steps. */
function* ingestInSteps(source: SpanSource, limits: DecodeLimits): Generator<void, DecodeResult> {
  return yield* decodeIngestInSteps(yield* parseJsonBytesInSteps(source.bytes), { limits, nowMs: () => source.receivedAtMs });
}

/** Decodes a request body with its format's decoder; throws `MalformedPayloadError` as that decoder does. */
export function decodeSpanSource(source: SpanSource, limits: DecodeLimits): DecodeResult {
  return runToEnd(decodeSpanSourceInSteps(source, limits));
}

/**
 * {@link decodeSpanSource} in steps: pauses every few hundred spans, so that a
 * caller running it with `runInSteps` lets other work through while a large
 * body decodes. The bytes must not change until it ends.
 */
export function decodeSpanSourceInSteps(source: SpanSource, limits: DecodeLimits): Generator<void, DecodeResult> {
  return SPAN_SOURCE_FORMATS[source.format](source, limits);
}
