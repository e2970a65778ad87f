/** Decoding of trace files a user imports (drag-drop, "Import trace file"). */

import { decodeIngestInSteps } from './ingest';
import type { DecodeResult } from './model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './otlp/common';
import { decodeOtlpJsonInSteps, parseJsonText } from './otlp/json';
import { runToEnd } from './steps';

/**
 * Decodes an imported JSON file: an OTLP/JSON export (`resourceSpans`, as the
 * inspector's own export writes) or Respan ingest JSON (an array of span
 * objects, or `{"data": [...]}`).
 */
export function decodeTraceFile(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  return runToEnd(decodeTraceFileInSteps(text, limits));
}

/** {@link decodeTraceFile} in steps: `JSON.parse` at once, then its spans a few hundred at a time. */
export function* decodeTraceFileInSteps(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Generator<void, DecodeResult> {
  const body = parseJsonText(text);
  yield;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && ('resourceSpans' in body || 'resource_spans' in body)) {
    return yield* decodeOtlpJsonInSteps(body, limits);
  }
  return yield* decodeIngestInSteps(body, { limits });
}
