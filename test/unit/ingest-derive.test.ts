import * as assert from 'node:assert/strict';
import { deriveFields, displayKindOf, respanParamsOf, tokensOf, unitPricesOf } from '../../src/core/derive';
import { decodeIngest, ingestIdToHex, parseIngestTime } from '../../src/core/ingest';
import { MalformedPayloadError } from '../../src/core/model';

describe('Respan ingest decoding', () => {
  const item = {
    trace_unique_id: 'trace-abc',
    span_unique_id: 'span-root',
    span_parent_id: null,
    span_name: 'chat_step',
    log_type: 'chat',
    model: 'gpt-4o',
    provider_id: 'openai',
    prompt_messages: [{ role: 'user', content: 'hi' }],
    completion_message: { role: 'assistant', content: 'hello' },
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    cost: 0.0012,
    start_time: '2025-01-02T03:04:05.123456789Z',
    timestamp: '2025-01-02T03:04:06.123456789Z',
    customer_params: { customer_identifier: 'cus_1', name: 'Ada', email: 'ada@example.com' },
    thread_identifier: 'thr_1',
    trace_group_identifier: 'grp_1',
    metadata: { plan: 'pro' },
    environment: 'staging',
  };

  it('takes a raw array and {"data": [...]} alike', () => {
    assert.equal(decodeIngest([item]).spans.length, 1);
    assert.equal(decodeIngest({ data: [item] }).spans.length, 1);
    assert.throws(() => decodeIngest({ spans: [] }), MalformedPayloadError);
    assert.throws(() => decodeIngest('nope'), /array of spans or \{"data": \[\.\.\.\]\}/);
  });

  it('maps string ids to stable hex ids and keeps the originals as attributes', () => {
    const [first] = decodeIngest([item]).spans;
    const [again] = decodeIngest([item]).spans;
    assert.match(first.traceId, /^[0-9a-f]{32}$/);
    assert.match(first.spanId, /^[0-9a-f]{16}$/);
    assert.equal(first.traceId, again.traceId);
    assert.equal(first.spanId, again.spanId);
    assert.equal(first.parentSpanId, null);
    assert.equal(first.attributes.trace_unique_id, 'trace-abc');
    assert.notEqual(ingestIdToHex('a', 8), ingestIdToHex('b', 8));
    assert.equal(ingestIdToHex('0AF7651916CD43DD8448EB211C80319C', 16), '0af7651916cd43dd8448eb211c80319c');
    assert.equal(ingestIdToHex('123e4567-e89b-12d3-a456-426614174000', 16), '123e4567e89b12d3a456426614174000');
  });

  it('links children to parents by their string ids', () => {
    const child = { trace_unique_id: 'trace-abc', span_unique_id: 'span-child', span_parent_id: 'span-root', span_name: 'tool' };
    const [root, kid] = decodeIngest([item, child]).spans;
    assert.equal(kid.parentSpanId, root.spanId);
    assert.equal(kid.traceId, root.traceId);
  });

  it('reads start_time, timestamp (the end) and latency to the nanosecond', () => {
    const [span] = decodeIngest([item]).spans;
    assert.equal(span.startTimeUnixNano, 1735787045123456789n);
    assert.equal(span.endTimeUnixNano, 1735787046123456789n);
    assert.equal(span.durationMs, 1000);
    const [fromLatency] = decodeIngest([{ trace_unique_id: 't', span_unique_id: 's', timestamp: '2025-01-02T03:04:06Z', latency: 1.5 }]).spans;
    assert.equal(fromLatency.durationMs, 1500);
    assert.equal(fromLatency.endTimeUnixNano, 1735787046000000000n);
    assert.equal(parseIngestTime('2025-01-02T05:04:06+02:00'), 1735787046000000000n);
    assert.equal(parseIngestTime('not a time'), undefined);
  });

  it('derives model, provider, tokens, cost and Respan fields from ingest fields', () => {
    const [span] = decodeIngest([item]).spans;
    assert.equal(span.derived.displayKind, 'llm');
    assert.equal(span.derived.model, 'gpt-4o');
    assert.equal(span.derived.provider, 'openai');
    assert.deepEqual(span.derived.tokens, { input: 10, output: 5, total: 15 });
    assert.equal(span.derived.cost, 0.0012);
    assert.deepEqual(span.derived.respan, {
      customerIdentifier: 'cus_1',
      customerName: 'Ada',
      customerEmail: 'ada@example.com',
      threadIdentifier: 'thr_1',
      traceGroupIdentifier: 'grp_1',
      environment: 'staging',
      metadata: { plan: 'pro' },
      sources: {
        customerIdentifier: 'customer_params',
        customerName: 'customer_params',
        customerEmail: 'customer_params',
        threadIdentifier: 'thread_identifier',
        traceGroupIdentifier: 'trace_group_identifier',
        environment: 'environment',
      },
    });
    assert.equal(span.derived.entityName, 'chat_step');
  });

  it('marks errors from error_bit, status_code and status', () => {
    const spans = decodeIngest([
      { trace_unique_id: 't', span_unique_id: 'a', error_bit: 1, error_message: 'boom' },
      { trace_unique_id: 't', span_unique_id: 'b', status_code: 500 },
      { trace_unique_id: 't', span_unique_id: 'c', status_code: 200 },
    ]).spans;
    assert.deepEqual(spans.map((s) => [s.status.code, s.derived.isError]), [['ERROR', true], ['ERROR', true], ['OK', false]]);
    assert.equal(spans[0].status.message, 'boom');
  });

  it('rejects items without a span id or with bad times, keeping the others', () => {
    const result = decodeIngest([{ trace_unique_id: 't' }, { trace_unique_id: 't', span_unique_id: 's', start_time: 'yesterday' }, item]);
    assert.equal(result.spans.length, 1);
    assert.deepEqual(result.rejected.map((r) => r.reason), ['span_unique_id is required', 'start_time the string "yesterday" is not an RFC3339 time']);
  });
});

describe('derived fields', () => {
  it('picks the display kind by the documented precedence', () => {
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'workflow', 'openinference.span.kind': 'LLM' }), 'workflow');
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'unknown', 'respan.entity.log_type': 'embedding' }), 'embedding');
    assert.equal(displayKindOf({ 'keywordsai.entity.log_type': 'handoff' }), 'handoff');
    assert.equal(displayKindOf({ 'openinference.span.kind': 'RETRIEVER', 'gen_ai.operation.name': 'chat' }), 'retriever');
    assert.equal(displayKindOf({ 'gen_ai.operation.name': 'execute_tool' }), 'tool');
    assert.equal(displayKindOf({ 'llm.request.type': 'rerank' }), 'reranker');
    assert.equal(displayKindOf({ 'gen_ai.system': 'openai' }), 'llm');
    assert.equal(displayKindOf({ 'http.request.method': 'GET' }), 'http');
    assert.equal(displayKindOf({ 'db.system': 'postgresql' }), 'database');
    assert.equal(displayKindOf({}), 'span');
  });

  it('reads tokens under every alias', () => {
    assert.deepEqual(tokensOf({ 'gen_ai.usage.prompt_tokens': 3, 'gen_ai.usage.completion_tokens': 4 }), { input: 3, output: 4, total: 7 });
    assert.deepEqual(tokensOf({ 'llm.token_count.prompt': 10, 'llm.token_count.completion': 2, 'llm.token_count.total': 12, 'llm.token_count.prompt_details.cache_read': 6, 'llm.token_count.prompt_details.cache_write': 1, 'llm.token_count.completion_details.reasoning': 1 }), {
      input: 10,
      output: 2,
      total: 12,
      cacheRead: 6,
      cacheWrite: 1,
      reasoning: 1,
    });
    assert.deepEqual(tokensOf({ 'gen_ai.usage.input_tokens': '8', 'gen_ai.usage.cache_read.input_tokens': 2, 'llm.usage.reasoning_tokens': 5 }), { input: 8, total: 8, cacheRead: 2, reasoning: 5 });
    assert.equal(tokensOf({ unrelated: 1 }), undefined);
  });

  it('keeps a reported cost as reported, and custom unit prices for the estimator', () => {
    const reported = deriveFields({ 'gen_ai.usage.cost': 0.5, prompt_unit_price: 100, 'gen_ai.usage.input_tokens': 1000 }, {}, 'UNSET', []);
    assert.equal(reported.cost, 0.5);
    assert.equal(reported.costSource, 'reported');
    const unitPriced = deriveFields({ 'respan.prompt_unit_price': 3, completion_unit_price: '15', 'gen_ai.usage.input_tokens': 10 }, {}, 'UNSET', []);
    assert.equal(unitPriced.cost, undefined);
    assert.deepEqual(unitPriced.unitPrices, { prompt: 3, completion: 15 });
    assert.deepEqual(unitPricesOf({ completion_unit_price: 2 }), { completion: 2 });
    assert.equal(unitPricesOf({}), undefined);
  });

  it('reads cache and reasoning tokens from Respan ingest usage objects, OpenAI-shaped and Anthropic-shaped', () => {
    assert.deepEqual(tokensOf({ usage: { prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 40 }, completion_tokens_details: { reasoning_tokens: 8 } } }), {
      input: 100,
      output: 20,
      total: 120,
      cacheRead: 40,
      reasoning: 8,
    });
    assert.deepEqual(tokensOf({ usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 30, cache_creation_input_tokens: 60 } }), {
      input: 10,
      output: 5,
      total: 15,
      cacheRead: 30,
      cacheWrite: 60,
    });
    assert.deepEqual(tokensOf({ prompt_tokens: 50, completion_tokens: 5, prompt_cache_hit_tokens: 20, prompt_cache_creation_tokens: 10 }), { input: 50, output: 5, total: 55, cacheRead: 20, cacheWrite: 10 });
  });

  it('reads Respan parameters in all their spellings, legacy prefix included', () => {
    assert.deepEqual(respanParamsOf({ 'keywordsai.customer_params.customer_identifier': 'c1', 'respan.threads.thread_identifier': 't1', 'respan.trace_group_identifier': 'g1', 'respan.span_params.custom_identifier': 'x', 'respan.environment': 'prod' }), {
      customerIdentifier: 'c1',
      threadIdentifier: 't1',
      traceGroupIdentifier: 'g1',
      customIdentifier: 'x',
      environment: 'prod',
      sources: {
        customerIdentifier: 'keywordsai.customer_params.customer_identifier',
        threadIdentifier: 'respan.threads.thread_identifier',
        traceGroupIdentifier: 'respan.trace_group_identifier',
        customIdentifier: 'respan.span_params.custom_identifier',
        environment: 'respan.environment',
      },
    });
    assert.deepEqual(respanParamsOf({ 'respan.customer.identifier': 'c2', 'respan.thread.id': 't2', 'respan.trace_group.id': 'g2' }), {
      customerIdentifier: 'c2',
      threadIdentifier: 't2',
      traceGroupIdentifier: 'g2',
      sources: { customerIdentifier: 'respan.customer.identifier', threadIdentifier: 'respan.thread.id', traceGroupIdentifier: 'respan.trace_group.id' },
    });
    assert.deepEqual(respanParamsOf({ 'traceloop.association.properties.customer_identifier': 'c3' }), {
      customerIdentifier: 'c3',
      sources: { customerIdentifier: 'traceloop.association.properties.customer_identifier' },
    });
    assert.deepEqual(respanParamsOf({ 'respan.metadata': '{"a":1}', 'respan.metadata.b': 'two' }), { metadata: { a: 1, b: 'two' } });
    assert.equal(respanParamsOf({ other: 'x' }), undefined);
  });

  it('reads model, provider, source location and entity fields', () => {
    const derived = deriveFields(
      {
        'llm.model_name': 'claude',
        'llm.provider': 'anthropic',
        'code.filepath': '/app/main.py',
        'code.lineno': 12,
        'code.function': 'run',
        'code.file.path': '/app/new.py',
        'traceloop.entity.name': 'joke',
        'traceloop.entity.path': 'wf',
        'traceloop.workflow.name': 'wf',
      },
      { 'service.name': 'svc' },
      'UNSET',
      [],
    );
    assert.equal(derived.model, 'claude');
    assert.equal(derived.provider, 'anthropic');
    assert.deepEqual(derived.sourceLocation, { filePath: '/app/new.py', line: 12, functionName: 'run' });
    assert.equal(derived.service, 'svc');
    assert.deepEqual([derived.entityName, derived.entityPath, derived.workflowName], ['joke', 'wf', 'wf']);
    assert.equal(derived.isError, false);
  });
});
