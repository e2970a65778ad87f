/**
 * Span objects exactly as Respan's ingest exporters build them, for the ones
 * that cannot run here (Python packages): each fixture follows the exporter's
 * source, named above it. What `@keywordsai/exporter-vercel` sends is tested
 * with the real library in test/integration/respan-exporters.test.ts.
 */
import * as assert from 'node:assert/strict';
import { deriveFields, isNoModel } from '../../src/core/derive';
import { decodeIngest } from '../../src/core/ingest';
import { conversationOf } from '../../src/core/llm/conversation';
import { toolCallFrom } from '../../src/core/llm/parts';
import type { Span } from '../../src/core/model';
import { attributeGroupOf } from '../../webview/model/attributes';

function decodeOne(item: Record<string, unknown>): Span {
  const result = decodeIngest([item]);
  assert.deepEqual(result.rejected, []);
  return result.spans[0];
}

describe('Respan exporter span objects', () => {
  it('reads a tool call in every spelling through one table', () => {
    const expected = { id: 'call_1', name: 'weather', arguments: { city: 'Paris' } };
    for (const call of [
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
      { tool_call: { id: 'call_1', function: { name: 'weather', arguments: '{"city":"Paris"}' } } },
      { id: 'call_1', name: 'weather', input: { city: 'Paris' } },
      { call_id: 'call_1', name: 'weather', args: { city: 'Paris' } },
      // The Vercel AI SDK, as `@keywordsai/exporter-vercel` forwards it (`type` and `id` added).
      { toolCallId: 'call_1', toolName: 'weather', input: '{"city":"Paris"}', type: 'function', id: 'call_1' },
      { toolCallId: 'call_1', toolName: 'weather', args: { city: 'Paris' } },
    ]) {
      assert.deepEqual(toolCallFrom(call), expected, JSON.stringify(call));
    }
  });

  it('takes placeholder model names for no model, so the next alias wins', () => {
    for (const placeholder of ['unknown', 'Unknown', 'None', 'null', 'undefined', 'n/a', ' ']) assert.equal(isNoModel(placeholder), true, placeholder);
    assert.equal(isNoModel('gpt-4o'), false);
    assert.equal(deriveFields({ model: 'unknown' }, {}, 'UNSET', []).model, undefined);
    assert.equal(deriveFields({ 'gen_ai.response.model': 'unknown', model: 'gpt-4o-mini' }, {}, 'UNSET', []).model, 'gpt-4o-mini');
  });

  it('shows the result a tool span carries with its call as the tool message answering it, once', () => {
    // @keywordsai/exporter-vercel 1.0.27, an `ai.toolCall` span: the call repeated in `completion_message` and `tool_calls`.
    const call = { type: 'function', name: 'weather', id: 'call_1', args: '{"city":"Paris"}', result: '{"forecast":"sunny"}' };
    const span = decodeOne({
      trace_unique_id: 'a'.repeat(32),
      span_unique_id: 'b'.repeat(16),
      span_name: 'ai.toolCall',
      log_type: 'tool',
      model: 'unknown',
      prompt_messages: [],
      completion_message: { role: 'assistant', content: '', tool_calls: [call] },
      tool_calls: [call],
      customer_identifier: 'cus_1',
      customer_email: 'ada@example.com',
      customer_name: 'Ada',
    });
    assert.equal(span.derived.displayKind, 'tool');
    assert.equal(span.derived.model, undefined);
    assert.deepEqual(
      { name: span.derived.respan?.customerName, email: span.derived.respan?.customerEmail },
      { name: 'Ada', email: 'ada@example.com' },
    );
    assert.deepEqual(
      ['customer_email', 'customer_name'].map(attributeGroupOf),
      ['respan', 'respan'],
      'the details list them with the Respan parameters, not under Other',
    );
    const messages = conversationOf(span)!.messages;
    assert.deepEqual(
      messages.map((message) => message.role),
      ['assistant', 'tool'],
    );
    assert.deepEqual(messages[0].toolCalls, [{ id: 'call_1', name: 'weather', arguments: { city: 'Paris' } }]);
    assert.deepEqual(messages[1], {
      role: 'tool',
      direction: 'output',
      toolCallId: 'call_1',
      parts: [{ type: 'tool_result', toolCallId: 'call_1', content: '{"forecast":"sunny"}' }],
      toolCalls: [],
    });
    // A result the output already answers is not shown twice.
    const answered = conversationOf({
      attributes: { completion_messages: [{ role: 'tool', tool_call_id: 'call_1', content: 'sunny' }], tool_calls: [call] },
    })!;
    assert.equal(answered.messages.filter((message) => message.role === 'tool').length, 1);
  });

  it('accepts a LiteLLM call made outside a trace (no trace_unique_id) as a trace of its own', () => {
    // respan-exporter-litellm `_log_event`, without `respan_params` in the call's metadata.
    const span = decodeOne({
      span_name: 'litellm.completion',
      span_workflow_name: 'litellm',
      log_type: 'generation',
      timestamp: '2025-05-01T10:00:01.500000+00:00',
      start_time: '2025-05-01T10:00:00.250000+00:00',
      latency: 1.25,
      model: 'gpt-4o-mini',
      input: JSON.stringify([{ role: 'user', content: 'hi' }]),
      stream: false,
      span_unique_id: '5d41402abc4b2a76',
      status: 'success',
    });
    assert.equal(span.parentSpanId, null);
    assert.equal(span.spanId, '5d41402abc4b2a76');
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
    assert.equal(decodeOne({ span_unique_id: '5d41402abc4b2a76' }).traceId, span.traceId, 'the same call always lands in the same trace');
    assert.equal(span.durationMs, 1250);
    assert.equal(span.status.code, 'OK');
    assert.equal(span.derived.displayKind, 'llm');
    assert.equal(span.derived.model, 'gpt-4o-mini');
    assert.deepEqual(
      conversationOf(span)!.messages.map((message) => [message.role, message.parts]),
      [['user', [{ type: 'text', text: 'hi' }]]],
    );
  });

  it("shows a failed Haystack component's error, which the exporter puts in warnings", () => {
    // respan-exporter-haystack `format_span_for_api` for a component that raised.
    const span = decodeOne({
      trace_unique_id: '5b8e2f3c-0d1e-4c55-9a1b-2f6f3e8d9c10',
      span_unique_id: '0c7a1e52-8f36-4b0e-a4a1-7d2d8b1f6e33',
      span_parent_id: '9d1f7e44-2b6a-4c1d-8e0f-3a5b6c7d8e9f',
      span_name: 'llm',
      span_workflow_name: 'rag_pipeline',
      log_type: 'chat',
      start_time: '2025-05-01T10:00:00+00:00',
      timestamp: '2025-05-01T10:00:02+00:00',
      latency: 2.0,
      metadata: { component_name: 'llm', component_type: 'haystack.components.generators.chat.openai.OpenAIChatGenerator' },
      disable_log: false,
      warnings: 'APIConnectionError: Connection refused',
      status_code: 500,
    });
    assert.equal(span.status.code, 'ERROR');
    assert.equal(span.status.message, 'APIConnectionError: Connection refused');
    assert.equal(span.derived.isError, true);
  });

  it('reads span objects whose unset fields are null, as the Python exporters dump them', () => {
    // respan-exporter-openai-agents `convert_to_respan_log`: `model_dump(mode="json")` writes every unset field as null;
    // the trace's own item has no times, and the top-level spans name the trace id as their parent.
    const unset = { span_parent_id: null, start_time: null, timestamp: null, latency: null, status_code: null, error_message: null, model: null, input: null, output: null, metadata: null };
    const result = decodeIngest(
      {
        data: [
          { ...unset, trace_unique_id: 'trace_abc', span_unique_id: 'trace_abc', span_name: 'Agent workflow', log_type: 'agent' },
          {
            ...unset,
            trace_unique_id: 'trace_abc',
            span_unique_id: 'span_fn',
            span_parent_id: 'trace_abc',
            start_time: '2025-05-01T10:00:00.000000+00:00',
            timestamp: '2025-05-01T10:00:00.500000+00:00',
            latency: 0.5,
            error_bit: 0,
            status_code: 200,
            span_name: 'get_weather',
            log_type: 'tool',
            input: '{"city":"Paris"}',
            output: 'sunny',
            span_tools: ['get_weather'],
          },
        ],
      },
      { nowMs: () => Date.parse('2025-05-01T10:00:05Z') },
    );
    assert.deepEqual(result.rejected, []);
    const [root, tool] = result.spans;
    assert.equal(tool.parentSpanId, root.spanId);
    assert.equal(root.status.code, 'UNSET');
    assert.equal(root.derived.displayKind, 'agent');
    assert.deepEqual(Object.keys(root.attributes).sort(), ['log_type', 'span_name', 'span_unique_id', 'trace_unique_id']);
    assert.equal(tool.derived.displayKind, 'tool');
    assert.equal(tool.durationMs, 500);
  });

  it('reads an OpenAI Agents response span: Responses items as the conversation, usage as tokens', () => {
    // respan-exporter-openai-agents `_response_data_to_respan_log`: `input` and `output` are the Responses API items.
    const span = decodeOne({
      trace_unique_id: 'trace_0123456789abcdef0123456789abcdef',
      span_unique_id: 'span_0123456789abcdef01234567',
      span_parent_id: 'span_agent0123456789abcdef0123',
      start_time: '2025-05-01T10:00:00.000000+00:00',
      timestamp: '2025-05-01T10:00:01.000000+00:00',
      error_bit: 0,
      status_code: 200,
      latency: 1.0,
      span_name: 'response',
      log_type: 'response',
      model: 'gpt-4o-2024-08-06',
      usage: { input_tokens: 52, output_tokens: 9, total_tokens: 61 },
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', id: 'fc_1', status: 'completed' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
      output: [{ id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'It is sunny.', annotations: [] }] }],
    });
    assert.equal(span.derived.displayKind, 'llm');
    assert.deepEqual(span.derived.tokens, { input: 52, output: 9, total: 61 });
    const messages = conversationOf(span)!.messages;
    assert.deepEqual(
      messages.map((message) => [message.role, message.direction]),
      [
        ['user', 'input'],
        ['assistant', 'input'],
        ['tool', 'input'],
        ['assistant', 'output'],
      ],
    );
    assert.deepEqual(messages[1].toolCalls, [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }]);
    assert.equal(messages[2].toolCallId, 'call_1');
    assert.deepEqual(messages[3].parts, [{ type: 'text', text: 'It is sunny.' }]);
  });
});
