import { strict as assert } from 'node:assert';
import { ForwardLedger, type LedgerOptions, type SpanRecord } from '../../src/core/forward/ledger';
import { SecretScrubber } from '../../src/core/forward/secrets';
import type { Span } from '../../src/core/model';
import { fspan, fspans, traceIdOf } from '../support/forwardSpans';

const KEY = 'rk_ledger_SECRET_77aa88bb99cc';
const AT = Date.UTC(2025, 0, 1);

function ledgerOf(options: Partial<LedgerOptions> = {}): ForwardLedger {
  const scrubber = new SecretScrubber();
  scrubber.add(KEY);
  return new ForwardLedger({ scrub: (text) => scrubber.scrub(text), keepFailedSpans: false, encode: (span) => JSON.stringify({ name: span.name, attributes: span.attributes }), ...options });
}

/** Takes a new span through queue → sending → sent. */
function sendOnce(ledger: ForwardLedger, span: Span): SpanRecord {
  const record = ledger.create(span);
  ledger.queued(record, span);
  ledger.sending(record);
  ledger.sent(record, JSON.stringify({ name: span.name, attributes: span.attributes }), AT);
  return record;
}

describe('Forwarding ledger', () => {
  it('counts each span in exactly one state as it moves', () => {
    const ledger = ledgerOf();
    const [a, b] = fspans(2);
    const recordA = ledger.create(a);
    const recordB = ledger.create(b);
    ledger.queued(recordA, a);
    ledger.queued(recordB, b);
    assert.deepEqual(ledger.counts(), { pending: 2, sending: 0, sent: 0, failed: 0, skipped: 0 });
    ledger.sending(recordA);
    ledger.sending(recordB);
    assert.deepEqual(ledger.counts(), { pending: 0, sending: 2, sent: 0, failed: 0, skipped: 0 });
    ledger.sent(recordA, '{}', AT);
    ledger.fail(recordB, 'rejected', 'Respan answered 400 Bad Request');
    assert.deepEqual(ledger.counts(), { pending: 0, sending: 0, sent: 1, failed: 1, skipped: 0 });
    assert.deepEqual(ledger.spanStatus(a.traceId, a.spanId), { traceId: a.traceId, spanId: a.spanId, state: 'sent', attempts: 1, sentAtMs: AT });
    assert.deepEqual(ledger.spanStatus(b.traceId, b.spanId), {
      traceId: b.traceId,
      spanId: b.spanId,
      state: 'failed',
      reason: 'Respan answered 400 Bad Request',
      failure: 'rejected',
      attempts: 1,
    });
    assert.equal(ledger.spanStatus(traceIdOf(9), b.spanId), undefined);
  });

  it('counts a request as an attempt unless told it does not count', () => {
    const ledger = ledgerOf();
    const span = fspan({ span: 1 });
    const record = ledger.create(span);
    ledger.queued(record, span);
    ledger.sending(record);
    ledger.waiting(record, 'waiting to retry: 503');
    ledger.sending(record);
    ledger.uncountAttempt(record);
    ledger.waiting(record, 'waiting to be sent in a smaller batch: 413');
    assert.equal(record.attempts, 1);
    ledger.resetAttempts(record);
    assert.equal(ledger.spanStatus(span.traceId, span.spanId)?.attempts, 0);
  });

  it('never lets a span Respan accepted go again on its own; a changed one is marked, a resend asked for goes', () => {
    const ledger = ledgerOf();
    const record = sendOnce(ledger, fspan({ span: 1, name: 'v1' }));
    assert.equal(ledger.reconsider(record, fspan({ span: 1, name: 'v1' }), 'auto', false), 'declined');
    assert.equal(record.changedSinceSent, undefined, 'the same content is a plain duplicate');
    assert.equal(ledger.reconsider(record, fspan({ span: 1, name: 'v1' }), 'manual', false), 'declined');
    assert.equal(ledger.reconsider(record, fspan({ span: 1, name: 'v2' }), 'auto', false), 'declined');
    assert.equal(record.changedSinceSent, true);
    assert.equal(ledger.traceStatus(traceIdOf(1)).changedSinceSent, 1);
    assert.equal(ledger.spanStatus(record.traceId, record.spanId)?.changedSinceSent, true);
    assert.equal(ledger.reconsider(record, fspan({ span: 1, name: 'v2' }), 'manual', true), 'enqueue');
    assert.equal(record.changedSinceSent, undefined, 'a resend clears the mark');
    assert.equal(record.state, 'sent', 'the caller queues it');
  });

  it('replaces the queued copy of a span that arrives again before it is sent', () => {
    const ledger = ledgerOf();
    const first = fspan({ span: 1, name: 'first' });
    const record = ledger.create(first);
    ledger.queued(record, first);
    const second = fspan({ span: 1, name: 'second' });
    assert.equal(ledger.reconsider(record, second, 'auto', false), 'on-its-way');
    assert.equal(record.span, second);
    assert.equal(ledger.counts().pending, 1);
  });

  it('keeps a version that arrives while the span is being sent, for a retry, or only to compare after acceptance', () => {
    const ledger = ledgerOf();
    const v1 = fspan({ span: 1, name: 'v1' });
    const v2 = fspan({ span: 1, name: 'v2' });
    const retried = ledger.create(v1);
    ledger.queued(retried, v1);
    ledger.sending(retried);
    assert.equal(ledger.reconsider(retried, v2, 'auto', false), 'on-its-way');
    assert.equal(ledger.reconsider(retried, v2, 'manual', false), 'declined', 'a manual forward finds it on its way');
    ledger.waiting(retried, 'waiting to retry: 503');
    assert.equal(retried.span, v2, 'the retry sends the newest version');

    const accepted = ledgerOf();
    const record = accepted.create(v1);
    accepted.queued(record, v1);
    accepted.sending(record);
    accepted.reconsider(record, v2, 'auto', false);
    accepted.sent(record, JSON.stringify({ name: v1.name, attributes: v1.attributes }), AT);
    assert.equal(record.changedSinceSent, true, 'what Respan got is older than what was captured');
    assert.equal(record.span, undefined, 'nothing is held after acceptance');
  });

  it('sends a failed span again only when asked, keeping its newest version when it cannot be found again', () => {
    for (const keepFailedSpans of [true, false]) {
      const ledger = ledgerOf({ keepFailedSpans });
      const v1 = fspan({ span: 1, name: 'v1' });
      const record = ledger.create(v1);
      ledger.queued(record, v1);
      ledger.sending(record);
      ledger.fail(record, 'retries-exhausted', 'gave up');
      assert.equal(record.span, keepFailedSpans ? v1 : undefined);
      const v2 = fspan({ span: 1, name: 'v2' });
      assert.equal(ledger.reconsider(record, v2, 'auto', false), 'declined');
      assert.equal(record.span, keepFailedSpans ? v2 : undefined);
      assert.equal(ledger.reconsider(record, v2, 'manual', false), 'enqueue');
    }
  });

  it('lets a skipped span be queued when it comes again', () => {
    const ledger = ledgerOf();
    const span = fspan({ span: 1 });
    const record = ledger.create(span);
    ledger.queued(record, span);
    ledger.skip(record, 'left out by the "sdk" filter');
    assert.equal(record.span, undefined);
    assert.equal(ledger.traceStatus(traceIdOf(1)).state, 'skipped');
    assert.equal(ledger.reconsider(record, span, 'auto', false), 'enqueue');
  });

  it('counts spans that overflowed the queue until they move on or are forgotten', () => {
    const ledger = ledgerOf();
    const [a, b] = fspans(2);
    const recordA = ledger.create(a);
    const recordB = ledger.create(b);
    ledger.fail(recordA, 'queue-full', 'queue full', a);
    ledger.fail(recordB, 'queue-full', 'queue full', b);
    assert.equal(ledger.overflowed, 2);
    ledger.queued(recordA, a);
    assert.equal(ledger.overflowed, 1);
    ledger.forget([traceIdOf(1)]);
    assert.equal(ledger.overflowed, 0);
    assert.deepEqual(ledger.counts(), { pending: 1, sending: 0, sent: 0, failed: 0, skipped: 0 });
  });

  it('sums a trace by its most pressing state and lists at most 20 failures', () => {
    const ledger = ledgerOf();
    const spans = fspans(25);
    const records = spans.map((span) => ledger.create(span));
    const stateOf = () => ledger.traceStatus(traceIdOf(1)).state;
    records.forEach((record, index) => ledger.skip(record, `filtered ${index}`));
    assert.equal(stateOf(), 'skipped');
    ledger.queued(records[0], spans[0]);
    ledger.sending(records[0]);
    ledger.sent(records[0], '{}', AT);
    assert.equal(stateOf(), 'sent');
    ledger.queued(records[1], spans[1]);
    assert.equal(stateOf(), 'pending');
    ledger.sending(records[1]);
    assert.equal(stateOf(), 'sending');
    for (const record of records.slice(2)) ledger.fail(record, 'rejected', `refused ${record.spanId}`);
    const trace = ledger.traceStatus(traceIdOf(1));
    assert.equal(trace.state, 'failed');
    assert.deepEqual(trace.counts, { pending: 0, sending: 1, sent: 1, failed: 23, skipped: 0 });
    assert.equal(trace.failures.length, 20);
    assert.deepEqual(trace.failures[0], { spanId: records[2].spanId, reason: `refused ${records[2].spanId}` });
    assert.deepEqual(ledger.traceStatus(traceIdOf(2)), { traceId: traceIdOf(2), state: 'none', counts: { pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0 }, failures: [], changedSinceSent: 0 });
    assert.deepEqual(ledger.traceStates(), { [traceIdOf(1)]: 'failed' });
    assert.equal(ledger.spanStatuses(traceIdOf(1)).length, 25);
  });

  it('forgets finished spans but keeps those still to be delivered', () => {
    const ledger = ledgerOf();
    const [sent, pending, sending] = fspans(3);
    sendOnce(ledger, sent);
    ledger.queued(ledger.create(pending), pending);
    const inFlight = ledger.create(sending);
    ledger.queued(inFlight, sending);
    ledger.sending(inFlight);
    ledger.takeTouched();
    ledger.forget([traceIdOf(1)]);
    assert.equal(ledger.spanStatus(sent.traceId, sent.spanId), undefined);
    assert.equal(ledger.spanStatus(pending.traceId, pending.spanId)?.state, 'pending');
    assert.equal(ledger.spanStatus(sending.traceId, sending.spanId)?.state, 'sending');
    assert.deepEqual(ledger.counts(), { pending: 1, sending: 1, sent: 0, failed: 0, skipped: 0 });
    assert.deepEqual(ledger.takeTouched(), [traceIdOf(1)]);
  });

  it('names the traces whose spans changed since it was last asked', () => {
    const ledger = ledgerOf();
    const one = fspan({ trace: 1, span: 1 });
    const two = fspan({ trace: 2, span: 1 });
    ledger.queued(ledger.create(one), one);
    ledger.queued(ledger.create(two), two);
    assert.deepEqual(ledger.takeTouched().sort(), [traceIdOf(1), traceIdOf(2)]);
    assert.deepEqual(ledger.takeTouched(), []);
    ledger.sending(ledger.get(one.traceId, one.spanId)!);
    assert.deepEqual(ledger.takeTouched(), [traceIdOf(1)]);
  });

  it('says whether spans are still to be delivered, overall and per trace', () => {
    const ledger = ledgerOf();
    const one = fspan({ trace: 1, span: 1 });
    const two = fspan({ trace: 2, span: 1 });
    sendOnce(ledger, one);
    assert.equal(ledger.unsettled(), false);
    const record = ledger.create(two);
    ledger.queued(record, two);
    assert.equal(ledger.unsettled(), true);
    assert.equal(ledger.unsettled([traceIdOf(1)]), false);
    assert.equal(ledger.unsettled([traceIdOf(1), traceIdOf(2)]), true);
  });

  it('finds failed spans by trace and by cause', () => {
    const ledger = ledgerOf();
    const spans = [fspan({ trace: 1, span: 1 }), fspan({ trace: 1, span: 2 }), fspan({ trace: 2, span: 1 })];
    const [auth, rejected, other] = spans.map((span) => ledger.create(span));
    ledger.fail(auth, 'auth', 'the key is wrong');
    ledger.fail(rejected, 'rejected', '400');
    ledger.fail(other, 'auth', 'the key is wrong');
    assert.deepEqual(ledger.failed((record) => record.failure === 'auth'), [auth, other]);
    assert.deepEqual(ledger.failed(() => true, [traceIdOf(1)]), [auth, rejected]);
  });

  it('hides the key in every reason it keeps', () => {
    const ledger = ledgerOf();
    const [a, b] = fspans(2);
    const failed = ledger.create(a);
    ledger.fail(failed, 'rejected', `Respan answered 400: bad key ${KEY}`);
    const waiting = ledger.create(b);
    ledger.queued(waiting, b);
    ledger.sending(waiting);
    ledger.waiting(waiting, `waiting to retry: upstream saw ${KEY.slice(3)}`);
    const shown = JSON.stringify([ledger.spanStatuses(traceIdOf(1)), ledger.traceStatus(traceIdOf(1))]);
    assert.ok(shown.includes('[api key hidden]'));
    assert.ok(!shown.includes(KEY.slice(3, 11)), shown);
  });
});
