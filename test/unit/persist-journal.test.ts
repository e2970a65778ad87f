/**
 * The on-disk journal: record framing, torn tails, damage, compaction, the
 * disk limit, the folder lock, and replay giving back exactly the store that
 * was journaled (replaced spans, pins, deletes, clears, evictions, times and
 * eviction order included).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import type { Span } from '../../src/core/model';
import { DEFAULT_DECODE_LIMITS } from '../../src/core/otlp/common';
import { decodeSpanSource, type SpanSource } from '../../src/core/spanSource';
import { TraceStore } from '../../src/core/store';
import { crc32Portable } from '../../src/server/persist/crc32';
import { defaultDataDir } from '../../src/server/persist/dataDir';
import { InspectorService } from '../../src/core/service/inspectorService';
import { nodeTimers } from '../../src/server/forwarding';
import { openPersistence, type Persistence } from '../../src/server/persist/diskJournal';
import { FRAME_HEADER_BYTES, bufferSource, readFrames, type FrameDamage, type FrameRecord } from '../../src/server/persist/frames';
import { decodeRecord, encodeRecord } from '../../src/server/persist/records';
import { encodeExportRequestProto } from '../../src/core/otlp/proto';
import { randomOtlpRequest, seededRandom, toProtoObject } from '../fixtures/otlp';
import { nextTurn } from '../../src/server/turns';
import { largeTraceRequests } from '../browser/support';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'respan-journal-'));
  tempDirs.push(dir);
  return dir;
}

/** A store with a controllable clock and no timers. */
function newStore(limits: { maxSpans?: number; maxTraces?: number; maxBytes?: number } = {}): { store: TraceStore; clock: { now: number } } {
  const clock = { now: 1_800_000_000_000 };
  return { store: new TraceStore({ ...limits, schedule: () => undefined, nowMs: () => clock.now }), clock };
}

interface Opened {
  persistence: Persistence;
  messages: string[];
}

/** Opens the journal and waits for its replay to end. */
async function open(store: TraceStore, dataDir: string, maxDiskBytes = 1024 * 1024 * 1024): Promise<Opened> {
  const messages: string[] = [];
  const persistence = openPersistence(store, { dataDir, maxDiskBytes, limits: DEFAULT_DECODE_LIMITS, log: (_level, message) => messages.push(message) });
  await persistence.replayed;
  return { persistence, messages };
}

/** Everything about a store that must survive a restart, traces in eviction order. */
function describe_(store: TraceStore) {
  return [...store.entries()].map((entry) => ({
    traceId: entry.traceId,
    pinned: entry.pinned,
    updatedAtMs: entry.updatedAtMs,
    spans: [...entry.spans.values()].sort((a, b) => (a.spanId < b.spanId ? -1 : 1)),
  }));
}

function otlpSource(request: unknown, receivedAtMs: number): SpanSource {
  return { format: 'otlp-json', bytes: Buffer.from(JSON.stringify(request)), receivedAtMs };
}

/** An OTLP/JSON request of one span of its own trace, the `i`th. */
function oneTraceRequest(i: number) {
  return {
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: `${i}`.padStart(32, 'a'), spanId: `${i}`.padStart(16, 'b'), name: `span ${i}`, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000' }] }] }],
  };
}

function protobufSource(request: Record<string, unknown>, receivedAtMs: number): SpanSource {
  return { format: 'otlp-protobuf', bytes: Buffer.from(encodeExportRequestProto(toProtoObject(request))), receivedAtMs };
}

/** Adds the spans of a request body as a receiver does: decoded, with the body for the journal. */
function receive(store: TraceStore, source: SpanSource): Span[] {
  const spans = decodeSpanSource(source, DEFAULT_DECODE_LIMITS).spans;
  store.add(spans, { source });
  return spans;
}

function ingestBody(random: () => number, count: number): SpanSource {
  const traceId = `trace-${Math.floor(random() * 1e9)}`;
  const items = Array.from({ length: count }, (_, i) => ({
    trace_unique_id: traceId,
    span_unique_id: `${traceId}-span-${i}`,
    span_parent_id: i === 0 ? undefined : `${traceId}-span-0`,
    span_name: `ingest ${i}`,
    customer_identifier: 'cus_1',
    model: 'gpt-4o',
    prompt_tokens: 10 + i,
    metadata: { nested: { list: [1, null, 'x'] } },
    // Some spans carry no time: they are placed at the time the body arrived.
    ...(i % 2 === 0 ? { start_time: '2025-01-01T00:00:00Z', latency: 1.5 } : {}),
  }));
  return { format: 'respan-ingest-json', bytes: Buffer.from(JSON.stringify(items)), receivedAtMs: 1_800_000_000_123 + count };
}

function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

function logFile(dir: string): string {
  const logs = files(dir).filter((name) => name.endsWith('.log'));
  return join(dir, logs[logs.length - 1]);
}

afterEach(() => {
  while (tempDirs.length > 0) rmSync(tempDirs.pop()!, { recursive: true, force: true });
});

describe('journal framing', () => {
  const records = () => [
    encodeRecord('pin', { traceId: 'a'.repeat(32), pinned: true }),
    encodeRecord('source', { format: 'otlp-json', atMs: 1, receivedAtMs: 2 }, Buffer.from('{"resourceSpans":[]}')),
    encodeRecord('clear', {}),
  ];
  const bytesOf = (list: Uint8Array[][]) => Buffer.concat(list.flat());
  const read = (bytes: Uint8Array) => [...readFrames(bufferSource(bytes))];
  const kinds = (frames: (FrameRecord | FrameDamage)[]) =>
    frames.map((frame) => {
      if (frame.type === 'damage') return `damage${frame.atEnd ? ' at end' : ''}`;
      const record = decodeRecord(frame.kind, frame.meta, frame.body);
      return typeof record === 'string' ? record : record.kind;
    });

  it('reads back what it wrote, in order, meta and body intact', () => {
    const frames = read(bytesOf(records()));
    assert.deepEqual(kinds(frames), ['pin', 'source', 'clear']);
    const source = frames[1] as FrameRecord;
    assert.equal(Buffer.from(source.body).toString(), '{"resourceSpans":[]}');
  });

  it('reads every record before a tail cut at any byte, and reports the cut as at the end', () => {
    const all = bytesOf(records());
    const lastStart = bytesOf(records().slice(0, 2)).length;
    for (let cut = lastStart + 1; cut < all.length; cut++) {
      assert.deepEqual(kinds(read(all.subarray(0, cut))), ['pin', 'source', 'damage at end'], `cut at ${cut}`);
    }
  });

  it('loses only a record whose content is bit-flipped, and says where', () => {
    for (let bit = 0; bit < 8; bit++) {
      const bytes = bytesOf(records());
      const sourceStart = bytesOf(records().slice(0, 1)).length;
      bytes[sourceStart + FRAME_HEADER_BYTES + 5] ^= 1 << bit;
      const frames = read(bytes);
      assert.deepEqual(kinds(frames), ['pin', 'damage', 'clear']);
      assert.equal((frames[1] as FrameDamage).offset, sourceStart);
    }
  });

  it('steps over a damaged header (a flipped length, a huge length prefix) to the next record', () => {
    const sourceStart = bytesOf(records().slice(0, 1)).length;
    for (const damage of [(b: Buffer) => (b[sourceStart + 8] ^= 0x10), (b: Buffer) => b.writeUInt32LE(0xffffffff, sourceStart + 12), (b: Buffer) => (b[sourceStart] = 0)]) {
      const bytes = bytesOf(records());
      damage(bytes);
      assert.deepEqual(kinds(read(bytes)), ['pin', 'damage', 'clear']);
    }
  });

  it('reads a file of random bytes as damage, in bounded work, without throwing', () => {
    const random = seededRandom(3);
    const bytes = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, () => Math.floor(random() * 256)));
    // Sprinkle magic bytes so the scan has many false starts.
    for (let i = 0; i < bytes.length; i += 97) bytes.set([0x89, 0x52, 0x54, 0x49], i);
    assert.deepEqual(kinds(read(bytes)), ['damage at end']);
  });

  it('skips a record of a kind this version does not know', () => {
    const bytes = bytesOf(records());
    const unknown = Buffer.concat(encodeRecord('clear', {}));
    unknown[4] = 200;
    unknown.writeUInt32LE(zlib.crc32(unknown.subarray(0, 20)), 20);
    assert.deepEqual(kinds(read(Buffer.concat([unknown, bytes]))), ['a record of kind 200, unknown to this version', 'pin', 'source', 'clear']);
  });

  it('computes the same checksums with and without the native CRC-32', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 5000) }, () => Math.floor(random() * 256)));
      const previous = Math.floor(random() * 2 ** 32);
      assert.equal(crc32Portable(bytes, previous), zlib.crc32(bytes, previous));
    }
  });
});

describe('journal replay', () => {
  it('gives back the same store after a random history of adds (bodies and spans), replaced spans, pins, deletes, clears, evictions, compactions and restarts', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = seededRandom(seed);
      const dir = tempDir();
      // A restarted store has the same limits: smaller ones would evict more while replaying.
      const limits = { maxTraces: 12, maxSpans: 400 };
      let { store, clock } = newStore(limits);
      let { persistence, messages } = await open(store, dir);
      const sent: SpanSource[] = [];
      const restart = async (step: number) => {
        const expected = describe_(store);
        await persistence.close();
        const now = clock.now;
        ({ store, clock } = newStore(limits));
        clock.now = now;
        const reopened = await open(store, dir);
        assert.deepEqual(describe_(store), expected, `seed ${seed}, restart at step ${step}`);
        assert.deepEqual([...messages, ...reopened.messages], [], `seed ${seed}, step ${step}`);
        ({ persistence, messages } = reopened);
      };
      for (let step = 0; step < 150; step++) {
        clock.now += 1 + Math.floor(random() * 1000);
        const ids = [...store.entries()].map((entry) => entry.traceId);
        const someTrace = () => ids[Math.floor(random() * ids.length)] ?? 'f'.repeat(32);
        const choice = random();
        if (choice < 0.35) {
          const request = randomOtlpRequest(random, 4);
          sent.push(random() < 0.5 ? protobufSource(request, clock.now) : otlpSource(request, clock.now));
          receive(store, sent[sent.length - 1]);
        } else if (choice < 0.45 && sent.length > 0) receive(store, sent[Math.floor(random() * sent.length)]);
        else if (choice < 0.55) receive(store, ingestBody(random, 1 + Math.floor(random() * 5)));
        else if (choice < 0.62) store.add(decodeSpanSource(otlpSource(randomOtlpRequest(random, 3), clock.now), DEFAULT_DECODE_LIMITS).spans);
        else if (choice < 0.74) store.setPinned(someTrace(), random() < 0.7);
        else if (choice < 0.8) store.delete(someTrace());
        else if (choice < 0.83) store.clear();
        else if (choice < 0.87) {
          limits.maxTraces = 4 + Math.floor(random() * 12);
          store.setLimits(limits);
        }
        else if (choice < 0.94) await persistence.compact();
        else if (choice < 0.97) await restart(step);
        // Eviction records are written when the store call's work is done.
        await Promise.resolve();
      }
      await restart(150);
      await persistence.close();
    }
  });

  it('copies a record whose spans are all still in the store into a snapshot as it is, and encodes only the spans still there of the others', async () => {
    const dir = tempDir();
    const { store } = newStore({ maxTraces: 3 });
    const { persistence } = await open(store, dir);
    const sources = Array.from({ length: 5 }, (_, i) => protobufSource(oneTraceRequest(i), i));
    // One trace per request: the first two are evicted, the last three are whole.
    for (const source of sources) receive(store, source);
    await persistence.compact();
    const snapshot = readFileSync(join(dir, 'journal-00000001.snapshot'));
    sources.forEach((source, i) => assert.equal(snapshot.includes(Buffer.from(source.bytes)), i >= 2, `request ${i}`));
    await persistence.close();
  });

  it('answers reads while it replays, from what is replayed so far (the list says it is loading), and holds changes until the replay ends', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const first = await open(store, dir);
    // Twelve 1 MB bodies: the replay takes several steps.
    const traceIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const request = oneTraceRequest(i);
      (request.resourceSpans[0].scopeSpans[0].spans[0] as Record<string, unknown>).attributes = [{ key: 'padding', value: { stringValue: 'x'.repeat(1_000_000) } }];
      traceIds.push(receive(store, otlpSource(request, 0))[0].traceId);
    }
    await first.persistence.close();

    const { store: restored } = newStore();
    const service = new InspectorService({ store: restored, timers: nodeTimers, yieldTurn: nextTurn });
    const persistence = openPersistence(restored, { dataDir: dir, maxDiskBytes: 1024 * 1024 * 1024, limits: DEFAULT_DECODE_LIMITS, log: () => undefined });
    service.holdChangesUntil(persistence.replayed);
    // After one turn the first step is replayed; the rest is not yet.
    await nextTurn();
    const early = await service.handle('listTraces', {});
    assert.ok(early.total > 0 && early.total < traceIds.length, `${early.total} traces listed while replaying`);
    assert.equal(early.loading, true);
    assert.ok(service.whenWritable() !== undefined, 'receivers wait');
    // The last trace is not replayed yet: the pin waits for it instead of answering not-found.
    const lastTrace = traceIds[traceIds.length - 1];
    assert.equal(restored.get(lastTrace), undefined);
    const order: string[] = [];
    const pinned = service.handle('pinTrace', { traceId: lastTrace, pinned: true }).then((result) => order.push('pinned') && result);
    await persistence.replayed.then(() => order.push('replayed'));
    assert.deepEqual(await pinned, { traceId: lastTrace, pinned: true });
    assert.deepEqual(order, ['replayed', 'pinned']);
    const after = await service.handle('listTraces', {});
    assert.equal(after.total, traceIds.length);
    assert.equal('loading' in after, false);
    assert.equal(service.whenWritable(), undefined);
    await persistence.close();

    // The pin made while replaying was journaled.
    const { store: again } = newStore();
    const reopened = await open(again, dir);
    assert.equal(again.get(lastTrace)?.pinned, true);
    await reopened.persistence.close();
  });

  it('replays one large body in steps, as it was received: other work runs before the replay ends', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const first = await open(store, dir);
    receive(store, otlpSource(largeTraceRequests('e'.repeat(32), 100_000, 100_000)[0], 0));
    await first.persistence.close();

    const { store: restored } = newStore();
    const order: string[] = [];
    const persistence = openPersistence(restored, { dataDir: dir, maxDiskBytes: 1024 * 1024 * 1024, limits: DEFAULT_DECODE_LIMITS, log: () => undefined });
    setImmediate(() => order.push('other work'));
    await persistence.replayed.then(() => order.push('replayed'));
    assert.deepEqual(order, ['other work', 'replayed']);
    assert.equal(restored.spanCount, 100_000);
    await persistence.close();
  });

  it('keeps a trace pinned when the store held more traces than a later, lower bound; evictions by a lower bound at restart are journaled', async () => {
    const dir = tempDir();
    const { store } = newStore({ maxTraces: 10 });
    const first = await open(store, dir);
    const traceIds = Array.from({ length: 8 }, (_, i) => receive(store, protobufSource(oneTraceRequest(i), i))[0].traceId);
    store.setPinned(traceIds[3], true);
    store.setLimits({ maxTraces: 2 });
    const kept = [...store.entries()].map((entry) => entry.traceId);
    assert.ok(kept.includes(traceIds[3]));
    await first.persistence.close();

    const { store: restored } = newStore({ maxTraces: 2 });
    const second = await open(restored, dir);
    assert.deepEqual([...restored.entries()].map((entry) => entry.traceId), kept);
    await second.persistence.close();

    const { store: lower } = newStore({ maxTraces: 1 });
    const third = await open(lower, dir);
    assert.deepEqual([...lower.entries()].map((entry) => entry.traceId), [traceIds[3]]);
    await third.persistence.close();
    const { store: higher } = newStore({ maxTraces: 10 });
    const fourth = await open(higher, dir);
    assert.deepEqual([...higher.entries()].map((entry) => entry.traceId), [traceIds[3]]);
    await fourth.persistence.close();
  });

  it('keeps the newer of two versions of a span, and pins across a clear', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const { persistence } = await open(store, dir);
    const request = randomOtlpRequest(seededRandom(21), 3) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
    receive(store, otlpSource(request, 1));
    const traceId = [...store.entries()][0].traceId;
    request.resourceSpans[0].scopeSpans[0].spans[0].name = 'second version';
    receive(store, otlpSource(request, 2));
    store.setPinned(traceId, true);
    store.clear();
    await persistence.close();

    const { store: restored } = newStore();
    const reopened = await open(restored, dir);
    assert.equal(restored.get(traceId)?.pinned, true);
    assert.ok([...restored.get(traceId)!.spans.values()].some((span) => span.name === 'second version'));
    assert.deepEqual(describe_(restored), describe_(store));
    restored.setPinned(traceId, false);
    restored.clear();
    await reopened.persistence.close();

    const { store: again } = newStore();
    const third = await open(again, dir);
    assert.equal(again.traceCount, 0);
    await third.persistence.close();
  });

  it('removes a torn tail of the log, reports it, keeps everything before it, and appends after it', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const first = await open(store, dir);
    const random = seededRandom(8);
    for (let i = 0; i < 5; i++) receive(store, otlpSource(randomOtlpRequest(random, 3), i));
    const before = describe_(store);
    const sizeBefore = statSync(logFile(dir)).size;
    receive(store, otlpSource(randomOtlpRequest(random, 3), 9));
    await first.persistence.close();
    const full = readFileSync(logFile(dir));

    for (const cut of [sizeBefore + 1, sizeBefore + FRAME_HEADER_BYTES, sizeBefore + 30, full.length - 1]) {
      writeFileSync(logFile(dir), full.subarray(0, cut));
      const { store: restored } = newStore();
      const reopened = await open(restored, dir);
      assert.deepEqual(describe_(restored), before, `cut at ${cut}`);
      assert.match(reopened.messages.join('\n'), new RegExp(`journal-00000000\\.log: the last ${cut - sizeBefore} bytes .*were removed`));
      assert.equal(statSync(logFile(dir)).size, sizeBefore);
      // The store takes more and keeps it.
      const more = receive(restored, otlpSource(randomOtlpRequest(random, 2), 10));
      await reopened.persistence.close();
      const { store: afterMore } = newStore();
      const last = await open(afterMore, dir);
      assert.deepEqual(last.messages, []);
      for (const span of more) assert.ok(afterMore.getSpan(span.traceId, span.spanId));
      await last.persistence.close();
    }
  });

  it('loses only the records of a bit-flipped, length-damaged or garbage stretch, with a message naming file and offset', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const first = await open(store, dir);
    const random = seededRandom(12);
    const batches: Span[][] = [];
    const offsets: number[] = [];
    for (let i = 0; i < 6; i++) {
      offsets.push(statSync(logFile(dir)).size);
      batches.push(receive(store, otlpSource(randomOtlpRequest(random, 3), i)));
    }
    await first.persistence.close();
    const original = readFileSync(logFile(dir));
    const damages: [string, (bytes: Buffer) => void][] = [
      ['bit flip in the content', (bytes) => (bytes[offsets[2] + FRAME_HEADER_BYTES + 40] ^= 0x04)],
      ['flipped length', (bytes) => (bytes[offsets[2] + 13] ^= 0x01)],
      ['huge length prefix', (bytes) => bytes.writeUInt32LE(0xfffffff0, offsets[2] + 12)],
      ['garbage', (bytes) => bytes.fill(0x89, offsets[2], offsets[3] - 3)],
    ];
    for (const [label, damage] of damages) {
      const bytes = Buffer.from(original);
      damage(bytes);
      writeFileSync(logFile(dir), bytes);
      const { store: restored } = newStore();
      const reopened = await open(restored, dir);
      batches.forEach((batch, index) => {
        for (const span of batch) assert.equal(restored.getSpan(span.traceId, span.spanId) !== undefined, index !== 2, `${label}: batch ${index}`);
      });
      assert.match(reopened.messages.join('\n'), new RegExp(`journal-00000000\\.log: .* at offset ${offsets[2]} `), label);
      await reopened.persistence.close();
    }
  });

  it('opens a folder of hostile files (random bytes under journal names, an empty snapshot) with messages, and keeps working', async () => {
    const dir = tempDir();
    const random = seededRandom(4);
    writeFileSync(join(dir, 'journal-00000003.snapshot'), Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(random() * 256))));
    writeFileSync(join(dir, 'journal-00000003.log'), Buffer.alloc(0));
    writeFileSync(join(dir, 'journal-00000004.log'), Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(random() * 256))));
    const { store } = newStore();
    const { persistence, messages } = await open(store, dir);
    assert.equal(persistence.state.status, 'on');
    assert.equal(store.traceCount, 0);
    assert.match(messages.join('\n'), /journal-00000003\.snapshot: .*unreadable/);
    const spans = receive(store, otlpSource(randomOtlpRequest(random, 2), 1));
    await persistence.close();
    const { store: restored } = newStore();
    const reopened = await open(restored, dir);
    for (const span of spans) assert.ok(restored.getSpan(span.traceId, span.spanId));
    await reopened.persistence.close();
  });
});

describe('journal compaction', () => {
  it('keeps spans the store held before the journal was opened', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const spans = decodeSpanSource(otlpSource(randomOtlpRequest(seededRandom(60), 3), 1), DEFAULT_DECODE_LIMITS).spans;
    store.add(spans);
    const { persistence } = await open(store, dir);
    receive(store, otlpSource(randomOtlpRequest(seededRandom(61), 2), 2));
    const expected = describe_(store);
    await persistence.close();
    const { store: restored } = newStore();
    const reopened = await open(restored, dir);
    assert.deepEqual(describe_(restored), expected);
    await reopened.persistence.close();
  });

  it('replaces older files with one snapshot and a new log, and replays to the same store', async () => {
    const dir = tempDir();
    const { store, clock } = newStore({ maxTraces: 5 });
    const { persistence } = await open(store, dir);
    const random = seededRandom(30);
    for (let i = 0; i < 20; i++) {
      clock.now += 10;
      receive(store, otlpSource(randomOtlpRequest(random, 3), clock.now));
      receive(store, ingestBody(random, 2));
    }
    store.setPinned([...store.entries()][0].traceId, true);
    await persistence.compact();
    assert.deepEqual(files(dir), ['inspector.lock', 'journal-00000001.log', 'journal-00000001.snapshot']);
    receive(store, otlpSource(randomOtlpRequest(random, 3), clock.now));
    const expected = describe_(store);
    await persistence.close();
    const { store: restored } = newStore({ maxTraces: 5 });
    const reopened = await open(restored, dir);
    assert.deepEqual(describe_(restored), expected);
    assert.deepEqual(reopened.messages, []);
    await reopened.persistence.close();
  });

  it('keeps each run (its id, label and first-seen time) across a snapshot that no longer holds the run\'s first trace, and later spans of the process join it', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const { persistence } = await open(store, dir);
    /** A one-span trace from process 4242 of `agent`, starting `second` seconds into the run. */
    const fromProcess = (n: number, second: number) =>
      otlpSource(
        {
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }, { key: 'process.pid', value: { intValue: '4242' } }] },
              scopeSpans: [{ spans: [{ traceId: `${n}`.padStart(32, 'c'), spanId: `${n}`.padStart(16, 'd'), name: `call ${n}`, startTimeUnixNano: `${1_700_000_000 + second}000000000`, endTimeUnixNano: `${1_700_000_000 + second}500000000` }] }],
            },
          ],
        },
        0,
      );
    const [first] = receive(store, fromProcess(1, 0));
    receive(store, fromProcess(2, 10));
    const run = first.derived.run!;
    assert.equal(run.id, 'agent:4242:1700000000000');
    store.delete(first.traceId);
    await persistence.compact();
    await persistence.close();

    const { store: restored } = newStore();
    const reopened = await open(restored, dir);
    assert.deepEqual(restored.get('2'.padStart(32, 'c'))!.spans.get('2'.padStart(16, 'd'))!.derived.run, run);
    const [later] = receive(restored, fromProcess(3, 20));
    assert.deepEqual(later.derived.run, run);
    assert.deepEqual(
      restored.runSummaries().map((summary) => [summary.run.id, summary.traceCount]),
      [[run.id, 2]],
    );
    await reopened.persistence.close();
  });

  it('after a crash during a snapshot, replays the older generation and drops the unfinished snapshot', async () => {
    const dir = tempDir();
    const { store } = newStore();
    const first = await open(store, dir);
    const random = seededRandom(31);
    for (let i = 0; i < 4; i++) receive(store, otlpSource(randomOtlpRequest(random, 3), i));
    await first.persistence.compact();
    for (let i = 0; i < 4; i++) receive(store, otlpSource(randomOtlpRequest(random, 3), i));
    const expected = describe_(store);
    await first.persistence.close();
    // What a crash while snapshot 2 was written leaves: its log begun, its snapshot unfinished.
    writeFileSync(join(dir, 'journal-00000002.snapshot.partial'), Buffer.concat(encodeRecord('file', { format: 'respan-trace-inspector journal', version: 1, role: 'snapshot', generation: 2 })));
    writeFileSync(join(dir, 'journal-00000002.log'), Buffer.concat(encodeRecord('file', { format: 'respan-trace-inspector journal', version: 1, role: 'log', generation: 2 })));
    const { store: restored } = newStore();
    const reopened = await open(restored, dir);
    assert.deepEqual(describe_(restored), expected);
    assert.ok(!files(dir).some((name) => name.endsWith('.partial')));
    await reopened.persistence.close();
  });

  it('after a crash between finishing a snapshot and removing what it replaces, replays the snapshot only once', async () => {
    const dir = tempDir();
    const saved = tempDir();
    const { store } = newStore();
    const first = await open(store, dir);
    const random = seededRandom(32);
    for (let i = 0; i < 4; i++) receive(store, otlpSource(randomOtlpRequest(random, 3), i));
    await first.persistence.close();
    cpSync(dir, saved, { recursive: true });
    const { store: second } = newStore();
    const reopened = await open(second, dir);
    store.delete([...store.entries()][0].traceId);
    second.delete([...second.entries()][0].traceId);
    await reopened.persistence.compact();
    await reopened.persistence.close();
    copyFileSync(join(saved, 'journal-00000000.log'), join(dir, 'journal-00000000.log'));
    const { store: third } = newStore();
    const last = await open(third, dir);
    assert.deepEqual(describe_(third), describe_(store));
    assert.ok(!files(dir).includes('journal-00000000.log'));
    await last.persistence.close();
  });

  it('holds the disk limit by evicting the least recently updated traces, never a pinned one', async () => {
    const dir = tempDir();
    const { store, clock } = newStore({ maxTraces: 100_000, maxSpans: 10_000_000 });
    const maxDiskBytes = 2 * 1024 * 1024;
    const { persistence, messages } = await open(store, dir, maxDiskBytes);
    const random = seededRandom(33);
    const big = 'x'.repeat(2_000);
    receive(store, otlpSource(randomOtlpRequest(random, 2), 0));
    const pinned = [...store.entries()][0].traceId;
    store.setPinned(pinned, true);
    for (let i = 0; i < 3_000; i++) {
      clock.now += 1;
      const request = randomOtlpRequest(random, 2) as { resourceSpans: { resource: { attributes: unknown[] } }[] };
      request.resourceSpans[0].resource.attributes.push({ key: 'padding', value: { stringValue: big } });
      receive(store, otlpSource(request, clock.now));
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await persistence.compact();
    const onDisk = files(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    assert.ok(onDisk <= maxDiskBytes, `${onDisk} bytes on disk`);
    assert.ok(store.get(pinned), 'the pinned trace is kept');
    assert.match(messages.join('\n'), /disk limit: the \d+ least recently updated traces were evicted/);
    const expected = describe_(store);
    await persistence.close();
    const { store: restored } = newStore({ maxTraces: 100_000, maxSpans: 10_000_000 });
    const reopened = await open(restored, dir, maxDiskBytes);
    assert.deepEqual(describe_(restored), expected);
    await reopened.persistence.close();
  });
});

describe('journal folder', () => {
  it('is refused, with the holder named, while another live process holds its lock; a dead holder\'s lock is taken over', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'inspector.lock'), JSON.stringify({ pid: process.ppid, host: require('node:os').hostname(), startedAtMs: 0 }));
    const { store } = newStore();
    const held = await open(store, dir);
    assert.equal(held.persistence.state.status, 'off');
    assert.match(held.messages.join('\n'), new RegExp(`another inspector \\(process ${process.ppid} on .*\\) is keeping its traces in .*memory only`));
    receive(store, otlpSource(randomOtlpRequest(seededRandom(1), 2), 1));
    assert.deepEqual(files(dir), ['inspector.lock']);

    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'inspector.lock'), JSON.stringify({ pid: Number(exited.stdout), host: require('node:os').hostname(), startedAtMs: 0 }));
    const taken = await open(store, dir);
    assert.equal(taken.persistence.state.status, 'on');
    assert.equal(JSON.parse(readFileSync(join(dir, 'inspector.lock'), 'utf8')).pid, process.pid);
    await taken.persistence.close();
    assert.ok(!files(dir).includes('inspector.lock'));
  });

  it('leaves a folder written by a later version alone', async () => {
    const dir = tempDir();
    const later = Buffer.concat(encodeRecord('file', { format: 'respan-trace-inspector journal', version: 99, role: 'log', generation: 0 }));
    writeFileSync(join(dir, 'journal-00000000.log'), later);
    const { store } = newStore();
    const { persistence, messages } = await open(store, dir);
    assert.equal(persistence.state.status, 'off');
    assert.match(messages.join('\n'), /journal-00000000\.log was written by a later version/);
    assert.deepEqual(readFileSync(join(dir, 'journal-00000000.log')), later);
    truncateSync(join(dir, 'journal-00000000.log'), 0);
  });

  it('defaults to the platform\'s per-user data folder', () => {
    assert.equal(defaultDataDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u'), '/data/respan-trace-inspector');
    assert.equal(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.local/share/respan-trace-inspector');
    assert.equal(defaultDataDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/respan-trace-inspector');
    assert.match(defaultDataDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), /^C:\\Users\\u\\AppData\\Local.respan-trace-inspector$/);
  });
});
