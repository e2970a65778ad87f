/**
 * Encodes normalised spans as Respan ingest span objects (WIRE.md §3), for
 * forwarding through `{base}/v1/traces/ingest`.
 *
 * - Spans that arrived through the ingest API round-trip: the decoder kept
 *   every original field as an attribute, ids included, so those come back
 *   as they were, with `start_time` / `timestamp` rebuilt from the exact times.
 * - OTLP spans are mapped onto the ingest vocabulary: ids as hex, the span
 *   name, times, status, model, provider, usage, cost, Respan parameters,
 *   entity input/output and the LLM conversation. This mapping is lossy by
 *   nature (the ingest API has no place for arbitrary attributes, resources or
 *   events); the OTLP API is the one that preserves everything.
 */

import { conversationOf } from '../llm/conversation';
import { entityIO } from '../llm/entity';
import type { ChatMessage, MessagePart } from '../llm/types';
import type { AttributeValue, DisplayKind, Span } from '../model';
import { toJsonValue } from '../model';
import { assignOwn } from './redact';

/** One Respan ingest span object. */
export type IngestSpanJson = Record<string, unknown>;

/** The ingest ids a span is sent with: its original ids when it came in through ingest. */
export interface IngestIds {
  trace: string;
  span: string;
  parent: string | null;
}

/** RFC3339 UTC time with microseconds (what Python's `datetime.fromisoformat` reads) of epoch nanoseconds. */
export function formatRfc3339(nanos: bigint): string {
  const clamped = nanos < 0n ? 0n : nanos;
  const seconds = clamped / 1_000_000_000n;
  const micros = (clamped % 1_000_000_000n) / 1_000n;
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return `${iso.slice(0, 19)}.${micros.toString().padStart(6, '0')}Z`;
}

function originalId(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * The ids to send `span` with: for ingest spans the original
 * `trace_unique_id`, `span_unique_id` and `span_parent_id` (the decoder
 * hashed non-hex ids into the span's own ids, which cannot be turned back).
 */
export function ingestIdsOf(span: Span): IngestIds {
  if (span.origin !== 'ingest') return { trace: span.traceId, span: span.spanId, parent: span.parentSpanId };
  return {
    trace: originalId(span.attributes.trace_unique_id) ?? span.traceId,
    span: originalId(span.attributes.span_unique_id) ?? span.spanId,
    parent: span.parentSpanId === null ? null : (originalId(span.attributes.span_parent_id) ?? span.parentSpanId),
  };
}

const LOG_TYPES: Partial<Record<DisplayKind, string>> = {
  workflow: 'workflow',
  task: 'task',
  agent: 'agent',
  tool: 'tool',
  llm: 'chat',
  embedding: 'embedding',
  handoff: 'handoff',
  guardrail: 'guardrail',
};

function logTypeOf(span: Span): string {
  const explicit = span.attributes['respan.entity.log_type'] ?? span.attributes['keywordsai.entity.log_type'];
  if (typeof explicit === 'string' && explicit !== '') return explicit;
  if (span.derived.displayKind === 'llm') {
    const requestType = span.attributes['llm.request.type'];
    if (requestType === 'completion') return 'completion';
    if (requestType === 'embedding') return 'embedding';
  }
  return LOG_TYPES[span.derived.displayKind] ?? 'custom';
}

function partJson(part: MessagePart): unknown {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return { type: 'image_url', image_url: { url: part.url } };
    case 'json':
      return part.value;
    default:
      return part;
  }
}

/** A chat message in the OpenAI-style shape the ingest API reads. */
function messageJson(message: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: message.role };
  const allText = message.parts.every((part) => part.type === 'text');
  out.content = allText ? message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('') : message.parts.map(partJson);
  if (message.name) out.name = message.name;
  if (message.toolCallId) out.tool_call_id = message.toolCallId;
  if (message.toolCalls.length > 0) {
    out.tool_calls = message.toolCalls.map((call) => ({
      ...(call.id ? { id: call.id } : {}),
      type: 'function',
      function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}) },
    }));
  }
  return out;
}

function jsonAttribute(value: AttributeValue | undefined): unknown {
  return value === undefined ? undefined : toJsonValue(value);
}

/** The ingest fields of an OTLP span. */
function mapOtlpSpan(span: Span, ids: IngestIds): IngestSpanJson {
  const { derived } = span;
  const out: IngestSpanJson = {
    trace_unique_id: ids.trace,
    span_unique_id: ids.span,
    span_parent_id: ids.parent,
    span_name: span.name,
    log_type: logTypeOf(span),
    start_time: formatRfc3339(span.startTimeUnixNano),
    timestamp: formatRfc3339(span.endTimeUnixNano),
    latency: span.durationMs / 1000,
    status_code: derived.isError ? 500 : 200,
    status: derived.isError ? 'error' : 'success',
  };
  if (derived.isError) {
    out.error_bit = 1;
    if (span.status.message) out.error_message = span.status.message;
  }
  if (derived.workflowName) out.span_workflow_name = derived.workflowName;
  if (derived.entityPath) out.span_path = derived.entityPath;
  if (derived.model) out.model = derived.model;
  if (derived.provider) out.provider_id = derived.provider;
  if (derived.tokens) {
    const usage: Record<string, number> = {};
    if (derived.tokens.input !== undefined) usage.prompt_tokens = derived.tokens.input;
    if (derived.tokens.output !== undefined) usage.completion_tokens = derived.tokens.output;
    if (derived.tokens.total !== undefined) usage.total_tokens = derived.tokens.total;
    if (Object.keys(usage).length > 0) out.usage = usage;
    // The API reference documents both the nested and the flat form; send both.
    if (usage.prompt_tokens !== undefined) out.prompt_tokens = usage.prompt_tokens;
    if (usage.completion_tokens !== undefined) out.completion_tokens = usage.completion_tokens;
  }
  // Respan prices calls itself: only a cost the sender reported travels, never the local estimate.
  if (derived.costSource === 'reported') out.cost = derived.cost;
  const respan = derived.respan;
  if (respan) {
    if (respan.customerIdentifier) out.customer_identifier = respan.customerIdentifier;
    if (respan.customerIdentifier || respan.customerName || respan.customerEmail) {
      out.customer_params = {
        ...(respan.customerIdentifier ? { customer_identifier: respan.customerIdentifier } : {}),
        ...(respan.customerName ? { name: respan.customerName } : {}),
        ...(respan.customerEmail ? { email: respan.customerEmail } : {}),
      };
    }
    if (respan.threadIdentifier) out.thread_identifier = respan.threadIdentifier;
    if (respan.traceGroupIdentifier) out.trace_group_identifier = respan.traceGroupIdentifier;
    if (respan.customIdentifier) out.custom_identifier = respan.customIdentifier;
    if (respan.environment) out.environment = respan.environment;
    if (respan.metadata) out.metadata = toJsonValue(respan.metadata);
  }
  const io = entityIO(span.attributes);
  const input = io?.input ?? jsonAttribute(span.attributes['input.value']);
  const output = io?.output ?? jsonAttribute(span.attributes['output.value']);
  if (input !== undefined) out.input = typeof input === 'string' ? input : JSON.stringify(input);
  if (output !== undefined) out.output = typeof output === 'string' ? output : JSON.stringify(output);
  const conversation = conversationOf(span);
  if (conversation) {
    const prompt = conversation.messages.filter((message) => message.direction === 'input').map(messageJson);
    const completion = conversation.messages.filter((message) => message.direction === 'output').map(messageJson);
    if (prompt.length > 0) out.prompt_messages = prompt;
    if (completion.length > 0) out.completion_message = completion[completion.length - 1];
    if (conversation.tools.length > 0) out.tools = conversation.tools.map((tool) => tool.definition);
  }
  return out;
}

/**
 * One span as a Respan ingest object. `ids` come from {@link ingestIdsOf}
 * on the span as captured (ids are never redacted: they are structural).
 */
export function encodeIngestSpan(span: Span, ids: IngestIds): IngestSpanJson {
  if (span.origin !== 'ingest') return mapOtlpSpan(span, ids);
  const out: IngestSpanJson = {};
  for (const key in span.attributes) assignOwn(out, key, toJsonValue(span.attributes[key]));
  out.trace_unique_id = ids.trace;
  out.span_unique_id = ids.span;
  out.span_parent_id = ids.parent;
  out.start_time = formatRfc3339(span.startTimeUnixNano);
  out.timestamp = formatRfc3339(span.endTimeUnixNano);
  return out;
}
