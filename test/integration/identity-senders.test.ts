/**
 * Real SDKs as senders, each in a child process calling the real provider
 * clients against the fake provider, asserted through the query API as a user
 * sees them: the tree, kinds, models, tokens (each call once, exact totals),
 * the conversation with its tool call and result, customer, thread, metadata
 * and errors. Where a library itself misbehaves, the test pins what it sends
 * (README "Compatibility" lists it): a rejected call whose span the library
 * never ends is absent, and so on.
 */
import * as assert from 'node:assert/strict';
import { conversationOf } from '../../src/core/llm/conversation';
import type { ChatMessage } from '../../src/core/llm/types';
import { TraceStore } from '../../src/core/store';
import type { FacetsJson, SpanJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import { defaultScript, DEFAULT_TEXT, type FakeProvider } from '../support/fakeProvider';
import { runSender, startSenderTarget, type SenderTarget } from '../support/senders';
import { KEYWORDSAI_IDENTITY, LANGCHAIN_PROMPT, OPENINFERENCE_IDENTITY, QUESTION, REJECTED_PROMPT, TOOL_NAME, TOOL_RESULT, TRACELOOP_IDENTITY } from '../support/agentScenario';

/** The snapshot OpenAI's API names when asked for `gpt-4o-mini`: the fake answers the LangChain call with it, as the real API would. */
const ANSWERING_SNAPSHOT = 'gpt-4o-mini-2024-07-18';

/** One line per message: role, the call it answers, its text or tool result, the calls it makes. */
function childrenOf(detail: TraceDetailJson, parent: SpanJson): SpanJson[] {
  return detail.spans.filter((span) => span.parentSpanId === parent.spanId);
}

function conversationLines(span: SpanJson): string[] {
  return (conversationOf(span)?.messages ?? []).map((message: ChatMessage) => {
    const parts = message.parts.map((part) => (part.type === 'text' ? part.text : part.type === 'tool_result' ? `result ${String(part.content)}` : `[${part.type}]`));
    const calls = message.toolCalls.map((call) => `${call.name}(${JSON.stringify(call.arguments)})${call.id ? ` ${call.id}` : ''}`);
    return `${message.role}${message.toolCallId ? ` ${message.toolCallId}` : ''}: ${[...parts, ...calls].join(' | ')}`;
  });
}

describe('real SDKs as senders: identity, tokens once, conversations, errors', function () {
  this.timeout(120_000);
  let target: SenderTarget;
  let store: TraceStore;
  let server: SenderTarget['server'];
  let provider: FakeProvider;

  before(async () => {
    // Every sender marks the request it wants refused with the same prompt.
    target = await startSenderTarget((request) => {
      const body = JSON.stringify(request.body);
      if (body.includes(REJECTED_PROMPT)) return { errorStatus: 400 };
      return body.includes(LANGCHAIN_PROMPT) ? { ...defaultScript(request), model: ANSWERING_SNAPSHOT } : defaultScript(request);
    });
    ({ store, server, provider } = target);
  });
  after(() => target.close());
  beforeEach(() => {
    store.clear();
    provider.requests.length = 0;
  });

  async function getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 200, path);
    return (await response.json()) as T;
  }

  /** Runs a sender to completion (it flushes before it exits) and returns its trace. */
  async function send(sender: string): Promise<TraceDetailJson> {
    const stdout = await runSender(`test/support/${sender}.ts`, [server.url, provider.url], { timeout: 90_000 });
    const traceId = /TRACE_ID=([0-9a-f]{32})/.exec(stdout)?.[1];
    assert.ok(traceId, `no trace id in the sender's output:\n${stdout.slice(-2000)}`);
    return getJson<TraceDetailJson>(`/api/traces/${traceId}`);
  }

  function byName(detail: TraceDetailJson, name: string): SpanJson[] {
    return detail.spans.filter((span) => span.name === name);
  }

  function only(detail: TraceDetailJson, name: string): SpanJson {
    const spans = byName(detail, name);
    assert.equal(spans.length, 1, `${name} in ${detail.spans.map((span) => span.name).join(', ')}`);
    return spans[0];
  }

  async function assertFound(traceId: string, customer: string, thread: string): Promise<void> {
    const query = `customer=${encodeURIComponent(customer)}&thread=${encodeURIComponent(thread)}`;
    assert.deepEqual((await getJson<TraceListJson>(`/api/traces?${query}`)).traces.map((trace) => trace.traceId), [traceId]);
    assert.equal((await getJson<TraceListJson>(`/api/traces?customer=${encodeURIComponent(customer)}-other`)).total, 0);
    const facets = await getJson<FacetsJson>('/api/facets');
    assert.deepEqual(facets.customers, [{ value: customer, traces: 1 }]);
    assert.deepEqual(facets.threads, [{ value: thread, traces: 1 }]);
  }

  it('Traceloop with its OpenAI, Anthropic and LangChain instrumentations', async () => {
    const detail = await send('traceloopProvidersSender');
    const workflow = only(detail, 'support_workflow.workflow');
    assert.deepEqual(detail.roots, [workflow.spanId]);
    // Sorted: Traceloop takes start times from a millisecond clock, so close siblings may arrive out of order.
    const children = (parent: SpanJson) => childrenOf(detail, parent).map((span) => `${span.name} (${span.displayKind})`).sort();
    // Traceloop never ends a decorated span whose function rejects: the `doomed` task is absent.
    assert.deepEqual(children(workflow), ['embed.task (task)', 'plan.task (task)', 'stream.task (task)', 'summarise.task (task)', 'writer.agent (agent)']);
    assert.deepEqual(children(only(detail, 'plan.task')), ['chat gpt-4o (llm)', 'chat gpt-4o (llm)', 'get_weather.tool (tool)']);
    assert.deepEqual(children(only(detail, 'writer.agent')), ['chat claude-sonnet-4-5 (llm)', 'chat claude-sonnet-4-5 (llm)']);
    // LangChain's span is the OpenAI client span's sibling, not its parent, and encloses it in time; it names the model
    // asked for, the client span the snapshot that answered.
    assert.deepEqual(children(only(detail, 'summarise.task')), ['chat gpt-4o-mini (llm)', 'chat gpt-4o-mini (llm)']);
    const [viaLangChain, viaClient] = [...childrenOf(detail, only(detail, 'summarise.task'))].sort((a, b) => a.scope.name.localeCompare(b.scope.name));
    assert.deepEqual([viaLangChain.scope.name, viaClient.scope.name], ['@traceloop/instrumentation-langchain', '@traceloop/instrumentation-openai']);
    assert.deepEqual([viaLangChain.model, viaClient.model], ['gpt-4o-mini', ANSWERING_SNAPSHOT]);
    assert.deepEqual([viaLangChain.tokens, viaClient.tokens], [{ input: 31, output: 12, total: 43 }, { input: 31, output: 12, total: 43 }]);
    const times = (span: SpanJson) => [BigInt(span.startTimeUnixNano), BigInt(span.endTimeUnixNano)];
    const [[langChainStart, langChainEnd], [clientStart, clientEnd]] = [times(viaLangChain), times(viaClient)];
    assert.ok(langChainStart <= clientStart && clientEnd <= langChainEnd, `LangChain's span [${langChainStart}, ${langChainEnd}] encloses the client's [${clientStart}, ${clientEnd}]`);
    // Embeddings are not traced; the provider did answer them.
    assert.deepEqual(children(only(detail, 'embed.task')), []);
    assert.ok(provider.requests.some((request) => request.path === '/v1/embeddings'));

    const [firstChat, secondChat] = byName(detail, 'chat gpt-4o').sort((a, b) => conversationLines(a).length - conversationLines(b).length);
    assert.equal(firstChat.model, 'gpt-4o');
    assert.deepEqual(firstChat.tokens, { input: 31, output: 12, total: 43 });
    assert.deepEqual(conversationLines(secondChat), [
      `user: ${QUESTION}`,
      `assistant: get_weather({"city":"Paris"}) call_fake_1`,
      `tool call_fake_1: result ${TOOL_RESULT}`,
      `assistant: ${DEFAULT_TEXT}`,
    ]);
    assert.equal(only(detail, 'get_weather.tool').entityName, TOOL_NAME);
    const [claude, refused] = byName(detail, 'chat claude-sonnet-4-5').sort((a, b) => Number(a.isError) - Number(b.isError));
    assert.equal(claude.model, 'claude-sonnet-4-5');
    assert.deepEqual(claude.tokens, { input: 31, output: 12, total: 43, cacheRead: 0, cacheWrite: 0 });
    // Traceloop estimates a stream's tokens itself (the provider reported 31 in, 12 out).
    const [streamed] = childrenOf(detail, only(detail, 'stream.task'));
    assert.deepEqual([streamed.name, streamed.tokens], ['chat gpt-4o-mini', { input: 4, output: 14, total: 18 }]);

    // Each call once: the LangChain call at the client's span, which LangChain's encloses.
    assert.deepEqual(detail.spans.filter((span) => span.tokensCountedInDescendant).map((span) => span.spanId), [viaLangChain.spanId]);
    assert.deepEqual(detail.summary.tokens, { input: 31 * 2 + 31 + 31 + 4, output: 12 * 2 + 12 + 12 + 14, total: 43 * 2 + 43 + 43 + 18 });
    assert.deepEqual([...detail.summary.models].sort(), ['claude-sonnet-4-5', 'gpt-4o', 'gpt-4o-mini', ANSWERING_SNAPSHOT]);

    // The Anthropic instrumentation ends a rejected call's span with the error; the OpenAI one never ends it.
    assert.equal(refused.isError, true);
    assert.match(refused.status.message, /fake provider refused the request \(400\)/);
    assert.equal(refused.events[0]?.name, 'exception');
    assert.equal(detail.summary.errorCount, 1);
    assert.equal(detail.spans.filter((span) => span.displayKind === 'llm').length, 7);

    for (const span of detail.spans) {
      assert.equal(span.respan?.customerIdentifier, TRACELOOP_IDENTITY.customer, span.name);
      assert.equal(span.respan?.threadIdentifier, TRACELOOP_IDENTITY.session, span.name);
    }
    assert.deepEqual(secondChat.respan?.sources, { customerIdentifier: 'traceloop.association.properties.customer_id', threadIdentifier: 'traceloop.association.properties.session_id' });
    assert.equal(detail.summary.customerIdentifier, TRACELOOP_IDENTITY.customer);
    assert.equal(detail.summary.threadIdentifier, TRACELOOP_IDENTITY.session);
    await assertFound(detail.traceId, TRACELOOP_IDENTITY.customer, TRACELOOP_IDENTITY.session);
  });

  it("OpenInference's OpenAI instrumentation with session, user and metadata from its context setters", async () => {
    const detail = await send('openInferenceSender');
    const agent = only(detail, 'weather_agent');
    assert.deepEqual(detail.roots, [agent.spanId]);
    assert.equal(agent.displayKind, 'agent');
    // The rejected chat's span is never ended, so the failing chain has no child.
    assert.deepEqual(
      childrenOf(detail, agent).map((span) => `${span.name} (${span.displayKind}, ${span.model})`).sort(),
      ['OpenAI Chat Completions (llm, gpt-4o)', 'OpenAI Chat Completions (llm, gpt-4o)', 'OpenAI Chat Completions (llm, gpt-4o-mini)', 'OpenAI Embeddings (embedding, text-embedding-3-small)', 'doomed (chain, null)', 'get_weather (tool, null)'],
    );
    const [firstChat, secondChat] = byName(detail, 'OpenAI Chat Completions').filter((span) => span.model === 'gpt-4o').sort((a, b) => conversationLines(a).length - conversationLines(b).length);
    const stream = byName(detail, 'OpenAI Chat Completions').find((span) => span.model === 'gpt-4o-mini')!;
    assert.deepEqual(firstChat.tokens, { input: 31, output: 12, total: 43, cacheRead: 0, reasoning: 0 });
    assert.deepEqual(conversationLines(secondChat), [
      `user: ${QUESTION}`,
      `assistant: get_weather({"city":"Paris"}) call_fake_1`,
      `tool call_fake_1: ${TOOL_RESULT}`,
      `assistant: ${DEFAULT_TEXT}`,
    ]);
    // OpenInference records no tokens for a stream.
    assert.equal(stream.tokens, null);
    assert.deepEqual(detail.summary.tokens, { input: 62, output: 24, total: 86 });
    assert.ok(detail.spans.every((span) => !span.tokensCountedInDescendant));

    const doomed = only(detail, 'doomed');
    assert.equal(doomed.isError, true);
    assert.match(doomed.status.message, /fake provider refused the request \(400\)/);
    assert.equal(detail.summary.errorCount, 1);

    for (const span of detail.spans) {
      assert.deepEqual(span.respan, {
        customerIdentifier: OPENINFERENCE_IDENTITY.user,
        threadIdentifier: OPENINFERENCE_IDENTITY.session,
        metadata: OPENINFERENCE_IDENTITY.metadata,
        sources: { customerIdentifier: 'user.id', threadIdentifier: 'session.id' },
      });
    }
    await assertFound(detail.traceId, OPENINFERENCE_IDENTITY.user, OPENINFERENCE_IDENTITY.session);
  });

  it('@keywordsai/tracing with its OpenAI instrumentation, customer, thread and JSON-encoded metadata', async () => {
    const detail = await send('keywordsAiSender');
    // The SDK sends every decorated span as a root; the client spans keep their task as parent.
    assert.deepEqual(detail.roots.map((id) => detail.spans.find((span) => span.spanId === id)!.name).sort(), ['doomed.task', 'get_weather.tool', 'plan.task', 'support_workflow.workflow']);
    const plan = only(detail, 'plan.task');
    const chats = byName(detail, 'openai.chat').sort((a, b) => conversationLines(a).length - conversationLines(b).length);
    assert.deepEqual(chats.map((chat) => [chat.parentSpanId, chat.displayKind, chat.model]), [
      [plan.spanId, 'llm', 'gpt-4o'],
      [plan.spanId, 'llm', 'gpt-4o'],
    ]);
    assert.equal(only(detail, 'get_weather.tool').displayKind, 'tool');
    // Its OpenAI instrumentation (0.14) drops the assistant's tool call from the prompt and the tool message's call id.
    assert.deepEqual(conversationLines(chats[0]), [`user: ${QUESTION}`, 'assistant: get_weather({"city":"Paris"})']);
    assert.deepEqual(conversationLines(chats[1]), [`user: ${QUESTION}`, 'assistant: null', `tool: ${TOOL_RESULT}`, `assistant: ${DEFAULT_TEXT}`]);
    assert.deepEqual(detail.summary.tokens, { input: 62, output: 24, total: 86 });

    const doomed = only(detail, 'doomed.task');
    assert.equal(doomed.isError, true);
    assert.equal(doomed.events[0]?.name, 'exception');
    assert.equal(detail.summary.errorCount, 1);

    const workflow = only(detail, 'support_workflow.workflow');
    assert.equal(workflow.attributes['keywordsai.metadata.plan'], '"pro"', 'the SDK writes each metadata value as JSON text');
    assert.deepEqual(workflow.respan, {
      customerIdentifier: KEYWORDSAI_IDENTITY.customer,
      threadIdentifier: KEYWORDSAI_IDENTITY.thread,
      metadata: KEYWORDSAI_IDENTITY.metadata,
      sources: { customerIdentifier: 'keywordsai.customer_params.customer_identifier', threadIdentifier: 'keywordsai.threads.thread_identifier' },
    });
    assert.equal(detail.summary.customerIdentifier, KEYWORDSAI_IDENTITY.customer);
    await assertFound(detail.traceId, KEYWORDSAI_IDENTITY.customer, KEYWORDSAI_IDENTITY.thread);
  });
});
