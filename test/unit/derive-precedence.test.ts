import * as assert from 'node:assert/strict';
import { deriveFields, displayKindOf, respanParamsOf, sourceLocationOf, tokensOf } from '../../src/core/derive';
import type { Attributes } from '../../src/core/model';

/** The same attributes with their keys in reverse order. */
function reversed(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attributes).reverse()) out[key] = attributes[key];
  return out;
}

describe('derived fields: alias precedence', () => {
  it('skips an alias whose value is empty or not usable and takes the next one', () => {
    const attributes = { model: 'm-last', 'gen_ai.request.model': 'm-second', 'gen_ai.response.model': '' };
    assert.equal(deriveFields(attributes, {}, 'UNSET', []).model, 'm-second');
    assert.equal(deriveFields({ 'llm.model_name': 5, model: 'x' }, {}, 'UNSET', []).model, '5');
    assert.deepEqual(tokensOf({ 'gen_ai.usage.input_tokens': 'abc', 'llm.token_count.prompt': 4, prompt_tokens: 9 }), { input: 4, total: 4 });
    assert.deepEqual(tokensOf({ prompt_tokens: 9, 'gen_ai.usage.prompt_tokens': ' ', 'llm.usage.prompt_tokens': Infinity }), { input: 9, total: 9 });
  });

  it('does not depend on the order of the attribute keys', () => {
    const attributes: Attributes = {
      provider: 'p-last',
      'gen_ai.system': 'p-second',
      'gen_ai.provider.name': 'p-first',
      'code.filepath': '/old.py',
      'code.file.path': '/new.py',
      'code.lineno': 1,
      'code.line.number': 2,
      span_name: 'bare',
      'respan.entity.name': 'respan',
      'traceloop.entity.name': 'traceloop',
      customer_identifier: 'bare',
      'respan.customer_params.customer_identifier': 'first',
    };
    for (const variant of [attributes, reversed(attributes)]) {
      const derived = deriveFields(variant, {}, 'UNSET', []);
      assert.equal(derived.provider, 'p-first');
      assert.deepEqual(derived.sourceLocation, { filePath: '/new.py', line: 2 });
      assert.equal(derived.entityName, 'traceloop');
      assert.equal(derived.respan?.customerIdentifier, 'first');
    }
  });

  it('falls to the next convention, not the next alias, when a display kind value is unknown', () => {
    assert.equal(displayKindOf({ log_type: 'chat', 'respan.entity.log_type': 'weird', 'gen_ai.operation.name': 'execute_tool' }), 'tool');
    assert.equal(displayKindOf({ 'openinference.span.kind': 'llm' }), 'llm');
    assert.equal(displayKindOf({ 'db.system': null }), 'database');
    assert.equal(displayKindOf({ 'messaging.system': 'kafka', 'url.full': 'http://x' }), 'http');
  });

  it('merges whole and per-key Respan metadata, the newer spelling winning', () => {
    const params = respanParamsOf({
      metadata: { a: 1, c: 3 },
      'keywordsai.metadata': '{"a":2,"b":2}',
      'respan.metadata': { a: 3 },
      'keywordsai.metadata.c': 'k',
      'respan.metadata.d': 'r',
    });
    assert.deepEqual(params, { metadata: { a: 3, b: 2, c: 'k', d: 'r' } });
    assert.equal(respanParamsOf({ 'respan.metadata': '{not json' }), undefined);
  });

  it('reads customer parameters from a customer_params object or JSON text', () => {
    assert.deepEqual(respanParamsOf({ customer_params: '{"customer_identifier":"c","email":"e@x"}' }), {
      customerIdentifier: 'c',
      customerEmail: 'e@x',
      sources: { customerIdentifier: 'customer_params', customerEmail: 'customer_params' },
    });
    assert.equal(respanParamsOf({ customer_params: { name: 'only a name' } }), undefined);
    assert.deepEqual(respanParamsOf({ customer_params: { customer_identifier: 'c' }, 'respan.customer.identifier': 'wins' }), {
      customerIdentifier: 'wins',
      sources: { customerIdentifier: 'respan.customer.identifier' },
    });
  });

  it('keeps exported helpers consistent when called one after another', () => {
    assert.deepEqual(sourceLocationOf({ 'code.filepath': '/a.py', 'code.function': 'f', 'code.namespace': 'ns', 'code.column': '7' }), {
      filePath: '/a.py',
      column: 7,
      functionName: 'f',
      namespace: 'ns',
    });
    assert.equal(sourceLocationOf({ 'code.lineno': 3 }), undefined);
    assert.equal(tokensOf({}), undefined);
  });
});
