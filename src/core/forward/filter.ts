/**
 * Which spans are forwarded: everything, or what the Respan SDK itself would
 * export (WIRE.md §5).
 *
 * The "sdk" filter mirrors the Respan Python SDK:
 * - a span is sent when it carries `traceloop.span.kind`, a non-empty
 *   `traceloop.entity.path`, `llm.request.type`, `gen_ai.operation.name` or
 *   `gen_ai.system` (present and not an empty string);
 * - a decorated span (one with `traceloop.span.kind`) whose entity path is
 *   empty or absent is sent as a root: its parent id is dropped, because the
 *   SDK does the same (its parent is usually a framework span the SDK filters
 *   out). This is applied always, not only when the parent is filtered out:
 *   with auto-forward, children usually arrive before their parents, so
 *   "is the parent sent?" has no stable answer, and matching the SDK exactly
 *   is what users compare against. The local trace keeps its parent;
 *   only the forwarded copy changes.
 * - spans that arrived through the Respan ingest API always pass: ingest
 *   exporters send every span they produce, so that is what Respan would get.
 *
 * A span filtered out is reported as "skipped", never silently ignored.
 */

import type { AttributeValue, Span } from '../model';

/** `all`: every span; `sdk`: what the Respan SDK would export. */
export type ForwardFilter = 'all' | 'sdk';

/** Attributes whose presence makes the Respan SDK export a span. */
const SDK_MARKERS = ['traceloop.span.kind', 'llm.request.type', 'gen_ai.operation.name', 'gen_ai.system'] as const;

function present(value: AttributeValue | undefined): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** True when the Respan SDK would export this span. */
export function respanSdkWouldSend(span: Span): boolean {
  if (span.origin === 'ingest') return true;
  const attributes = span.attributes;
  if (SDK_MARKERS.some((key) => present(attributes[key]))) return true;
  return present(attributes['traceloop.entity.path']);
}

/** True when the "sdk" filter sends this span as a root (a decorated span with an empty entity path). */
export function respanSdkPromotesToRoot(span: Span): boolean {
  return span.origin === 'otlp' && span.parentSpanId !== null && present(span.attributes['traceloop.span.kind']) && !present(span.attributes['traceloop.entity.path']);
}

/**
 * The span as it will be forwarded under `filter`, or null when the filter
 * leaves it out. Never mutates `span`: a promoted root is a shallow copy.
 */
export function applyFilter(span: Span, filter: ForwardFilter): Span | null {
  if (filter === 'all') return span;
  if (!respanSdkWouldSend(span)) return null;
  return respanSdkPromotesToRoot(span) ? { ...span, parentSpanId: null } : span;
}
