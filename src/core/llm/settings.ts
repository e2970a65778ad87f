/**
 * Request settings (temperature, token limit, streaming, …), read from every
 * vocabulary senders use. (Custom unit prices are derived fields priced in
 * `src/core/cost`.)
 */

import { asBoolean, asNumber, asString, isRecord, parseStructured, type AttributeMap } from './values';

/** Model request settings of an LLM span; only what the span states is present. */
export interface RequestSettings {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  topK?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  /** Number of choices requested (`n`). */
  choiceCount?: number;
  stopSequences?: string[];
  streaming?: boolean;
  reasoningEffort?: string;
  /**
   * Entries of `llm.invocation_parameters` not mapped to a field above
   * (`response_format`, `tool_choice`, …), for display.
   */
  other?: Record<string, unknown>;
}

/** Per field: span attribute keys, then `llm.invocation_parameters` keys, in order of precedence. */
const FIELDS = {
  temperature: { attributes: ['gen_ai.request.temperature', 'llm.temperature', 'temperature'], invocation: ['temperature'] },
  maxTokens: {
    attributes: ['gen_ai.request.max_tokens', 'llm.request.max_tokens', 'max_tokens'],
    invocation: ['max_tokens', 'max_completion_tokens', 'max_output_tokens', 'maxOutputTokens', 'max_tokens_to_sample'],
  },
  topP: { attributes: ['gen_ai.request.top_p', 'llm.top_p', 'top_p'], invocation: ['top_p', 'topP'] },
  topK: { attributes: ['gen_ai.request.top_k', 'llm.top_k'], invocation: ['top_k', 'topK'] },
  frequencyPenalty: {
    attributes: ['gen_ai.request.frequency_penalty', 'llm.frequency_penalty', 'frequency_penalty'],
    invocation: ['frequency_penalty'],
  },
  presencePenalty: {
    attributes: ['gen_ai.request.presence_penalty', 'llm.presence_penalty', 'presence_penalty'],
    invocation: ['presence_penalty'],
  },
  seed: { attributes: ['gen_ai.request.seed'], invocation: ['seed'] },
  choiceCount: { attributes: ['gen_ai.request.choice.count'], invocation: ['n', 'candidate_count'] },
} as const;

const STOP = { attributes: ['gen_ai.request.stop_sequences', 'llm.chat.stop_sequences'], invocation: ['stop', 'stop_sequences'] };
const STREAMING = { attributes: ['llm.is_streaming', 'gen_ai.request.stream', 'stream'], invocation: ['stream'] };
const REASONING = { attributes: ['gen_ai.request.reasoning_effort', 'gen_ai.openai.request.reasoning_effort'], invocation: ['reasoning_effort'] };

function stopSequences(value: unknown): string[] | undefined {
  const structured = parseStructured(value);
  if (typeof structured === 'string') return structured === '' ? undefined : [structured];
  if (!Array.isArray(structured)) return undefined;
  const out = structured.filter((item): item is string => typeof item === 'string');
  return out.length > 0 ? out : undefined;
}

function pick<T>(
  attributes: AttributeMap,
  invocation: Record<string, unknown>,
  spec: { attributes: readonly string[]; invocation: readonly string[] },
  read: (value: unknown) => T | undefined,
): T | undefined {
  for (const key of spec.attributes) {
    const value = read(attributes[key]);
    if (value !== undefined) return value;
  }
  for (const key of spec.invocation) {
    const value = read(invocation[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Request settings from `gen_ai.request.*`, the older Traceloop `llm.*` keys,
 * `llm.is_streaming`, OpenInference `llm.invocation_parameters` (JSON text)
 * and flat Respan ingest fields, in that order of precedence.
 */
export function requestSettings(attributes: AttributeMap): RequestSettings {
  const parsed = parseStructured(attributes['llm.invocation_parameters']);
  const invocation = isRecord(parsed) ? parsed : {};
  const settings: RequestSettings = {};
  for (const field of Object.keys(FIELDS) as (keyof typeof FIELDS)[]) {
    const value = pick(attributes, invocation, FIELDS[field], asNumber);
    if (value !== undefined) settings[field] = value;
  }
  const stop = pick(attributes, invocation, STOP, stopSequences);
  if (stop !== undefined) settings.stopSequences = stop;
  const streaming = pick(attributes, invocation, STREAMING, asBoolean);
  if (streaming !== undefined) settings.streaming = streaming;
  const effort = pick(attributes, invocation, REASONING, asString);
  if (effort !== undefined) settings.reasoningEffort = effort;

  const mapped = new Set<string>([...Object.values(FIELDS), STOP, STREAMING, REASONING].flatMap((spec) => spec.invocation));
  const other: Record<string, unknown> = {};
  for (const key of Object.keys(invocation)) {
    // The model and messages are shown elsewhere; repeating them here is noise.
    if (!mapped.has(key) && key !== 'model' && key !== 'messages') other[key] = invocation[key];
  }
  if (Object.keys(other).length > 0) settings.other = other;
  return settings;
}
