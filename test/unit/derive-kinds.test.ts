/**
 * Kind precedence refinements: a span labelled with the generic `task` that
 * executes a tool is a tool; kind tables answer only for their own keys; the
 * OpenInference embedding model.
 */
import { strict as assert } from 'node:assert';
import { deriveFields, displayKindOf } from '../../src/core/derive';

describe('display kind precedence', () => {
  it('makes a `task` that executes a tool (by gen_ai.operation.name or by its name) a tool', () => {
    // What Traceloop's LangChain instrumentation writes for a tool run.
    const langchainTool = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.provider.name': 'langchain', 'traceloop.span.kind': 'task', 'traceloop.entity.name': 'weather' };
    assert.equal(displayKindOf(langchainTool, 'execute_tool weather'), 'tool');
    assert.equal(deriveFields(langchainTool, {}, 'UNSET', [], 'execute_tool weather').displayKind, 'tool');
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'task' }, 'execute_tool weather'), 'tool');
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'task' }, 'execute_tool'), 'tool');
    assert.equal(displayKindOf({ 'respan.entity.log_type': 'task', 'gen_ai.operation.name': 'execute_tool' }), 'tool');
  });

  it('keeps a task a task otherwise, and a more specific label whatever the operation', () => {
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'task' }, 'execute_toolbox.task'), 'task');
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'task', 'gen_ai.operation.name': 'chat' }, 'summarise.task'), 'task');
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'agent', 'gen_ai.operation.name': 'execute_tool' }, 'execute_tool x'), 'agent');
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'workflow' }, 'execute_tool x'), 'workflow');
  });

  it('reads only the kind tables’ own keys (a sender’s `constructor` is no kind)', () => {
    assert.equal(displayKindOf({ 'gen_ai.operation.name': 'constructor' }), 'span');
    assert.equal(displayKindOf({ 'traceloop.span.kind': 'toString', 'gen_ai.operation.name': 'chat' }), 'llm');
    assert.equal(displayKindOf({ 'ai.operationId': '__proto__' }), 'span');
  });
});

describe('OpenInference embeddings', () => {
  it('read their model from embedding.model_name', () => {
    const derived = deriveFields({ 'openinference.span.kind': 'EMBEDDING', 'embedding.model_name': 'text-embedding-3-small', 'llm.system': 'openai' }, {}, 'UNSET', [], 'OpenAI Embeddings');
    assert.equal(derived.displayKind, 'embedding');
    assert.equal(derived.model, 'text-embedding-3-small');
    assert.equal(derived.provider, 'openai');
  });
});
