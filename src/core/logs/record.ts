/**
 * The normalised OTLP log record. The logs receivers (OTLP/HTTP JSON and
 * protobuf, OTLP/gRPC) produce these; the store attaches each record that
 * names a span to that span as an event, and keeps the others per trace.
 */

import type { AttributeValue, Attributes, InstrumentationScope, RejectedSpan } from '../model';

/** One log record. */
export interface LogRecord {
  /** 32 lowercase hex digits, or null when the record carries no trace context. */
  traceId: string | null;
  /** 16 lowercase hex digits, or null. */
  spanId: string | null;
  /** When the event happened: `timeUnixNano`, or `observedTimeUnixNano` when the sender left it 0. */
  timeUnixNano: bigint;
  /** When the SDK saw the record. */
  observedTimeUnixNano: bigint;
  /** OTLP `SeverityNumber`: 0 unspecified, 1–4 TRACE … 21–24 FATAL. */
  severityNumber: number;
  severityText: string;
  /** The event name (`eventName`, or the older `event.name` attribute); '' for a plain log line. */
  eventName: string;
  /** The body; null when absent. */
  body: AttributeValue;
  attributes: Attributes;
  droppedAttributesCount?: number;
  flags?: number;
  /** Shared by reference between the records of one `resourceLogs`. */
  resource: Attributes;
  scope: InstrumentationScope;
}

/** What a logs decoder makes of one request body. */
export interface LogDecodeResult {
  records: LogRecord[];
  /** Rejected records (path and reason); only the first ones of a big request are listed. */
  rejected: RejectedSpan[];
  /** Further rejected records, counted but not listed. */
  moreRejected?: number;
}

/**
 * Everything a decoder has read of one log record: the fields of a
 * {@link LogRecord} as sent, every one present (numbers 0 when unset), with
 * `eventName` from its field only ('' when absent).
 */
export type LogRecordParts = Required<LogRecord>;

/**
 * The attribute that carries a record's body in its span-event form. The
 * GenAI event reader (`conversation.ts`) takes a message body from it, as
 * from the attribute senders that record GenAI events as span events use.
 */
export const LOG_BODY_ATTRIBUTE = 'event.body';

/** The span-event name of a record that has no event name (a plain log line). */
export const UNNAMED_LOG_EVENT = 'log';

/** The attribute that named an event before OTLP gave log records an `eventName` field. */
const EVENT_NAME_ATTRIBUTE = 'event.name';

/** Assembles a normalised log record: the time it happened and its event name, from whichever field carries them. */
export function assembleLogRecord(parts: LogRecordParts): LogRecord {
  const legacyName = parts.attributes[EVENT_NAME_ATTRIBUTE];
  const record: LogRecord = {
    traceId: parts.traceId,
    spanId: parts.spanId,
    timeUnixNano: parts.timeUnixNano !== 0n ? parts.timeUnixNano : parts.observedTimeUnixNano,
    observedTimeUnixNano: parts.observedTimeUnixNano,
    severityNumber: parts.severityNumber,
    severityText: parts.severityText,
    eventName: parts.eventName !== '' ? parts.eventName : typeof legacyName === 'string' ? legacyName : '',
    body: parts.body,
    attributes: parts.attributes,
    resource: parts.resource,
    scope: parts.scope,
  };
  if (parts.droppedAttributesCount) record.droppedAttributesCount = parts.droppedAttributesCount;
  if (parts.flags) record.flags = parts.flags;
  return record;
}

/** Time order of records, or of span events (equal times keep their order under a stable sort). */
export function byTime(a: { timeUnixNano: bigint }, b: { timeUnixNano: bigint }): number {
  return a.timeUnixNano < b.timeUnixNano ? -1 : a.timeUnixNano > b.timeUnixNano ? 1 : 0;
}

/** The short names of the severity ranges, four numbers each, from 1. */
const SEVERITY_RANGES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** The highest severity number (FATAL4). */
const MAX_SEVERITY = SEVERITY_RANGES.length * 4;

/** The OTLP name of a severity number without its prefix: `INFO`, `INFO2` … ; '' for 0 and out-of-range numbers. */
export function severityName(severityNumber: number): string {
  if (!Number.isInteger(severityNumber) || severityNumber < 1 || severityNumber > MAX_SEVERITY) return '';
  const range = SEVERITY_RANGES[Math.floor((severityNumber - 1) / 4)];
  const step = (severityNumber - 1) % 4;
  return step === 0 ? range : `${range}${step + 1}`;
}

/** Severity numbers by name, as protobuf's JSON mapping writes them (`SEVERITY_NUMBER_INFO2`) and without the prefix. */
const SEVERITY_NUMBERS: ReadonlyMap<string, number> = new Map(
  Array.from({ length: MAX_SEVERITY }, (_, i) => [severityName(i + 1), i + 1] as const).flatMap(([name, number]) => [
    [name, number],
    [`SEVERITY_NUMBER_${name}`, number],
  ]),
);

/** A severity number from an OTLP/JSON value: a number, a decimal string or an enum name; 0 when unusable. */
export function severityNumberOf(value: unknown): number {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_SEVERITY ? value : 0;
  if (typeof value !== 'string') return 0;
  if (/^\d{1,2}$/.test(value)) return severityNumberOf(Number(value));
  return SEVERITY_NUMBERS.get(value.toUpperCase()) ?? 0;
}

/** How a record's severity reads: its own text, else the name of its number; '' when it has neither. */
export function severityLabel(record: Pick<LogRecord, 'severityText' | 'severityNumber'>): string {
  return record.severityText !== '' ? record.severityText : severityName(record.severityNumber);
}
