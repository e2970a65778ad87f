/** Recognises the format of a JSON file the user imports. Pure, DOM-free. */

/** Which format an imported file is in. */
export type ImportFormat = 'otlp-json' | 'respan-ingest';

/** Result of {@link detectImportFormat}. */
export type DetectedImport = { format: ImportFormat } | { error: string };

/**
 * OTLP JSON (`{"resourceSpans": [...]}`, either spelling) or Respan ingest JSON
 * (an array of span objects, or `{"data": [...]}`); anything else is refused
 * with a message the user can act on.
 */
export function detectImportFormat(text: string): DetectedImport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return { error: 'The file holds an empty list: nothing to import.' };
    return looksLikeIngestSpan(value[0]) ? { format: 'respan-ingest' } : { error: 'A list, but not of Respan ingest spans (no trace_unique_id / span_unique_id).' };
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.resourceSpans) || Array.isArray(record.resource_spans)) return { format: 'otlp-json' };
    if (Array.isArray(record.data)) return { format: 'respan-ingest' };
    if (looksLikeIngestSpan(record)) return { error: 'A single Respan span object: wrap it in a list to import it.' };
  }
  return { error: 'Neither OTLP JSON (resourceSpans) nor Respan ingest JSON (a list of spans or {"data": [...]}).' };
}

function looksLikeIngestSpan(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return 'trace_unique_id' in record || 'span_unique_id' in record;
}

/** What an import file holds, counted before sending it. */
export interface ImportSummary {
  spanCount: number;
  /** Trace ids in first-seen order (hex lower-cased for OTLP; as written for ingest). */
  traceIds: string[];
}

/** Counts the spans and trace ids of a file already recognised by {@link detectImportFormat}. */
export function summarizeImport(text: string, format: ImportFormat): ImportSummary {
  const value: unknown = JSON.parse(text);
  const traceIds = new Set<string>();
  let spanCount = 0;
  const take = (id: unknown, lower: boolean): void => {
    if (typeof id === 'string' && id !== '') traceIds.add(lower ? id.toLowerCase() : id);
  };
  if (format === 'otlp-json') {
    const root = value as Record<string, unknown>;
    for (const rs of list(root.resourceSpans ?? root.resource_spans)) {
      for (const ss of list(rs.scopeSpans ?? rs.scope_spans)) {
        for (const span of list(ss.spans)) {
          spanCount++;
          take(span.traceId ?? span.trace_id, true);
        }
      }
    }
  } else {
    const spans = Array.isArray(value) ? value : list((value as Record<string, unknown>).data);
    for (const span of spans) {
      spanCount++;
      if (span !== null && typeof span === 'object') take((span as Record<string, unknown>).trace_unique_id, false);
    }
  }
  return { spanCount, traceIds: [...traceIds] };
}

function list(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object') : [];
}
