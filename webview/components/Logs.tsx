/**
 * OTLP log records as a list: time, severity, event name and the body as
 * text, the other attributes folded beneath. Serves a span's records (its
 * events that are log records) and a trace's records that belong to no span.
 * Everything shown is untrusted text.
 */

import { LOG_BODY_ATTRIBUTE, UNNAMED_LOG_EVENT, severityLabel } from '../../src/core/logs/record';
import type { LogRecordJson, SpanEventJson } from '../../src/protocol/api';
import { valueToText } from '../model/attributes';
import { formatClock, formatDuration } from '../model/format';
import { LongText } from './common';
import { KeyValues } from './KeyValues';

/** One record as the list shows it. */
export interface LogRow {
  timeMs: number;
  severityNumber: number;
  severity: string;
  /** '' for a plain log line. */
  eventName: string;
  body: unknown;
  attributes: Array<[string, unknown]>;
  /** The span the record names, when the list is not a span's own. */
  spanId?: string | null;
}

/** Attributes that repeat what the row already shows. */
const SHOWN_ELSEWHERE = new Set([LOG_BODY_ATTRIBUTE, 'event.name']);

function otherAttributes(attributes: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(attributes).filter(([key]) => !SHOWN_ELSEWHERE.has(key));
}

/** The rows of a span's events that are log records (other events stay events). */
export function spanLogRows(events: readonly SpanEventJson[]): LogRow[] {
  const rows: LogRow[] = [];
  for (const event of events) {
    if (event.log === undefined) continue;
    rows.push({
      timeMs: event.timeMs,
      severityNumber: event.log.severityNumber,
      severity: severityLabel(event.log),
      eventName: event.name === UNNAMED_LOG_EVENT && event.attributes['event.name'] === undefined ? '' : event.name,
      body: event.attributes[LOG_BODY_ATTRIBUTE] ?? null,
      attributes: otherAttributes(event.attributes),
    });
  }
  return rows;
}

/** The rows of records listed on their own (a trace's records outside its spans). */
export function recordLogRows(records: readonly LogRecordJson[]): LogRow[] {
  return records.map((record) => ({
    timeMs: record.timeMs,
    severityNumber: record.severityNumber,
    severity: severityLabel(record),
    eventName: record.eventName,
    body: record.body,
    attributes: otherAttributes(record.attributes),
    spanId: record.spanId,
  }));
}

/** Severity numbers from WARN (13) and ERROR (17) up. */
function severityClass(severityNumber: number): string {
  if (severityNumber >= 17) return ' error-text';
  if (severityNumber >= 13) return ' warning-text';
  return '';
}

/** The records, each with its time relative to `originMs`. */
export function LogList({ rows, originMs }: { rows: readonly LogRow[]; originMs: number }) {
  return (
    <div class="log-list">
      {rows.map((row, i) => (
        <div class="log-record" key={i} data-testid="log-record">
          <div class="log-header">
            <span class="muted" title={new Date(row.timeMs).toISOString()}>
              {formatClock(row.timeMs)} · +{formatDuration(row.timeMs - originMs)}
            </span>
            {row.severity && <span class={`log-severity${severityClass(row.severityNumber)}`}>{row.severity}</span>}
            {row.eventName && <span class="log-event-name">{row.eventName}</span>}
            {row.spanId !== undefined && <span class="muted code">{row.spanId === null ? 'no span' : `span ${row.spanId.slice(0, 8)}… (not received)`}</span>}
          </div>
          {row.body !== null && row.body !== undefined && <LongText text={valueToText(row.body)} class={`log-body${typeof row.body === 'string' ? '' : ' code'}`} />}
          {row.attributes.length > 0 && (
            <details class="log-attributes">
              <summary class="muted">{row.attributes.length === 1 ? '1 attribute' : `${row.attributes.length} attributes`}</summary>
              <KeyValues entries={row.attributes} />
            </details>
          )}
        </div>
      ))}
    </div>
  );
}
