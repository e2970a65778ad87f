/**
 * Input and output of Traceloop/Respan decorated spans (`@workflow`, `@task`,
 * `@agent`, `@tool`, `withWorkflow`, …), which carry these instead of chat
 * messages.
 */

import { isRecord, tryParseJson, type AttributeMap } from './values';

/** Readable `traceloop.entity.input` / `traceloop.entity.output`. */
export interface EntityIO {
  /** The parsed input (the raw text when it is not JSON); absent when the span has none. */
  input?: unknown;
  /**
   * Set when the input is the SDKs' call record `{"args": [...], "kwargs": {...}}`
   * (positional and keyword arguments of the decorated function).
   */
  call?: { args: unknown[]; kwargs: Record<string, unknown> };
  /** The parsed output (the raw text when it is not JSON); absent when the span has none. */
  output?: unknown;
}

/** JSON text parsed (any JSON, including a quoted string); other values as they are. */
function readable(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const parsed = tryParseJson(value);
  return parsed.ok ? parsed.value : value;
}

/**
 * The entity input/output of a decorated span, or undefined when it has
 * neither attribute. Never throws: text that is not JSON is returned as is.
 */
export function entityIO(attributes: AttributeMap): EntityIO | undefined {
  const rawInput = attributes['traceloop.entity.input'];
  const rawOutput = attributes['traceloop.entity.output'];
  const hasInput = rawInput !== undefined && rawInput !== null;
  const hasOutput = rawOutput !== undefined && rawOutput !== null;
  if (!hasInput && !hasOutput) return undefined;
  const io: EntityIO = {};
  if (hasInput) {
    io.input = readable(rawInput);
    const value = io.input;
    // Only a record made of `args` and/or `kwargs` is a call record; anything
    // else (LangChain's `{inputs, tags, …}`) is shown as it is.
    if (
      isRecord(value) &&
      ('args' in value || 'kwargs' in value) &&
      Object.keys(value).every((key) => key === 'args' || key === 'kwargs') &&
      (value.args === undefined || Array.isArray(value.args)) &&
      (value.kwargs === undefined || isRecord(value.kwargs))
    ) {
      io.call = { args: (value.args as unknown[] | undefined) ?? [], kwargs: (value.kwargs as Record<string, unknown> | undefined) ?? {} };
    }
  }
  if (hasOutput) io.output = readable(rawOutput);
  return io;
}
