import { strict as assert } from 'node:assert';
import type { PreparedSpan } from '../../src/core/forward/payload';
import { BatchQueue, type BatchLimits } from '../../src/core/forward/queue';

/** An item of the tests: a name and the bytes it encodes to. */
interface Item {
  name: string;
  bytes: number;
  /** Encodes to nothing (the caller would settle it). */
  unsendable?: boolean;
}

/** What a request body holds besides its spans, as the queue counts it. */
const OVERHEAD = 32;

const LIMITS: BatchLimits = { maxBatchSpans: 3, maxBatchBytes: 1000, maxQueuedSpans: 100, batchDelayMs: 1000 };

function prepare(item: Item): PreparedSpan | undefined {
  if (item.unsendable) return undefined;
  return { traceId: 't', spanId: item.name, json: '{}', resourceJson: '{}', scopeJson: '{}', bytes: item.bytes };
}

function queueOf(limits: Partial<BatchLimits> = {}): { queue: BatchQueue<Item>; clock: { nowMs: number } } {
  const clock = { nowMs: 0 };
  const queue = new BatchQueue<Item>({ keyOf: (item) => item.name, now: () => clock.nowMs, limits: { ...LIMITS, ...limits } });
  return { queue, clock };
}

function items(count: number, bytes = 10, prefix = 's'): Item[] {
  return Array.from({ length: count }, (_, index) => ({ name: `${prefix}${index + 1}`, bytes }));
}

/** Names per batch, taking and finishing batches until the queue is empty. */
function drain(queue: BatchQueue<Item>): string[][] {
  const batches: string[][] = [];
  for (let batch = queue.take(prepare); batch !== undefined; batch = queue.take(prepare)) {
    batches.push(batch.items.map((item) => item.name));
    queue.finish();
  }
  return batches;
}

describe('Batch queue', () => {
  it('cuts batches by span count, in order', () => {
    const { queue } = queueOf();
    for (const item of items(7)) queue.add(item);
    assert.deepEqual(drain(queue), [['s1', 's2', 's3'], ['s4', 's5', 's6'], ['s7']]);
    assert.equal(queue.dueAtMs(0), undefined, 'nothing is left');
  });

  it('cuts batches by bytes, counting the body overhead, and sends a single larger item alone', () => {
    const { queue } = queueOf({ maxBatchSpans: 100, maxBatchBytes: OVERHEAD + 300 });
    for (const item of [...items(3, 100), { name: 'big', bytes: 500 }, ...items(4, 100, 't')]) queue.add(item);
    assert.deepEqual(drain(queue), [['s1', 's2', 's3'], ['big'], ['t1', 't2', 't3'], ['t4']]);
  });

  it('drops items that cannot go from the queue and cuts the batch from the rest', () => {
    const { queue } = queueOf();
    const [a, b, c, d] = items(4);
    for (const item of [a, { ...b, unsendable: true }, c, d]) queue.add(item);
    const batch = queue.take(prepare);
    assert.deepEqual(batch?.items.map((item) => item.name), ['s1', 's3', 's4']);
    assert.deepEqual(batch?.prepared.map((one) => one.spanId), ['s1', 's3', 's4']);
    queue.finish();
    assert.equal(queue.dueAtMs(0), undefined, 'the item that could not go left the queue');
    queue.add({ ...a, unsendable: true });
    assert.equal(queue.take(prepare), undefined, 'nothing could go');
    assert.equal(queue.isSending, false);
    assert.equal(queue.dueAtMs(0), undefined);
  });

  it('keeps one batch in flight and counts it against the bound', () => {
    const { queue } = queueOf({ maxQueuedSpans: 4 });
    const [a, b, c, d, e] = items(5);
    for (const item of [a, b, c, d]) assert.equal(queue.add(item), true);
    assert.equal(queue.add(e), false, 'full');
    assert.deepEqual(queue.take(prepare)?.items, [a, b, c]);
    assert.equal(queue.isSending, true);
    assert.equal(queue.add(e), false, 'the batch in flight still counts');
    queue.finish();
    assert.equal(queue.isSending, false);
    assert.equal(queue.add(e), true);
  });

  it('replaces a waiting item with the same key in its place', () => {
    const { queue } = queueOf();
    for (const item of items(3)) queue.add(item);
    queue.add({ name: 's1', bytes: 20 });
    const batch = queue.take(prepare);
    assert.deepEqual(batch?.prepared.map((one) => [one.spanId, one.bytes]), [['s1', 20], ['s2', 10], ['s3', 10]]);
  });

  it('puts the items to send again back at the front, in batch order, keeping when they were first queued', () => {
    const { queue, clock } = queueOf({ maxBatchSpans: 4 });
    const [a, b, c] = items(3);
    for (const item of [a, b, c]) queue.add(item);
    queue.take(prepare);
    clock.nowMs = 5000;
    const [later] = items(1, 10, 'later');
    queue.add(later);
    queue.finish([c, a]);
    assert.equal(queue.dueAtMs(0), 1000, 'due by the retried items’ first queuing time, not by the later one');
    assert.deepEqual(drain(queue), [['s1', 's3', 'later1']]);
  });

  it('is due when the oldest item has waited the batch delay, at once when full or flushed, never before the given time', () => {
    const { queue, clock } = queueOf();
    assert.equal(queue.dueAtMs(0), undefined, 'nothing waits');
    clock.nowMs = 100;
    queue.add(items(1)[0]);
    clock.nowMs = 600;
    queue.add(items(2)[1]);
    assert.equal(queue.dueAtMs(0), 1100);
    assert.equal(queue.dueAtMs(5000), 5000, 'a backoff goes first');
    queue.add(items(3)[2]);
    assert.equal(queue.dueAtMs(0), 0, 'a full batch goes at once');
    assert.equal(queue.dueAtMs(700), 700);
  });

  it('sends at once after a flush until the queue empties, then waits for batches again', () => {
    const { queue, clock } = queueOf();
    queue.add(items(1)[0]);
    queue.requestFlush();
    assert.equal(queue.dueAtMs(0), 0);
    drain(queue);
    assert.equal(queue.dueAtMs(0), undefined);
    clock.nowMs = 2000;
    queue.add(items(2)[1]);
    assert.equal(queue.dueAtMs(0), 3000, 'the flush ended with the queue');
  });

  describe('after a 413', () => {
    it('lowers the byte limit to the larger half of the refused batch and puts it back in front', () => {
      const { queue } = queueOf({ maxBatchSpans: 100 });
      const refused = [{ name: 'a', bytes: 100 }, { name: 'b', bytes: 300 }, { name: 'c', bytes: 50 }, { name: 'd', bytes: 10 }];
      for (const item of refused) queue.add(item);
      queue.add({ name: 'queued-behind', bytes: 10 });
      const batch = queue.take(prepare)!;
      assert.equal(batch.items.length, 5);
      // Halves: [a, b, c] and [d, queued-behind]: the larger is 32 + 450 bytes.
      assert.equal(queue.finishTooLarge(batch), OVERHEAD + 450);
      assert.deepEqual(drain(queue), [['a', 'b', 'c'], ['d', 'queued-behind']]);
    });

    it('halves again while refused, and never raises the limit', () => {
      const { queue } = queueOf({ maxBatchSpans: 100 });
      for (const item of items(8, 100)) queue.add(item);
      assert.equal(queue.finishTooLarge(queue.take(prepare)!), OVERHEAD + 400);
      assert.equal(queue.finishTooLarge(queue.take(prepare)!), OVERHEAD + 200);
      assert.deepEqual(drain(queue), [['s1', 's2'], ['s3', 's4'], ['s5', 's6'], ['s7', 's8']]);
      const huge = { name: 'huge', bytes: 5000 };
      queue.add(huge);
      const alone = queue.take(prepare)!;
      assert.deepEqual(alone.items, [huge], 'an item over the limit goes alone');
      assert.equal(queue.finishTooLarge(alone), OVERHEAD + 200, 'refusing it does not raise the limit');
    });

    it('lowers only bytes: one oversized item does not shrink later batches to one item', () => {
      const { queue } = queueOf({ maxBatchSpans: 10, maxBatchBytes: 10_000 });
      queue.add({ name: 'huge', bytes: 5000 });
      queue.add({ name: 'small', bytes: 10 });
      assert.equal(queue.finishTooLarge(queue.take(prepare)!), OVERHEAD + 5000);
      for (const item of items(10)) queue.add(item);
      assert.deepEqual(drain(queue), [['huge'], ['small', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'], ['s10']]);
    });

    it('forgets the learned limit when told (another server)', () => {
      const { queue } = queueOf({ maxBatchSpans: 100 });
      for (const item of items(4, 100)) queue.add(item);
      assert.equal(queue.finishTooLarge(queue.take(prepare)!), OVERHEAD + 200);
      queue.forgetLearnedLimit();
      assert.deepEqual(drain(queue), [['s1', 's2', 's3', 's4']], 'one batch again, as before the 413');
    });
  });
});
