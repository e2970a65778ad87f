/**
 * Respan's own exporters as senders, through their own code paths: the Vercel
 * AI SDK with `@keywordsai/exporter-vercel` (a child process, as it registers
 * global OpenTelemetry state), its model `@ai-sdk/openai` against the loopback
 * fake of the OpenAI API. What the user sees is asserted through the query
 * API, and the conversation as the UI builds it from the span JSON.
 */
import * as assert from 'node:assert/strict';
import { conversationOf, type ChatMessage } from '../../src/core/llm/conversation';
import { TraceStore } from '../../src/core/store';
import type { FacetsJson, SpanJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import { DEFAULT_TEXT, DEFAULT_USAGE, type FakeProvider } from '../support/fakeProvider';
import { runSender, startSenderTarget, type SenderTarget } from '../support/senders';
import { SENDER_METADATA, WEATHER_RESULT } from '../support/vercelExporterSender';

describe('Respan exporters as senders', function () {
  this.timeout(90_000);
  let target: SenderTarget;
  let store: TraceStore;
  let server: SenderTarget['server'];
  let fake: FakeProvider;

  before(async () => {
    target = await startSenderTarget();
    ({ store, server, provider: fake } = target);
  });
  after(() => target.close());
  beforeEach(() => {
    store.clear();
    fake.requests.length = 0;
  });

  async function getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 200, `GET ${path}`);
    return (await response.json()) as T;
  }

  const textOf = (message: ChatMessage) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

  for (const [label, suffix] of [
    ['a base URL ending in /api', '/api'],
    ['a base URL without /api', ''],
  ] as const) {
    it(`@keywordsai/exporter-vercel with ${label}: a tool-calling generateText shows its model, tokens, conversation, tool result and customer`, async () => {
      const stdout = await runSender('test/support/vercelExporterSender.ts', [`${server.url}${suffix}`, fake.openaiBaseUrl]);
      const traceId = stdout.trim();
      assert.match(traceId, /^[0-9a-f]{32}$/);
      // The program ran both steps against the provider: the tool call, then the answer.
      assert.equal(fake.requests.filter((request) => request.path === '/v1/chat/completions').length, 2);

      const list = await getJson<TraceListJson>('/api/traces?customer=cus_vercel');
      assert.deepEqual(
        list.traces.map((trace) => trace.traceId),
        [traceId],
      );
      const [summary] = list.traces;
      assert.deepEqual(summary.models, ['gpt-4o-mini'], 'the tool span\'s model "unknown" is no model');
      assert.equal(summary.customerIdentifier, 'cus_vercel');
      assert.deepEqual(summary.tokens, { input: DEFAULT_USAGE.prompt, output: DEFAULT_USAGE.completion, total: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion });
      const facets = await getJson<FacetsJson>('/api/facets');
      assert.deepEqual(
        facets.models.map((facet) => facet.value),
        ['gpt-4o-mini'],
      );

      const detail = await getJson<TraceDetailJson>(`/api/traces/${traceId}`);
      const byName = new Map<string, SpanJson>(detail.spans.map((span) => [span.name, span]));
      // Library faults, as observed (README compatibility table): the exporter sends
      // the first step's model call and the tool call only (no root, no second
      // step), and no parent ids, so each span is a root of its own.
      assert.deepEqual([...byName.keys()].sort(), ['ai.generateText.doGenerate', 'ai.toolCall']);
      assert.equal(detail.roots.length, 2);
      assert.ok(detail.spans.every((span) => span.parentSpanId === null));
      assert.ok(!JSON.stringify(detail).includes(DEFAULT_TEXT), 'the second step (the answer) is not sent');

      const llm = byName.get('ai.generateText.doGenerate')!;
      assert.equal(llm.origin, 'ingest');
      assert.equal(llm.displayKind, 'llm');
      assert.equal(llm.model, 'gpt-4o-mini');
      assert.deepEqual(llm.tokens, { input: DEFAULT_USAGE.prompt, output: DEFAULT_USAGE.completion, total: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion });
      assert.equal(llm.isError, false);
      assert.deepEqual(llm.respan, {
        customerIdentifier: SENDER_METADATA.customer_identifier,
        customerName: SENDER_METADATA.customer_name,
        customerEmail: SENDER_METADATA.customer_email,
        environment: 'prod',
        metadata: { ...SENDER_METADATA, span_type: 'ai.generateText.doGenerate' },
        sources: { customerIdentifier: 'customer_identifier', customerName: 'customer_name', customerEmail: 'customer_email', environment: 'environment' },
      });
      const chat = conversationOf(llm)!;
      assert.deepEqual(
        chat.messages.map((message) => [message.role, textOf(message)]),
        [
          ['system', 'You answer weather questions.'],
          ['user', 'What is the weather in Paris?'],
          ['assistant', ''],
        ],
      );
      assert.deepEqual(chat.messages[2].toolCalls, [{ id: 'call_fake_1', name: 'weather', arguments: { city: 'Paris' } }]);
      assert.deepEqual(
        chat.tools.map((tool) => [tool.name, tool.description]),
        [['weather', 'The weather in a city']],
      );

      const tool = byName.get('ai.toolCall')!;
      assert.equal(tool.displayKind, 'tool');
      assert.equal(tool.model, null);
      assert.equal(tool.respan?.customerEmail, SENDER_METADATA.customer_email);
      const toolChat = conversationOf(tool)!;
      assert.deepEqual(
        toolChat.messages.map((message) => message.role),
        ['assistant', 'tool'],
      );
      assert.deepEqual(toolChat.messages[0].toolCalls, [{ id: 'call_fake_1', name: 'weather', arguments: { city: 'Paris' } }]);
      assert.equal(toolChat.messages[1].toolCallId, 'call_fake_1');
      assert.deepEqual(toolChat.messages[1].parts, [{ type: 'tool_result', toolCallId: 'call_fake_1', content: JSON.stringify(WEATHER_RESULT) }]);
    });
  }
});
