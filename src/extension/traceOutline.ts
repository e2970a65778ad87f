/**
 * A trace as the Traces view shows it, built from the service's `getTrace`
 * answer: its spans by id, the roots the service named (orphans included)
 * and each span's children in start order. The service already broke parent
 * cycles (`orphan`), so the parent chain here is read, never re-derived. No
 * `vscode` here, so it is unit-tested outside VS Code.
 */

import type { SpanJson, TraceDetailJson } from '../protocol/api';

/** Spans the Traces view lists under one trace at most; a larger trace is opened in the inspector panel instead. */
export const OUTLINE_SPAN_LIMIT = 2000;

/** One trace's spans, as a tree. */
export class TraceOutline {
  readonly spans = new Map<string, SpanJson>();
  readonly roots: readonly string[];
  private readonly children = new Map<string, string[]>();

  constructor(detail: TraceDetailJson) {
    for (const span of detail.spans) this.spans.set(span.spanId, span);
    this.roots = detail.roots;
    const roots = new Set(detail.roots);
    // The spans come in start order, so each child list is in start order too.
    for (const span of detail.spans) {
      if (roots.has(span.spanId) || span.orphan || span.parentSpanId === null || !this.spans.has(span.parentSpanId)) continue;
      let list = this.children.get(span.parentSpanId);
      if (list === undefined) this.children.set(span.parentSpanId, (list = []));
      list.push(span.spanId);
    }
  }

  /** The children of a span, in start order. */
  childrenOf(spanId: string): readonly string[] {
    return this.children.get(spanId) ?? [];
  }

  /** The span ids from a root down to `spanId`; empty when the trace has no such span. */
  pathTo(spanId: string): string[] {
    const path: string[] = [];
    for (let id: string | undefined = spanId; id !== undefined; ) {
      const span = this.spans.get(id);
      if (span === undefined) return [];
      path.push(id);
      // Bounded by the span count: a root, an orphan or a missing parent ends the walk.
      id = span.orphan || span.parentSpanId === null || !this.spans.has(span.parentSpanId) || path.length > this.spans.size ? undefined : span.parentSpanId;
    }
    return path.reverse();
  }
}
