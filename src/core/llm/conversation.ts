/**
 * Normalises the LLM message conventions of WIRE.md §4 into one
 * {@link Conversation}: Traceloop legacy indexed attributes, OTel GenAI
 * attributes and events, OpenInference, and Respan ingest fields, with
 * `input.value`/`output.value` and entity input/output as fallbacks.
 */

import { displayKindOf, modelOf, tokensOf } from '../derive';
import type { Attributes, DisplayKind } from '../model';
import { senderCaptureOf, type ScopeLike } from './capture';
import { unflattenIndexed } from './flatten';
import { chatMessagesIn, contentToParts, messageFrom, messagesFrom, parseArguments, toolCallFrom, toolDefinitionsFrom, toolResultMessageFrom } from './parts';
import type { ChatMessage, Conversation, ConversationSource, MessageDirection, MessagePart, ToolCall, ToolDefinition, ToolResultPart } from './types';
import { asNumber, asString, isRecord, parseStructured, tryParseJson, type AttributeMap, type EventLike } from './values';

export type * from './types';
export type { AttributeMap, EventLike } from './values';
export { entityIO, type EntityIO } from './entity';
export { requestSettings, type RequestSettings } from './settings';

/** What one convention yielded. */
interface Extracted {
  input?: ChatMessage[];
  output?: ChatMessage[];
  tools?: ToolDefinition[];
}

type Extractor = (attributes: AttributeMap, events: readonly EventLike[]) => Extracted;

function traceloopLegacy(attributes: AttributeMap): Extracted {
  const read = (prefix: string, direction: MessageDirection): ChatMessage[] => {
    const out: ChatMessage[] = [];
    for (const item of unflattenIndexed(attributes, prefix)) {
      // Completion (non-chat) prompts are written as `gen_ai.prompt.0.user`.
      const value = isRecord(item) && item.content === undefined && typeof item.user === 'string' ? { ...item, content: item.user } : item;
      const message = messageFrom(value, direction);
      if (message) out.push(message);
    }
    return out;
  };
  // The first OpenLLMetry releases wrote `llm.prompts.{i}.*` / `llm.completions.{i}.*`.
  const input = read('gen_ai.prompt', 'input');
  const output = read('gen_ai.completion', 'output');
  return {
    input: input.length > 0 ? input : read('llm.prompts', 'input'),
    output: output.length > 0 ? output : read('llm.completions', 'output'),
    tools: toolDefinitionsFrom(unflattenIndexed(attributes, 'llm.request.functions')),
  };
}

/**
 * The event current GenAI instrumentations emit instead of the span
 * attributes when content goes to logs: the same keys, as attributes of the
 * event (one event for the input, one per output item when streamed).
 */
const OPERATION_DETAILS_EVENT = 'gen_ai.client.inference.operation.details';

/** The values of a GenAI key: the span's own, else each operation-details event's, in order. */
function genaiValues(attributes: AttributeMap, events: readonly EventLike[], key: string): unknown[] {
  const own = attributes[key];
  if (own !== undefined && own !== null) return [own];
  const values: unknown[] = [];
  for (const event of events) {
    const value = event.name === OPERATION_DETAILS_EVENT ? event.attributes?.[key] : undefined;
    if (value !== undefined && value !== null) values.push(value);
  }
  return values;
}

/** The text of a message's text parts, to tell when two senders' copies are the same message. */
function textOfParts(parts: readonly MessagePart[]): string {
  return parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

function genai(attributes: AttributeMap, events: readonly EventLike[]): Extracted {
  const input = genaiValues(attributes, events, 'gen_ai.input.messages').flatMap((value) => messagesFrom(value, 'input'));
  const [instructions] = genaiValues(attributes, events, 'gen_ai.system_instructions');
  if (instructions !== undefined) {
    // A bare list of parts (no wrapping message), plain text, or one part;
    // some instrumentations also repeat it as the first input message.
    const { parts, toolCalls } = contentToParts(instructions);
    const text = textOfParts(parts);
    const repeated = input.some((message) => message.role === 'system' && textOfParts(message.parts) === text);
    if (parts.length > 0 && !repeated) input.unshift({ role: 'system', direction: 'input', parts, toolCalls });
  }
  const [tools] = genaiValues(attributes, events, 'gen_ai.tool.definitions');
  return {
    input,
    output: genaiValues(attributes, events, 'gen_ai.output.messages').flatMap((value) => messagesFrom(value, 'output')),
    tools: toolDefinitionsFrom(tools),
  };
}

const EVENT_ROLES: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/**
 * The body of an event-form message: some senders serialise the whole body
 * into one attribute, others spread its fields over the event attributes.
 */
function eventBody(attributes: AttributeMap): Record<string, unknown> {
  for (const key of ['gen_ai.event.content', 'event.body', 'body']) {
    const body = parseStructured(attributes[key]);
    if (isRecord(body)) return body;
  }
  const body: Record<string, unknown> = {};
  for (const key in attributes) if (!key.startsWith('gen_ai.')) body[key] = attributes[key];
  return body;
}

function genaiEvents(_attributes: AttributeMap, events: readonly EventLike[]): Extracted {
  const input: ChatMessage[] = [];
  const choices: { index: number; order: number; message: ChatMessage }[] = [];
  for (const event of events) {
    const attributes = event.attributes ?? {};
    const role = EVENT_ROLES[event.name];
    if (role !== undefined) {
      const message = messageFrom(eventBody(attributes), 'input', { role, idIsToolCallId: role === 'tool' });
      if (message) input.push(message);
    } else if (event.name === 'gen_ai.choice') {
      const body = eventBody(attributes);
      const inner = parseStructured(body.message);
      const merged = isRecord(inner) ? { ...inner, finish_reason: body.finish_reason ?? inner.finish_reason } : body;
      const message = messageFrom(merged, 'output');
      if (message) choices.push({ index: asNumber(body.index) ?? 0, order: choices.length, message });
    } else if (event.name === 'gen_ai.content.prompt') {
      input.push(...messagesFrom(attributes['gen_ai.prompt'], 'input'));
    } else if (event.name === 'gen_ai.content.completion') {
      for (const message of messagesFrom(attributes['gen_ai.completion'], 'output')) {
        choices.push({ index: 0, order: choices.length, message });
      }
    }
  }
  choices.sort((a, b) => a.index - b.index || a.order - b.order);
  return { input, output: choices.map((choice) => choice.message) };
}

function openInference(attributes: AttributeMap): Extracted {
  const read = (key: string, direction: MessageDirection): ChatMessage[] => {
    // Flattened is the norm; a structured list under the bare key also occurs.
    const structured = parseStructured(attributes[key]);
    const items = Array.isArray(structured) ? structured : unflattenIndexed(attributes, key);
    const out: ChatMessage[] = [];
    for (const item of items) {
      const message = messageFrom(isRecord(item) && isRecord(item.message) ? item.message : item, direction);
      if (message) out.push(message);
    }
    return out;
  };
  const toolItems = unflattenIndexed(attributes, 'llm.tools').map((item) => {
    const tool = isRecord(item) && isRecord(item.tool) ? item.tool : item;
    return isRecord(tool) && tool.json_schema !== undefined ? tool.json_schema : tool;
  });
  return {
    input: read('llm.input_messages', 'input'),
    output: read('llm.output_messages', 'output'),
    tools: toolDefinitionsFrom(toolItems),
  };
}

function respanIngest(attributes: AttributeMap): Extracted {
  let input = messagesFrom(attributes.prompt_messages, 'input');
  if (input.length === 0) input = chatMessagesIn(attributes.input, 'input') ?? [];

  let output = messagesFrom(attributes.completion_message, 'output');
  if (output.length === 0) output = messagesFrom(attributes.completion_messages, 'output');
  if (output.length === 0) output = chatMessagesIn(attributes.output, 'output') ?? [];

  // Top-level `tool_calls` belong to the completion.
  const rawCalls = parseStructured(attributes.tool_calls);
  if (Array.isArray(rawCalls) && rawCalls.length > 0) {
    const calls = rawCalls.map(toolCallFrom).filter((call): call is ToolCall => call !== undefined);
    const last = output[output.length - 1];
    if (last && last.toolCalls.length === 0) last.toolCalls.push(...calls);
    else if (!last && calls.length > 0) output.push({ role: 'assistant', direction: 'output', parts: [], toolCalls: calls });
  }
  output.push(...toolResultsCarriedByCalls(attributes, output));
  return { input, output, tools: toolDefinitionsFrom(attributes.tools) };
}

/**
 * Tool messages for the results that ingest tool calls carry with them (a tool
 * span's `tool_calls[].result`), in call order, unless `output` already holds
 * the message answering that call. The top-level `tool_calls` repeat the
 * completion's, so the completion's are read only when there are none.
 */
function toolResultsCarriedByCalls(attributes: AttributeMap, output: readonly ChatMessage[]): ChatMessage[] {
  const answered = new Set(output.map((message) => message.toolCallId).filter((id) => id !== undefined));
  const results: ChatMessage[] = [];
  let calls = listOf(attributes.tool_calls);
  if (calls.length === 0) {
    const completions = [parseStructured(attributes.completion_message), ...listOf(attributes.completion_messages)];
    calls = completions.flatMap((message) => (isRecord(message) ? listOf(message.tool_calls) : []));
  }
  for (const call of calls) {
    const result = toolResultMessageFrom(call, 'output');
    if (result === undefined || (result.toolCallId !== undefined && answered.has(result.toolCallId))) continue;
    if (result.toolCallId !== undefined) answered.add(result.toolCallId);
    results.push(result);
  }
  return results;
}

/** The items of a list, or of JSON text of one; nothing for anything else. */
function listOf(value: unknown): unknown[] {
  const structured = parseStructured(value);
  return Array.isArray(structured) ? structured : [];
}

/**
 * The Vercel AI SDK's spans (`experimental_telemetry`): a model call
 * (`.doGenerate` / `.doStream`) records the exact prompt it sent
 * (`ai.prompt.messages`), a whole call (`ai.generateText`, …) what the caller
 * passed (`ai.prompt`); both record the response. A tool call span records the
 * call and its result.
 */
function aiSdk(attributes: AttributeMap): Extracted {
  if (attributes['ai.toolCall.name'] !== undefined || attributes['ai.toolCall.id'] !== undefined) return aiSdkToolCall(attributes);
  let input = messagesFrom(attributes['ai.prompt.messages'], 'input');
  if (input.length === 0) input = aiSdkPrompt(attributes['ai.prompt']);
  return { input, output: aiSdkResponse(attributes), tools: toolDefinitionsFrom(attributes['ai.prompt.tools']) };
}

/** `ai.prompt`: JSON text of `{system, prompt, messages}` as the caller passed them. */
function aiSdkPrompt(value: unknown): ChatMessage[] {
  const prompt = parseStructured(value);
  if (!isRecord(prompt)) return messagesFrom(prompt, 'input');
  return [...messagesFrom(prompt.system, 'input', { role: 'system' }), ...messagesFrom(prompt.prompt, 'input'), ...messagesFrom(prompt.messages, 'input')];
}

/** The assistant message of `ai.response.*`, or none when the response recorded no content. */
function aiSdkResponse(attributes: AttributeMap): ChatMessage[] {
  const parts: MessagePart[] = [];
  const reasoning = asString(attributes['ai.response.reasoning']);
  if (reasoning !== undefined) parts.push({ type: 'reasoning', text: reasoning });
  const text = asString(attributes['ai.response.text']);
  if (text !== undefined) parts.push({ type: 'text', text });
  const object = parseStructured(attributes['ai.response.object']);
  if (typeof object === 'string') parts.push({ type: 'text', text: object });
  else if (object !== undefined && object !== null) parts.push({ type: 'json', value: object });
  const calls = parseStructured(attributes['ai.response.toolCalls']);
  // Each call is a `tool-call` content part without its type.
  const toolCalls = Array.isArray(calls) ? contentToParts(calls.filter(isRecord).map((call) => ({ ...call, type: 'tool-call' }))).toolCalls : [];
  if (parts.length === 0 && toolCalls.length === 0) return [];
  const message: ChatMessage = { role: 'assistant', direction: 'output', parts, toolCalls };
  const finishReason = asString(attributes['ai.response.finishReason']);
  if (finishReason !== undefined) message.finishReason = finishReason;
  return [message];
}

/** An `ai.toolCall` span: the model's call as the input, the tool's result as the output. */
function aiSdkToolCall(attributes: AttributeMap): Extracted {
  const call: ToolCall = { name: asString(attributes['ai.toolCall.name']) ?? '', arguments: parseArguments(attributes['ai.toolCall.args']) };
  const id = asString(attributes['ai.toolCall.id']);
  if (id !== undefined) call.id = id;
  const input: ChatMessage[] = [{ role: 'assistant', direction: 'input', parts: [], toolCalls: [call] }];
  const result = attributes['ai.toolCall.result'];
  if (result === undefined || result === null) return { input };
  const part: ToolResultPart = { type: 'tool_result', content: parseArguments(result) };
  const message: ChatMessage = { role: 'tool', direction: 'output', parts: [part], toolCalls: [] };
  if (id !== undefined) {
    part.toolCallId = id;
    message.toolCallId = id;
  }
  return { input, output: [message] };
}

/** A fallback message from a non-chat input or output value. */
function ioMessages(value: unknown, mimeType: string | undefined, direction: MessageDirection): ChatMessage[] {
  if (value === undefined || value === null || value === '') return [];
  let structured: unknown = value;
  if (typeof value === 'string') {
    const wantsJson = mimeType === undefined ? /^\s*[[{]/.test(value) : /json/i.test(mimeType);
    if (wantsJson) {
      const parsed = tryParseJson(value);
      if (parsed.ok) structured = parsed.value;
    }
  }
  const chat = chatMessagesIn(structured, direction);
  if (chat && chat.length > 0) return chat;
  const role = direction;
  if (typeof structured === 'string') return [{ role, direction, parts: [{ type: 'text', text: structured }], toolCalls: [] }];
  if (typeof structured === 'object') return [{ role, direction, parts: [{ type: 'json', value: structured }], toolCalls: [] }];
  return [{ role, direction, parts: [{ type: 'text', text: String(structured) }], toolCalls: [] }];
}

function openInferenceIO(attributes: AttributeMap): Extracted {
  return {
    input: ioMessages(attributes['input.value'], asString(attributes['input.mime_type']), 'input'),
    output: ioMessages(attributes['output.value'], asString(attributes['output.mime_type']), 'output'),
  };
}

function ingestIO(attributes: AttributeMap): Extracted {
  return {
    input: ioMessages(attributes.input, undefined, 'input'),
    output: ioMessages(attributes.output, undefined, 'output'),
  };
}

/** Entity input/output, but only when they hold chat messages (agents wrapping a model call). */
function entityChat(attributes: AttributeMap): Extracted {
  const read = (key: string, direction: MessageDirection): ChatMessage[] => {
    const value = parseStructured(attributes[key]);
    const direct = chatMessagesIn(value, direction);
    if (direct) return direct;
    if (isRecord(value)) {
      const kwargs = isRecord(value.kwargs) ? value.kwargs : undefined;
      const fromKwargs = kwargs && chatMessagesIn(kwargs.messages, direction);
      if (fromKwargs) return fromKwargs;
      if (Array.isArray(value.args)) {
        for (const arg of value.args) {
          const fromArg = chatMessagesIn(arg, direction);
          if (fromArg) return fromArg;
        }
      }
    }
    return [];
  };
  return { input: read('traceloop.entity.input', 'input'), output: read('traceloop.entity.output', 'output') };
}

/**
 * Conventions in order of preference. Senders that emit several (Traceloop
 * writes both the legacy and the current GenAI form during the migration)
 * repeat the same messages, so each direction is taken from the first
 * convention that has it rather than merged.
 */
const EXTRACTORS: readonly (readonly [ConversationSource, Extractor])[] = [
  ['genai', genai],
  ['traceloop', traceloopLegacy],
  ['openinference', openInference],
  ['ai-sdk', aiSdk],
  ['genai-events', genaiEvents],
  ['respan-ingest', respanIngest],
  ['openinference-io', openInferenceIO],
  ['respan-ingest', ingestIO],
  ['entity-io', entityChat],
];

/** Anything with span attributes and (optionally) events: a `Span`, a `SpanJson`, or a test fixture. */
export interface SpanLike {
  attributes: AttributeMap;
  events?: readonly EventLike[];
  /** The span's name and instrumentation scope: they tell a model call and the SDK that sent it. */
  name?: string;
  scope?: ScopeLike;
}

/** Kinds whose calls have no conversation to record (their input is data, not messages). */
const NO_CONVERSATION_KINDS: ReadonlySet<DisplayKind> = new Set(['embedding', 'retriever', 'reranker']);

/** A model call: it names a model, counts tokens, and is of a kind that converses. */
function isModelCall(attributes: AttributeMap, name: string | undefined): boolean {
  // The derive readers take any attribute value; the webview's JSON-safe ones included.
  const read = attributes as Attributes;
  return modelOf(read) !== undefined && tokensOf(read) !== undefined && !NO_CONVERSATION_KINDS.has(displayKindOf(read, name));
}

/** True when some message holds content: a part other than empty or placeholder text, or a tool call's arguments. */
function hasContent(messages: readonly ChatMessage[], placeholder: string | undefined): boolean {
  const isContent = (part: MessagePart): boolean => {
    if (part.type === 'text') return part.text !== '' && part.text !== placeholder;
    if (part.type === 'tool_result') return part.content !== null && part.content !== placeholder;
    return true;
  };
  return messages.some((message) => message.parts.some(isContent) || message.toolCalls.some((call) => call.arguments !== undefined));
}

/**
 * The conversation of an LLM span, or undefined when the span carries no
 * messages and no tool definitions and is not a model call. A model call
 * whose messages hold no content says why ({@link Conversation.notRecorded}).
 * Never throws: malformed JSON in a message attribute is shown as a text
 * message.
 */
export function conversationOf(span: SpanLike): Conversation | undefined {
  const attributes = span.attributes ?? {};
  const events = span.events ?? [];
  let input: ChatMessage[] | undefined;
  let output: ChatMessage[] | undefined;
  let tools: ToolDefinition[] | undefined;
  let inputSource: ConversationSource | undefined;
  let outputSource: ConversationSource | undefined;
  const sources: ConversationSource[] = [];
  const use = (source: ConversationSource) => {
    if (!sources.includes(source)) sources.push(source);
  };

  for (const [source, extract] of EXTRACTORS) {
    if (input && output && tools) break;
    const found = extract(attributes, events);
    if (!input && found.input && found.input.length > 0) {
      input = found.input;
      inputSource = source;
      use(source);
    }
    if (!output && found.output && found.output.length > 0) {
      output = found.output;
      outputSource = source;
      use(source);
    }
    if (!tools && found.tools && found.tools.length > 0) {
      tools = found.tools;
      use(source);
    }
  }

  const messages = [...(input ?? []), ...(output ?? [])];
  const conversation: Conversation = { messages, tools: tools ?? [], sources };
  const source = inputSource ?? outputSource ?? sources[0];
  if (source !== undefined) conversation.source = source;
  const capture = senderCaptureOf(span.scope, attributes);
  if (!hasContent(messages, capture.placeholder) && isModelCall(attributes, span.name)) conversation.notRecorded = capture.notRecorded;
  else if (source === undefined) return undefined;
  return conversation;
}
