/**
 * Readers for the building blocks shared by every convention: content parts
 * (OpenAI, OpenAI Responses, Anthropic, OTel GenAI, OpenInference, Gemini),
 * tool calls, whole messages and tool definitions. Each reader accepts any
 * value and never throws; what it does not recognise is kept as a JSON part.
 */

import type { ChatMessage, ImagePart, MediaPart, MessageDirection, MessagePart, ToolCall, ToolDefinition, ToolResultPart } from './types';
import { asBoolean, asString, firstPresent, isRecord, parseStructured, tryParseJson } from './values';

/** Parts and the tool calls found among them (Anthropic `tool_use`, OTel `tool_call`). */
export interface ContentResult {
  parts: MessagePart[];
  toolCalls: ToolCall[];
}

/** Tool call arguments: parsed when they are JSON text, otherwise as given. */
export function parseArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  const parsed = tryParseJson(value);
  return parsed.ok ? parsed.value : value;
}

const GEMINI_KEYS = ['inline_data', 'inlineData', 'file_data', 'fileData', 'function_call', 'functionCall', 'function_response', 'functionResponse'];

/**
 * True for a list that is content parts rather than arbitrary data: every
 * item an object with a string `type`, a string `text`, or a Gemini part key.
 */
function looksLikeParts(value: unknown): value is unknown[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (item) =>
        isRecord(item) &&
        (typeof item.type === 'string' ||
          typeof item.text === 'string' ||
          isRecord(item.message_content) ||
          GEMINI_KEYS.some((key) => key in item)),
    )
  );
}

function isUrl(text: string): boolean {
  return /^(https?|data):/i.test(text);
}

function dataUrl(data: string, mimeType: string | undefined): string {
  return data.startsWith('data:') ? data : `data:${mimeType ?? 'application/octet-stream'};base64,${data}`;
}

function isImage(modality: string | undefined, mimeType: string | undefined): boolean {
  return modality === 'image' || (mimeType?.startsWith('image/') ?? false);
}

/** A blob or URI part: images become image parts so the UI can show them. */
function mediaPart(
  kind: 'blob' | 'file' | 'uri',
  fields: { modality?: string; mimeType?: string; uri?: string; fileId?: string; filename?: string; data?: string },
): MessagePart {
  if (isImage(fields.modality, fields.mimeType)) {
    if (kind === 'uri' && fields.uri) return withMime<ImagePart>({ type: 'image', url: fields.uri }, fields.mimeType);
    if (kind === 'blob' && fields.data) return withMime<ImagePart>({ type: 'image', url: dataUrl(fields.data, fields.mimeType) }, fields.mimeType);
  }
  const part: MediaPart = { type: 'media', kind };
  for (const key of ['modality', 'mimeType', 'uri', 'fileId', 'filename', 'data'] as const) {
    if (fields[key] !== undefined) part[key] = fields[key];
  }
  return part;
}

function withMime<T extends { mimeType?: string }>(part: T, mimeType: string | undefined): T {
  if (mimeType) part.mimeType = mimeType;
  return part;
}

/** Text of a value that may be a string or an OpenAI Assistants `{value}` text object. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.value === 'string') return value.value;
  return undefined;
}

/** Joined texts of an OpenAI Responses reasoning `summary` list. */
function summaryText(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const texts = value.map((item) => (isRecord(item) ? textOf(item.text) : textOf(item))).filter((t): t is string => t !== undefined);
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** An image/document `source` of Anthropic content blocks. */
function anthropicSource(source: unknown, modality: string, out: ContentResult): boolean {
  if (!isRecord(source)) return false;
  const mimeType = asString(source.media_type);
  switch (source.type) {
    case 'base64':
      if (typeof source.data !== 'string') return false;
      out.parts.push(mediaPart('blob', { modality, mimeType, data: source.data }));
      return true;
    case 'url':
      if (typeof source.url !== 'string') return false;
      out.parts.push(mediaPart('uri', { modality, mimeType, uri: source.url }));
      return true;
    case 'file':
      if (typeof source.file_id !== 'string') return false;
      out.parts.push(mediaPart('file', { modality, mimeType, fileId: source.file_id }));
      return true;
    case 'text':
      if (typeof source.data !== 'string') return false;
      out.parts.push({ type: 'text', text: source.data });
      return true;
    default:
      return false;
  }
}

function pushToolCall(out: ContentResult, id: unknown, name: unknown, args: unknown): void {
  const call: ToolCall = { name: asString(name) ?? '', arguments: parseArguments(args) };
  const callId = asString(id);
  if (callId !== undefined) call.id = callId;
  out.toolCalls.push(call);
}

function pushToolResult(out: ContentResult, id: unknown, content: unknown, isError?: unknown): void {
  const part: MessagePart = { type: 'tool_result', content: content ?? null };
  const callId = asString(id);
  if (callId !== undefined) part.toolCallId = callId;
  if (asBoolean(isError) === true) part.isError = true;
  out.parts.push(part);
}

/** Reads one typed part. Returns false when the type is unknown or its fields are missing. */
function typedPart(item: Record<string, unknown>, type: string, out: ContentResult): boolean {
  switch (type) {
    case 'text':
    case 'input_text':
    case 'output_text': {
      const text = textOf(item.text) ?? textOf(item.content);
      if (text === undefined) return false;
      // Gemini marks thoughts with `thought: true` on an ordinary text part.
      out.parts.push(item.thought === true ? { type: 'reasoning', text } : { type: 'text', text });
      return true;
    }
    case 'reasoning':
    case 'thinking': {
      const text = textOf(item.content) ?? textOf(item.thinking) ?? textOf(item.text) ?? summaryText(item.summary);
      if (text === undefined) return false;
      out.parts.push({ type: 'reasoning', text });
      return true;
    }
    case 'redacted_thinking':
    case 'redacted_reasoning':
      out.parts.push({ type: 'reasoning', text: '', redacted: true });
      return true;
    case 'refusal': {
      const text = textOf(item.refusal) ?? textOf(item.content);
      if (text === undefined) return false;
      out.parts.push({ type: 'refusal', text });
      return true;
    }
    case 'image_url': {
      const url = isRecord(item.image_url) ? asString(item.image_url.url) : asString(item.image_url);
      if (url === undefined) return false;
      out.parts.push({ type: 'image', url });
      return true;
    }
    case 'input_image': {
      const url = asString(item.image_url);
      if (url !== undefined) out.parts.push({ type: 'image', url });
      else if (typeof item.file_id === 'string') out.parts.push(mediaPart('file', { modality: 'image', fileId: item.file_id }));
      else return false;
      return true;
    }
    case 'image': {
      if (anthropicSource(item.source, 'image', out)) return true;
      // The Vercel AI SDK's image part: `image` is a URL or base64 text.
      if (typeof item.image === 'string') {
        const mimeType = asString(item.mediaType);
        out.parts.push(withMime<ImagePart>({ type: 'image', url: isUrl(item.image) ? item.image : dataUrl(item.image, mimeType) }, mimeType));
        return true;
      }
      // OpenInference nests the URL as `image.image.url`; others use `image.url` or `url`.
      const image = isRecord(item.image) ? item.image : undefined;
      const url = asString(isRecord(image?.image) ? image.image.url : image?.url) ?? asString(item.url) ?? asString(item.image_url);
      if (url === undefined) return false;
      out.parts.push({ type: 'image', url });
      return true;
    }
    case 'audio':
    case 'video': {
      const nested = isRecord(item[type]) ? (item[type] as Record<string, unknown>) : undefined;
      const inner = isRecord(nested?.[type]) ? (nested[type] as Record<string, unknown>) : nested;
      const uri = asString(inner?.url) ?? asString(item.url);
      const mimeType = asString(inner?.mime_type) ?? asString(item.mime_type);
      if (uri !== undefined) out.parts.push(mediaPart('uri', { modality: type, mimeType, uri }));
      else if (typeof item.data === 'string') out.parts.push(mediaPart('blob', { modality: type, mimeType, data: item.data }));
      else return false;
      return true;
    }
    case 'document':
      return anthropicSource(item.source, 'document', out);
    case 'input_audio': {
      const audio = isRecord(item.input_audio) ? item.input_audio : undefined;
      if (typeof audio?.data !== 'string') return false;
      const format = asString(audio.format);
      out.parts.push(mediaPart('blob', { modality: 'audio', mimeType: format ? `audio/${format}` : undefined, data: audio.data }));
      return true;
    }
    case 'file':
    case 'input_file': {
      // OpenAI chat nests `{file: {...}}`; OTel and Responses put the fields on the part.
      const file = isRecord(item.file) ? item.file : item;
      const modality = asString(item.modality) ?? 'document';
      const mimeType = asString(file.mime_type) ?? asString(file.mediaType);
      const filename = asString(file.filename);
      if (typeof file.file_id === 'string') out.parts.push(mediaPart('file', { modality, mimeType, fileId: file.file_id, filename }));
      else if (typeof file.file_data === 'string') out.parts.push(mediaPart('blob', { modality, mimeType, data: file.file_data, filename }));
      else if (typeof file.file_url === 'string') out.parts.push(mediaPart('uri', { modality, mimeType, uri: file.file_url, filename }));
      // The Vercel AI SDK's file part: `data` is a URL or base64 text.
      else if (typeof file.data === 'string') out.parts.push(isUrl(file.data) ? mediaPart('uri', { modality, mimeType, uri: file.data, filename }) : mediaPart('blob', { modality, mimeType, data: file.data, filename }));
      else return false;
      return true;
    }
    case 'blob': {
      const data = asString(item.content) ?? asString(item.data);
      if (data === undefined) return false;
      out.parts.push(mediaPart('blob', { modality: asString(item.modality), mimeType: asString(item.mime_type), data }));
      return true;
    }
    case 'uri': {
      const uri = asString(item.uri);
      if (uri === undefined) return false;
      out.parts.push(mediaPart('uri', { modality: asString(item.modality), mimeType: asString(item.mime_type), uri }));
      return true;
    }
    case 'tool_call':
      pushToolCall(out, item.id, item.name, item.arguments);
      return true;
    case 'tool_use':
    case 'server_tool_use':
      pushToolCall(out, item.id, item.name, item.input);
      return true;
    case 'server_tool_call':
      pushToolCall(out, item.id, item.name, item.server_tool_call);
      return true;
    case 'function_call':
      pushToolCall(out, item.call_id ?? item.id, item.name, item.arguments);
      return true;
    case 'function':
      if (!isRecord(item.function)) return false;
      pushToolCall(out, item.id, item.function.name, item.function.arguments);
      return true;
    case 'tool-call':
      // The Vercel AI SDK (`input`; `args` before v5).
      pushToolCall(out, item.toolCallId, item.toolName, item.input ?? item.args);
      return true;
    case 'tool-result': {
      // The Vercel AI SDK: `output` is `{type, value}` (`error-text` / `error-json` for a failure); before v5, `result` and `isError`.
      const output = isRecord(item.output) ? item.output : undefined;
      const failed = item.isError === true || (typeof output?.type === 'string' && output.type.startsWith('error'));
      pushToolResult(out, item.toolCallId, output === undefined ? item.result : (output.value ?? output.reason ?? output), failed);
      return true;
    }
    case 'tool_call_response':
      pushToolResult(out, item.id, item.response ?? item.result);
      return true;
    case 'server_tool_call_response':
      pushToolResult(out, item.id, item.server_tool_call_response);
      return true;
    case 'tool_result':
      pushToolResult(out, item.tool_use_id ?? item.tool_call_id ?? item.id, item.content, item.is_error);
      return true;
    case 'function_call_output':
      pushToolResult(out, item.call_id ?? item.id, item.output);
      return true;
    default:
      // Anthropic server tool results (`web_search_tool_result`, …).
      if (type.endsWith('_tool_result') && typeof item.tool_use_id === 'string') {
        pushToolResult(out, item.tool_use_id, item.content);
        return true;
      }
      return false;
  }
}

/** Reads a Gemini part, which has no `type` but one distinguishing key. */
function geminiPart(item: Record<string, unknown>, out: ContentResult): boolean {
  const inline = item.inline_data ?? item.inlineData;
  if (isRecord(inline) && typeof inline.data === 'string') {
    out.parts.push(mediaPart('blob', { mimeType: asString(inline.mime_type ?? inline.mimeType), data: inline.data }));
    return true;
  }
  const file = item.file_data ?? item.fileData;
  if (isRecord(file) && typeof (file.file_uri ?? file.fileUri) === 'string') {
    out.parts.push(mediaPart('uri', { mimeType: asString(file.mime_type ?? file.mimeType), uri: String(file.file_uri ?? file.fileUri) }));
    return true;
  }
  const call = item.function_call ?? item.functionCall;
  if (isRecord(call)) {
    pushToolCall(out, call.id, call.name, call.args);
    return true;
  }
  const response = item.function_response ?? item.functionResponse;
  if (isRecord(response)) {
    pushToolResult(out, response.id ?? response.name, response.response);
    return true;
  }
  if (typeof item.text === 'string') {
    out.parts.push(item.thought === true ? { type: 'reasoning', text: item.text } : { type: 'text', text: item.text });
    return true;
  }
  return false;
}

function addPart(content: unknown, out: ContentResult): void {
  let item = content;
  // OpenInference wraps each content item as `{message_content: {...}}`; unwrapped in a loop, as text can nest it without end.
  while (isRecord(item) && isRecord(item.message_content)) item = item.message_content;
  if (item === undefined || item === null) return;
  if (typeof item === 'string') {
    out.parts.push({ type: 'text', text: item });
    return;
  }
  if (!isRecord(item)) {
    out.parts.push(typeof item === 'object' ? { type: 'json', value: item } : { type: 'text', text: String(item) });
    return;
  }
  const handled = typeof item.type === 'string' ? typedPart(item, item.type.toLowerCase(), out) : geminiPart(item, out);
  if (!handled) out.parts.push({ type: 'json', value: item });
}

/**
 * Normalises message content: a string (which may be JSON text of a list of
 * parts, as Traceloop writes non-string content), a list of parts of any
 * provider's shape, or a single part. JSON text that is not a part list stays
 * text, as it was most likely written by the user.
 */
export function contentToParts(content: unknown): ContentResult {
  const out: ContentResult = { parts: [], toolCalls: [] };
  if (typeof content === 'string') {
    const structured = parseStructured(content);
    if (looksLikeParts(structured)) for (const item of structured) addPart(item, out);
    else if (content !== '') out.parts.push({ type: 'text', text: content });
    return out;
  }
  if (Array.isArray(content)) {
    for (const item of content) addPart(item, out);
    return out;
  }
  addPart(content, out);
  return out;
}

/**
 * Every spelling of a tool call object's fields, preferred first: OpenAI and
 * OTel (`id`, `name`, `arguments`), OpenAI Responses (`call_id`), Anthropic
 * (`input`), Gemini (`args`), the Vercel AI SDK and Respan's exporter for it
 * (`toolCallId`, `toolName`, `input` or `args`), LangChain (`tool_call_id`).
 * `result` is the tool's output, where a sender records it with the call
 * (Respan ingest `tool_calls[].result`).
 */
const TOOL_CALL_FIELDS = {
  id: ['id', 'call_id', 'toolCallId', 'tool_call_id'],
  name: ['name', 'toolName', 'tool_name'],
  arguments: ['arguments', 'input', 'args'],
  result: ['result'],
} as const satisfies Record<string, readonly string[]>;

function firstString(item: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const text = asString(item[key]);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** The tool call object behind `value`: JSON text is parsed, OpenInference's `{tool_call: {...}}` unwrapped. */
function toolCallObject(value: unknown): Record<string, unknown> | undefined {
  const item = parseStructured(value);
  if (!isRecord(item)) return undefined;
  return isRecord(item.tool_call) ? item.tool_call : item;
}

/**
 * A tool call from any of: OpenAI `{id, type, function: {name, arguments}}`,
 * Traceloop/OTel `{id, name, arguments}`, OpenInference
 * `{tool_call: {id, function: {name, arguments}}}`, Anthropic-like
 * `{id, name, input}`, Gemini `{name, args}`, the Vercel AI SDK
 * `{toolCallId, toolName, input}`: every spelling of {@link TOOL_CALL_FIELDS}.
 * Undefined when it has neither name nor arguments.
 */
export function toolCallFrom(value: unknown): ToolCall | undefined {
  const item = toolCallObject(value);
  if (item === undefined) return undefined;
  const fn = isRecord(item.function) ? item.function : item;
  const name = firstString(fn, TOOL_CALL_FIELDS.name);
  const rawArgs = firstPresent(fn, TOOL_CALL_FIELDS.arguments);
  if (name === undefined && rawArgs === undefined) return undefined;
  const call: ToolCall = { name: name ?? '', arguments: parseArguments(rawArgs) };
  const id = firstString(item, TOOL_CALL_FIELDS.id);
  if (id !== undefined) call.id = id;
  return call;
}

/**
 * The tool message answering a tool call object that carries the tool's
 * output with it (a `result` of {@link TOOL_CALL_FIELDS}), or undefined when
 * it carries none.
 */
export function toolResultMessageFrom(value: unknown, direction: MessageDirection): ChatMessage | undefined {
  const item = toolCallObject(value);
  const result = item && firstPresent(item, TOOL_CALL_FIELDS.result);
  if (item === undefined || result === undefined) return undefined;
  const part: ToolResultPart = { type: 'tool_result', content: result };
  const message: ChatMessage = { role: 'tool', direction, parts: [part], toolCalls: [] };
  const id = firstString(item, TOOL_CALL_FIELDS.id);
  if (id !== undefined) {
    part.toolCallId = id;
    message.toolCallId = id;
  }
  return message;
}

const ROLE_ALIASES: Record<string, string> = {
  human: 'user',
  ai: 'assistant',
  model: 'assistant',
  bot: 'assistant',
  chatbot: 'assistant',
  function: 'tool',
  // LangChain message classes, as some instrumentations record the role.
  humanmessage: 'user',
  aimessage: 'assistant',
  aimessagechunk: 'assistant',
  systemmessage: 'system',
  toolmessage: 'tool',
  functionmessage: 'tool',
};

/** Lowercased role with common aliases folded (`human` → `user`, `model` → `assistant`, `function` → `tool`, `HumanMessage` → `user`). */
export function normaliseRole(role: string): string {
  const lower = role.trim().toLowerCase();
  return ROLE_ALIASES[lower] ?? lower;
}

/** The conventional role of a message that names none. */
export function defaultRole(direction: MessageDirection): string {
  return direction === 'input' ? 'user' : 'assistant';
}

/** Appends `calls` to `into`, skipping calls already present with the same id. */
function mergeToolCalls(into: ToolCall[], calls: readonly ToolCall[]): void {
  for (const call of calls) {
    if (call.id !== undefined && into.some((existing) => existing.id === call.id)) continue;
    into.push(call);
  }
}

/** Options of {@link messageFrom}. */
export interface MessageOptions {
  /** Role when the message names none; defaults to {@link defaultRole}. */
  role?: string;
  /** Accept `id` as the tool call id (OTel `gen_ai.tool.message` events). */
  idIsToolCallId?: boolean;
}

/**
 * A message from any message object: OpenAI chat (`content`, `tool_calls`,
 * `function_call`, `tool_call_id`, `reasoning_content`, `refusal`), a chat
 * completion choice (`{message, finish_reason}`), OTel GenAI (`parts`),
 * OpenInference (`contents`, `function_call_name`), Anthropic (`content`
 * blocks), Gemini (`parts`). A string or number becomes a text message; a
 * list a JSON part.
 */
export function messageFrom(value: unknown, direction: MessageDirection, options: MessageOptions = {}): ChatMessage | undefined {
  const fallbackRole = options.role ?? defaultRole(direction);
  const structured = parseStructured(value);
  if (structured === undefined || structured === null) return undefined;
  if (!isRecord(structured)) {
    // Something that is not a message stands in for one: show it as it is.
    const text = typeof structured === 'object' ? undefined : String(structured);
    return { role: fallbackRole, direction, parts: [text === undefined ? { type: 'json', value: structured } : { type: 'text', text }], toolCalls: [] };
  }
  let item: Record<string, unknown> = structured;
  let finishReason = asString(item.finish_reason) ?? asString(item.finishReason);
  // A chat completion choice, or an OpenInference `{message: {...}}` wrapper.
  if (isRecord(item.message) && item.role === undefined && item.content === undefined && item.parts === undefined) {
    item = item.message;
    finishReason ??= asString(item.finish_reason) ?? asString(item.finishReason);
  }

  const message: ChatMessage = {
    role: normaliseRole(asString(item.role) ?? fallbackRole),
    direction,
    parts: [],
    toolCalls: [],
  };
  const name = asString(item.name);
  if (name !== undefined) message.name = name;

  const reasoning = textOf(item.reasoning_content) ?? textOf(item.reasoning);
  if (reasoning !== undefined) message.parts.push({ type: 'reasoning', text: reasoning });

  // OpenInference sends either `contents` or `content`; prefer whichever has parts.
  const sources = [item.parts, item.contents, item.content];
  for (const source of sources) {
    if (source === undefined || source === null) continue;
    const result = contentToParts(source);
    if (result.parts.length === 0 && result.toolCalls.length === 0) continue;
    message.parts.push(...result.parts);
    mergeToolCalls(message.toolCalls, result.toolCalls);
    break;
  }
  // Gemini's `text` directly on a candidate, and completion-style `text`.
  if (message.parts.length === 0 && typeof item.text === 'string' && item.text !== '') {
    message.parts.push({ type: 'text', text: item.text });
  }
  const refusal = textOf(item.refusal);
  if (refusal) message.parts.push({ type: 'refusal', text: refusal });

  const toolCalls = parseStructured(item.tool_calls);
  if (Array.isArray(toolCalls)) {
    const calls: ToolCall[] = [];
    for (const raw of toolCalls) {
      const call = toolCallFrom(raw);
      if (call) calls.push(call);
    }
    mergeToolCalls(message.toolCalls, calls);
  }
  const functionCall = toolCallFrom(item.function_call);
  if (functionCall) mergeToolCalls(message.toolCalls, [functionCall]);
  if (item.function_call_name !== undefined) {
    message.toolCalls.push({ name: asString(item.function_call_name) ?? '', arguments: parseArguments(item.function_call_arguments_json) });
  }

  const toolCallId =
    asString(item.tool_call_id) ?? asString(item.tool_use_id) ?? asString(item.call_id) ?? (options.idIsToolCallId ? asString(item.id) : undefined);
  if (toolCallId !== undefined) {
    message.toolCallId = toolCallId;
  } else {
    // A message holding exactly one tool result answers that call.
    const results = message.parts.filter((part) => part.type === 'tool_result');
    if (results.length === 1 && results[0].type === 'tool_result' && results[0].toolCallId !== undefined) {
      message.toolCallId = results[0].toolCallId;
    }
  }
  if (finishReason !== undefined) message.finishReason = finishReason;
  return message;
}

/** Messages from a list (or JSON text of a list, or one message). Malformed JSON text becomes one text message. */
export function messagesFrom(value: unknown, direction: MessageDirection, options: MessageOptions = {}): ChatMessage[] {
  const structured = parseStructured(value);
  if (structured === undefined || structured === null || structured === '') return [];
  const items = Array.isArray(structured) ? structured : [structured];
  const out: ChatMessage[] = [];
  for (const item of items) {
    const message = messageFrom(item, direction, options);
    if (message) out.push(message);
  }
  return out;
}

/** True when `value` is a chat message object (has a string `role`). */
export function isMessageLike(value: unknown): boolean {
  return isRecord(value) && typeof value.role === 'string';
}

/**
 * Chat messages inside an arbitrary value, or undefined when it holds none:
 * a list of messages, an OpenAI request `{messages}`, an OpenAI response
 * `{choices: [{message}]}`, an Anthropic response `{role, content}`, one
 * message. Used for the `input`/`output` fallbacks.
 */
export function chatMessagesIn(value: unknown, direction: MessageDirection): ChatMessage[] | undefined {
  const structured = parseStructured(value);
  if (Array.isArray(structured) && structured.length > 0 && structured.every(isMessageLike)) {
    return messagesFrom(structured, direction);
  }
  if (Array.isArray(structured) && structured.length > 0 && structured.every(isResponsesItem)) {
    return messagesFromResponsesItems(structured, direction);
  }
  if (!isRecord(structured)) return undefined;
  if (isMessageLike(structured)) return messagesFrom([structured], direction);
  if (Array.isArray(structured.messages) && structured.messages.length > 0 && structured.messages.every(isMessageLike)) {
    const messages = messagesFrom(structured.messages, direction);
    // Anthropic requests carry the system prompt beside the messages.
    if (structured.system !== undefined) {
      const system = messageFrom({ role: 'system', content: structured.system }, direction);
      if (system && system.parts.length > 0) messages.unshift(system);
    }
    return messages;
  }
  if (Array.isArray(structured.choices) && structured.choices.length > 0 && structured.choices.every((c) => isRecord(c) && isMessageLike(c.message))) {
    return messagesFrom(structured.choices, direction);
  }
  return undefined;
}

/** OpenAI Responses item types that are not messages but belong in a conversation. */
const RESPONSES_ITEM_TYPES: ReadonlySet<string> = new Set(['function_call', 'function_call_output', 'reasoning']);

/** True for an item of an OpenAI Responses `input`/`output` list: a message, a function call or its output, reasoning. */
function isResponsesItem(value: unknown): boolean {
  return isMessageLike(value) || (isRecord(value) && typeof value.type === 'string' && RESPONSES_ITEM_TYPES.has(value.type));
}

/**
 * Messages from an OpenAI Responses item list (what the OpenAI Agents SDK's
 * spans hold, and Respan's exporters for it send as `input`/`output`): each
 * function call joins the assistant turn before it, each function output is a
 * tool message answering its call.
 */
function messagesFromResponsesItems(items: readonly unknown[], direction: MessageDirection): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const item of items) {
    if (isMessageLike(item)) {
      const message = messageFrom(item, direction);
      if (message) out.push(message);
      continue;
    }
    const { parts, toolCalls } = contentToParts([item]);
    for (const part of parts) {
      if (part.type !== 'tool_result') continue;
      const answer: ChatMessage = { role: 'tool', direction, parts: [part], toolCalls: [] };
      if (part.toolCallId !== undefined) answer.toolCallId = part.toolCallId;
      out.push(answer);
    }
    const turnParts = parts.filter((part) => part.type !== 'tool_result');
    if (toolCalls.length === 0 && turnParts.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.role === 'assistant') {
      last.parts.push(...turnParts);
      mergeToolCalls(last.toolCalls, toolCalls);
    } else {
      out.push({ role: 'assistant', direction, parts: turnParts, toolCalls: [...toolCalls] });
    }
  }
  return out;
}

/** Tool definitions from a list (or JSON text of one). Gemini `function_declarations` groups are expanded. */
export function toolDefinitionsFrom(value: unknown): ToolDefinition[] {
  const structured = parseStructured(value);
  if (structured === undefined || structured === null || structured === '') return [];
  const items = Array.isArray(structured) ? structured : [structured];
  const out: ToolDefinition[] = [];
  for (const item of items) {
    const group = isRecord(item) ? (item.function_declarations ?? item.functionDeclarations) : undefined;
    if (Array.isArray(group)) {
      for (const declaration of group) {
        const tool = toolDefinitionFrom(declaration);
        if (tool) out.push(tool);
      }
      continue;
    }
    const tool = toolDefinitionFrom(item);
    if (tool) out.push(tool);
  }
  return out;
}

/**
 * One tool definition: OpenAI chat `{type: 'function', function: {...}}`,
 * Responses/OTel `{type: 'function', name, parameters}`, Anthropic
 * `{name, input_schema}`, bare `{name, description, parameters}`. Text that is
 * not JSON is kept as the definition of a nameless tool.
 */
export function toolDefinitionFrom(value: unknown): ToolDefinition | undefined {
  const item = parseStructured(value);
  if (item === undefined || item === null || item === '') return undefined;
  if (!isRecord(item)) return { name: '', definition: item };
  const fn = isRecord(item.function) ? item.function : item;
  const tool: ToolDefinition = { name: asString(fn.name) ?? '', definition: item };
  const description = asString(fn.description);
  if (description !== undefined) tool.description = description;
  const parameters = fn.parameters ?? fn.input_schema ?? fn.inputSchema ?? fn.parametersJsonSchema;
  if (parameters !== undefined && parameters !== null) tool.parameters = parseStructured(parameters);
  const type = asString(item.type);
  if (type !== undefined && type !== 'function') tool.type = type;
  return tool;
}
