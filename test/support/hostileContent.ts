/**
 * Span content nested far deeper than any reader should follow: a chat user
 * or a model can produce each of these. Every reader must show them cut at a
 * visible marker (or keep them whole, flat) and never overflow the stack.
 */

/** Nesting of the JSON texts below: 15,000 levels, 100–300 KB each. */
export const DEEP_NESTING = 15_000;

/** JSON text of `open`×depth, `inner`, `close`×depth. */
function nested(open: string, inner: string, close: string, depth = DEEP_NESTING): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/**
 * Attributes of an LLM span whose content nests without end, keyed by what
 * each one attacks (string values, as OTLP senders send them).
 */
export const HOSTILE_ATTRIBUTES: Record<string, string> = {
  'llm.request.type': 'chat',
  'gen_ai.system': 'openai',
  'gen_ai.prompt.0.role': 'user',
  'gen_ai.prompt.0.content': 'hello',
  // Unflattening indexed keys: one key of 10,000 dotted segments.
  [`gen_ai.prompt.0.${'a.'.repeat(10_000)}`]: 'deep key',
  'gen_ai.completion.0.role': 'assistant',
  // OpenInference content parts wrapped in `message_content` 15,000 times.
  'gen_ai.completion.0.content': `[${nested('{"message_content":', '{"type":"text","text":"deep part"}', '}')}]`,
  // Tool call arguments parsed from JSON text.
  'gen_ai.completion.0.tool_calls.0.name': 'lookup',
  'gen_ai.completion.0.tool_calls.0.arguments': nested('{"q":', '1', '}'),
  // Entity input/output parsed from JSON text.
  'traceloop.entity.input': nested('[', '"deep input"', ']'),
  'traceloop.entity.output': nested('{"o":', '2', '}'),
  // Respan metadata, parsed at ingest into a derived field.
  'respan.metadata': nested('{"m":', '3', '}'),
};

/** The same content as Respan ingest fields. */
export const HOSTILE_INGEST_FIELDS: Record<string, unknown> = {
  log_type: 'chat',
  prompt_messages: nested('[{"role":"user","content":', '"hi"', '}]'),
  completion_message: JSON.stringify({ role: 'assistant', content: `[${nested('{"message_content":', '{"type":"text","text":"deep part"}', '}')}]` }),
  input: nested('{"i":', '4', '}'),
  metadata: nested('{"m":', '5', '}'),
};
