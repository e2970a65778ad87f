import * as assert from 'node:assert/strict';
import { respanParamsOf } from '../../src/core/derive';
import type { Attributes, RespanField } from '../../src/core/model';
import { MAX_NESTING_DEPTH, TOO_DEEP } from '../../src/core/nesting';
import { TraceStore } from '../../src/core/store';
import { makeSpan } from '../support/spans';

/** The same attributes with their keys in reverse order. */
function reversed(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attributes).reverse()) out[key] = attributes[key];
  return out;
}

describe('derived fields: customer and thread in every spelling', () => {
  const spellings: Array<[string, RespanField]> = [
    ['traceloop.association.properties.customer_id', 'customerIdentifier'],
    ['traceloop.association.properties.user_id', 'customerIdentifier'],
    ['traceloop.association.properties.customer_identifier', 'customerIdentifier'],
    ['traceloop.association.properties.session_id', 'threadIdentifier'],
    ['traceloop.association.properties.thread_id', 'threadIdentifier'],
    ['gen_ai.conversation.id', 'threadIdentifier'],
    ['session.id', 'threadIdentifier'],
    ['user.id', 'customerIdentifier'],
    ['respan.customer.identifier', 'customerIdentifier'],
    ['respan.thread.id', 'threadIdentifier'],
    ['respan.trace_group.id', 'traceGroupIdentifier'],
    ['respan.sessions.session_identifier', 'threadIdentifier'],
    ['keywordsai.sessions.session_identifier', 'threadIdentifier'],
    ['ai.telemetry.metadata.customer_identifier', 'customerIdentifier'],
    ['ai.telemetry.metadata.thread_identifier', 'threadIdentifier'],
    ['ai.telemetry.metadata.trace_group_identifier', 'traceGroupIdentifier'],
    ['customer_email', 'customerEmail'],
    ['customer_name', 'customerName'],
  ];
  for (const [key, field] of spellings) {
    it(`reads ${key} as ${field} and says so`, () => {
      const params = respanParamsOf({ [key]: 'value-1', unrelated: 'x' });
      assert.equal(params?.[field], 'value-1');
      assert.deepEqual(params?.sources, { [field]: key });
    });
  }

  it('lets a Respan spelling win over another convention, whatever the key order', () => {
    const attributes: Attributes = {
      'user.id': 'oi-user',
      'traceloop.association.properties.user_id': 'tl-user',
      'traceloop.association.properties.customer_id': 'tl-customer',
      'ai.telemetry.metadata.customer_identifier': 'vercel-customer',
      'session.id': 'oi-session',
      'gen_ai.conversation.id': 'conversation',
      'traceloop.association.properties.session_id': 'tl-session',
      'respan.sessions.session_identifier': 'respan-session',
    };
    for (const variant of [attributes, reversed(attributes)]) {
      const params = respanParamsOf(variant)!;
      assert.equal(params.customerIdentifier, 'vercel-customer');
      assert.equal(params.sources?.customerIdentifier, 'ai.telemetry.metadata.customer_identifier');
      assert.equal(params.threadIdentifier, 'respan-session');
    }
    // Among other conventions: Traceloop's customer_id, then user_id, then OpenInference's user.id.
    assert.equal(respanParamsOf({ 'user.id': 'u', 'traceloop.association.properties.user_id': 'tu', 'traceloop.association.properties.customer_id': 'tc' })?.customerIdentifier, 'tc');
    assert.equal(respanParamsOf({ 'user.id': 'u', 'traceloop.association.properties.user_id': 'tu' })?.customerIdentifier, 'tu');
    assert.equal(respanParamsOf({ 'session.id': 's', 'gen_ai.conversation.id': 'c' })?.threadIdentifier, 'c');
    assert.equal(respanParamsOf({ 'session.id': 's', 'traceloop.association.properties.thread_id': 't', 'traceloop.association.properties.session_id': 'ts' })?.threadIdentifier, 't');
    // Respan's own prefix over its names carried anywhere else.
    assert.equal(respanParamsOf({ 'ai.telemetry.metadata.thread_identifier': 'v', 'keywordsai.threads.thread_identifier': 'k', 'respan.thread.id': 'r' })?.threadIdentifier, 'r');
  });

  it('ranks an ingest customer_params object as a Respan spelling: over other conventions, under flat Respan keys', () => {
    assert.deepEqual(respanParamsOf({ 'user.id': 'oi', customer_params: { customer_identifier: 'cp' } }), { customerIdentifier: 'cp', sources: { customerIdentifier: 'customer_params' } });
    assert.equal(respanParamsOf({ customer_identifier: 'flat', customer_params: { customer_identifier: 'cp' } })?.customerIdentifier, 'flat');
  });

  it('reads OpenInference metadata JSON and the rest of the Vercel AI SDK telemetry metadata as metadata', () => {
    assert.deepEqual(respanParamsOf({ metadata: '{"plan":"pro","seats":3}', 'user.id': 'u' })?.metadata, { plan: 'pro', seats: 3 });
    const vercel = respanParamsOf({ 'ai.telemetry.metadata.customer_identifier': 'c', 'ai.telemetry.metadata.plan': 'pro', 'ai.telemetry.metadata.tags': ['a', 'b'], 'ai.telemetry.functionId': 'fn' })!;
    assert.equal(vercel.customerIdentifier, 'c');
    assert.deepEqual(vercel.metadata, { plan: 'pro', tags: ['a', 'b'] });
  });

  it('merges metadata spellings by one rank order, whatever the key order', () => {
    const attributes: Attributes = {
      'ai.telemetry.metadata.a': 'vercel',
      'ai.telemetry.metadata.e': 'vercel-only',
      metadata: { a: 'bare', b: 'bare', d: 'bare-only' },
      'keywordsai.metadata': '{"a":"k-whole","b":"k-whole","c":"k-whole"}',
      'respan.metadata': { a: 'r-whole', c: 'r-whole' },
      'keywordsai.metadata.a': '"k-key"',
      'keywordsai.metadata.b': '"k-key"',
      'respan.metadata.a': '"r-key"',
    };
    for (const variant of [attributes, reversed(attributes)]) {
      assert.deepEqual(respanParamsOf(variant)?.metadata, { a: 'r-key', b: 'k-key', c: 'r-whole', d: 'bare-only', e: 'vercel-only' });
    }
    const hostile = respanParamsOf({ 'respan.metadata.__proto__': '"polluted"' })!;
    assert.equal(Object.getPrototypeOf(hostile.metadata), Object.prototype);
    assert.equal(hostile.metadata!['__proto__'], 'polluted');
  });
});

describe('derived fields: metadata written as JSON text', () => {
  it('decodes values @keywordsai/tracing wrote with JSON.stringify', () => {
    const values = { plan: 'pro', seats: 3, ratio: 0.25, active: true, none: null, tags: ['a', 'b'], limits: { rpm: 60 }, quote: 'say "hi"', unicode: 'naïve ☕' };
    const attributes: Attributes = {};
    for (const [key, value] of Object.entries(values)) attributes[`keywordsai.metadata.${key}`] = JSON.stringify(value);
    assert.deepEqual(respanParamsOf(attributes)?.metadata, values);
    assert.deepEqual(respanParamsOf({ 'respan.metadata.zero': '0' })?.metadata, { zero: 0 });
  });

  it('keeps text that is not exactly what the SDK writes', () => {
    const kept = ['pro', '3.0', '{ "a": 1 }', '12345678901234567890', '"unterminated', ' 3', 'true ', '', '[1,]'];
    const attributes: Attributes = {};
    kept.forEach((text, i) => (attributes[`respan.metadata.k${i}`] = text));
    const metadata = respanParamsOf(attributes)!.metadata!;
    kept.forEach((text, i) => assert.equal(metadata[`k${i}`], text, JSON.stringify(text)));
    // Values that are not text stay as sent; Vercel AI SDK metadata is not JSON-encoded by its SDK.
    assert.deepEqual(respanParamsOf({ 'respan.metadata.n': 7, 'ai.telemetry.metadata.q': '"quoted"' })?.metadata, { n: 7, q: '"quoted"' });
  });

  it('leaves deeply nested JSON values undecoded, and cuts a deep whole metadata object with a marker', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    assert.equal(respanParamsOf({ 'respan.metadata.deep': deep })?.metadata?.deep, deep);
    const cut = JSON.stringify(respanParamsOf({ 'respan.metadata': `{"a":${deep}}` })?.metadata);
    assert.ok(cut.startsWith(`{"a":${'['.repeat(MAX_NESTING_DEPTH - 1)}"${TOO_DEEP}"`), cut.slice(0, 80));
    const shallow = `${'['.repeat(30)}${']'.repeat(30)}`;
    assert.deepEqual(respanParamsOf({ 'respan.metadata.ok': shallow })?.metadata?.ok, JSON.parse(shallow));
  });
});

describe('trace facets and filters from every spelling', () => {
  it('lists and filters traces by customer and thread read from other conventions', () => {
    const store = new TraceStore({ schedule: () => undefined });
    store.add([
      makeSpan({ trace: 'tl', id: 'a', attributes: { 'traceloop.association.properties.user_id': 'acme', 'traceloop.association.properties.session_id': 'sess-1' } }),
      makeSpan({ trace: 'oi', id: 'b', attributes: { 'user.id': 'globex', 'session.id': 'sess-2' } }),
      makeSpan({ trace: 'ge', id: 'c', attributes: { 'gen_ai.conversation.id': 'conv-3', 'respan.customer.identifier': 'initech' } }),
    ]);
    const facets = store.facetValues();
    assert.deepEqual(facets.customers.map((facet) => facet.value).sort(), ['acme', 'globex', 'initech']);
    assert.deepEqual(facets.threads.map((facet) => facet.value).sort(), ['conv-3', 'sess-1', 'sess-2']);
    assert.equal(store.list({ customer: 'globex' }).traces[0]?.traceId, store.list({ thread: 'sess-2' }).traces[0]?.traceId);
    assert.equal(store.list({ customer: 'acme', thread: 'sess-1' }).total, 1);
    assert.equal(store.list({ customer: 'acme', thread: 'sess-2' }).total, 0);
  });
});
