import { strict as assert } from 'node:assert';
import { checkApiKey, checkBaseUrl, endpointUrl, ForwardConfigError } from '../../src/core/forward/destination';
import { applyFilter, respanSdkPromotesToRoot, respanSdkWouldSend } from '../../src/core/forward/filter';
import { encodeIngestSpan, formatRfc3339, ingestIdsOf } from '../../src/core/forward/ingestEncode';
import { PayloadBuilder, previewForward, utf8Length } from '../../src/core/forward/payload';
import { compileRedaction, REDACTED, redactSpan } from '../../src/core/forward/redact';
import { backoffDelay, parseRetryAfter, serverMessage } from '../../src/core/forward/retry';
import { SecretScrubber } from '../../src/core/forward/secrets';
import { decodeIngest } from '../../src/core/ingest';
import type { Span } from '../../src/core/model';
import { decodeOtlpJson } from '../../src/core/otlp/json';
import { DEFAULT_SCOPE, fspan, spanIdOf, traceIdOf } from '../support/forwardSpans';

const OTLP = { api: 'otlp' as const, filter: 'all' as const, redact: [] };

describe('forwarding destination', () => {
  it('accepts https anywhere and normalises the base URL', () => {
    assert.equal(checkBaseUrl('https://api.respan.ai/api/'), 'https://api.respan.ai/api');
    assert.equal(checkBaseUrl('HTTPS://API.Respan.ai:8443/api'), 'https://api.respan.ai:8443/api');
    assert.equal(endpointUrl('https://api.respan.ai/api', 'otlp'), 'https://api.respan.ai/api/v2/traces');
    assert.equal(endpointUrl('https://api.respan.ai/api', 'ingest'), 'https://api.respan.ai/api/v1/traces/ingest');
  });

  it('refuses plain http to anything but a loopback address', () => {
    // Names under .localhost are resolved through DNS by Node: the key would go wherever DNS points.
    for (const url of ['http://api.respan.ai/api', 'http://10.0.0.5:8080/api', 'http://127.evil.example/api', 'http://[::2]/api', 'http://x.localhost/api', 'http://api.localhost:4318/api', 'http://localhost./api']) {
      assert.throws(() => checkBaseUrl(url), (error: unknown) => error instanceof ForwardConfigError && /refusing to send the Respan API key over plain http/.test(error.message), url);
    }
    for (const url of ['http://127.0.0.1:4318/api', 'http://localhost:9/api', 'http://[::1]:80/api', 'http://[::ffff:127.0.0.1]/api', 'http://127.1.2.3/api']) {
      assert.doesNotThrow(() => checkBaseUrl(url), url);
    }
  });

  it('rejects URLs with user info, query, fragment or another scheme', () => {
    for (const url of ['https://user:pw@api.respan.ai/api', 'https://api.respan.ai/api?x=1', 'https://api.respan.ai/api#x', 'ftp://api.respan.ai', 'api.respan.ai/api', 'https://api.respan.ai:99999/api']) {
      assert.throws(() => checkBaseUrl(url), ForwardConfigError, url);
    }
  });

  it('rejects keys that would break the Authorization header, without repeating them', () => {
    assert.equal(checkApiKey('  rk_abc  '), 'rk_abc');
    for (const key of ['', '   ', 'rk_abc\r\nX-Evil: 1', 'rk abc', 'rk_ü']) {
      assert.throws(
        () => checkApiKey(key),
        (error: unknown) => error instanceof ForwardConfigError && (key.trim() === '' || !error.message.includes(key.trim())),
      );
    }
  });
});

describe('forwarding filter', () => {
  const marked = (attributes: Span['attributes']) => fspan({ span: 2, parent: 1, attributes });

  it('sends what the Respan SDK would send under "sdk"', () => {
    assert.ok(respanSdkWouldSend(marked({ 'traceloop.span.kind': 'task', 'traceloop.entity.path': 'a' })));
    assert.ok(respanSdkWouldSend(marked({ 'traceloop.entity.path': 'joke.create' })));
    assert.ok(respanSdkWouldSend(marked({ 'llm.request.type': 'chat' })));
    assert.ok(respanSdkWouldSend(marked({ 'gen_ai.operation.name': 'chat' })));
    assert.ok(respanSdkWouldSend(marked({ 'gen_ai.system': 'openai' })));
    assert.ok(!respanSdkWouldSend(marked({ 'http.method': 'GET' })));
    assert.ok(!respanSdkWouldSend(marked({ 'traceloop.entity.path': '' })));
    assert.ok(!respanSdkWouldSend(marked({ 'gen_ai.system': '' })));
  });

  it('sends ingest spans under "sdk": ingest exporters send every span', () => {
    const [span] = decodeIngest([{ trace_unique_id: 't', span_unique_id: 's' }]).spans;
    assert.ok(respanSdkWouldSend(span));
    assert.equal(applyFilter(span, 'sdk'), span);
  });

  it('promotes decorated spans with an empty entity path to roots, in a copy', () => {
    const workflow = marked({ 'traceloop.span.kind': 'workflow', 'traceloop.entity.path': '' });
    assert.ok(respanSdkPromotesToRoot(workflow));
    const sent = applyFilter(workflow, 'sdk');
    assert.equal(sent?.parentSpanId, null);
    assert.equal(workflow.parentSpanId, spanIdOf(1), 'the captured span keeps its parent');
    const task = marked({ 'traceloop.span.kind': 'task', 'traceloop.entity.path': 'wf' });
    assert.equal(applyFilter(task, 'sdk')?.parentSpanId, spanIdOf(1));
    const llm = marked({ 'llm.request.type': 'chat' });
    assert.equal(applyFilter(llm, 'sdk')?.parentSpanId, spanIdOf(1), 'only decorated spans are promoted');
  });

  it('leaves everything alone under "all"', () => {
    const workflow = marked({ 'traceloop.span.kind': 'workflow' });
    assert.equal(applyFilter(workflow, 'all'), workflow);
    const http = marked({ 'http.method': 'GET' });
    assert.equal(applyFilter(http, 'all'), http);
    assert.equal(applyFilter(http, 'sdk'), null);
  });
});

describe('forwarding redaction', () => {
  it('matches exact keys, globs and regular expressions', () => {
    const redactor = compileRedaction(['user.email', 'gen_ai.prompt.*.content', '/token|secret/i', '  ']);
    assert.deepEqual(redactor.rules, ['user.email', 'gen_ai.prompt.*.content', '/token|secret/i']);
    assert.ok(redactor.matches('user.email'));
    assert.ok(redactor.matches('USER.EMAIL'), 'exact keys ignore case');
    assert.ok(!redactor.matches('user.emails'));
    assert.ok(redactor.matches('gen_ai.prompt.0.content'));
    assert.ok(redactor.matches('gen_ai.prompt.12.content'));
    assert.ok(!redactor.matches('gen_ai.prompt.0.role'));
    assert.ok(redactor.matches('http.request.header.x-api-TOKEN'));
    assert.ok(redactor.matches('client_secret'));
    assert.ok(compileRedaction(['a?c']).matches('abc'));
    assert.ok(!compileRedaction(['a?c']).matches('abbc'));
    assert.ok(compileRedaction([]).empty);
  });

  it('rejects an invalid regular expression by name', () => {
    assert.throws(() => compileRedaction(['/(unclosed/']), (error: unknown) => error instanceof ForwardConfigError && error.message.includes('/(unclosed/'));
    assert.throws(() => compileRedaction(['/x/g']), ForwardConfigError);
  });

  it('blanks span, event, link, resource and scope attributes and nested paths, without touching the original', () => {
    const resource = { 'service.name': 'svc', 'deployment.secret': 'r-secret' };
    const scope = { name: 's', attributes: { 'scope.secret': 'sc-secret' } };
    const span = fspan({
      span: 1,
      resource,
      scope,
      attributes: {
        'user.email': 'ada@example.com',
        keep: 'visible',
        metadata: { api_key: 'nested-secret', other: 1, list: [{ api_key: 'deep' }] },
        ['__proto__']: 'proto-value',
      },
      events: [{ name: 'e', timeUnixNano: 1n, attributes: { 'user.email': 'event-email', fine: true } }],
      links: [{ traceId: traceIdOf(2), spanId: spanIdOf(3), attributes: { 'user.email': 'link-email' } }],
    });
    Object.defineProperty(span.attributes, '__proto__', { value: 'proto-value', enumerable: true, writable: true, configurable: true });
    const redactor = compileRedaction(['user.email', '*secret', '*api_key', '__proto__']);
    const out = redactSpan(span, redactor);
    assert.equal(out.attributes['user.email'], REDACTED);
    assert.equal(out.attributes.keep, 'visible');
    assert.deepEqual(out.attributes.metadata, { api_key: REDACTED, other: 1, list: [{ api_key: REDACTED }] });
    assert.equal(Object.getOwnPropertyDescriptor(out.attributes, '__proto__')?.value, REDACTED);
    assert.equal(out.events[0].attributes['user.email'], REDACTED);
    assert.equal(out.events[0].attributes.fine, true);
    assert.equal(out.links[0].attributes['user.email'], REDACTED);
    assert.deepEqual(out.resource, { 'service.name': 'svc', 'deployment.secret': REDACTED });
    assert.deepEqual(out.scope.attributes, { 'scope.secret': REDACTED });
    // The captured span is untouched.
    assert.equal(span.attributes['user.email'], 'ada@example.com');
    assert.equal(resource['deployment.secret'], 'r-secret');
    assert.equal(span.events[0].attributes['user.email'], 'event-email');
    assert.equal((span.attributes.metadata as Record<string, unknown>).api_key, 'nested-secret');
  });

  it('returns the span itself when nothing matches', () => {
    const span = fspan({ span: 1, attributes: { a: 1 } });
    assert.equal(redactSpan(span, compileRedaction(['b'])), span);
    assert.equal(redactSpan(span, compileRedaction([])), span);
  });
});

describe('forwarding payloads', () => {
  it('encodes OTLP/JSON grouped by resource and scope, preserving every attribute', () => {
    const otherResource = { 'service.name': 'other', 'host.name': 'h' };
    const otherScope = { name: 'other-scope', attributes: { 'scope.attr': 'x' } };
    const spans = [
      fspan({ span: 1, attributes: { big: 2n ** 62n, ratio: 0.5, flag: true, list: ['a', 1], map: { k: 'v' }, none: null } }),
      fspan({ span: 2, parent: 1, scope: otherScope }),
      fspan({ span: 3, resource: otherResource }),
      fspan({ span: 4, parent: 1 }),
    ];
    const builder = new PayloadBuilder(OTLP);
    const body = builder.body(spans.map((span) => builder.prepare(span)!));
    const parsed = JSON.parse(body);
    assert.equal(parsed.resourceSpans.length, 2);
    assert.equal(parsed.resourceSpans[0].scopeSpans.length, 2);
    assert.deepEqual(
      parsed.resourceSpans[0].scopeSpans[0].spans.map((span: { spanId: string }) => span.spanId),
      [spanIdOf(1), spanIdOf(4)],
    );
    assert.equal(parsed.resourceSpans[0].scopeSpans[0].scope.version, DEFAULT_SCOPE.version);
    const bigValue = parsed.resourceSpans[0].scopeSpans[0].spans[0].attributes.find((kv: { key: string }) => kv.key === 'big').value;
    assert.deepEqual(bigValue, { intValue: (2n ** 62n).toString() });

    // Decoding the body gives back the same spans.
    const decoded = decodeOtlpJson(parsed);
    assert.equal(decoded.rejected.length, 0);
    const byId = new Map(decoded.spans.map((span) => [span.spanId, span]));
    for (const span of spans) {
      const back = byId.get(span.spanId)!;
      assert.deepEqual(back.attributes, span.attributes);
      assert.deepEqual(back.resource, span.resource);
      assert.equal(back.scope.name, span.scope.name);
      assert.deepEqual(back.scope.attributes, span.scope.attributes);
      assert.equal(back.parentSpanId, span.parentSpanId);
      assert.equal(back.startTimeUnixNano, span.startTimeUnixNano);
      assert.equal(back.endTimeUnixNano, span.endTimeUnixNano);
    }
  });

  it('counts bytes as UTF-8 and bounds each span by its size with resource and scope', () => {
    assert.equal(utf8Length('aé€😀'), 1 + 2 + 3 + 4);
    const builder = new PayloadBuilder(OTLP);
    const prepared = builder.prepare(fspan({ span: 1, attributes: { text: '€'.repeat(100) } }))!;
    assert.ok(prepared.bytes >= utf8Length(builder.body([prepared])) - 64);
  });

  it('round-trips ingest spans through the ingest encoder with their original ids and fields', () => {
    const original = [
      {
        trace_unique_id: 'trace-abc',
        span_unique_id: 'root-1',
        span_parent_id: null,
        span_name: 'workflow',
        log_type: 'workflow',
        start_time: '2025-01-01T10:00:00.123456Z',
        timestamp: '2025-01-01T10:00:02.000001Z',
        customer_identifier: 'cus_1',
        metadata: { plan: 'pro' },
      },
      {
        trace_unique_id: 'trace-abc',
        span_unique_id: 'child-2',
        span_parent_id: 'root-1',
        span_name: 'llm',
        log_type: 'chat',
        model: 'gpt-4o',
        prompt_messages: [{ role: 'user', content: 'hi' }],
        completion_message: { role: 'assistant', content: 'hello' },
        usage: { prompt_tokens: 3, completion_tokens: 2 },
        start_time: '2025-01-01T10:00:00.500000Z',
        timestamp: '2025-01-01T10:00:01.500000Z',
      },
    ];
    const spans = decodeIngest(original).spans;
    const encoded = spans.map((span) => encodeIngestSpan(span, ingestIdsOf(span)));
    assert.equal(encoded[0].trace_unique_id, 'trace-abc');
    assert.equal(encoded[0].span_unique_id, 'root-1');
    assert.equal(encoded[0].span_parent_id, null);
    assert.equal(encoded[1].span_parent_id, 'root-1');
    for (let i = 0; i < original.length; i++) {
      for (const [key, value] of Object.entries(original[i])) assert.deepEqual(encoded[i][key], value, `${key} of span ${i}`);
    }
    const again = decodeIngest(encoded).spans;
    assert.deepEqual(
      again.map((span) => [span.traceId, span.spanId, span.parentSpanId, span.startTimeUnixNano, span.endTimeUnixNano]),
      spans.map((span) => [span.traceId, span.spanId, span.parentSpanId, span.startTimeUnixNano, span.endTimeUnixNano]),
    );
    assert.deepEqual(again[1].attributes, spans[1].attributes);
  });

  it("sends an ingest child's original parent id even when the parent was never captured", () => {
    const [child] = decodeIngest([
      { trace_unique_id: 'conv-7', span_unique_id: 'tool-3', span_parent_id: 'agent-run-1', span_name: 'search', log_type: 'tool', start_time: '2025-01-01T10:00:00.000000Z', timestamp: '2025-01-01T10:00:01.000000Z' },
    ]).spans;
    assert.notEqual(child.parentSpanId, null);
    const out = encodeIngestSpan(child, ingestIdsOf(child));
    assert.equal(out.span_parent_id, 'agent-run-1');
    const [root] = decodeIngest([{ trace_unique_id: 'conv-7', span_unique_id: 'agent-run-1', span_parent_id: null, span_name: 'agent' }]).spans;
    assert.equal(encodeIngestSpan(root, ingestIdsOf(root)).span_parent_id, null);
  });

  it('maps OTLP spans onto ingest fields', () => {
    const span = fspan({
      span: 7,
      parent: 1,
      name: 'openai.chat',
      attributes: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 11,
        'gen_ai.usage.output_tokens': 7,
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Tell me a joke',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Knock knock',
        'traceloop.workflow.name': 'jokes',
        'respan.customer_params.customer_identifier': 'cus_9',
      },
    });
    const out = encodeIngestSpan(span, ingestIdsOf(span));
    assert.equal(out.trace_unique_id, traceIdOf(1));
    assert.equal(out.span_unique_id, spanIdOf(7));
    assert.equal(out.span_parent_id, spanIdOf(1));
    assert.equal(out.span_name, 'openai.chat');
    assert.equal(out.log_type, 'chat');
    assert.equal(out.model, 'gpt-4o-mini');
    assert.equal(out.provider_id, 'openai');
    assert.deepEqual(out.usage, { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    assert.equal(out.span_workflow_name, 'jokes');
    assert.equal(out.customer_identifier, 'cus_9');
    assert.deepEqual(out.prompt_messages, [{ role: 'user', content: 'Tell me a joke' }]);
    assert.deepEqual(out.completion_message, { role: 'assistant', content: 'Knock knock' });
    assert.equal(out.start_time, '2025-01-01T00:00:00.000123Z');
    assert.equal(out.timestamp, '2025-01-01T00:00:00.005123Z');
    assert.equal(out.latency, 0.005);
    assert.equal(out.status_code, 200);
    // And it is a valid ingest span for our own decoder.
    const back = decodeIngest([out]);
    assert.equal(back.rejected.length, 0);
    assert.equal(back.spans[0].spanId, span.spanId);
  });

  it('formats RFC3339 with microseconds', () => {
    assert.equal(formatRfc3339(1_735_689_600_000_000_000n + 1_234_567n), '2025-01-01T00:00:00.001234Z');
    assert.equal(formatRfc3339(0n), '1970-01-01T00:00:00.000000Z');
  });

  it('previews exactly the body that would be sent, redaction and filter applied, key hidden', () => {
    const spans = [fspan({ span: 1, attributes: { 'gen_ai.system': 'openai', 'user.email': 'a@b.c' } }), fspan({ span: 2, attributes: { 'http.method': 'GET' } })];
    const builder = new PayloadBuilder({ api: 'otlp', filter: 'sdk', redact: ['user.email'] });
    const preview = previewForward(spans, builder, 'https://api.respan.ai/api');
    assert.equal(preview.url, 'https://api.respan.ai/api/v2/traces');
    assert.equal(preview.spanCount, 1);
    assert.equal(preview.skippedCount, 1);
    assert.equal(preview.headers.Authorization, 'Bearer [api key hidden]');
    const sentBody = builder.body([builder.prepare(spans[0])!]);
    assert.deepEqual(preview.body, JSON.parse(sentBody));
    assert.ok(!JSON.stringify(preview.body).includes('a@b.c'));
    assert.equal(preview.bytes, utf8Length(sentBody));
  });

  it('sends ingest bodies as a raw JSON array', () => {
    const builder = new PayloadBuilder({ api: 'ingest', filter: 'all', redact: [] });
    const body = JSON.parse(builder.body([builder.prepare(fspan({ span: 1 }))!, builder.prepare(fspan({ span: 2 }))!]));
    assert.ok(Array.isArray(body));
    assert.equal(body.length, 2);
  });
});

describe('forwarding retry policy', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 12:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 11:00:00 GMT', now), 0, 'a past date means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it('backs off exponentially with jitter inside [half, full] of the step, capped', () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    assert.equal(backoffDelay(1, policy, () => 0), 500);
    assert.equal(backoffDelay(1, policy, () => 0.999999), 999.9995);
    assert.equal(backoffDelay(3, policy, () => 0), 2000);
    assert.equal(backoffDelay(20, policy, () => 0), 30_000);
    assert.ok(backoffDelay(20, policy, () => 0.999999) <= 60_000);
  });

  it('finds the server message in the usual error shapes', () => {
    assert.equal(serverMessage('{"code":3,"message":"bad span"}'), 'bad span');
    assert.equal(serverMessage('{"detail":"Invalid API key"}'), 'Invalid API key');
    assert.equal(serverMessage('{"error":{"message":"nested"}}'), 'nested');
    assert.equal(serverMessage('plain  text\nbody'), 'plain text body');
    assert.equal(serverMessage(''), '');
    assert.ok(serverMessage('x'.repeat(2000)).length <= 501);
  });

  it('scrubs known keys and bearer tokens', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('rk_live_123');
    assert.equal(scrubber.scrub('key rk_live_123 and rk_live_123'), 'key [api key hidden] and [api key hidden]');
    assert.equal(scrubber.scrub('Authorization: Bearer abc.def'), 'Authorization: Bearer [api key hidden]');
  });

  it('scrubs any run of 8 or more characters of a key: prefixes, suffixes and middles left by a cut anywhere', () => {
    const key = 'sk-test-SECRET0123456789';
    const scrubber = new SecretScrubber();
    scrubber.add(key);
    const cases: Array<[string, string]> = [
      [`cut here: ${key.slice(0, 9)}…`, 'cut here: [api key hidden]…'],
      [`${key.slice(0, 8)}`, '[api key hidden]'],
      [`…${key.slice(-8)} was refused`, '…[api key hidden] was refused'],
      [`middle ${key.slice(5, 17)} end`, 'middle [api key hidden] end'],
      [`two ${key} and ${key}${key}`, 'two [api key hidden] and [api key hidden]'],
      [`${key.slice(0, 7)} is only the public prefix`, 'sk-test is only the public prefix'],
      ['nothing to hide here', 'nothing to hide here'],
    ];
    for (const [text, expected] of cases) assert.equal(scrubber.scrub(text), expected, text);
  });

  it('keeps hiding a replaced key, and hides a key shorter than 8 characters whole', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('rk_old_key_1234');
    scrubber.add('rk_new_key_5678');
    scrubber.add('short');
    assert.equal(scrubber.scrub('rk_old_key_12… rk_new_key_5… short'), '[api key hidden]… [api key hidden]… [api key hidden]');
  });
});
