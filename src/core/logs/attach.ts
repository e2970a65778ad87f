/**
 * Log records as span events: a record that names a span becomes an event of
 * that span, so the readers of span events (the GenAI event-form conversation,
 * exceptions, errors) read it as they read events the span carried itself.
 */

import type { Span, SpanEvent } from '../model';
import { derivedWithEvents } from '../otlp/common';
import { LOG_BODY_ATTRIBUTE, UNNAMED_LOG_EVENT, byTime, type LogRecord } from './record';

/** Log records attached to one span at most; the span counts later ones as dropped events. */
export const MAX_LOG_EVENTS_PER_SPAN = 1_000;

/** The span-event form of a record. */
export function logEvent(record: LogRecord): SpanEvent {
  return {
    name: record.eventName !== '' ? record.eventName : UNNAMED_LOG_EVENT,
    timeUnixNano: record.timeUnixNano,
    attributes: record.body === null ? record.attributes : { ...record.attributes, [LOG_BODY_ATTRIBUTE]: record.body },
    log: record,
  };
}

/** The log records attached to `span`, in its event order. */
export function attachedLogRecords(span: Span): LogRecord[] {
  const records: LogRecord[] = [];
  for (const event of span.events) if (event.log !== undefined) records.push(event.log);
  return records;
}

/**
 * `span` with `records` added to its events, all events in time order (equal
 * times keep their order: a request's messages share one timestamp), and the
 * derived fields recomputed. Past {@link MAX_LOG_EVENTS_PER_SPAN} records are
 * dropped and counted in `droppedEventsCount`; `dropped` says how many.
 */
export function withLogRecords(span: Span, records: readonly LogRecord[]): { span: Span; dropped: number } {
  const events = span.events.slice();
  let room = MAX_LOG_EVENTS_PER_SPAN;
  for (const event of events) if (event.log !== undefined) room--;
  let dropped = 0;
  for (const record of records) {
    if (room > 0) {
      events.push(logEvent(record));
      room--;
    } else dropped++;
  }
  events.sort(byTime);
  const merged: Span = { ...span, events, derived: derivedWithEvents(span, events) };
  if (dropped > 0) merged.droppedEventsCount = (span.droppedEventsCount ?? 0) + dropped;
  return { span: merged, dropped };
}
