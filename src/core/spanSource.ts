/**
 * The request bodies spans arrive in, each with its decoder: one table, read
 * by the receivers when a body arrives and by the on-disk journal when it
 * replays the same bytes after a restart, so both decode alike.
 */

import { decodeIngest } from './ingest';
import type { DecodeResult } from './model';
import type { DecodeLimits } from './otlp/common';
import { decodeOtlpJsonBytes, parseJsonText } from './otlp/json';
import { decodeOtlpProto } from './otlp/proto';
import { decodeUtf8 } from './utf8';

/** The body of one request as received (after decompression), and how to read it. */
export interface SpanSource {
  readonly format: SpanSourceFormat;
  readonly bytes: Uint8Array;
  /** Wall-clock ms when it arrived: the time of Respan ingest spans that carry none. */
  readonly receivedAtMs: number;
}

/** The formats of {@link SPAN_SOURCE_FORMATS}. */
export type SpanSourceFormat = 'otlp-protobuf' | 'otlp-json' | 'respan-ingest-json';

/** Each format's decoder. Format names are written to disk: they are never renamed or reused. */
export const SPAN_SOURCE_FORMATS: Readonly<Record<SpanSourceFormat, (source: SpanSource, limits: DecodeLimits) => DecodeResult>> = {
  'otlp-protobuf': (source, limits) => decodeOtlpProto(source.bytes, limits),
  'otlp-json': (source, limits) => decodeOtlpJsonBytes(source.bytes, limits),
  'respan-ingest-json': (source, limits) => decodeIngest(parseJsonText(decodeUtf8(source.bytes)), { limits, nowMs: () => source.receivedAtMs }),
};

/** Decodes a request body with its format's decoder; throws `MalformedPayloadError` as that decoder does. */
export function decodeSpanSource(source: SpanSource, limits: DecodeLimits): DecodeResult {
  return SPAN_SOURCE_FORMATS[source.format](source, limits);
}
