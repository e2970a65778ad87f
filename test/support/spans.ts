/** Builders of normalised spans and log records for unit tests. */

import { assembleLogRecord, type LogRecord } from '../../src/core/logs/record';
import type { AttributeValue, Attributes, Span, SpanEvent } from '../../src/core/model';
import { assembleSpan } from '../../src/core/otlp/common';

/** Fields a test cares about; the rest get plausible defaults. */
export interface SpanSpec {
  trace?: string;
  id: string;
  parent?: string | null;
  name?: string;
  startMs?: number;
  durationMs?: number;
  attributes?: Attributes;
  error?: boolean;
  resource?: Attributes;
  events?: SpanEvent[];
  /** Instrumentation scope name. */
  scope?: string;
}

const SHARED_RESOURCE: Attributes = { 'service.name': 'test-service' };

/** Pads a short label into a hex id of the given length (`'a'` → `'a000…'`). */
export function hexId(label: string, length: 16 | 32): string {
  const hex = Buffer.from(label).toString('hex');
  return (hex + '1'.repeat(length)).slice(0, length);
}

/** A span with ids derived from short labels. */
export function makeSpan(spec: SpanSpec): Span {
  const start = BigInt(Math.round((spec.startMs ?? 1_700_000_000_000) * 1e6));
  const end = start + BigInt(Math.round((spec.durationMs ?? 10) * 1e6));
  return assembleSpan({
    traceId: hexId(spec.trace ?? 'trace', 32),
    spanId: hexId(spec.id, 16),
    parentSpanId: spec.parent ? hexId(spec.parent, 16) : null,
    name: spec.name ?? spec.id,
    kind: 'INTERNAL',
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    statusCode: spec.error ? 'ERROR' : 'UNSET',
    statusMessage: '',
    attributes: spec.attributes ?? {},
    events: spec.events ?? [],
    links: [],
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    resource: spec.resource ?? SHARED_RESOURCE,
    scope: { name: spec.scope ?? 'test', attributes: {} },
    origin: 'otlp',
  });
}

/** Fields of a log record a test cares about. */
export interface LogSpec {
  /** Trace label; null: no trace context. */
  trace?: string | null;
  /** Span label; null: no span id. */
  span?: string | null;
  eventName?: string;
  body?: AttributeValue;
  atMs?: number;
  severityNumber?: number;
  attributes?: Attributes;
}

/** A log record with ids derived from short labels (as {@link makeSpan}'s). */
export function makeLog(spec: LogSpec): LogRecord {
  const time = BigInt(Math.round((spec.atMs ?? 1_700_000_000_001) * 1e6));
  return assembleLogRecord({
    traceId: spec.trace === null ? null : hexId(spec.trace ?? 'trace', 32),
    spanId: spec.span === null || spec.span === undefined ? null : hexId(spec.span, 16),
    timeUnixNano: time,
    observedTimeUnixNano: time,
    severityNumber: spec.severityNumber ?? 9,
    severityText: '',
    eventName: spec.eventName ?? '',
    body: spec.body ?? null,
    attributes: spec.attributes ?? {},
    droppedAttributesCount: 0,
    flags: 0,
    resource: SHARED_RESOURCE,
    scope: { name: 'test', attributes: {} },
  });
}
