import assert from 'node:assert/strict';
import { traceQueryToSearch } from '../../src/protocol/query';
import { activeFilterCount, facetChoices, filterChoices, filterTraces, groupTraces, parseDurationInput } from '../../webview/model/traceFilter';
import { BASE_MS, makeSummary } from '../fixtures/webview-traces';

const traces = [
  makeSummary({ traceId: 't1', name: 'joke_workflow', startTimeMs: BASE_MS + 1000, durationMs: 1200, models: ['gpt-4o'], threadIdentifier: 'th-1', customerIdentifier: 'alice' }),
  makeSummary({ traceId: 't2', name: 'chat', startTimeMs: BASE_MS + 3000, durationMs: 80, errorCount: 2, models: ['claude-3'], threadIdentifier: 'th-1', traceGroupIdentifier: 'g' }),
  makeSummary({ traceId: 't3', name: 'GET /health', startTimeMs: BASE_MS + 2000, durationMs: 5, service: 'api', services: ['api'] }),
  makeSummary({ traceId: 't4', name: 'chat', startTimeMs: BASE_MS + 4000, durationMs: 300, threadIdentifier: 'th-2', updatedAtMs: BASE_MS + 9000 }),
];
const ids = (list: { traceId: string }[]) => list.map((t) => t.traceId);

describe('webview trace list filters', () => {
  it('filters by each field', () => {
    assert.deepEqual(ids(filterTraces(traces, { errors: true })), ['t2']);
    assert.deepEqual(ids(filterTraces(traces, { model: 'gpt-4o' })), ['t1']);
    assert.deepEqual(ids(filterTraces(traces, { customer: 'alice' })), ['t1']);
    assert.deepEqual(ids(filterTraces(traces, { thread: 'th-1' })), ['t1', 't2']);
    assert.deepEqual(ids(filterTraces(traces, { traceGroup: 'g' })), ['t2']);
    assert.deepEqual(ids(filterTraces(traces, { service: 'api' })), ['t3']);
    assert.deepEqual(ids(filterTraces(traces, { minDurationMs: 80, maxDurationMs: 300 })), ['t2', 't4']);
    assert.deepEqual(ids(filterTraces(traces, { q: 'JOKE' })), ['t1']);
    assert.deepEqual(ids(filterTraces(traces, { q: 'claude' })), ['t2']);
  });
  it('does not rule traces out by span name: a child span may carry it, and only the server knows', () => {
    assert.equal(filterTraces(traces, { name: 'tool_call' }).length, 4);
  });
  it('leaves the text match to the server when it already applied the same text', () => {
    assert.deepEqual(ids(filterTraces(traces, { q: 'only-in-span-content' })), []);
    assert.deepEqual(ids(filterTraces(traces, { q: 'only-in-span-content' }, { q: 'only-in-span-content' })).length, 4);
  });
  it('leaves every filter the server already applied to the server, and checks only changed ones', () => {
    // The server matched th-9 on a child span; the summary names the root's thread.
    assert.deepEqual(ids(filterTraces(traces, { thread: 'th-9' }, { thread: 'th-9' })).length, 4);
    assert.deepEqual(ids(filterTraces(traces, { customer: 'bob', errors: true }, { customer: 'bob' })), ['t2']);
    assert.deepEqual(ids(filterTraces(traces, { thread: 'th-1' }, { thread: 'th-2' })), ['t1', 't2']);
    assert.deepEqual(ids(filterTraces(traces, { q: ' joke ', errors: false }, { q: 'joke' })).length, 4);
    assert.equal(filterTraces(traces, {}, {}), traces, 'nothing to check: the same array');
  });
  it('groups by thread: newest activity first, conversation order inside, ungrouped last', () => {
    const groups = groupTraces(traces, 'thread');
    assert.deepEqual(
      groups.map((g) => [g.key, ids(g.traces)]),
      [
        ['th-2', ['t4']],
        ['th-1', ['t1', 't2']],
        [null, ['t3']],
      ],
    );
    assert.equal(groups[1].errorCount, 2);
    assert.deepEqual(ids(groupTraces(traces, 'none')[0].traces), ['t4', 't2', 't3', 't1']);
    assert.deepEqual(groupTraces(traces, 'traceGroup').map((g) => g.key), ['g', null]);
  });
  it('collects filter choices with trace counts and counts active filters', () => {
    const choices = filterChoices(traces);
    assert.deepEqual(choices.names, [
      { value: 'chat', traces: 2 },
      { value: 'GET /health', traces: 1 },
      { value: 'joke_workflow', traces: 1 },
    ]);
    assert.deepEqual(choices.models, [
      { value: 'claude-3', traces: 1 },
      { value: 'gpt-4o', traces: 1 },
    ]);
    assert.deepEqual(choices.threads, [
      { value: 'th-1', traces: 2 },
      { value: 'th-2', traces: 1 },
    ]);
    assert.deepEqual(
      choices.services.map((option) => option.value),
      ['api', 'test-service'],
    );
    assert.equal(activeFilterCount({ q: 'x', errors: true, model: 'm', minDurationMs: 0 }), 3);
  });
  it('offers every value of the store facets, sorted by value with numbers in order', () => {
    const facet = (value: string, count: number) => ({ value, traces: count });
    const choices = facetChoices({
      services: [facet('api', 3)],
      models: [facet('gpt-4o', 9), facet('claude-3', 2)],
      customers: [],
      threads: [facet('thread-10', 5), facet('thread-9', 1), facet('thread-only-in-an-old-trace', 1)],
      traceGroups: [facet('g', 1)],
      environments: [facet('prod', 4)],
      names: [facet('chat', 9)],
      runs: [],
    });
    assert.deepEqual(
      choices.threads.map((option) => option.value),
      ['thread-9', 'thread-10', 'thread-only-in-an-old-trace'],
    );
    assert.deepEqual(choices.models, [facet('claude-3', 2), facet('gpt-4o', 9)]);
    assert.deepEqual(choices.customers, []);
    assert.deepEqual(choices.services, [facet('api', 3)]);
    assert.deepEqual(choices.environments, [facet('prod', 4)]);
    assert.deepEqual(choices.names, [facet('chat', 9)]);
  });
  it('parses typed durations', () => {
    assert.equal(parseDurationInput('250'), 250);
    assert.equal(parseDurationInput('1.5s'), 1500);
    assert.equal(parseDurationInput('2m'), 120_000);
    assert.equal(parseDurationInput(''), undefined);
    assert.equal(parseDurationInput('abc'), undefined);
  });
  it('builds the query string of GET /api/traces', () => {
    assert.equal(traceQueryToSearch({}), '');
    assert.equal(
      traceQueryToSearch({ q: ' a&b ', errors: true, model: 'gpt-4o', minDurationMs: 10, limit: 50, customer: '' }),
      '?q=a%26b&errors=1&model=gpt-4o&minDurationMs=10&limit=50',
    );
  });
});
