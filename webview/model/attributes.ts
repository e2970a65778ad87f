/**
 * Grouping of span attributes for the details panel, and recognition of JSON
 * hidden inside string values. Pure, DOM-free.
 */

import { tryParseJson } from '../../src/core/llm/values';

/** Attribute groups of the details panel, in display order. */
export type AttributeGroupId = 'respan' | 'llm' | 'entity' | 'code' | 'http' | 'other';

/** One group of attributes. */
export interface AttributeGroup {
  id: AttributeGroupId;
  title: string;
  /** Sorted by key. */
  entries: Array<[key: string, value: unknown]>;
}

const GROUP_TITLES: Record<AttributeGroupId, string> = {
  respan: 'Respan parameters',
  llm: 'LLM',
  entity: 'Entity input / output',
  code: 'Code location',
  http: 'HTTP, database, messaging',
  other: 'Other',
};

const RESPAN_INGEST_KEYS = new Set([
  'customer_identifier',
  'customer_params',
  'customer_email',
  'customer_name',
  'thread_identifier',
  'trace_group_identifier',
  'group_identifier',
  'custom_identifier',
  'environment',
  'metadata',
  'respan_params',
  'processors',
  'is_pinned',
  'positive_feedback',
  'note',
]);

const LLM_INGEST_KEYS = new Set([
  'model',
  'provider_id',
  'prompt_messages',
  'completion_message',
  'tools',
  'tool_calls',
  'usage',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'cost',
  'prompt_unit_price',
  'completion_unit_price',
  'time_to_first_token',
  'tokens_per_second',
  'log_type',
]);

/** Which group an attribute key belongs to. */
export function attributeGroupOf(key: string): AttributeGroupId {
  if (
    key.startsWith('respan.') ||
    key.startsWith('keywordsai.') ||
    key.startsWith('traceloop.association.properties.') ||
    RESPAN_INGEST_KEYS.has(key)
  ) {
    return 'respan';
  }
  if (
    key.startsWith('traceloop.entity.') ||
    key.startsWith('traceloop.workflow.') ||
    key.startsWith('traceloop.span.') ||
    key.startsWith('input.') ||
    key.startsWith('output.') ||
    key === 'input' ||
    key === 'output'
  ) {
    return 'entity';
  }
  if (key.startsWith('gen_ai.') || key.startsWith('llm.') || key.startsWith('openinference.') || key.startsWith('embedding.') || LLM_INGEST_KEYS.has(key)) {
    return 'llm';
  }
  if (key.startsWith('code.')) return 'code';
  if (
    key.startsWith('http.') ||
    key.startsWith('url.') ||
    key.startsWith('server.') ||
    key.startsWith('client.') ||
    key.startsWith('network.') ||
    key.startsWith('db.') ||
    key.startsWith('messaging.') ||
    key.startsWith('rpc.')
  ) {
    return 'http';
  }
  return 'other';
}

/** Span attributes grouped for display; empty groups are left out. */
export function groupAttributes(attributes: Record<string, unknown>): AttributeGroup[] {
  const buckets = new Map<AttributeGroupId, Array<[string, unknown]>>();
  for (const key of Object.keys(attributes).sort()) {
    const id = attributeGroupOf(key);
    let bucket = buckets.get(id);
    if (!bucket) buckets.set(id, (bucket = []));
    bucket.push([key, attributes[key]]);
  }
  const order: AttributeGroupId[] = ['respan', 'llm', 'entity', 'code', 'http', 'other'];
  return order.filter((id) => buckets.has(id)).map((id) => ({ id, title: GROUP_TITLES[id], entries: buckets.get(id)! }));
}

/** Strings longer than this are not parsed for JSON (they are shown as text). */
export const MAX_JSON_PARSE_LENGTH = 4_000_000;

/**
 * The structured value a string holds when it is a JSON object or array
 * (senders stringify messages, inputs, metadata); `undefined` otherwise.
 */
export function parseJsonString(value: unknown): object | undefined {
  if (typeof value !== 'string' || value.length < 2 || value.length > MAX_JSON_PARSE_LENGTH) return undefined;
  const first = firstNonSpace(value);
  if (first !== '{' && first !== '[') return undefined;
  // Cut at the nesting every reader of span content is bounded by: the text may nest without end.
  const parsed = tryParseJson(value);
  return parsed.ok && parsed.value !== null && typeof parsed.value === 'object' ? parsed.value : undefined;
}

function firstNonSpace(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t') return ch;
  }
  return '';
}

/** A value as the one line of text shown (and copied) for it. */
export function valueToText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value, null, 2) ?? String(value);
}
