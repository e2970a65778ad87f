import { strict as assert } from 'node:assert';
import {
  conversationOf,
  entityIO,
  requestSettings,
  type AttributeMap,
  type ChatMessage,
  type EventLike,
} from '../../src/core/llm/conversation';
import { unflattenIndexed } from '../../src/core/llm/flatten';
import { contentToParts, messageFrom, toolCallFrom, toolDefinitionFrom } from '../../src/core/llm/parts';
import type { Attributes, SpanEvent } from '../../src/core/model';

/** Role and text of each message, compactly, for order assertions. */
function summary(messages: ChatMessage[]): string[] {
  return messages.map((m) => {
    const text = m.parts.map((p) => (p.type === 'text' || p.type === 'reasoning' || p.type === 'refusal' ? p.text : `<${p.type}>`)).join('|');
    return `${m.direction}:${m.role}:${text}`;
  });
}

function event(name: string, attributes: Attributes): SpanEvent {
  return { name, timeUnixNano: 1n, attributes };
}

describe('conversationOf', () => {
  describe('Traceloop legacy indexed attributes', () => {
    it('reads prompts, completions, tool calls and functions in index order', () => {
      const attributes: Attributes = {
        'gen_ai.system': 'openai',
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'You are a weather bot.',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'Weather in Paris?',
        'gen_ai.prompt.2.role': 'assistant',
        'gen_ai.prompt.2.tool_calls.0.id': 'call_1',
        'gen_ai.prompt.2.tool_calls.0.name': 'get_weather',
        'gen_ai.prompt.2.tool_calls.0.arguments': '{"city":"Paris"}',
        'gen_ai.prompt.3.role': 'tool',
        'gen_ai.prompt.3.content': 'rainy, 12°C',
        'gen_ai.prompt.3.tool_call_id': 'call_1',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'It is rainy in Paris.',
        'gen_ai.completion.0.finish_reason': 'stop',
        'llm.request.functions.0.name': 'get_weather',
        'llm.request.functions.0.description': 'Current weather',
        'llm.request.functions.0.parameters': '{"type":"object","properties":{"city":{"type":"string"}}}',
      };
      const conversation = conversationOf({ attributes });
      assert.ok(conversation);
      assert.equal(conversation.source, 'traceloop');
      assert.deepEqual(summary(conversation.messages), [
        'input:system:You are a weather bot.',
        'input:user:Weather in Paris?',
        'input:assistant:',
        'input:tool:rainy, 12°C',
        'output:assistant:It is rainy in Paris.',
      ]);
      assert.deepEqual(conversation.messages[2].toolCalls, [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }]);
      assert.equal(conversation.messages[3].toolCallId, 'call_1');
      assert.equal(conversation.messages[4].finishReason, 'stop');
      assert.equal(conversation.tools.length, 1);
      assert.equal(conversation.tools[0].name, 'get_weather');
      assert.equal(conversation.tools[0].description, 'Current weather');
      assert.deepEqual(conversation.tools[0].parameters, { type: 'object', properties: { city: { type: 'string' } } });
    });

    it("reads the first OpenLLMetry releases' llm.prompts / llm.completions keys, and LangChain message class roles", () => {
      const attributes: Attributes = {
        'llm.prompts.0.role': 'SystemMessage',
        'llm.prompts.0.content': 'Be brief.',
        'llm.prompts.1.role': 'HumanMessage',
        'llm.prompts.1.content': 'Tell me a joke',
        'llm.completions.0.role': 'AIMessage',
        'llm.completions.0.content': 'Knock knock',
      };
      const conversation = conversationOf({ attributes });
      assert.ok(conversation);
      assert.equal(conversation.source, 'traceloop');
      assert.deepEqual(summary(conversation.messages), ['input:system:Be brief.', 'input:user:Tell me a joke', 'output:assistant:Knock knock']);
    });

    it('orders sparse and out-of-order indices numerically, not lexically', () => {
      const attributes: Attributes = {
        'gen_ai.prompt.10.role': 'user',
        'gen_ai.prompt.10.content': 'ten',
        'gen_ai.prompt.2.role': 'user',
        'gen_ai.prompt.2.content': 'two',
        'gen_ai.prompt.0.content': 'zero',
        'gen_ai.prompt.0.role': 'system',
      };
      const conversation = conversationOf({ attributes });
      assert.deepEqual(summary(conversation!.messages), ['input:system:zero', 'input:user:two', 'input:user:ten']);
    });

    it('parses JSON-stringified OpenAI content parts', () => {
      const attributes: Attributes = {
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': JSON.stringify([
          { type: 'text', text: 'What is in this image?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
        ]),
      };
      const [message] = conversationOf({ attributes })!.messages;
      assert.deepEqual(message.parts, [
        { type: 'text', text: 'What is in this image?' },
        { type: 'image', url: 'https://example.com/cat.png' },
      ]);
    });

    it('parses JSON-stringified Anthropic blocks, including tool use, tool results and thinking', () => {
      const attributes: Attributes = {
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': JSON.stringify([
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'text', text: 'Describe it' },
        ]),
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': JSON.stringify([{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'done', is_error: true }]),
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': JSON.stringify([
          { type: 'thinking', thinking: 'Let me think', signature: 'sig' },
          { type: 'tool_use', id: 'toolu_2', name: 'lookup', input: { q: 'x' } },
        ]),
      };
      const messages = conversationOf({ attributes })!.messages;
      assert.deepEqual(messages[0].parts, [
        { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=', mimeType: 'image/png' },
        { type: 'text', text: 'Describe it' },
      ]);
      assert.deepEqual(messages[1].parts, [{ type: 'tool_result', toolCallId: 'toolu_1', content: 'done', isError: true }]);
      assert.equal(messages[1].toolCallId, 'toolu_1', 'a single tool result names the call it answers');
      assert.deepEqual(messages[2].parts, [{ type: 'reasoning', text: 'Let me think' }]);
      assert.deepEqual(messages[2].toolCalls, [{ id: 'toolu_2', name: 'lookup', arguments: { q: 'x' } }]);
    });

    it('keeps JSON content that is not a part list as text', () => {
      const attributes: Attributes = {
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': '{"order": 42}',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': '[1, 2, 3]',
      };
      const messages = conversationOf({ attributes })!.messages;
      assert.deepEqual(messages[0].parts, [{ type: 'text', text: '{"order": 42}' }]);
      assert.deepEqual(messages[1].parts, [{ type: 'text', text: '[1, 2, 3]' }]);
    });

    it('keeps malformed tool call arguments as the raw string', () => {
      const attributes: Attributes = {
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.finish_reason': 'tool_calls',
        'gen_ai.completion.0.tool_calls.1.name': 'second',
        'gen_ai.completion.0.tool_calls.1.arguments': '{"a": 1}',
        'gen_ai.completion.0.tool_calls.0.name': 'first',
        'gen_ai.completion.0.tool_calls.0.arguments': '{"city": "Par',
      };
      const [message] = conversationOf({ attributes })!.messages;
      assert.deepEqual(message.toolCalls, [
        { name: 'first', arguments: '{"city": "Par' },
        { name: 'second', arguments: { a: 1 } },
      ]);
      assert.equal(message.finishReason, 'tool_calls');
    });

    it('defaults missing roles by direction and reads completion-style `user` prompts', () => {
      const attributes: Attributes = {
        'gen_ai.prompt.0.user': 'Once upon a time',
        'gen_ai.completion.0.content': 'there was a trace.',
      };
      assert.deepEqual(summary(conversationOf({ attributes })!.messages), ['input:user:Once upon a time', 'output:assistant:there was a trace.']);
    });

    it('reads the legacy `function_call` of a completion', () => {
      const attributes: Attributes = {
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.function_call.name': 'lookup',
        'gen_ai.completion.0.function_call.arguments': '{"id":7}',
      };
      assert.deepEqual(conversationOf({ attributes })!.messages[0].toolCalls, [{ name: 'lookup', arguments: { id: 7 } }]);
    });
  });

  describe('OTel GenAI attributes', () => {
    it('reads system instructions, input and output messages and tool definitions from JSON strings', () => {
      const attributes: Attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be terse.' }]),
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
          { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'rainy' }] },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [
              { type: 'reasoning', content: 'User wants weather.' },
              { type: 'text', content: 'Rainy.' },
            ],
            finish_reason: 'stop',
          },
        ]),
        'gen_ai.tool.definitions': JSON.stringify([
          { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } } },
        ]),
      };
      const conversation = conversationOf({ attributes })!;
      assert.equal(conversation.source, 'genai');
      assert.deepEqual(summary(conversation.messages), [
        'input:system:Be terse.',
        'input:user:Weather in Paris?',
        'input:assistant:',
        'input:tool:<tool_result>',
        'output:assistant:User wants weather.|Rainy.',
      ]);
      assert.deepEqual(conversation.messages[2].toolCalls, [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }]);
      assert.deepEqual(conversation.messages[3].parts, [{ type: 'tool_result', toolCallId: 'call_1', content: 'rainy' }]);
      assert.equal(conversation.messages[3].toolCallId, 'call_1');
      assert.equal(conversation.messages[4].parts[0].type, 'reasoning');
      assert.equal(conversation.messages[4].finishReason, 'stop');
      assert.deepEqual(
        conversation.tools.map((t) => [t.name, t.description, t.parameters]),
        [['get_weather', 'Weather', { type: 'object' }]],
      );
    });

    it('accepts already-structured arrays and a plain-text system instruction', () => {
      const attributes: Attributes = {
        'gen_ai.system_instructions': 'You are helpful.',
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }],
        'gen_ai.output.messages': [{ role: 'assistant', name: 'bot', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'stop' }],
      };
      const conversation = conversationOf({ attributes })!;
      assert.deepEqual(summary(conversation.messages), ['input:system:You are helpful.', 'input:user:Hi', 'output:assistant:Hello']);
      assert.equal(conversation.messages[2].name, 'bot');
    });

    it('reads tool_call_response `result`, blob, file and uri parts', () => {
      const attributes: Attributes = {
        'gen_ai.input.messages': JSON.stringify([
          {
            role: 'user',
            parts: [
              { type: 'blob', modality: 'image', mime_type: 'image/jpeg', content: '/9j/4AAQ' },
              { type: 'uri', modality: 'image', uri: 'https://example.com/a.png' },
              { type: 'blob', modality: 'audio', mime_type: 'audio/wav', content: 'UklGRg==' },
              { type: 'file', modality: 'document', mime_type: 'application/pdf', file_id: 'file-abc' },
              { type: 'uri', modality: 'video', mime_type: 'video/mp4', uri: 'gs://bucket/v.mp4' },
            ],
          },
          { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c9', result: { temp: 12 } }] },
        ]),
      };
      const [user, tool] = conversationOf({ attributes })!.messages;
      assert.deepEqual(user.parts, [
        { type: 'image', url: 'data:image/jpeg;base64,/9j/4AAQ', mimeType: 'image/jpeg' },
        { type: 'image', url: 'https://example.com/a.png' },
        { type: 'media', kind: 'blob', modality: 'audio', mimeType: 'audio/wav', data: 'UklGRg==' },
        { type: 'media', kind: 'file', modality: 'document', mimeType: 'application/pdf', fileId: 'file-abc' },
        { type: 'media', kind: 'uri', modality: 'video', mimeType: 'video/mp4', uri: 'gs://bucket/v.mp4' },
      ]);
      assert.deepEqual(tool.parts, [{ type: 'tool_result', toolCallId: 'c9', content: { temp: 12 } }]);
    });

    it('keeps unknown part types as JSON parts and server tool calls as tool calls', () => {
      const attributes: Attributes = {
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [
              { type: 'server_tool_call', id: 's1', name: 'web_search', server_tool_call: { query: 'otel' } },
              { type: 'server_tool_call_response', id: 's1', server_tool_call_response: { hits: 3 } },
              { type: 'citation', url: 'https://x' },
            ],
          },
        ]),
      };
      const [message] = conversationOf({ attributes })!.messages;
      assert.deepEqual(message.toolCalls, [{ id: 's1', name: 'web_search', arguments: { query: 'otel' } }]);
      assert.deepEqual(message.parts, [
        { type: 'tool_result', toolCallId: 's1', content: { hits: 3 } },
        { type: 'json', value: { type: 'citation', url: 'https://x' } },
      ]);
    });

    it('shows malformed JSON as a text message instead of throwing', () => {
      const attributes: Attributes = {
        'gen_ai.input.messages': '[{"role": "user", "parts": [',
        'gen_ai.output.messages': 'not json at all',
      };
      const conversation = conversationOf({ attributes })!;
      assert.deepEqual(summary(conversation.messages), [
        'input:user:[{"role": "user", "parts": [',
        'output:assistant:not json at all',
      ]);
    });

    it('prefers the current form over the legacy form when a sender emits both', () => {
      const attributes: Attributes = {
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'legacy',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'current' }] }]),
        'gen_ai.completion.0.content': 'legacy answer',
      };
      const conversation = conversationOf({ attributes })!;
      assert.deepEqual(summary(conversation.messages), ['input:user:current', 'output:assistant:legacy answer']);
      assert.equal(conversation.source, 'genai');
      assert.deepEqual(conversation.sources, ['genai', 'traceloop'], 'the output came from the legacy form');
    });

    it('reads Responses API and Anthropic tool definitions', () => {
      const attributes: Attributes = {
        'gen_ai.tool.definitions': [
          { type: 'function', name: 'a', description: 'A', parameters: { type: 'object' } },
          { name: 'b', description: 'B', input_schema: { type: 'object', properties: {} } },
          { type: 'web_search_20250305', name: 'web_search' },
        ],
      };
      const { tools } = conversationOf({ attributes })!;
      assert.deepEqual(
        tools.map((t) => [t.name, t.description, t.parameters, t.type]),
        [
          ['a', 'A', { type: 'object' }, undefined],
          ['b', 'B', { type: 'object', properties: {} }, undefined],
          ['web_search', undefined, undefined, 'web_search_20250305'],
        ],
      );
    });
  });

  describe('OTel GenAI events', () => {
    it('reads message events in order and sorts choices by index', () => {
      const events: SpanEvent[] = [
        event('gen_ai.system.message', { 'gen_ai.system': 'openai', content: 'Be kind.' }),
        event('gen_ai.user.message', { content: 'Weather?' }),
        event('gen_ai.assistant.message', {
          tool_calls: JSON.stringify([{ id: 'call_9', type: 'function', function: { name: 'weather', arguments: '{"q":"Oslo"}' } }]),
        }),
        event('gen_ai.tool.message', { content: 'snow', id: 'call_9' }),
        event('gen_ai.choice', { index: 1, finish_reason: 'stop', message: JSON.stringify({ role: 'assistant', content: 'second' }) }),
        event('gen_ai.choice', { index: 0, finish_reason: 'stop', message: JSON.stringify({ content: 'first' }) }),
        event('exception', { 'exception.type': 'X' }),
      ];
      const conversation = conversationOf({ attributes: {}, events })!;
      assert.equal(conversation.source, 'genai-events');
      assert.deepEqual(summary(conversation.messages), [
        'input:system:Be kind.',
        'input:user:Weather?',
        'input:assistant:',
        'input:tool:snow',
        'output:assistant:first',
        'output:assistant:second',
      ]);
      assert.deepEqual(conversation.messages[2].toolCalls, [{ id: 'call_9', name: 'weather', arguments: { q: 'Oslo' } }]);
      assert.equal(conversation.messages[3].toolCallId, 'call_9');
      assert.equal(conversation.messages[4].finishReason, 'stop');
    });

    it('reads a whole body serialised into gen_ai.event.content, and choices without a message body', () => {
      const events: SpanEvent[] = [
        event('gen_ai.user.message', { 'gen_ai.event.content': JSON.stringify({ role: 'user', content: 'from body' }) }),
        event('gen_ai.choice', { index: 0, finish_reason: 'length', content: 'truncated answ' }),
      ];
      const conversation = conversationOf({ attributes: {}, events })!;
      assert.deepEqual(summary(conversation.messages), ['input:user:from body', 'output:assistant:truncated answ']);
      assert.equal(conversation.messages[1].finishReason, 'length');
    });

    it('reads the older gen_ai.content.prompt / completion events', () => {
      const events: SpanEvent[] = [
        event('gen_ai.content.prompt', { 'gen_ai.prompt': JSON.stringify([{ role: 'user', content: 'Hi' }]) }),
        event('gen_ai.content.completion', { 'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: 'Hello' }]) }),
      ];
      assert.deepEqual(summary(conversationOf({ attributes: {}, events })!.messages), ['input:user:Hi', 'output:assistant:Hello']);
    });

    it('reads gen_ai.client.inference.operation.details events: structured messages, one output event per streamed item, instructions not repeated', () => {
      const textMessage = (role: string, content: string) => ({ role, parts: [{ type: 'text', content }] });
      const events: EventLike[] = [
        { name: 'gen_ai.client.inference.operation.details', attributes: { 'gen_ai.input.messages': [textMessage('system', 'Be brief.'), textMessage('user', 'Joke?')] } },
        { name: 'gen_ai.client.inference.operation.details', attributes: { 'gen_ai.output.messages': [{ ...textMessage('assistant', 'Thinking done.'), finish_reason: 'stop' }] } },
        { name: 'gen_ai.client.inference.operation.details', attributes: { 'gen_ai.output.messages': [{ ...textMessage('assistant', 'A span walks into a bar.'), finish_reason: 'stop' }] } },
      ];
      const conversation = conversationOf({ attributes: { 'gen_ai.system_instructions': 'Be brief.' }, events })!;
      assert.equal(conversation.source, 'genai');
      assert.deepEqual(summary(conversation.messages), ['input:system:Be brief.', 'input:user:Joke?', 'output:assistant:Thinking done.', 'output:assistant:A span walks into a bar.']);
      assert.equal(conversation.messages[3].finishReason, 'stop');
    });

    it('prefers the span attributes to the operation-details events that repeat them', () => {
      const events: EventLike[] = [{ name: 'gen_ai.client.inference.operation.details', attributes: { 'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'from the event' }] }]) } }];
      const attributes = { 'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'from the span' }] }]) };
      assert.deepEqual(summary(conversationOf({ attributes, events })!.messages), ['input:user:from the span']);
    });

    it('accepts JSON-safe events as the webview receives them', () => {
      const events: EventLike[] = [{ name: 'gen_ai.user.message', attributes: { content: 'hi' } }];
      assert.deepEqual(summary(conversationOf({ attributes: {}, events })!.messages), ['input:user:hi']);
    });
  });

  describe('OpenInference', () => {
    it('reads flattened messages, contents, tool calls and tools', () => {
      const attributes: Attributes = {
        'openinference.span.kind': 'LLM',
        'llm.input_messages.0.message.role': 'system',
        'llm.input_messages.0.message.content': 'You are a helper.',
        'llm.input_messages.1.message.role': 'user',
        'llm.input_messages.1.message.contents.0.message_content.type': 'text',
        'llm.input_messages.1.message.contents.0.message_content.text': 'What is this?',
        'llm.input_messages.1.message.contents.1.message_content.type': 'image',
        'llm.input_messages.1.message.contents.1.message_content.image.image.url': 'https://example.com/x.jpg',
        'llm.input_messages.2.message.role': 'tool',
        'llm.input_messages.2.message.name': 'search',
        'llm.input_messages.2.message.tool_call_id': 'call_0',
        'llm.input_messages.2.message.content': '3 results',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_1',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'search',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"q":"cats"}',
        'llm.tools.0.tool.json_schema': JSON.stringify({
          type: 'function',
          function: { name: 'search', description: 'Search', parameters: { type: 'object' } },
        }),
        'llm.invocation_parameters': '{"temperature":0.2}',
        'input.value': '{"messages": []}',
        'input.mime_type': 'application/json',
      };
      const conversation = conversationOf({ attributes })!;
      assert.equal(conversation.source, 'openinference');
      assert.deepEqual(summary(conversation.messages), [
        'input:system:You are a helper.',
        'input:user:What is this?|<image>',
        'input:tool:3 results',
        'output:assistant:',
      ]);
      assert.deepEqual(conversation.messages[1].parts[1], { type: 'image', url: 'https://example.com/x.jpg' });
      assert.equal(conversation.messages[2].name, 'search');
      assert.equal(conversation.messages[2].toolCallId, 'call_0');
      assert.deepEqual(conversation.messages[3].toolCalls, [{ id: 'call_1', name: 'search', arguments: { q: 'cats' } }]);
      assert.deepEqual(conversation.tools.map((t) => [t.name, t.description]), [['search', 'Search']]);
    });

    it('reads the legacy function_call_name / function_call_arguments_json', () => {
      const attributes: Attributes = {
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.function_call_name': 'lookup',
        'llm.output_messages.0.message.function_call_arguments_json': '{"id":1}',
      };
      assert.deepEqual(conversationOf({ attributes })!.messages[0].toolCalls, [{ name: 'lookup', arguments: { id: 1 } }]);
    });

    it('falls back to input.value / output.value: text, JSON, and chat-shaped JSON', () => {
      const chain = conversationOf({
        attributes: {
          'openinference.span.kind': 'CHAIN',
          'input.value': 'What is 2+2?',
          'input.mime_type': 'text/plain',
          'output.value': '{"answer": 4}',
          'output.mime_type': 'application/json',
        },
      })!;
      assert.equal(chain.source, 'openinference-io');
      assert.deepEqual(chain.messages, [
        { role: 'input', direction: 'input', parts: [{ type: 'text', text: 'What is 2+2?' }], toolCalls: [] },
        { role: 'output', direction: 'output', parts: [{ type: 'json', value: { answer: 4 } }], toolCalls: [] },
      ]);

      const llm = conversationOf({
        attributes: {
          'input.value': JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
          'input.mime_type': 'application/json',
          'output.value': JSON.stringify({ choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hey' } }] }),
          'output.mime_type': 'application/json',
        },
      })!;
      assert.deepEqual(summary(llm.messages), ['input:user:Hi', 'output:assistant:Hey']);
      assert.equal(llm.messages[1].finishReason, 'stop');
    });

    it('keeps text/plain values that look like JSON as text, and bad JSON as text', () => {
      const conversation = conversationOf({
        attributes: {
          'input.value': '{"not": "parsed"}',
          'input.mime_type': 'text/plain',
          'output.value': '{"broken": ',
          'output.mime_type': 'application/json',
        },
      })!;
      assert.deepEqual(conversation.messages[0].parts, [{ type: 'text', text: '{"not": "parsed"}' }]);
      assert.deepEqual(conversation.messages[1].parts, [{ type: 'text', text: '{"broken": ' }]);
    });

    it('uses input.value only for a direction that has no messages', () => {
      const conversation = conversationOf({
        attributes: {
          'llm.input_messages.0.message.role': 'user',
          'llm.input_messages.0.message.content': 'Hi',
          'input.value': 'raw request',
          'output.value': 'Hello there',
        },
      })!;
      assert.deepEqual(summary(conversation.messages), ['input:user:Hi', 'output:output:Hello there']);
      assert.deepEqual(conversation.sources, ['openinference', 'openinference-io']);
    });

    it('accepts a structured (unflattened) llm.input_messages list', () => {
      const attributes = {
        'llm.input_messages': [{ message: { role: 'user', content: 'structured' } }],
      } as AttributeMap;
      assert.deepEqual(summary(conversationOf({ attributes })!.messages), ['input:user:structured']);
    });
  });

  describe('Respan ingest fields', () => {
    it('reads prompt_messages, completion_message, tools and top-level tool_calls', () => {
      const attributes = {
        prompt_messages: [
          { role: 'system', content: 'Sys' },
          { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] },
        ],
        completion_message: { role: 'assistant', content: null },
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      } as AttributeMap;
      const conversation = conversationOf({ attributes })!;
      assert.equal(conversation.source, 'respan-ingest');
      assert.deepEqual(summary(conversation.messages), ['input:system:Sys', 'input:user:Look|<image>', 'output:assistant:']);
      assert.deepEqual(conversation.messages[2].toolCalls, [{ id: 'c1', name: 'f', arguments: {} }]);
      assert.deepEqual(conversation.tools.map((t) => t.name), ['f']);
    });

    it('accepts the fields as JSON strings and creates an assistant message for bare tool_calls', () => {
      const attributes: Attributes = {
        prompt_messages: JSON.stringify([{ role: 'user', content: 'Call it' }]),
        tool_calls: JSON.stringify([{ id: 'c2', function: { name: 'g', arguments: 'oops{' } }]),
      };
      const conversation = conversationOf({ attributes })!;
      assert.deepEqual(summary(conversation.messages), ['input:user:Call it', 'output:assistant:']);
      assert.deepEqual(conversation.messages[1].toolCalls, [{ id: 'c2', name: 'g', arguments: 'oops{' }]);
    });

    it('reads chat-shaped input/output and falls back to text input/output', () => {
      const chat = conversationOf({
        attributes: {
          input: JSON.stringify([{ role: 'user', content: 'Hi' }]),
          output: JSON.stringify({ role: 'assistant', content: 'Hello' }),
        },
      })!;
      assert.equal(chat.source, 'respan-ingest');
      assert.deepEqual(summary(chat.messages), ['input:user:Hi', 'output:assistant:Hello']);

      const plain = conversationOf({ attributes: { input: 'summarise this', output: { summary: 'short' } } as AttributeMap })!;
      assert.equal(plain.source, 'respan-ingest');
      assert.deepEqual(summary(plain.messages), ['input:input:summarise this', 'output:output:<json>']);
    });

    it('does not merge its tool_calls into messages already carrying calls', () => {
      const attributes = {
        completion_message: { role: 'assistant', tool_calls: [{ id: 'a', function: { name: 'x', arguments: '{}' } }] },
        tool_calls: [{ id: 'b', function: { name: 'y', arguments: '{}' } }],
      } as AttributeMap;
      assert.deepEqual(conversationOf({ attributes })!.messages[0].toolCalls.map((c) => c.id), ['a']);
    });
  });

  describe('entity input/output', () => {
    it('shows chat messages found in an agent span entity input and output', () => {
      const conversation = conversationOf({
        attributes: {
          'traceloop.span.kind': 'agent',
          'traceloop.entity.input': JSON.stringify({ args: [], kwargs: { messages: [{ role: 'user', content: 'plan a trip' }] } }),
          'traceloop.entity.output': JSON.stringify({ role: 'assistant', content: 'Here is a plan' }),
        },
      })!;
      assert.equal(conversation.source, 'entity-io');
      assert.deepEqual(summary(conversation.messages), ['input:user:plan a trip', 'output:assistant:Here is a plan']);
    });

    it('ignores non-chat entity input (shown by entityIO instead)', () => {
      assert.equal(
        conversationOf({ attributes: { 'traceloop.entity.input': '{"args":[1,2],"kwargs":{}}', 'traceloop.entity.output': '3' } }),
        undefined,
      );
    });
  });

  it('returns undefined for a span without any conversation', () => {
    assert.equal(conversationOf({ attributes: { 'http.method': 'GET' }, events: [] }), undefined);
    assert.equal(conversationOf({ attributes: {} }), undefined);
  });

  it('returns a conversation with only tools when only tools are present', () => {
    const conversation = conversationOf({ attributes: { 'llm.request.functions.0.name': 'f' } })!;
    assert.deepEqual(conversation.messages, []);
    assert.equal(conversation.source, 'traceloop');
    assert.deepEqual(conversation.tools.map((t) => t.name), ['f']);
  });

  it('never throws on hostile or odd values', () => {
    const odd: AttributeMap[] = [
      { 'gen_ai.input.messages': 42 },
      { 'gen_ai.input.messages': [null, 7, 'loose text', [1, 2], { parts: 'text-not-array' }] },
      { 'gen_ai.output.messages': { role: 'assistant', parts: [{ type: 'text' }, { type: 'image_url' }, { type: 'tool_call' }] } },
      { 'gen_ai.prompt.0': 'leaf where an object was expected', 'gen_ai.prompt.0.role': 'user' },
      { 'gen_ai.prompt.__proto__.role': 'user', 'gen_ai.prompt.constructor.content': 'x' },
      { 'llm.tools.0.tool.json_schema': '{bad' },
      { prompt_messages: '{"role": "user", "content": ' },
      { 'gen_ai.system_instructions': null, 'gen_ai.tool.definitions': 'nope' },
      { big: 10n ** 30n, 'gen_ai.completion.0.content': 5n },
    ];
    for (const attributes of odd) assert.doesNotThrow(() => conversationOf({ attributes }), JSON.stringify(Object.keys(attributes)));
    assert.doesNotThrow(() => conversationOf({ attributes: {}, events: [{ name: 'gen_ai.choice', attributes: { message: '{' } }] }));

    const mixed = conversationOf({ attributes: odd[1] })!;
    assert.deepEqual(summary(mixed.messages), ['input:user:7', 'input:user:loose text', 'input:user:<json>', 'input:user:text-not-array']);
    const bigints = conversationOf({ attributes: odd[8] })!;
    assert.deepEqual(summary(bigints.messages), ['output:assistant:5']);
    const badTool = conversationOf({ attributes: odd[5] })!;
    assert.deepEqual(badTool.tools, [{ name: '', definition: '{bad' }]);
  });

  it('is deterministic: the same attributes in another key order give the same result', () => {
    const entries: [string, unknown][] = [
      ['gen_ai.prompt.1.content', 'b'],
      ['gen_ai.prompt.0.content', 'a'],
      ['gen_ai.prompt.1.role', 'assistant'],
      ['gen_ai.prompt.0.role', 'user'],
      ['gen_ai.prompt.0.tool_calls.1.name', 't2'],
      ['gen_ai.prompt.0.tool_calls.0.name', 't1'],
    ];
    const forward = conversationOf({ attributes: Object.fromEntries(entries) });
    const backward = conversationOf({ attributes: Object.fromEntries([...entries].reverse()) });
    assert.deepEqual(forward, backward);
    assert.deepEqual(forward!.messages[0].toolCalls.map((c) => c.name), ['t1', 't2']);
  });
});

describe('content and message readers', () => {
  it('reads OpenAI Responses API parts', () => {
    const { parts, toolCalls } = contentToParts([
      { type: 'input_text', text: 'hello' },
      { type: 'input_image', image_url: 'https://img' },
      { type: 'input_file', file_id: 'file-1', filename: 'a.pdf' },
      { type: 'output_text', text: 'answer', annotations: [] },
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'step 1' }, { type: 'summary_text', text: 'step 2' }] },
      { type: 'function_call', call_id: 'fc_1', name: 'f', arguments: '{"x":1}' },
      { type: 'function_call_output', call_id: 'fc_1', output: 'ok' },
      { type: 'refusal', refusal: 'no' },
    ]);
    assert.deepEqual(parts, [
      { type: 'text', text: 'hello' },
      { type: 'image', url: 'https://img' },
      { type: 'media', kind: 'file', modality: 'document', fileId: 'file-1', filename: 'a.pdf' },
      { type: 'text', text: 'answer' },
      { type: 'reasoning', text: 'step 1\nstep 2' },
      { type: 'tool_result', toolCallId: 'fc_1', content: 'ok' },
      { type: 'refusal', text: 'no' },
    ]);
    assert.deepEqual(toolCalls, [{ id: 'fc_1', name: 'f', arguments: { x: 1 } }]);
  });

  it('reads OpenAI chat audio and file parts, and Anthropic documents and redacted thinking', () => {
    const { parts } = contentToParts([
      { type: 'input_audio', input_audio: { data: 'AAAA', format: 'mp3' } },
      { type: 'file', file: { file_data: 'JVBERi0=', filename: 'x.pdf' } },
      { type: 'document', source: { type: 'url', url: 'https://doc.pdf', media_type: 'application/pdf' } },
      { type: 'document', source: { type: 'text', data: 'inline doc' } },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'image', source: { type: 'url', url: 'https://img.png' } },
    ]);
    assert.deepEqual(parts, [
      { type: 'media', kind: 'blob', modality: 'audio', mimeType: 'audio/mp3', data: 'AAAA' },
      { type: 'media', kind: 'blob', modality: 'document', filename: 'x.pdf', data: 'JVBERi0=' },
      { type: 'media', kind: 'uri', modality: 'document', mimeType: 'application/pdf', uri: 'https://doc.pdf' },
      { type: 'text', text: 'inline doc' },
      { type: 'reasoning', text: '', redacted: true },
      { type: 'image', url: 'https://img.png' },
    ]);
  });

  it('reads Gemini parts', () => {
    const { parts, toolCalls } = contentToParts([
      { text: 'thinking...', thought: true },
      { text: 'Hi' },
      { inline_data: { mime_type: 'image/png', data: 'AAA' } },
      { fileData: { mimeType: 'application/pdf', fileUri: 'gs://b/f.pdf' } },
      { functionCall: { name: 'lookup', args: { id: 3 } } },
      { function_response: { name: 'lookup', response: { ok: true } } },
    ]);
    assert.deepEqual(parts, [
      { type: 'reasoning', text: 'thinking...' },
      { type: 'text', text: 'Hi' },
      { type: 'image', url: 'data:image/png;base64,AAA', mimeType: 'image/png' },
      { type: 'media', kind: 'uri', mimeType: 'application/pdf', uri: 'gs://b/f.pdf' },
      { type: 'tool_result', toolCallId: 'lookup', content: { ok: true } },
    ]);
    assert.deepEqual(toolCalls, [{ name: 'lookup', arguments: { id: 3 } }]);
  });

  it('folds role aliases and reads reasoning_content and refusal of OpenAI-compatible messages', () => {
    const message = messageFrom({ role: 'AI', content: 'x', reasoning_content: 'because', refusal: 'partly' }, 'output')!;
    assert.equal(message.role, 'assistant');
    assert.deepEqual(message.parts, [
      { type: 'reasoning', text: 'because' },
      { type: 'text', text: 'x' },
      { type: 'refusal', text: 'partly' },
    ]);
    assert.equal(messageFrom({ role: 'human', content: 'q' }, 'input')!.role, 'user');
    assert.equal(messageFrom({ role: 'model', parts: [{ text: 'a' }] }, 'output')!.role, 'assistant');
    assert.equal(messageFrom({ role: 'function', name: 'f', content: '1' }, 'input')!.role, 'tool');
    assert.equal(messageFrom({ role: 'Developer', content: 'd' }, 'input')!.role, 'developer');
  });

  it('does not duplicate a tool call found both in content blocks and tool_calls', () => {
    const message = messageFrom(
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }],
        tool_calls: [{ id: 't1', function: { name: 'f', arguments: '{}' } }],
      },
      'output',
    )!;
    assert.equal(message.toolCalls.length, 1);
  });

  it('reads tool calls in every shape and rejects empty ones', () => {
    assert.deepEqual(toolCallFrom({ id: 'a', type: 'function', function: { name: 'f', arguments: '{"k":[1]}' } }), {
      id: 'a',
      name: 'f',
      arguments: { k: [1] },
    });
    assert.deepEqual(toolCallFrom({ tool_call: { id: 'b', function: { name: 'g', arguments: 'raw' } } }), { id: 'b', name: 'g', arguments: 'raw' });
    assert.deepEqual(toolCallFrom('{"name":"h","arguments":"{}"}'), { name: 'h', arguments: {} });
    assert.deepEqual(toolCallFrom({ id: 'c', name: 'i' }), { id: 'c', name: 'i', arguments: undefined });
    assert.equal(toolCallFrom({ id: 'only-id' }), undefined);
    assert.equal(toolCallFrom('garbage'), undefined);
  });

  it('reads tool definitions and parses string parameters', () => {
    assert.deepEqual(toolDefinitionFrom({ name: 'f', parameters: '{"type":"object"}' }), {
      name: 'f',
      parameters: { type: 'object' },
      definition: { name: 'f', parameters: '{"type":"object"}' },
    });
  });
});

describe('unflattenIndexed', () => {
  it('rebuilds nested arrays and objects, closing gaps and ignoring non-indexed keys', () => {
    assert.deepEqual(
      unflattenIndexed(
        {
          'p.3.a': 1,
          'p.1.b.0.c': 'x',
          'p.1.b.5.c': 'y',
          'p.other': 'ignored',
          'pp.0.a': 'other prefix',
          p: 'bare key',
        },
        'p',
      ),
      [{ b: [{ c: 'x' }, { c: 'y' }] }, { a: 1 }],
    );
    assert.deepEqual(unflattenIndexed({}, 'p'), []);
  });
});

describe('entityIO', () => {
  it('splits the {args, kwargs} call record of decorated functions', () => {
    const io = entityIO({
      'traceloop.entity.input': '{"args": ["Paris"], "kwargs": {"units": "metric"}}',
      'traceloop.entity.output': '{"temp": 12}',
    })!;
    assert.deepEqual(io.call, { args: ['Paris'], kwargs: { units: 'metric' } });
    assert.deepEqual(io.input, { args: ['Paris'], kwargs: { units: 'metric' } });
    assert.deepEqual(io.output, { temp: 12 });
  });

  it('fills a missing half of the call record and parses quoted string outputs', () => {
    const io = entityIO({ 'traceloop.entity.input': '{"kwargs": {"a": 1}}', 'traceloop.entity.output': '"a joke"' })!;
    assert.deepEqual(io.call, { args: [], kwargs: { a: 1 } });
    assert.equal(io.output, 'a joke');
  });

  it('does not mistake other inputs for a call record, and keeps bad JSON as text', () => {
    const langchain = entityIO({ 'traceloop.entity.input': '{"inputs": {"q": 1}, "tags": [], "kwargs": {}}' })!;
    assert.equal(langchain.call, undefined);
    assert.deepEqual(langchain.input, { inputs: { q: 1 }, tags: [], kwargs: {} });
    assert.equal(langchain.output, undefined);
    assert.equal('output' in langchain, false);

    const bad = entityIO({ 'traceloop.entity.output': '{"unterminated' })!;
    assert.equal(bad.output, '{"unterminated');
    assert.equal('input' in bad, false);

    assert.equal(entityIO({ 'traceloop.entity.input': '{"args": "not a list"}' })!.call, undefined);
    assert.equal(entityIO({ other: 1 }), undefined);
  });
});

describe('requestSettings', () => {
  it('reads gen_ai.request.* and llm.is_streaming, with string and bigint numbers', () => {
    assert.deepEqual(
      requestSettings({
        'gen_ai.request.temperature': 0.7,
        'gen_ai.request.max_tokens': 256n,
        'gen_ai.request.top_p': '0.9',
        'gen_ai.request.stop_sequences': ['\n\n'],
        'gen_ai.request.seed': 42,
        'gen_ai.request.choice.count': 2,
        'llm.is_streaming': true,
      }),
      { temperature: 0.7, maxTokens: 256, topP: 0.9, seed: 42, choiceCount: 2, stopSequences: ['\n\n'], streaming: true },
    );
  });

  it('fills gaps from llm.invocation_parameters and keeps unmapped entries in `other`', () => {
    const settings = requestSettings({
      'gen_ai.request.temperature': 0,
      'llm.invocation_parameters': JSON.stringify({
        temperature: 1,
        max_completion_tokens: 500,
        stream: true,
        stop: 'END',
        reasoning_effort: 'low',
        model: 'gpt-4o',
        response_format: { type: 'json_object' },
      }),
    });
    assert.equal(settings.temperature, 0, 'the span attribute wins, even when it is zero');
    assert.equal(settings.maxTokens, 500);
    assert.equal(settings.streaming, true);
    assert.deepEqual(settings.stopSequences, ['END']);
    assert.equal(settings.reasoningEffort, 'low');
    assert.deepEqual(settings.other, { response_format: { type: 'json_object' } });
  });

  it('reads string booleans, ignores garbage and returns an empty object for none', () => {
    assert.deepEqual(requestSettings({ 'llm.is_streaming': 'false', 'gen_ai.request.temperature': 'hot', 'llm.invocation_parameters': '{bad' }), {
      streaming: false,
    });
    assert.deepEqual(requestSettings({}), {});
  });
});
