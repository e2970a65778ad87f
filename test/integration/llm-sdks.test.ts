/**
 * What a user sees of the LLM SDKs' own traces: the real Vercel AI SDK,
 * Traceloop, OpenInference and OpenTelemetry GenAI instrumentations, each in a
 * child process, calling the fake OpenAI API and exporting to a real listener.
 * Everything is asserted through the query API, and the conversation and
 * request settings through the same core readers the UI runs on what the API
 * returns.
 */
import * as assert from 'node:assert/strict';
import { conversationOf, requestSettings, type ChatMessage, type Conversation } from '../../src/core/llm/conversation';
import { TraceStore } from '../../src/core/store';
import type { SpanJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import { DEFAULT_TEXT, DEFAULT_USAGE, type FakeProvider } from '../support/fakeProvider';
import { runSender, startSenderTarget, type SenderTarget } from '../support/senders';

/** Each message as `direction:role:text`, tool calls as `call name(args JSON)#id`, results as `result#id=JSON`. */
function transcript(conversation: Conversation | undefined): string[] {
  assert.ok(conversation, 'the span has a conversation');
  return conversation.messages.map((message: ChatMessage) => {
    const pieces = message.parts.map((part) => (part.type === 'text' ? part.text : part.type === 'tool_result' ? `result#${part.toolCallId}=${JSON.stringify(part.content)}` : part.type));
    for (const call of message.toolCalls) pieces.push(`call ${call.name}(${JSON.stringify(call.arguments)})#${call.id}`);
    return `${message.direction}:${message.role}:${pieces.join(' | ')}`;
  });
}

describe('LLM SDKs as senders: what the user sees', function () {
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
  beforeEach(() => store.clear());

  async function getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 200, path);
    return (await response.json()) as T;
  }

  /** Every span stored, once `count` have arrived (the child flushed before it exited; the store settles within its schedule). */
  async function spansWhenStored(count: number): Promise<SpanJson[]> {
    let spans: SpanJson[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      const list = await getJson<TraceListJson>('/api/traces');
      const details = await Promise.all(list.traces.map((trace) => getJson<TraceDetailJson>(`/api/traces/${trace.traceId}`)));
      spans = details.flatMap((detail) => detail.spans);
      if (spans.length >= count) return spans;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`expected ${count} spans, have ${spans.map((span) => span.name).join(', ')}`);
  }

  const send = (script: string, args: string[], env: Record<string, string> = {}) => runSender(script, args, { env });

  describe('Vercel AI SDK with experimental_telemetry and a plain OTLP exporter', () => {
    let traces: Record<string, TraceDetailJson>;

    before(async () => {
      store.clear();
      const traceIds = JSON.parse(await send('test/support/aiSdkSender.ts', [server.url, fake.openaiBaseUrl])) as Record<string, string>;
      assert.deepEqual(Object.keys(traceIds).sort(), ['embedder', 'joker', 'secret-bot', 'weather-bot']);
      // 4 spans for the tool loop, 2 each for the stream, the embedding and the silent call.
      await spansWhenStored(10);
      // Fetched once: the suite's beforeEach clears the store before each test.
      traces = {};
      for (const [functionId, traceId] of Object.entries(traceIds)) traces[functionId] = await getJson<TraceDetailJson>(`/api/traces/${traceId}`);
    });

    it('shows a multi-step call as a workflow over its model calls and the tool call between them', () => {
      const detail = traces['weather-bot'];
      const root = detail.spans.find((span) => span.spanId === detail.roots[0])!;
      assert.equal(detail.roots.length, 1);
      assert.equal(root.name, 'ai.generateText');
      assert.equal(root.displayKind, 'workflow');
      const children = detail.spans.filter((span) => span.parentSpanId === root.spanId).sort((a, b) => a.startTimeMs - b.startTimeMs);
      assert.deepEqual(
        children.map((span) => [span.name, span.displayKind]),
        [
          ['ai.generateText.doGenerate', 'llm'],
          ['ai.toolCall', 'tool'],
          ['ai.generateText.doGenerate', 'llm'],
        ],
      );
      for (const span of detail.spans) assert.equal(span.workflowName, 'weather-bot', `${span.name} carries the function id`);
      assert.equal(children[1].entityName, 'weather');
    });

    it('reads model, provider and tokens: each model call its own, the workflow their sum', () => {
      const detail = traces['weather-bot'];
      const steps = detail.spans.filter((span) => span.name === 'ai.generateText.doGenerate');
      const root = detail.spans.find((span) => span.name === 'ai.generateText')!;
      for (const span of [...steps, root]) {
        assert.equal(span.model, 'gpt-4o-mini');
        assert.equal(span.provider, 'openai.chat');
      }
      const perCall = { input: DEFAULT_USAGE.prompt, output: DEFAULT_USAGE.completion, total: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion, cacheRead: 0, reasoning: 0 };
      for (const step of steps) assert.deepEqual(step.tokens, perCall);
      assert.deepEqual(root.tokens, { input: 2 * perCall.input, output: 2 * perCall.output, total: 2 * perCall.total, cacheRead: 0, reasoning: 0 });
      assert.equal(detail.spans.find((span) => span.name === 'ai.toolCall')!.tokens, null);
      // The workflow repeats its steps' sum: the trace counts each model call once.
      assert.equal(root.tokensCountedInDescendant, true);
      assert.equal(detail.summary.tokens.total, 2 * perCall.total);
      assert.equal(detail.summary.tokens.input, 2 * perCall.input);
    });

    it('shows each model call its exact prompt, the tool call and its result, and the answer', () => {
      const [first, second] = traces['weather-bot'].spans.filter((span) => span.name === 'ai.generateText.doGenerate').sort((a, b) => a.startTimeMs - b.startTimeMs);
      assert.deepEqual(transcript(conversationOf(first)), [
        'input:system:You are terse.',
        'input:user:Weather in Paris?',
        'output:assistant:call weather({"city":"Paris"})#call_fake_1',
      ]);
      const second_ = conversationOf(second)!;
      assert.deepEqual(transcript(second_), [
        'input:system:You are terse.',
        'input:user:Weather in Paris?',
        'input:assistant:call weather({"city":"Paris"})#call_fake_1',
        'input:tool:result#call_fake_1={"city":"Paris","forecast":"sunny","celsius":21}',
        `output:assistant:${DEFAULT_TEXT}`,
      ]);
      assert.equal(second_.source, 'ai-sdk');
      assert.equal(second_.messages[3].toolCallId, 'call_fake_1');
      assert.equal(second_.messages[4].finishReason, 'stop');
      assert.deepEqual(
        second_.tools.map((tool) => [tool.name, tool.description, tool.parameters]),
        [['weather', 'The weather in a city', { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }]],
      );
      assert.equal(conversationOf(first)!.messages[2].finishReason, 'tool-calls');
    });

    it('shows the tool span its arguments and result, and the workflow what the caller passed and got', () => {
      const detail = traces['weather-bot'];
      const toolSpan = detail.spans.find((span) => span.name === 'ai.toolCall')!;
      assert.deepEqual(transcript(conversationOf(toolSpan)), [
        'input:assistant:call weather({"city":"Paris"})#call_fake_1',
        'output:tool:result#call_fake_1={"city":"Paris","forecast":"sunny","celsius":21}',
      ]);
      const root = detail.spans.find((span) => span.name === 'ai.generateText')!;
      assert.deepEqual(transcript(conversationOf(root)), ['input:system:You are terse.', 'input:user:Weather in Paris?', `output:assistant:${DEFAULT_TEXT}`]);
    });

    it('reads the request settings of ai.settings.*', () => {
      const step = traces['weather-bot'].spans.find((span) => span.name === 'ai.generateText.doGenerate')!;
      assert.deepEqual(requestSettings(step.attributes), { temperature: 0.2, maxTokens: 200, topP: 0.9, streaming: false, other: { maxRetries: 2, toolChoice: { type: 'auto' } } });
      const root = traces['weather-bot'].spans.find((span) => span.name === 'ai.generateText')!;
      assert.deepEqual(requestSettings(root.attributes), { temperature: 0.2, maxTokens: 200, topP: 0.9, streaming: false, other: { maxRetries: 2 } });
    });

    it('shows a streamed call the same way, marked as streaming', () => {
      const detail = traces.joker;
      const root = detail.spans.find((span) => span.spanId === detail.roots[0])!;
      assert.equal(root.name, 'ai.streamText');
      assert.equal(root.displayKind, 'workflow');
      const [step] = detail.spans.filter((span) => span.parentSpanId === root.spanId);
      assert.equal(step.name, 'ai.streamText.doStream');
      assert.equal(step.displayKind, 'llm');
      assert.equal(step.model, 'gpt-4o-mini');
      assert.deepEqual(step.tokens, { input: DEFAULT_USAGE.prompt, output: DEFAULT_USAGE.completion, total: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion, cacheRead: 0, reasoning: 0 });
      assert.deepEqual(transcript(conversationOf(step)), ['input:user:Tell a joke', `output:assistant:${DEFAULT_TEXT}`]);
      assert.equal(requestSettings(step.attributes).streaming, true);
      assert.equal(step.workflowName, 'joker');
    });

    it('shows an embedding as embedding spans with their model and input tokens', () => {
      const detail = traces.embedder;
      assert.deepEqual(detail.spans.map((span) => [span.name, span.displayKind, span.model, span.tokens]).sort(), [
        ['ai.embed', 'embedding', 'text-embedding-3-small', { input: 2, total: 2 }],
        ['ai.embed.doEmbed', 'embedding', 'text-embedding-3-small', { input: 2, total: 2 }],
      ]);
      for (const span of detail.spans) assert.equal(conversationOf(span), undefined, 'an embedding has no conversation, nor a missing one');
    });

    it('says that recordInputs / recordOutputs kept the content out, on the call and its model call', () => {
      const detail = traces['secret-bot'];
      assert.equal(detail.spans.length, 2);
      for (const span of detail.spans) {
        assert.ok(span.tokens, `${span.name} has tokens`);
        const conversation = conversationOf(span)!;
        assert.deepEqual(conversation.messages, []);
        assert.equal(conversation.notRecorded?.sdk, 'Vercel AI SDK');
        assert.match(conversation.notRecorded.setting, /recordInputs/);
        assert.match(conversation.notRecorded.setting, /recordOutputs/);
      }
      assert.ok(!JSON.stringify(detail).includes('hunter2'), 'the prompt was not recorded');
    });
  });

  it('Traceloop with traceContent: false: says TRACELOOP_TRACE_CONTENT; its LangChain tool (task, execute_tool …) is a tool', async () => {
    await send('test/support/instrumentedOpenAiSender.ts', ['traceloop-no-content', server.url, fake.openaiBaseUrl]);
    const spans = await spansWhenStored(2);
    const llm = spans.find((span) => span.scope.name === '@traceloop/instrumentation-openai')!;
    assert.ok(llm, `spans: ${spans.map((span) => `${span.name} (${span.scope.name})`).join(', ')}`);
    assert.equal(llm.displayKind, 'llm');
    assert.equal(llm.model, 'gpt-4o-mini');
    assert.deepEqual(llm.tokens, { input: DEFAULT_USAGE.prompt, output: DEFAULT_USAGE.completion, total: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion });
    const conversation = conversationOf(llm)!;
    assert.deepEqual(conversation.messages, []);
    assert.equal(conversation.notRecorded?.sdk, 'Traceloop (OpenLLMetry)');
    assert.match(conversation.notRecorded.setting, /TRACELOOP_TRACE_CONTENT=true/);
    assert.match(conversation.notRecorded.setting, /traceContent/);

    const tool = spans.find((span) => span.name.startsWith('execute_tool '))!;
    assert.ok(tool, 'Traceloop names a LangChain tool run execute_tool …');
    assert.equal(tool.attributes['traceloop.span.kind'], 'task');
    assert.equal(tool.attributes['gen_ai.operation.name'], 'execute_tool');
    assert.equal(tool.displayKind, 'tool');
  });

  it('@opentelemetry/instrumentation-openai with its defaults: says OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', async () => {
    await send('test/support/instrumentedOpenAiSender.ts', ['otel-genai', server.url, fake.openaiBaseUrl]);
    const spans = await spansWhenStored(2);
    const chat = spans.find((span) => span.name === 'chat gpt-4o-mini')!;
    assert.ok(chat, `spans: ${spans.map((span) => span.name).join(', ')}`);
    assert.equal(chat.scope.name, '@opentelemetry/instrumentation-openai');
    assert.equal(chat.displayKind, 'llm');
    assert.deepEqual(chat.tokens, { input: DEFAULT_USAGE.prompt, output: DEFAULT_USAGE.completion, total: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion });
    const conversation = conversationOf(chat)!;
    assert.deepEqual(conversation.messages, []);
    assert.equal(conversation.notRecorded?.sdk, 'OpenTelemetry GenAI instrumentation');
    assert.match(conversation.notRecorded.setting, /^OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true/);

    const embedding = spans.find((span) => span.name === 'embeddings text-embedding-3-small')!;
    assert.equal(embedding.displayKind, 'embedding');
    assert.equal(conversationOf(embedding), undefined, 'an embedding records no messages whatever the setting');
  });

  it('OpenInference: embeddings carry their model; a chat call shows its messages', async () => {
    await send('test/support/instrumentedOpenAiSender.ts', ['openinference', server.url, fake.openaiBaseUrl]);
    const spans = await spansWhenStored(2);
    const embedding = spans.find((span) => span.name === 'OpenAI Embeddings')!;
    assert.ok(embedding, `spans: ${spans.map((span) => span.name).join(', ')}`);
    assert.equal(embedding.displayKind, 'embedding');
    assert.equal(embedding.model, 'text-embedding-3-small');
    const chat = spans.find((span) => span.name === 'OpenAI Chat Completions')!;
    const conversation = conversationOf(chat)!;
    assert.deepEqual(transcript(conversation), ['input:user:My password is hunter2', `output:assistant:${DEFAULT_TEXT}`]);
    assert.equal(conversation.notRecorded, undefined);
  });

  it('OpenInference with OPENINFERENCE_HIDE_INPUTS / _OUTPUTS: says which settings hid the content', async () => {
    await send('test/support/instrumentedOpenAiSender.ts', ['openinference', server.url, fake.openaiBaseUrl], { OPENINFERENCE_HIDE_INPUTS: 'true', OPENINFERENCE_HIDE_OUTPUTS: 'true' });
    const spans = await spansWhenStored(2);
    const chat = spans.find((span) => span.name === 'OpenAI Chat Completions')!;
    assert.ok(chat, `spans: ${spans.map((span) => span.name).join(', ')}`);
    assert.equal(chat.attributes['input.value'], '__REDACTED__');
    assert.deepEqual(chat.tokens, { input: DEFAULT_USAGE.prompt, output: DEFAULT_USAGE.completion, total: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion, cacheRead: 0, reasoning: 0 });
    const conversation = conversationOf(chat)!;
    assert.equal(conversation.notRecorded?.sdk, 'OpenInference');
    assert.match(conversation.notRecorded.setting, /OPENINFERENCE_HIDE_INPUTS/);
    assert.match(conversation.notRecorded.setting, /OPENINFERENCE_HIDE_OUTPUTS/);
  });
});
