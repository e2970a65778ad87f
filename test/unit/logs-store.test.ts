/**
 * Log records in the store: attached to their span as events whether they come
 * before or after it, kept with their trace when they name no span (or a span
 * that has not come), kept among the recent untraced records when they name
 * no trace; bounded like spans and charged to the memory bound.
 */
import * as assert from 'node:assert/strict';
import { conversationOf } from '../../src/core/llm/conversation';
import { MAX_LOG_EVENTS_PER_SPAN } from '../../src/core/logs/attach';
import { LOG_BODY_ATTRIBUTE } from '../../src/core/logs/record';
import { MAX_UNTRACED_LOG_RECORDS } from '../../src/core/logs/held';
import { TraceStore, approxLogRecordBytes, approxSpanBytes, type StoreChange } from '../../src/core/store';
import { traceDetailJson } from '../../src/protocol/serialize';
import { hexId, makeLog, makeSpan } from '../support/spans';

const TRACE = hexId('trace', 32);
const SPAN = hexId('llm', 16);
const MB = 1024 * 1024;

function newStore(options: ConstructorParameters<typeof TraceStore>[0] = {}): TraceStore {
  return new TraceStore({ schedule: () => undefined, ...options });
}

const userMessage = () => makeLog({ span: 'llm', eventName: 'gen_ai.user.message', body: { content: 'What is the weather in Paris?' }, atMs: 1_700_000_000_001 });
const choice = () => makeLog({ span: 'llm', eventName: 'gen_ai.choice', body: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Sunny.' } }, atMs: 1_700_000_000_005 });

describe('log records in the TraceStore', () => {
  it('attaches records that come after their span as events, body in event.body, and the conversation reads them', () => {
    const store = newStore();
    store.add([makeSpan({ id: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } })]);
    store.addLogs([choice(), userMessage()]);
    const span = store.getSpan(TRACE, SPAN)!;
    assert.deepEqual(
      span.events.map((event) => event.name),
      ['gen_ai.user.message', 'gen_ai.choice'],
      'events in time order',
    );
    assert.deepEqual(span.events[0].attributes[LOG_BODY_ATTRIBUTE], { content: 'What is the weather in Paris?' });
    assert.equal(span.events[0].log?.severityNumber, 9);
    const conversation = conversationOf(span)!;
    assert.deepEqual(
      conversation.messages.map((message) => [message.role, message.parts[0]]),
      [
        ['user', { type: 'text', text: 'What is the weather in Paris?' }],
        ['assistant', { type: 'text', text: 'Sunny.' }],
      ],
    );
    assert.equal(store.logRecordCount, 2);
  });

  it('recomputes derived fields from attached records: an exception record makes the span and its trace an error', () => {
    const store = newStore();
    store.add([makeSpan({ id: 'llm' })]);
    assert.equal(store.get(TRACE)!.errorCount, 0);
    store.addLogs([makeLog({ span: 'llm', eventName: 'exception', attributes: { 'exception.type': 'RateLimitError', 'exception.message': '429' } })]);
    assert.equal(store.getSpan(TRACE, SPAN)!.derived.isError, true);
    assert.equal(store.get(TRACE)!.errorCount, 1);
  });

  it('holds records that come before any span of their trace, and attaches them when the span comes', () => {
    const store = newStore();
    store.addLogs([userMessage(), choice()]);
    assert.equal(store.traceCount, 0, 'records alone make no trace in the list');
    assert.equal(store.logRecordCount, 2);
    assert.equal(store.logsOf(TRACE)!.length, 2, 'but they can be listed');
    store.add([makeSpan({ id: 'root' }), makeSpan({ id: 'llm', parent: 'root' })]);
    const span = store.getSpan(TRACE, SPAN)!;
    assert.deepEqual(
      span.events.map((event) => event.name),
      ['gen_ai.user.message', 'gen_ai.choice'],
    );
    assert.equal(conversationOf(span)!.messages.length, 2);
    assert.equal(store.logRecordCount, 2);
    assert.deepEqual(traceDetailJson(store.tree(TRACE)!).logs, [], 'none is left outside its span');
  });

  it('holds records whose span has not come, lists them with the trace, and attaches them when it comes', () => {
    const store = newStore();
    store.add([makeSpan({ id: 'root' })]);
    store.addLogs([userMessage()]);
    const waiting = traceDetailJson(store.tree(TRACE)!).logs;
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0].spanId, SPAN);
    assert.deepEqual(waiting[0].body, { content: 'What is the weather in Paris?' });
    store.add([makeSpan({ id: 'llm', parent: 'root' })]);
    assert.equal(store.getSpan(TRACE, SPAN)!.events.length, 1);
    assert.deepEqual(traceDetailJson(store.tree(TRACE)!).logs, []);
  });

  it('keeps the records attached to a span when the span is sent again', () => {
    const store = newStore();
    store.add([makeSpan({ id: 'llm' })]);
    store.addLogs([userMessage(), choice()]);
    const before = store.approxBytes;
    store.add([makeSpan({ id: 'llm', attributes: { 'gen_ai.request.model': 'gpt-4o' } })]);
    const span = store.getSpan(TRACE, SPAN)!;
    assert.equal(span.derived.model, 'gpt-4o', 'the new version replaced the old');
    assert.equal(span.events.filter((event) => event.log).length, 2);
    assert.equal(store.logRecordCount, 2);
    assert.ok(store.approxBytes > before, 'the attribute the new version added is charged');
  });

  it('keeps records without a span id with their trace, in time order with the others', () => {
    const store = newStore();
    store.add([makeSpan({ id: 'llm' })]);
    store.addLogs([makeLog({ span: null, body: 'request handled', atMs: 1_700_000_000_009 }), userMessage()]);
    assert.deepEqual(
      traceDetailJson(store.tree(TRACE)!).logs.map((record) => record.body),
      ['request handled'],
    );
    assert.deepEqual(
      store.logsOf(TRACE)!.map((record) => record.spanId),
      [SPAN, null],
    );
  });

  it('keeps the most recent records without a trace id, and counts every one', () => {
    const store = newStore();
    const extra = 5;
    store.addLogs(Array.from({ length: MAX_UNTRACED_LOG_RECORDS + extra }, (_, i) => makeLog({ trace: null, body: `line ${i}` })));
    const { records, received } = store.untracedLogs();
    assert.equal(received, MAX_UNTRACED_LOG_RECORDS + extra);
    assert.equal(records.length, MAX_UNTRACED_LOG_RECORDS);
    assert.equal(records[0].body, `line ${extra}`);
    assert.equal(store.logRecordCount, MAX_UNTRACED_LOG_RECORDS);
  });

  it('attaches at most MAX_LOG_EVENTS_PER_SPAN records to a span and counts the rest as dropped events', () => {
    const store = newStore();
    store.add([makeSpan({ id: 'llm' })]);
    store.addLogs(Array.from({ length: MAX_LOG_EVENTS_PER_SPAN + 3 }, (_, i) => makeLog({ span: 'llm', body: `line ${i}` })));
    const span = store.getSpan(TRACE, SPAN)!;
    assert.equal(span.events.length, MAX_LOG_EVENTS_PER_SPAN);
    assert.equal(span.droppedEventsCount, 3);
    assert.equal(store.logRecordCount, MAX_LOG_EVENTS_PER_SPAN);
  });

  it('bounds log records like spans: past maxLogRecords (default maxSpans) the least recently updated trace goes, records and all', () => {
    const store = newStore({ maxSpans: 10 });
    store.add([makeSpan({ trace: 'one', id: 'a' })]);
    store.addLogs(Array.from({ length: 6 }, () => makeLog({ trace: 'one', span: null })));
    store.add([makeSpan({ trace: 'two', id: 'a' })]);
    store.addLogs(Array.from({ length: 6 }, () => makeLog({ trace: 'two', span: 'a' })));
    assert.deepEqual(
      [...store.entries()].map((entry) => entry.traceId),
      [hexId('two', 32)],
    );
    assert.equal(store.logRecordCount, 6);
    store.setLimits({ maxLogRecords: 3 });
    assert.equal(store.traceCount, 0);
    assert.equal(store.logRecordCount, 0);
  });

  it('charges records to the memory bound and uncharges them exactly, before, after and without their span', () => {
    const store = newStore();
    const body = { content: 'x'.repeat(100_000) };
    store.addLogs([makeLog({ span: 'llm', body })]);
    const early = store.approxBytes;
    assert.ok(early >= 100_000 && early === approxLogRecordBytes(makeLog({ span: 'llm', body })), `an early record costs ${early}`);
    store.add([makeSpan({ id: 'llm' })]);
    const attached = store.approxBytes;
    assert.ok(attached > approxSpanBytes(makeSpan({ id: 'llm' })) + 100_000, 'the attached body is charged with the span');
    store.addLogs([makeLog({ span: null, body }), makeLog({ span: 'later', body })]);
    assert.ok(store.approxBytes >= attached + 200_000);
    store.delete(TRACE);
    assert.equal(store.approxBytes, 0);
    assert.equal(store.logRecordCount, 0);
    store.addLogs([makeLog({ trace: 'early', span: 'x', body }), makeLog({ trace: null, body })]);
    assert.ok(store.approxBytes >= 200_000);
    store.clear();
    assert.equal(store.approxBytes, 0);
    assert.equal(store.logRecordCount, 0);
  });

  it('evicts early records with the memory bound, least recently updated first, among traces', () => {
    let now = 0;
    const store = newStore({ maxBytes: 3 * MB, nowMs: () => ++now });
    const big = () => ({ document: 'd'.repeat(MB) });
    store.add([makeSpan({ trace: 'old', id: 'a', attributes: big() })]);
    for (const trace of ['e1', 'e2', 'e3']) store.addLogs([makeLog({ trace, span: 'a', body: big() })]);
    assert.ok(store.approxBytes <= 3 * MB);
    assert.equal(store.get(hexId('old', 32)), undefined, 'the older trace went first');
    assert.equal(store.logsOf(hexId('e1', 32)), undefined, 'then the oldest early records');
    assert.equal(store.logsOf(hexId('e3', 32))!.length, 1);
    store.add([makeSpan({ trace: 'e3', id: 'a' })]);
    assert.equal(store.getSpan(hexId('e3', 32), hexId('a', 16))!.events.length, 1, 'the early record joined its span');
    assert.ok(store.approxBytes <= 3 * MB);
  });

  it('tells listeners a trace changed when records attach to it', () => {
    const changes: StoreChange[] = [];
    const store = newStore();
    store.onChange((change) => changes.push(change));
    store.add([makeSpan({ id: 'llm' })]);
    store.flush();
    store.addLogs([userMessage()]);
    store.flush();
    assert.deepEqual(changes[1].updated, [TRACE]);
  });
});
