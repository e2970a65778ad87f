/**
 * Span content that nests without end (a chat user or a model can write it):
 * every reader of span content is bounded, cutting at a visible marker, so
 * one span can break neither its own view nor anything else.
 */
import { strict as assert } from 'node:assert';
import { encodeIngestSpan, ingestIdsOf } from '../../src/core/forward/ingestEncode';
import { serverMessage } from '../../src/core/forward/retry';
import { conversationOf, entityIO, requestSettings, type ChatMessage } from '../../src/core/llm/conversation';
import { unflattenIndexed } from '../../src/core/llm/flatten';
import { contentToParts } from '../../src/core/llm/parts';
import { tryParseJson } from '../../src/core/llm/values';
import { MAX_NESTING_DEPTH, TOO_DEEP } from '../../src/core/nesting';
import { TraceStore } from '../../src/core/store';
import { spanJson } from '../../src/protocol/serialize';
import { DEEP_NESTING, HOSTILE_ATTRIBUTES } from '../support/hostileContent';
import { makeSpan } from '../support/spans';

/** Levels of arrays and objects in a value, counted without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}

function texts(message: ChatMessage): string {
  return JSON.stringify(message.parts);
}

describe('span content nested without end', () => {
  it('parses JSON text to at most MAX_NESTING_DEPTH levels, the cut marked', () => {
    const parsed = tryParseJson(`${'['.repeat(DEEP_NESTING)}1${']'.repeat(DEEP_NESTING)}`);
    assert.ok(parsed.ok);
    assert.equal(depthOf(parsed.value), MAX_NESTING_DEPTH);
    assert.ok(JSON.stringify(parsed.value).includes(TOO_DEEP));
    const shallow = tryParseJson('{"a":[{"b":{"__proto__":{"c":1}}}]}');
    assert.deepEqual(shallow, { ok: true, value: JSON.parse('{"a":[{"b":{"__proto__":{"c":1}}}]}') }, 'shallow JSON is untouched');
    const cutProto = tryParseJson(`${'{"__proto__":'.repeat(40)}1${'}'.repeat(40)}`);
    assert.ok(cutProto.ok && JSON.stringify(cutProto.value).includes(TOO_DEEP), 'an own __proto__ key is cut like any other');
  });

  it('unflattens a key of 10,000 segments no deeper than any value, keeping the rest of the key whole', () => {
    const key = `gen_ai.prompt.0.${'a.'.repeat(10_000)}end`;
    const [item] = unflattenIndexed({ [key]: 'deep key', 'gen_ai.prompt.0.role': 'user' }, 'gen_ai.prompt');
    assert.ok(depthOf(item) <= MAX_NESTING_DEPTH, `depth ${depthOf(item)}`);
    let node = item as Record<string, unknown>;
    for (let level = 1; level < MAX_NESTING_DEPTH - 1; level++) node = node.a as Record<string, unknown>;
    assert.deepEqual(node, { [`${'a.'.repeat(10_000 - MAX_NESTING_DEPTH + 2)}end`]: 'deep key' });
    assert.equal((item as Record<string, unknown>).role, 'user');
  });

  it('reads message_content parts wrapped 15,000 times', () => {
    const content = `[${'{"message_content":'.repeat(DEEP_NESTING)}{"type":"text","text":"deep part"}${'}'.repeat(DEEP_NESTING)}]`;
    const { parts } = contentToParts(content);
    assert.equal(parts.length, 1);
    assert.ok(JSON.stringify(parts).includes(TOO_DEEP));
    const structured = contentToParts([{ message_content: { message_content: { type: 'text', text: 'two wraps' } } }]);
    assert.deepEqual(structured.parts, [{ type: 'text', text: 'two wraps' }]);
  });

  it('reads the conversation, entity input/output and settings of a span whose content nests without end', () => {
    const span = makeSpan({ id: 'hostile', attributes: HOSTILE_ATTRIBUTES });
    const conversation = conversationOf(span)!;
    assert.equal(conversation.source, 'traceloop');
    const [prompt, completion] = conversation.messages;
    assert.equal(prompt.role, 'user');
    assert.match(texts(prompt), /hello/);
    assert.equal(completion.role, 'assistant');
    assert.ok(texts(completion).includes(TOO_DEEP));
    assert.equal(completion.toolCalls[0].name, 'lookup');
    assert.ok(JSON.stringify(completion.toolCalls[0].arguments).includes(TOO_DEEP));
    const io = entityIO(span.attributes)!;
    assert.ok(JSON.stringify(io.input).includes(TOO_DEEP) && JSON.stringify(io.output).includes(TOO_DEEP));
    requestSettings(span.attributes);
  });

  it('derives Respan metadata from deep JSON text cut, so the span serialises for the query API and the ingest API', () => {
    const span = makeSpan({ id: 'hostile', attributes: HOSTILE_ATTRIBUTES });
    assert.ok(depthOf(span.derived.respan?.metadata) <= MAX_NESTING_DEPTH);
    const store = new TraceStore();
    store.add([span]);
    const json = JSON.stringify(spanJson(span, false, store.get(span.traceId)!));
    assert.ok(json.includes(TOO_DEEP));
    const ingest = JSON.stringify(encodeIngestSpan(span, ingestIdsOf(span)));
    assert.ok(ingest.includes(TOO_DEEP));
  });

  it('falls back to the text of an error body that nests without end, whatever size its caller lets through', () => {
    const body = `${'{"error":'.repeat(100_000)}"deep"${'}'.repeat(100_000)}`;
    assert.equal(serverMessage(body).length <= 501, true);
    assert.equal(serverMessage('{"error":{"detail":{"message":"nested three deep"}}}'), 'nested three deep');
  });
});
