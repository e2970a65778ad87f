/** Decoding of trace files a user imports (drag-drop, "Import trace file"). */

import { decodeIngest } from './ingest';
import type { DecodeResult } from './model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './otlp/common';
import { decodeOtlpJson, parseJsonText } from './otlp/json';

/**
 * Decodes an imported JSON file: an OTLP/JSON export (`resourceSpans`, as the
 * inspector's own export writes) or Respan ingest JSON (an array of span
 * objects, or `{"data": [...]}`).
 */
export function decodeTraceFile(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  const body = parseJsonText(text);
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && ('resourceSpans' in body || 'resource_spans' in body)) {
    return decodeOtlpJson(body, limits);
  }
  return decodeIngest(body, { limits });
}
