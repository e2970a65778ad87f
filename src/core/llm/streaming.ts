/**
 * Time to first token and tokens per second of a streamed LLM call, as Respan
 * shows them: from the figures an SDK reports, or from the span's first-token
 * event. Read once at ingest; every spelling is in the tables below.
 */

import type { SpanEvent, StreamingFigures, TokenUsage } from '../model';
import { asBoolean, asNumber, type AttributeMap } from './values';

/** Time to first token in seconds: OTel GenAI, Respan ingest, and other spellings seen. */
const FIRST_TOKEN_SECONDS = [
  'gen_ai.response.time_to_first_chunk',
  'gen_ai.server.time_to_first_token',
  'gen_ai.response.time_to_first_token',
  'time_to_first_token',
  'ttft',
  'respan.time_to_first_token',
  'llm.time_to_first_token',
];
/** Time to first token in milliseconds: the Vercel AI SDK. */
const FIRST_TOKEN_MILLISECONDS = ['ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk'];
/** Output tokens per second: Respan ingest, the Vercel AI SDK (its older name too). */
const TOKENS_PER_SECOND = ['tokens_per_second', 'ai.response.avgOutputTokensPerSecond', 'ai.response.avgCompletionTokensPerSecond'];
/** Attributes that say whether the call streamed. */
const STREAMING_FLAGS = ['llm.is_streaming', 'gen_ai.request.stream', 'stream'];
/** Events marking the first streamed token or chunk: the Vercel AI SDK, OpenInference, Traceloop's chunk events. */
const FIRST_TOKEN_EVENTS = new Set(['ai.stream.firstChunk', 'First Token Stream Event', 'first_token']);
/** Endings of event names that mark a streamed token or chunk (`gen_ai.first_token`, `llm.content.completion.chunk`). */
const FIRST_TOKEN_EVENT_ENDINGS = ['.first_token', 'completion.chunk'];

function isFirstTokenEvent(name: string): boolean {
  return FIRST_TOKEN_EVENTS.has(name) || FIRST_TOKEN_EVENT_ENDINGS.some((ending) => name.endsWith(ending));
}

function positive(attributes: AttributeMap, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = asNumber(attributes[key]);
    // Zero is what some exporters send when they measured nothing.
    if (value !== undefined && value > 0) return value;
  }
  return undefined;
}

function firstTokenMs(attributes: AttributeMap, events: readonly SpanEvent[], startTimeUnixNano: bigint): number | undefined {
  const seconds = positive(attributes, FIRST_TOKEN_SECONDS);
  if (seconds !== undefined) return seconds * 1000;
  const millis = positive(attributes, FIRST_TOKEN_MILLISECONDS);
  if (millis !== undefined) return millis;
  for (const event of events) {
    if (isFirstTokenEvent(event.name) && event.timeUnixNano >= startTimeUnixNano) return Number(event.timeUnixNano - startTimeUnixNano) / 1e6;
  }
  return undefined;
}

/**
 * The streaming figures of an LLM span, or undefined when it reports none or
 * says it did not stream. Tokens per second not reported are worked out from
 * the output tokens over the time from the first token to the end.
 */
export function streamingOf(
  attributes: AttributeMap,
  events: readonly SpanEvent[],
  startTimeUnixNano: bigint,
  durationMs: number,
  tokens: TokenUsage | undefined,
): StreamingFigures | undefined {
  for (const key of STREAMING_FLAGS) if (asBoolean(attributes[key]) === false) return undefined;
  const figures: StreamingFigures = {};
  const ttft = firstTokenMs(attributes, events, startTimeUnixNano);
  if (ttft !== undefined) figures.timeToFirstTokenMs = ttft;
  const reported = positive(attributes, TOKENS_PER_SECOND);
  if (reported !== undefined) {
    figures.tokensPerSecond = reported;
    figures.tokensPerSecondSource = 'reported';
  } else if (ttft !== undefined && tokens?.output !== undefined && tokens.output > 0 && durationMs > ttft) {
    figures.tokensPerSecond = tokens.output / ((durationMs - ttft) / 1000);
    figures.tokensPerSecondSource = 'computed';
  }
  return figures.timeToFirstTokenMs === undefined && figures.tokensPerSecond === undefined ? undefined : figures;
}
