/**
 * Why a conversation is empty: a model call (model and tokens, of a kind that
 * converses) whose messages hold no content names the SDK that sent it and the
 * setting that records content, recognised by scope name or attributes.
 */
import { strict as assert } from 'node:assert';
import { conversationOf, type SpanLike } from '../../src/core/llm/conversation';

const USAGE = { 'gen_ai.usage.input_tokens': 31, 'gen_ai.usage.output_tokens': 12 };

function reasonOf(span: SpanLike): { sdk?: string; setting: string } | undefined {
  return conversationOf(span)?.notRecorded;
}

describe('a model call whose SDK recorded no content', () => {
  const senders: Array<[string, SpanLike, string | undefined, RegExp]> = [
    [
      'the Vercel AI SDK (by scope)',
      { scope: { name: 'ai' }, attributes: { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'gpt-4o-mini', 'ai.usage.inputTokens': 3 } },
      'Vercel AI SDK',
      /recordInputs: true, recordOutputs: true/,
    ],
    [
      'the Vercel AI SDK with a custom tracer (by ai.operationId)',
      { scope: { name: 'my-tracer' }, attributes: { 'ai.operationId': 'ai.generateText', 'ai.model.id': 'gpt-4o-mini', 'ai.usage.inputTokens': 3 } },
      'Vercel AI SDK',
      /recordInputs/,
    ],
    [
      'Traceloop JS',
      { scope: { name: '@traceloop/instrumentation-openai' }, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', ...USAGE } },
      'Traceloop (OpenLLMetry)',
      /^TRACELOOP_TRACE_CONTENT=true .*traceContent: false/,
    ],
    [
      'OpenLLMetry Python, whose scope looks like an OpenTelemetry one',
      { scope: { name: 'opentelemetry.instrumentation.openai.v1' }, attributes: { 'llm.request.type': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', ...USAGE } },
      'Traceloop (OpenLLMetry)',
      /TRACELOOP_TRACE_CONTENT/,
    ],
    [
      'the OpenTelemetry JS instrumentation',
      { scope: { name: '@opentelemetry/instrumentation-openai' }, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', ...USAGE } },
      'OpenTelemetry GenAI instrumentation',
      /^OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true/,
    ],
    [
      'the OpenTelemetry Python instrumentation',
      { scope: { name: 'opentelemetry.instrumentation.openai_v2' }, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', ...USAGE } },
      'OpenTelemetry GenAI instrumentation',
      /OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT/,
    ],
    [
      'OpenInference (by attribute)',
      { attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini', 'llm.token_count.prompt': 31 } },
      'OpenInference',
      /OPENINFERENCE_HIDE_INPUTS, OPENINFERENCE_HIDE_OUTPUTS, OPENINFERENCE_HIDE_INPUT_MESSAGES, OPENINFERENCE_HIDE_OUTPUT_MESSAGES, OPENINFERENCE_HIDE_INPUT_TEXT and OPENINFERENCE_HIDE_OUTPUT_TEXT/,
    ],
    [
      'an SDK it does not know',
      { scope: { name: 'acme-llm' }, attributes: { 'gen_ai.request.model': 'gpt-4o-mini', ...USAGE } },
      undefined,
      /recording of prompts and completions/,
    ],
  ];
  for (const [label, span, sdk, setting] of senders) {
    it(`names the setting of ${label}`, () => {
      const conversation = conversationOf(span)!;
      assert.ok(conversation, 'a model call always has a conversation section');
      assert.deepEqual(conversation.messages, []);
      assert.equal(conversation.source, undefined);
      assert.equal(conversation.notRecorded?.sdk, sdk);
      assert.match(conversation.notRecorded!.setting, setting);
    });
  }

  it("takes OpenInference's __REDACTED__ placeholder for no content, and keeps what was sent", () => {
    const conversation = conversationOf({
      scope: { name: '@arizeai/openinference-instrumentation-openai' },
      attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini', 'llm.token_count.prompt': 31, 'input.value': '__REDACTED__', 'output.value': '__REDACTED__' },
    })!;
    assert.equal(conversation.notRecorded?.sdk, 'OpenInference');
    assert.equal(conversation.source, 'openinference-io');
    assert.equal(conversation.messages.length, 2);
  });

  it('has content when only some of it was hidden', () => {
    assert.equal(
      reasonOf({ attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'm', 'llm.token_count.prompt': 3, 'input.value': '__REDACTED__', 'output.value': 'Sunny.' } }),
      undefined,
    );
    assert.equal(reasonOf({ attributes: { 'ai.operationId': 'ai.generateText', 'ai.model.id': 'm', 'ai.usage.inputTokens': 3, 'ai.response.text': 'Sunny.' } }), undefined);
  });

  it('sees through message events that carry no content (the OTel instrumentation with capture off)', () => {
    const span: SpanLike = {
      scope: { name: '@opentelemetry/instrumentation-openai' },
      attributes: { 'gen_ai.request.model': 'gpt-4o-mini', ...USAGE },
      events: [
        { name: 'gen_ai.user.message', attributes: {} },
        { name: 'gen_ai.assistant.message', attributes: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather' } }] } },
        { name: 'gen_ai.tool.message', attributes: { id: 'call_1' } },
        { name: 'gen_ai.choice', attributes: { index: 0, finish_reason: 'stop', message: {} } },
      ],
    };
    const conversation = conversationOf(span)!;
    assert.equal(conversation.source, 'genai-events');
    assert.equal(conversation.notRecorded?.sdk, 'OpenTelemetry GenAI instrumentation');
    const withContent = conversationOf({ ...span, events: [{ name: 'gen_ai.user.message', attributes: { content: 'Hi' } }] })!;
    assert.equal(withContent.notRecorded, undefined);
  });

  it('says nothing for spans that are not model calls, or whose kind records no messages', () => {
    assert.equal(conversationOf({ attributes: { 'gen_ai.request.model': 'gpt-4o-mini' } }), undefined, 'no tokens');
    assert.equal(conversationOf({ attributes: { ...USAGE } }), undefined, 'no model');
    assert.equal(conversationOf({ attributes: { 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.usage.input_tokens': 2 } }), undefined);
    assert.equal(conversationOf({ attributes: { 'ai.operationId': 'ai.embed', 'ai.model.id': 'text-embedding-3-small', 'ai.usage.tokens': 2 } }), undefined);
    assert.equal(conversationOf({ attributes: { 'llm.request.type': 'rerank', 'gen_ai.request.model': 'rerank-v3', ...USAGE } }), undefined);
  });

  it('keeps the tools offered beside the reason', () => {
    const conversation = conversationOf({ attributes: { 'gen_ai.request.model': 'm', ...USAGE, 'llm.request.functions.0.name': 'weather' } })!;
    assert.deepEqual(conversation.tools.map((tool) => tool.name), ['weather']);
    assert.ok(conversation.notRecorded);
  });
});
