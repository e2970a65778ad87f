/** Span builders for the forwarding tests. */

import type { Attributes, InstrumentationScope, Span, SpanEvent, SpanLink } from '../../src/core/model';
import { assembleSpan } from '../../src/core/otlp/common';

/** What a forwarding test cares about; the rest gets plausible defaults. */
export interface ForwardSpanSpec {
  /** Trace number (1 → `…0001`). */
  trace?: number;
  /** Span number (1 → `…0001`). */
  span: number;
  parent?: number | null;
  name?: string;
  attributes?: Attributes;
  events?: SpanEvent[];
  links?: SpanLink[];
  resource?: Attributes;
  scope?: InstrumentationScope;
  startMs?: number;
}

/** Shared by default, the way spans of one `resourceSpans` share it. */
export const DEFAULT_RESOURCE: Attributes = { 'service.name': 'forward-test' };
export const DEFAULT_SCOPE: InstrumentationScope = { name: 'forward-test-scope', version: '1.0.0', attributes: {} };

/** 32 hex digits for a trace number. */
export function traceIdOf(trace: number): string {
  return `aa${trace.toString(16).padStart(30, '0')}`;
}

/** 16 hex digits for a span number. */
export function spanIdOf(span: number): string {
  return `bb${span.toString(16).padStart(14, '0')}`;
}

/** A normalised OTLP-origin span. */
export function fspan(spec: ForwardSpanSpec): Span {
  const start = BigInt(spec.startMs ?? 1_735_689_600_000) * 1_000_000n + 123_456n;
  return assembleSpan({
    traceId: traceIdOf(spec.trace ?? 1),
    spanId: spanIdOf(spec.span),
    parentSpanId: spec.parent == null ? null : spanIdOf(spec.parent),
    name: spec.name ?? `span-${spec.span}`,
    kind: 'INTERNAL',
    startTimeUnixNano: start,
    endTimeUnixNano: start + 5_000_000n,
    statusCode: 'UNSET',
    statusMessage: '',
    attributes: spec.attributes ?? {},
    events: spec.events ?? [],
    links: spec.links ?? [],
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    resource: spec.resource ?? DEFAULT_RESOURCE,
    scope: spec.scope ?? DEFAULT_SCOPE,
    origin: 'otlp',
  });
}

/** `count` spans of one trace, numbered from `first`. */
export function fspans(count: number, trace = 1, first = 1): Span[] {
  return Array.from({ length: count }, (_, i) => fspan({ trace, span: first + i }));
}

/** `traceId/spanId` of every span in OTLP/JSON request bodies. */
export function spanKeysInOtlpBodies(bodies: readonly string[]): string[] {
  const keys: string[] = [];
  for (const body of bodies) {
    const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string }> }> }> };
    for (const resourceSpans of parsed.resourceSpans) for (const scopeSpans of resourceSpans.scopeSpans) for (const span of scopeSpans.spans) keys.push(`${span.traceId}/${span.spanId}`);
  }
  return keys;
}
