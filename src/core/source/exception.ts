/**
 * Exceptions recorded on a span (OTel `exception` events, or `exception.*`
 * attributes set directly on the span), with their stack traces parsed.
 */

import { parseStackTrace, type StackFrame } from './stack';

/** Attribute map as both hosts see it (`Span.attributes` or `SpanJson.attributes`). */
type AttributeMap = Readonly<Record<string, unknown>>;

/** One recorded exception. */
export interface ExceptionInfo {
  /** `exception.type`, e.g. `ValueError`, `TypeError`, `java.lang.IllegalStateException`. */
  type?: string;
  message?: string;
  /** The stack trace text as recorded. */
  stacktrace?: string;
  /** `exception.escaped`: the exception left the span's scope. */
  escaped?: boolean;
  /** Frames of {@link stacktrace}, in text order; empty when there is none. */
  frames: StackFrame[];
}

/** What {@link exceptionsOf} reads: a `Span`, a `SpanJson`, or a fixture. */
export interface ExceptionSource {
  attributes: AttributeMap;
  events?: readonly { name: string; attributes: AttributeMap }[];
  /** Resource attributes; `telemetry.sdk.language` helps the parser. */
  resource?: AttributeMap;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

function read(attributes: AttributeMap, hint: string | undefined): ExceptionInfo | undefined {
  const type = text(attributes['exception.type']);
  const message = text(attributes['exception.message']);
  const stacktrace = text(attributes['exception.stacktrace']);
  if (type === undefined && message === undefined && stacktrace === undefined) return undefined;
  const info: ExceptionInfo = { frames: stacktrace ? parseStackTrace(stacktrace, hint) : [] };
  if (type !== undefined) info.type = type;
  if (message !== undefined) info.message = message;
  if (stacktrace !== undefined) info.stacktrace = stacktrace;
  const escaped = attributes['exception.escaped'];
  if (escaped === true || escaped === 'true') info.escaped = true;
  else if (escaped === false || escaped === 'false') info.escaped = false;
  return info;
}

/**
 * Every exception recorded on the span, in event order: `exception` events,
 * or, when there are none, the span's own `exception.*` attributes. `hint`
 * (a language) defaults to the resource's `telemetry.sdk.language`.
 */
export function exceptionsOf(span: ExceptionSource, hint?: string): ExceptionInfo[] {
  const language = hint ?? text(span.resource?.['telemetry.sdk.language']);
  const out: ExceptionInfo[] = [];
  for (const event of span.events ?? []) {
    if (event.name !== 'exception') continue;
    const info = read(event.attributes ?? {}, language);
    if (info) out.push(info);
  }
  if (out.length === 0) {
    const info = read(span.attributes ?? {}, language);
    if (info) out.push(info);
  }
  return out;
}

/**
 * The exception that ended the span: the last one recorded (earlier ones were
 * usually caught and retried), or undefined when none was recorded.
 */
export function exceptionOf(span: ExceptionSource, hint?: string): ExceptionInfo | undefined {
  const all = exceptionsOf(span, hint);
  return all[all.length - 1];
}
