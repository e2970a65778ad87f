/**
 * Spans the journal keeps without their request body (imports, records that
 * are no longer wholly current when a snapshot is written): an OTLP protobuf
 * export request, followed by a second one for the spans that came through
 * the Respan ingest API (OTLP has no field for where a span came from).
 */

import type { Span } from '../../core/model';
import type { DecodeLimits } from '../../core/otlp/common';
import { decodeOtlpProto } from '../../core/otlp/proto';
import { encodeSpansProto } from '../../core/otlp/protoEncode';
import { approxSpanBytes } from '../../core/store';

/** Spans, and approximate span bytes, per record. */
export const SPANS_PER_RECORD = 5_000;
const SPAN_BYTES_PER_RECORD = 8 * 1024 * 1024;

/** Room for the marker a value cut at a decode limit carries: stored spans are already within the limits. */
const MARKER_ROOM = 64;

/** The body of a `spans` record, and how many of its last bytes hold the ingest spans. */
export function encodeStoredSpans(spans: readonly Span[]): { body: Uint8Array; ingestBytes: number } {
  const ingest = spans.filter((span) => span.origin === 'ingest');
  const otlpBytes = encodeSpansProto(ingest.length === 0 ? spans : spans.filter((span) => span.origin !== 'ingest'));
  if (ingest.length === 0) return { body: otlpBytes, ingestBytes: 0 };
  const ingestBytes = encodeSpansProto(ingest);
  return { body: Buffer.concat([otlpBytes, ingestBytes]), ingestBytes: ingestBytes.length };
}

/** The spans of a `spans` record body, and how many could not be read. */
export function decodeStoredSpans(body: Uint8Array, ingestBytes: number, limits: DecodeLimits): { spans: Span[]; unreadable: number } {
  const storedLimits: DecodeLimits = { ...limits, maxStringLength: limits.maxStringLength + MARKER_ROOM, maxDepth: limits.maxDepth + 2, maxSpansPerRequest: SPANS_PER_RECORD };
  const otlp = decodeOtlpProto(body.subarray(0, body.length - ingestBytes), storedLimits);
  const ingest = ingestBytes > 0 ? decodeOtlpProto(body.subarray(body.length - ingestBytes), storedLimits) : { spans: [], rejected: [] };
  for (const span of ingest.spans) span.origin = 'ingest';
  const unreadable = otlp.rejected.length + (otlp.moreRejected ?? 0) + ingest.rejected.length + (ingest.moreRejected ?? 0);
  return { spans: otlp.spans.concat(ingest.spans), unreadable };
}

/** `spans` cut into runs of at most {@link SPANS_PER_RECORD} spans and about {@link SPAN_BYTES_PER_RECORD} bytes. */
export function spanChunks(spans: readonly Span[]): Span[][] {
  const chunks: Span[][] = [];
  let chunk: Span[] = [];
  let bytes = 0;
  for (const span of spans) {
    const spanBytes = approxSpanBytes(span);
    if (chunk.length > 0 && (chunk.length >= SPANS_PER_RECORD || bytes + spanBytes > SPAN_BYTES_PER_RECORD)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(span);
    bytes += spanBytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
