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
   * Settings not mapped to a field above, for display: entries of
   * `llm.invocation_parameters` (`response_format`, `tool_choice`, …) and the
   * AI SDK's other `ai.settings.*` (`maxRetries`, …) and tool choice.
   */
  other?: Record<string, unknown>;
}

/** Per field: span attribute keys, then `llm.invocation_parameters` keys, in order of precedence. */
const FIELDS = {
  temperature: { attributes: ['gen_ai.request.temperature', 'llm.temperature', 'ai.settings.temperature', 'temperature'], invocation: ['temperature'] },
  maxTokens: {
    attributes: ['gen_ai.request.max_tokens', 'llm.request.max_tokens', 'ai.settings.maxOutputTokens', 'ai.settings.maxTokens', 'max_tokens'],
    invocation: ['max_tokens', 'max_completion_tokens', 'max_output_tokens', 'maxOutputTokens', 'max_tokens_to_sample'],
  },
  topP: { attributes: ['gen_ai.request.top_p', 'llm.top_p', 'ai.settings.topP', 'top_p'], invocation: ['top_p', 'topP'] },
  topK: { attributes: ['gen_ai.request.top_k', 'llm.top_k', 'ai.settings.topK'], invocation: ['top_k', 'topK'] },
  frequencyPenalty: {
    attributes: ['gen_ai.request.frequency_penalty', 'llm.frequency_penalty', 'ai.settings.frequencyPenalty', 'frequency_penalty'],
    invocation: ['frequency_penalty'],
  },
  presencePenalty: {
    attributes: ['gen_ai.request.presence_penalty', 'llm.presence_penalty', 'ai.settings.presencePenalty', 'presence_penalty'],
    invocation: ['presence_penalty'],
  },
  seed: { attributes: ['gen_ai.request.seed', 'ai.settings.seed'], invocation: ['seed'] },
  choiceCount: { attributes: ['gen_ai.request.choice.count'], invocation: ['n', 'candidate_count'] },
} as const;

const STOP = { attributes: ['gen_ai.request.stop_sequences', 'llm.chat.stop_sequences', 'ai.settings.stopSequences'], invocation: ['stop', 'stop_sequences'] };
const STREAMING = { attributes: ['llm.is_streaming', 'gen_ai.request.stream', 'stream'], invocation: ['stream'] };
const REASONING = { attributes: ['gen_ai.request.reasoning_effort', 'gen_ai.openai.request.reasoning_effort'], invocation: ['reasoning_effort'] };

/** The Vercel AI SDK states its settings as `ai.settings.<name>`; those not mapped above are listed under `other`. */
const AI_SDK_SETTINGS = 'ai.settings.';
/** Request settings the AI SDK records outside `ai.settings.*`, by the name they are listed under. */
const AI_SDK_OTHER: Record<string, string> = { 'ai.prompt.toolChoice': 'toolChoice' };
/** Whether each AI SDK operation (`ai.operationId`) streams: the SDK has no streaming attribute, the operation says it. */
const AI_SDK_STREAMING: Record<string, boolean> = {
  'ai.generateText': false,
  'ai.generateText.doGenerate': false,
  'ai.generateObject': false,
  'ai.generateObject.doGenerate': false,
  'ai.streamText': true,
  'ai.streamText.doStream': true,
  'ai.streamObject': true,
  'ai.streamObject.doStream': true,
};

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

const SPECS = [...Object.values(FIELDS), STOP, STREAMING, REASONING];
const MAPPED_INVOCATION = new Set<string>(SPECS.flatMap((spec) => spec.invocation));
const MAPPED_ATTRIBUTES = new Set<string>(SPECS.flatMap((spec) => spec.attributes));

/** Sets an own entry (a sender's `__proto__` key is a key like any other). */
function setOwn(other: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(other, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Request settings from `gen_ai.request.*`, the older Traceloop `llm.*` keys,
 * `llm.is_streaming`, the Vercel AI SDK's `ai.settings.*`, OpenInference
 * `llm.invocation_parameters` (JSON text) and flat Respan ingest fields, in
 * that order of precedence.
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
  const operation = asString(attributes['ai.operationId']);
  const streaming = pick(attributes, invocation, STREAMING, asBoolean) ?? (operation !== undefined && Object.hasOwn(AI_SDK_STREAMING, operation) ? AI_SDK_STREAMING[operation] : undefined);
  if (streaming !== undefined) settings.streaming = streaming;
  const effort = pick(attributes, invocation, REASONING, asString);
  if (effort !== undefined) settings.reasoningEffort = effort;

  const other: Record<string, unknown> = {};
  for (const key of Object.keys(invocation)) {
    // The model and messages are shown elsewhere; repeating them here is noise.
    if (!MAPPED_INVOCATION.has(key) && key !== 'model' && key !== 'messages') setOwn(other, key, invocation[key]);
  }
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    if (key.startsWith(AI_SDK_SETTINGS) && !MAPPED_ATTRIBUTES.has(key)) setOwn(other, key.slice(AI_SDK_SETTINGS.length), value);
    else if (Object.hasOwn(AI_SDK_OTHER, key)) setOwn(other, AI_SDK_OTHER[key], parseStructured(value));
  }
  if (Object.keys(other).length > 0) settings.other = other;
  return settings;
}
