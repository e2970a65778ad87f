/**
 * The Vercel AI SDK's span attributes (`experimental_telemetry`), as `ai` v6
 * writes them (fixtures copied from its spans), and its older spellings: kinds,
 * model, provider, tokens, function id, request settings and the conversation.
 */
import { strict as assert } from 'node:assert';
import { deriveFields, displayKindOf, tokensOf } from '../../src/core/derive';
import { conversationOf, requestSettings, type ChatMessage } from '../../src/core/llm/conversation';
import type { Attributes } from '../../src/core/model';

const PROMPT_WITH_TOOL_RESULT = JSON.stringify([
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
  { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: { city: 'Paris' } }] },
  { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', toolName: 'weather', output: { type: 'json', value: { forecast: 'sunny' } } }] },
]);

const WEATHER_TOOL = JSON.stringify({ type: 'function', name: 'weather', description: 'Weather of a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } });

/** A model call of a multi-step generateText, as ai@6 records it. */
const DO_GENERATE: Attributes = {
  'operation.name': 'ai.generateText.doGenerate weather-bot',
  'ai.operationId': 'ai.generateText.doGenerate',
  'ai.telemetry.functionId': 'weather-bot',
  'ai.model.provider': 'openai.chat',
  'ai.model.id': 'gpt-4o-mini',
  'ai.settings.maxOutputTokens': 200,
  'ai.settings.temperature': 0.2,
  'ai.settings.maxRetries': 2,
  'ai.prompt.messages': PROMPT_WITH_TOOL_RESULT,
  'ai.prompt.tools': [WEATHER_TOOL],
  'ai.prompt.toolChoice': '{"type":"auto"}',
  'gen_ai.system': 'openai.chat',
  'gen_ai.request.model': 'gpt-4o-mini',
  'ai.response.finishReason': 'stop',
  'ai.response.text': 'Sunny.',
  'ai.response.model': 'gpt-4o-mini-2024-07-18',
  'ai.usage.inputTokens': 31,
  'ai.usage.inputTokenDetails.noCacheTokens': 21,
  'ai.usage.inputTokenDetails.cacheReadTokens': 10,
  'ai.usage.inputTokenDetails.cacheWriteTokens': 4,
  'ai.usage.outputTokens': 12,
  'ai.usage.outputTokenDetails.reasoningTokens': 5,
  'ai.usage.totalTokens': 43,
  'ai.usage.reasoningTokens': 5,
  'ai.usage.cachedInputTokens': 10,
};

function summary(messages: ChatMessage[]): string[] {
  return messages.map((message) => {
    const parts = message.parts.map((part) =>
      part.type === 'text' || part.type === 'reasoning' ? `${part.type}=${part.text}` : part.type === 'tool_result' ? `result(${part.toolCallId})=${JSON.stringify(part.content)}${part.isError ? '!' : ''}` : `<${part.type}>`,
    );
    const calls = message.toolCalls.map((call) => `call ${call.name}(${JSON.stringify(call.arguments)})#${call.id}`);
    return `${message.direction}:${message.role}:${[...parts, ...calls].join(' ')}`;
  });
}

describe('Vercel AI SDK spans', () => {
  describe('kinds', () => {
    const cases: Array<[string, string]> = [
      ['ai.generateText', 'workflow'],
      ['ai.streamText', 'workflow'],
      ['ai.generateObject', 'workflow'],
      ['ai.streamObject', 'workflow'],
      ['ai.generateText.doGenerate', 'llm'],
      ['ai.streamText.doStream', 'llm'],
      ['ai.generateObject.doGenerate', 'llm'],
      ['ai.streamObject.doStream', 'llm'],
      ['ai.toolCall', 'tool'],
      ['ai.embed', 'embedding'],
      ['ai.embed.doEmbed', 'embedding'],
      ['ai.embedMany', 'embedding'],
      ['ai.embedMany.doEmbed', 'embedding'],
      ['ai.rerank', 'reranker'],
      ['ai.rerank.doRerank', 'reranker'],
    ];
    for (const [operation, kind] of cases) {
      it(`${operation} is ${kind === 'llm' ? 'an' : 'a'} ${kind} span`, () => {
        assert.equal(displayKindOf({ 'ai.operationId': operation, 'ai.model.id': 'm' }), kind);
      });
    }

    it('lets a Traceloop or OpenInference kind win over the operation, as for every other convention', () => {
      assert.equal(displayKindOf({ 'ai.operationId': 'ai.generateText', 'traceloop.span.kind': 'agent' }), 'agent');
      assert.equal(displayKindOf({ 'ai.operationId': 'ai.toolCall', 'openinference.span.kind': 'CHAIN' }), 'chain');
    });
  });

  it('reads model, provider, every token count, and the function id as the workflow name', () => {
    const derived = deriveFields(DO_GENERATE, {}, 'UNSET', [], 'ai.generateText.doGenerate');
    assert.equal(derived.displayKind, 'llm');
    assert.equal(derived.model, 'gpt-4o-mini', 'gen_ai.response.model / gen_ai.request.model win over the ai.* names');
    assert.equal(derived.provider, 'openai.chat');
    assert.equal(derived.workflowName, 'weather-bot');
    assert.deepEqual(derived.tokens, { input: 31, output: 12, total: 43, cacheRead: 10, cacheWrite: 4, reasoning: 5 });
  });

  it('reads the model and provider from the ai.* names alone (the outer call span)', () => {
    const derived = deriveFields({ 'ai.operationId': 'ai.generateText', 'ai.model.id': 'gpt-4o-mini', 'ai.model.provider': 'openai.chat', 'ai.response.model': 'gpt-4o-mini-2024-07-18' }, {}, 'UNSET', []);
    assert.equal(derived.model, 'gpt-4o-mini-2024-07-18', 'the response names the model that answered');
    assert.equal(derived.provider, 'openai.chat');
    assert.equal(deriveFields({ 'ai.model.id': 'gpt-4o-mini' }, {}, 'UNSET', []).model, 'gpt-4o-mini');
  });

  it('reads the older promptTokens / completionTokens, the cached-input and reasoning totals, and embedding tokens', () => {
    assert.deepEqual(tokensOf({ 'ai.usage.promptTokens': 7, 'ai.usage.completionTokens': 3 }), { input: 7, output: 3, total: 10 });
    assert.deepEqual(tokensOf({ 'ai.usage.inputTokens': 9, 'ai.usage.cachedInputTokens': 4, 'ai.usage.reasoningTokens': 2 }), { input: 9, total: 9, cacheRead: 4, reasoning: 2 });
    assert.deepEqual(tokensOf({ 'ai.operationId': 'ai.embed', 'ai.usage.tokens': 2 }), { input: 2, total: 2 });
  });

  it('names a tool call span by its tool', () => {
    const derived = deriveFields({ 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather', 'ai.toolCall.id': 'call_1', 'ai.telemetry.functionId': 'bot' }, {}, 'UNSET', [], 'ai.toolCall');
    assert.equal(derived.displayKind, 'tool');
    assert.equal(derived.entityName, 'weather');
    assert.equal(derived.workflowName, 'bot');
  });

  describe('conversation', () => {
    it('reads a model call: the exact prompt with the tool call and its result, the tools offered, and the response', () => {
      const conversation = conversationOf({ attributes: DO_GENERATE })!;
      assert.equal(conversation.source, 'ai-sdk');
      assert.deepEqual(summary(conversation.messages), [
        'input:system:text=You are terse.',
        'input:user:text=Weather in Paris?',
        'input:assistant:call weather({"city":"Paris"})#call_1',
        'input:tool:result(call_1)={"forecast":"sunny"}',
        'output:assistant:text=Sunny.',
      ]);
      assert.equal(conversation.messages[3].toolCallId, 'call_1');
      assert.equal(conversation.messages[4].finishReason, 'stop');
      assert.deepEqual(
        conversation.tools.map((tool) => [tool.name, tool.description, tool.parameters]),
        [['weather', 'Weather of a city', { type: 'object', properties: { city: { type: 'string' } } }]],
      );
      assert.equal(conversation.notRecorded, undefined);
    });

    it('reads a response of tool calls (their input is JSON text), with reasoning', () => {
      const conversation = conversationOf({
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.prompt.messages': '[{"role":"user","content":[{"type":"text","text":"Paris and Rome?"}]}]',
          'ai.response.reasoning': 'Two cities, two calls.',
          'ai.response.toolCalls': JSON.stringify([
            { toolCallId: 'call_1', toolName: 'weather', input: '{"city":"Paris"}' },
            { toolCallId: 'call_2', toolName: 'weather', input: '{"city":"Rome"}' },
          ]),
          'ai.response.finishReason': 'tool-calls',
        },
      })!;
      assert.deepEqual(summary(conversation.messages), [
        'input:user:text=Paris and Rome?',
        'output:assistant:reasoning=Two cities, two calls. call weather({"city":"Paris"})#call_1 call weather({"city":"Rome"})#call_2',
      ]);
      assert.equal(conversation.messages[1].finishReason, 'tool-calls');
    });

    it('reads the outer call: system, prompt or messages as the caller passed them, and the final text', () => {
      assert.deepEqual(
        summary(conversationOf({ attributes: { 'ai.operationId': 'ai.generateText', 'ai.prompt': '{"system":"You are terse.","prompt":"Weather in Paris?"}', 'ai.response.text': 'Sunny.' } })!.messages),
        ['input:system:text=You are terse.', 'input:user:text=Weather in Paris?', 'output:assistant:text=Sunny.'],
      );
      const messages = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye' }] });
      assert.deepEqual(summary(conversationOf({ attributes: { 'ai.operationId': 'ai.streamText', 'ai.prompt': messages } })!.messages), [
        'input:user:text=Hi',
        'input:assistant:text=Hello',
        'input:user:text=Bye',
      ]);
    });

    it('reads a generateObject response as JSON', () => {
      const conversation = conversationOf({ attributes: { 'ai.operationId': 'ai.generateObject', 'ai.prompt': '{"prompt":"A city"}', 'ai.response.object': '{"city":"Paris"}' } })!;
      assert.deepEqual(conversation.messages[1].parts, [{ type: 'json', value: { city: 'Paris' } }]);
    });

    it('shows a tool call span as the call and the result the tool returned', () => {
      const conversation = conversationOf({
        attributes: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather', 'ai.toolCall.id': 'call_1', 'ai.toolCall.args': '{"city":"Paris"}', 'ai.toolCall.result': '{"forecast":"sunny"}' },
      })!;
      assert.deepEqual(summary(conversation.messages), ['input:assistant:call weather({"city":"Paris"})#call_1', 'output:tool:result(call_1)={"forecast":"sunny"}']);
      assert.equal(conversation.messages[1].toolCallId, 'call_1');
      const noResult = conversationOf({ attributes: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather', 'ai.toolCall.id': 'call_1' } })!;
      assert.deepEqual(summary(noResult.messages), ['input:assistant:call weather(undefined)#call_1']);
    });

    it('reads tool errors, the pre-v5 tool-result and tool-call spellings, and image and file parts', () => {
      const prompt = JSON.stringify([
        {
          role: 'user',
          content: [
            { type: 'image', image: 'aGVsbG8=', mediaType: 'image/png' },
            { type: 'image', image: 'https://example.com/cat.png' },
            { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'a.pdf' },
            { type: 'file', data: 'https://example.com/b.png', mediaType: 'image/png' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'lookup', args: { id: 7 } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'lookup', result: 'found', isError: false }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c2', toolName: 'lookup', output: { type: 'error-text', value: 'not found' } }] },
      ]);
      const [user, call, result, failure] = conversationOf({ attributes: { 'ai.prompt.messages': prompt } })!.messages;
      assert.deepEqual(user.parts, [
        { type: 'image', url: 'data:image/png;base64,aGVsbG8=', mimeType: 'image/png' },
        { type: 'image', url: 'https://example.com/cat.png' },
        { type: 'media', kind: 'blob', modality: 'document', mimeType: 'application/pdf', filename: 'a.pdf', data: 'JVBERi0=' },
        { type: 'image', url: 'https://example.com/b.png', mimeType: 'image/png' },
      ]);
      assert.deepEqual(summary([call, result, failure]), ['input:assistant:call lookup({"id":7})#c1', 'input:tool:result(c1)="found"', 'input:tool:result(c2)="not found"!']);
    });
  });

  describe('request settings', () => {
    it('reads ai.settings.*, lists the rest, and tells streaming from the operation', () => {
      assert.deepEqual(requestSettings(DO_GENERATE), { temperature: 0.2, maxTokens: 200, streaming: false, other: { maxRetries: 2, toolChoice: { type: 'auto' } } });
      assert.deepEqual(
        requestSettings({
          'ai.operationId': 'ai.streamText.doStream',
          'ai.settings.topP': 0.5,
          'ai.settings.topK': 40,
          'ai.settings.frequencyPenalty': 0.1,
          'ai.settings.presencePenalty': 0.3,
          'ai.settings.seed': 7,
          'ai.settings.stopSequences': ['END'],
          'ai.settings.timeout': 30000,
        }),
        { topP: 0.5, topK: 40, frequencyPenalty: 0.1, presencePenalty: 0.3, seed: 7, stopSequences: ['END'], streaming: true, other: { timeout: 30000 } },
      );
    });

    it('lets gen_ai.request.* win, and keeps a sender key named __proto__ as a plain entry', () => {
      const settings = requestSettings({ 'gen_ai.request.temperature': 1, 'ai.settings.temperature': 0.2, 'ai.settings.__proto__': 'x' });
      assert.equal(settings.temperature, 1);
      assert.equal(Object.getPrototypeOf(settings.other), Object.prototype);
      assert.deepEqual(Object.entries(settings.other!), [['__proto__', 'x']]);
    });
  });
});
