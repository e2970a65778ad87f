/**
 * Small, total helpers for reading attribute values whose type senders do not
 * agree on: numbers arrive as numbers, bigints or decimal strings; structures
 * arrive as objects or as JSON text. Nothing here throws.
 */

import { cutDeepNesting } from '../nesting';

/**
 * Attribute map as both hosts see it: the decoded {@link Attributes} of a
 * `Span`, or the JSON-safe `Record<string, unknown>` of a `SpanJson` in the
 * webview. Every reader in `src/core/llm` and `src/core/source` accepts either.
 */
export type AttributeMap = Readonly<Record<string, unknown>>;

/** A span event as both hosts see it (see {@link AttributeMap}). */
export interface EventLike {
  name: string;
  attributes: AttributeMap;
}

/** True for a plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `{ ok: true, value }` when `text` is JSON, `{ ok: false }` otherwise.
 * Nesting past `MAX_NESTING_DEPTH` is cut at a visible marker: the text
 * is span content, and every reader of the value recurses over it.
 */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  return { ok: true, value: cutDeepNesting(value) };
}

/**
 * The structure behind `value` when it is JSON text of an object or array;
 * otherwise `value` unchanged. Strings that merely look like other JSON
 * (`"42"`, `"true"`) stay strings: they are far more often plain text.
 */
export function parseStructured(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trimStart();
  if (trimmed[0] !== '{' && trimmed[0] !== '[') return value;
  const parsed = tryParseJson(value);
  return parsed.ok ? parsed.value : value;
}

/** A non-empty string form of a string, finite number or bigint. */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** A finite number from a number, bigint or numeric string. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** A boolean from a boolean or the strings `true`/`false` (any case). */
export function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

/** The first of `keys` whose value in `map` is neither undefined nor null. */
export function firstPresent(map: AttributeMap, keys: readonly string[]): unknown {
  for (const key of keys) {
    const value = map[key];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}
