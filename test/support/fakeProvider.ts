/**
 * A loopback fake of the LLM providers' REST APIs, speaking their wire format
 * so the real client libraries (`openai`, `@anthropic-ai/sdk`, `@ai-sdk/openai`,
 * LangChain) and the instrumentations wrapped around them run their own code
 * paths unchanged:
 * - OpenAI: `POST /v1/chat/completions` (plain and `stream: true` server-sent
 *   events, with `stream_options.include_usage`), `POST /v1/embeddings`,
 *   `POST /v1/responses` (plain).
 * - Anthropic: `POST /v1/messages` (plain and streamed).
 *
 * Replies are scripted per request by {@link FakeProviderScript}; the default
 * script answers a request that offers tools (and has no tool result yet) with
 * one call of the first tool, and anything else with text. Every request body
 * is recorded for assertions.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Token counts a fake reply reports, in OpenAI's partition (cached and reasoning tokens are parts of prompt and completion). */
export interface FakeUsage {
  prompt: number;
  completion: number;
  /** OpenAI `prompt_tokens_details.cached_tokens`; Anthropic `cache_read_input_tokens`. */
  cacheRead?: number;
  /** Anthropic `cache_creation_input_tokens`. */
  cacheWrite?: number;
  /** OpenAI `completion_tokens_details.reasoning_tokens`. */
  reasoning?: number;
}

/** One tool call in a fake reply. */
export interface FakeToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
}

/** What the fake answers to one chat or messages request. */
export interface FakeReply {
  text?: string;
  toolCalls?: FakeToolCall[];
  usage?: FakeUsage;
  /** Model name reported back; default: the requested one. */
  model?: string;
  /** Answer with this HTTP error status instead (the provider's error body). */
  errorStatus?: number;
}

/** The parsed JSON body of one recorded request. */
export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

/** Chooses the reply to a chat (`/v1/chat/completions`), responses (`/v1/responses`) or messages (`/v1/messages`) request. */
export type FakeProviderScript = (request: RecordedRequest) => FakeReply;

/** A running fake provider. */
export interface FakeProvider {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Base URL for OpenAI clients (`…/v1`). */
  openaiBaseUrl: string;
  /** Base URL for Anthropic clients (no `/v1`: the SDK appends it). */
  anthropicBaseUrl: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Replaces the script for the following requests. */
  setScript(script: FakeProviderScript): void;
  close(): Promise<void>;
}

export const DEFAULT_USAGE: FakeUsage = { prompt: 31, completion: 12 };
export const DEFAULT_TEXT = 'Why did the span cross the road? To reach the other trace.';

/** The default script: call the first offered tool once, then answer with text. */
export const defaultScript: FakeProviderScript = (request) => {
  const tools = request.body.tools as Array<Record<string, unknown>> | undefined;
  const messages = (request.body.messages as Array<Record<string, unknown>> | undefined) ?? [];
  const answeredTool = messages.some(
    (message) => message.role === 'tool' || (Array.isArray(message.content) && message.content.some((part) => (part as { type?: string }).type === 'tool_result')),
  );
  if (tools && tools.length > 0 && !answeredTool) {
    const first = tools[0];
    const name = ((first.function as { name?: string } | undefined)?.name ?? (first.name as string | undefined)) || 'tool';
    return { toolCalls: [{ id: 'call_fake_1', name, arguments: JSON.stringify({ city: 'Paris' }) }], usage: DEFAULT_USAGE };
  }
  return { text: DEFAULT_TEXT, usage: DEFAULT_USAGE };
};

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {});
      } catch (error) {
        reject(error);
      }
    });
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function openSse(response: ServerResponse): (event: string | undefined, data: unknown) => void {
  response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  return (event, data) => {
    if (event) response.write(`event: ${event}\n`);
    response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };
}

function openaiUsage(usage: FakeUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cacheRead ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoning ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function openaiToolCalls(calls: FakeToolCall[]): unknown[] {
  return calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

const CREATED = 1_764_700_000;

function chatCompletion(body: Record<string, unknown>, reply: FakeReply, response: ServerResponse): void {
  const model = reply.model ?? (body.model as string);
  const usage = reply.usage ?? DEFAULT_USAGE;
  const finishReason = reply.toolCalls?.length ? 'tool_calls' : 'stop';
  const id = 'chatcmpl-fake';
  if (body.stream !== true) {
    const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null, refusal: null };
    if (reply.toolCalls?.length) message.tool_calls = openaiToolCalls(reply.toolCalls);
    sendJson(response, 200, {
      id,
      object: 'chat.completion',
      created: CREATED,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
      usage: openaiUsage(usage),
      system_fingerprint: 'fp_fake',
    });
    return;
  }
  const send = openSse(response);
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  send(undefined, chunk({ role: 'assistant', content: '' }, null));
  if (reply.text) {
    // Word by word, as a real stream arrives.
    for (const piece of reply.text.match(/\S+\s*/g) ?? []) send(undefined, chunk({ content: piece }, null));
  }
  reply.toolCalls?.forEach((call, index) => {
    send(undefined, chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null));
    send(undefined, chunk({ tool_calls: [{ index, function: { arguments: call.arguments } }] }, null));
  });
  send(undefined, chunk({}, finishReason));
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage) {
    send(undefined, { id, object: 'chat.completion.chunk', created: CREATED, model, choices: [], usage: openaiUsage(usage) });
  }
  send(undefined, '[DONE]');
  response.end();
}

const EMBEDDING = [0.0123, -0.0456, 0.0789, 0.1011];
const EMBEDDING_BASE64 = Buffer.from(new Float32Array(EMBEDDING).buffer).toString('base64');

function embeddings(body: Record<string, unknown>, response: ServerResponse): void {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const tokens = inputs.reduce<number>((sum, input) => sum + String(input).split(/\s+/).length, 0);
  sendJson(response, 200, {
    object: 'list',
    // The openai SDK asks for base64 (little-endian float32) unless told otherwise.
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: body.encoding_format === 'base64' ? EMBEDDING_BASE64 : EMBEDDING })),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

function anthropicUsage(usage: FakeUsage): Record<string, unknown> {
  return {
    input_tokens: usage.prompt,
    output_tokens: usage.completion,
    cache_creation_input_tokens: usage.cacheWrite ?? 0,
    cache_read_input_tokens: usage.cacheRead ?? 0,
  };
}

function anthropicMessage(body: Record<string, unknown>, reply: FakeReply, response: ServerResponse): void {
  const model = reply.model ?? (body.model as string);
  const usage = reply.usage ?? DEFAULT_USAGE;
  const content: Array<Record<string, unknown>> = [];
  if (reply.text) content.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls ?? []) content.push({ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments) });
  const stopReason = reply.toolCalls?.length ? 'tool_use' : 'end_turn';
  const id = 'msg_fake';
  if (body.stream !== true) {
    sendJson(response, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage: anthropicUsage(usage) });
    return;
  }
  const send = openSse(response);
  send('message_start', {
    type: 'message_start',
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...anthropicUsage(usage), output_tokens: 1 } },
  });
  content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
    } else {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  });
  send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.completion } });
  send('message_stop', { type: 'message_stop' });
  response.end();
}

/** A Responses API answer: output items (function calls, then the message) and usage in its own partition. */
function openaiResponse(body: Record<string, unknown>, reply: FakeReply, response: ServerResponse): void {
  const usage = reply.usage ?? DEFAULT_USAGE;
  const output: unknown[] = (reply.toolCalls ?? []).map((call) => ({
    type: 'function_call',
    id: `fc_${call.id}`,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status: 'completed',
  }));
  if (reply.text !== undefined) {
    output.push({
      type: 'message',
      id: 'msg_fake',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
    });
  }
  sendJson(response, 200, {
    id: 'resp_fake',
    object: 'response',
    created_at: CREATED,
    status: 'completed',
    model: reply.model ?? (body.model as string),
    instructions: body.instructions ?? null,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: body.tools ?? [],
    usage: {
      input_tokens: usage.prompt,
      input_tokens_details: { cached_tokens: usage.cacheRead ?? 0 },
      output_tokens: usage.completion,
      output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
      total_tokens: usage.prompt + usage.completion,
    },
  });
}

function providerError(response: ServerResponse, path: string, status: number): void {
  if (path.startsWith('/v1/messages')) {
    sendJson(response, status, { type: 'error', error: { type: 'invalid_request_error', message: `fake provider refused the request (${status})` } });
  } else {
    sendJson(response, status, { error: { message: `fake provider refused the request (${status})`, type: 'invalid_request_error', param: null, code: null } });
  }
}

/** Starts the fake on a free loopback port. */
export async function startFakeProvider(script: FakeProviderScript = defaultScript): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  let current = script;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    readJson(request).then(
      (body) => {
        const recorded: RecordedRequest = { path, body, headers: request.headers };
        requests.push(recorded);
        if (request.method !== 'POST') return sendJson(response, 405, { error: { message: 'method not allowed' } });
        if (path === '/v1/embeddings') return embeddings(body, response);
        const isChat = path === '/v1/chat/completions';
        const isResponses = path === '/v1/responses';
        const isMessages = path === '/v1/messages';
        if (!isChat && !isResponses && !isMessages) return sendJson(response, 404, { error: { message: `the fake provider has nothing at ${path}` } });
        const reply = current(recorded);
        if (reply.errorStatus !== undefined) return providerError(response, path, reply.errorStatus);
        if (isChat) chatCompletion(body, reply, response);
        else if (isResponses) openaiResponse(body, reply, response);
        else anthropicMessage(body, reply, response);
      },
      () => sendJson(response, 400, { error: { message: 'the body is not JSON' } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    setScript(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
