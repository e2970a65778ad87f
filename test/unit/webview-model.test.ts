import assert from 'node:assert/strict';
import { TOO_DEEP } from '../../src/core/nesting';
import { attributeGroupOf, groupAttributes, parseJsonString } from '../../webview/model/attributes';
import { formatCost, formatCount, formatDateTime, formatDuration, formatSpans, formatTick } from '../../webview/model/format';
import { detectImportFormat, summarizeImport } from '../../webview/model/importFormat';
import { SpanSearch, errorSpans, matchPosition, stepMatch } from '../../webview/model/search';
import { niceStep, timeTicks } from '../../webview/model/ticks';
import { buildTraceIndex } from '../../webview/model/traceIndex';
import { makeTrace } from '../fixtures/webview-traces';

describe('webview formatting', () => {
  it('formats durations compactly', () => {
    assert.equal(formatDuration(0), '0ms');
    assert.equal(formatDuration(0.4567), '0.46ms');
    assert.equal(formatDuration(12.34), '12.3ms');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(1250), '1.25s');
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(125_000), '2m 05s');
    assert.equal(formatDuration(3_720_000), '1h 02m');
  });
  it('formats ticks by their step', () => {
    assert.equal(formatTick(0, 100), '0');
    assert.equal(formatTick(200, 100), '200ms');
    assert.equal(formatTick(0.5, 0.5), '0.5ms');
    assert.equal(formatTick(1500, 500), '1500ms');
    assert.equal(formatTick(2000, 1000), '2s');
    assert.equal(formatTick(2500, 2500), '2.5s');
  });
  it('formats counts and money', () => {
    assert.equal(formatCount(950), '950');
    assert.equal(formatCount(12_345), '12.3k');
    assert.equal(formatCount(1_200_000), '1.2M');
    assert.equal(formatCost(1.234), '$1.23');
    assert.equal(formatCost(0.0123), '$0.0123');
    assert.equal(formatCost(0.00042), '$0.00042');
    assert.deepEqual([0, 1, 2, 100_000].map(formatSpans), ['0 spans', '1 span', '2 spans', '100,000 spans']);
  });
  it('writes a date and time of day with milliseconds, in local time', () => {
    const at = new Date(2026, 11, 3, 4, 5, 6, 7).getTime();
    assert.equal(formatDateTime(at), '2026-12-03 04:05:06.007');
  });
});

describe('webview time ticks', () => {
  it('picks 1/2/5 steps that keep ticks apart', () => {
    assert.equal(niceStep(0.7), 1);
    assert.equal(niceStep(13), 20);
    assert.equal(niceStep(300), 500);
    assert.equal(niceStep(70_000), 120_000);
    const { stepMs, ticks } = timeTicks(1000, 800, 80);
    assert.equal(stepMs, 100);
    assert.deepEqual(ticks, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    const narrow = timeTicks(1000, 200, 80);
    assert.equal(narrow.stepMs, 500);
    assert.ok(narrow.ticks.every((t) => t <= 1000));
  });
  it('survives empty axes', () => {
    assert.deepEqual(timeTicks(0, 500).ticks, [0]);
  });
});

describe('webview find in trace', () => {
  const trace = makeTrace([
    { id: 'r', start: 0, duration: 10, name: 'root' },
    { id: 'a', parent: 'r', start: 1, duration: 2, name: 'fetch user', attributes: { 'http.url': 'https://x/users/42' } },
    { id: 'b', parent: 'r', start: 4, duration: 2, name: 'call model', error: true, attributes: { 'gen_ai.prompt.0.content': 'Tell me a JOKE' } },
    { id: 'c', parent: 'b', start: 5, duration: 1, name: 'joke tool', error: true },
  ]);
  const index = buildTraceIndex(trace);
  const id = (i: number) => index.spanId[i];

  it('finds spans by name and attribute values, case-insensitively, in tree order', () => {
    const search = new SpanSearch(index);
    assert.deepEqual(Array.from(search.find('joke'), id), ['b', 'c']);
    assert.deepEqual(Array.from(search.find('users/42'), id), ['a']);
    assert.deepEqual(Array.from(search.find('  '), id), []);
  });
  it('steps through matches and errors with wrap-around', () => {
    const errors = errorSpans(index);
    assert.deepEqual(Array.from(errors, id), ['b', 'c']);
    const at = (s: string) => index.byId.get(s)!;
    assert.equal(id(stepMatch(index, errors, -1, 1)), 'b');
    assert.equal(id(stepMatch(index, errors, at('b'), 1)), 'c');
    assert.equal(id(stepMatch(index, errors, at('c'), 1)), 'b');
    assert.equal(id(stepMatch(index, errors, at('b'), -1)), 'c');
    assert.equal(id(stepMatch(index, errors, at('a'), 1)), 'b', 'from a non-match, the next one after it');
    assert.equal(id(stepMatch(index, errors, at('a'), -1)), 'c', 'backwards from a, wrapping');
    assert.equal(matchPosition(index, errors, at('c')), 1);
    assert.equal(matchPosition(index, errors, at('a')), -1);
    assert.equal(stepMatch(index, new Int32Array(0), -1, 1), -1);
  });
});

describe('webview attribute grouping', () => {
  it('sorts attributes into groups', () => {
    assert.equal(attributeGroupOf('respan.threads.thread_identifier'), 'respan');
    assert.equal(attributeGroupOf('keywordsai.customer_params.customer_identifier'), 'respan');
    assert.equal(attributeGroupOf('traceloop.association.properties.user'), 'respan');
    assert.equal(attributeGroupOf('gen_ai.prompt.0.content'), 'llm');
    assert.equal(attributeGroupOf('llm.token_count.prompt'), 'llm');
    assert.equal(attributeGroupOf('traceloop.entity.input'), 'entity');
    assert.equal(attributeGroupOf('input.value'), 'entity');
    assert.equal(attributeGroupOf('code.file.path'), 'code');
    assert.equal(attributeGroupOf('http.request.method'), 'http');
    assert.equal(attributeGroupOf('something.else'), 'other');
    const groups = groupAttributes({ 'z.other': 1, 'gen_ai.system': 'openai', 'code.lineno': 3, 'a.other': 2 });
    assert.deepEqual(
      groups.map((g) => [g.id, g.entries.map(([k]) => k)]),
      [
        ['llm', ['gen_ai.system']],
        ['code', ['code.lineno']],
        ['other', ['a.other', 'z.other']],
      ],
    );
  });
  it('recognises JSON objects and arrays hidden in strings only', () => {
    assert.deepEqual(parseJsonString(' {"args":[1],"kwargs":{}}'), { args: [1], kwargs: {} });
    assert.deepEqual(parseJsonString('[1,2]'), [1, 2]);
    assert.equal(parseJsonString('42'), undefined);
    assert.equal(parseJsonString('{not json'), undefined);
    assert.equal(parseJsonString('"quoted"'), undefined);
    assert.equal(parseJsonString(12), undefined);
  });
  it('cuts JSON in strings that nests without end at a visible marker', () => {
    const parsed = parseJsonString(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`);
    assert.ok(JSON.stringify(parsed).includes(TOO_DEEP));
  });
});

describe('webview import format', () => {
  it('recognises OTLP JSON and Respan ingest JSON', () => {
    const otlp = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'AB', spanId: '1' }, { traceId: 'ab', spanId: '2' }, { traceId: 'cd' }] }] }] });
    assert.deepEqual(detectImportFormat(otlp), { format: 'otlp-json' });
    assert.deepEqual(summarizeImport(otlp, 'otlp-json'), { spanCount: 3, traceIds: ['ab', 'cd'] });
    const snake = JSON.stringify({ resource_spans: [{ scope_spans: [{ spans: [{ trace_id: 'ef' }] }] }] });
    assert.deepEqual(summarizeImport(snake, 'otlp-json'), { spanCount: 1, traceIds: ['ef'] });
    const ingest = JSON.stringify([{ trace_unique_id: 't1', span_unique_id: 's1' }, { trace_unique_id: 't1', span_unique_id: 's2' }]);
    assert.deepEqual(detectImportFormat(ingest), { format: 'respan-ingest' });
    assert.deepEqual(summarizeImport(ingest, 'respan-ingest'), { spanCount: 2, traceIds: ['t1'] });
    assert.deepEqual(detectImportFormat(JSON.stringify({ data: [] })), { format: 'respan-ingest' });
  });
  it('explains what it refuses', () => {
    for (const text of ['nope', '[]', '{"foo":1}', '[{"a":1}]', '{"trace_unique_id":"t","span_unique_id":"s"}']) {
      const result = detectImportFormat(text);
      assert.ok('error' in result && result.error.length > 10, text);
    }
  });
});

