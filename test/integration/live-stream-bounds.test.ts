/**
 * The live stream (`GET /api/events`) against clients that stop reading: real
 * sockets that take the stream's first event and then read nothing while a
 * flood of new traces arrives. What the listener holds for them stays bounded
 * (events they cannot take are dropped, and they are told to resync when they
 * read again), a client that reads keeps getting events, and streams beyond the
 * cap are refused with a message.
 */
import * as assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TraceStore } from '../../src/core/store';
import type { StoreChangeJson } from '../../src/protocol/api';
import { InspectorServer, MAX_LIVE_STREAMS } from '../../src/server/server';
import { fullGc } from '../support/gc';
import { rawSocketExchange } from '../support/rawHttp';
import { hexId, makeSpan } from '../support/spans';

/** One Server-Sent Event as read off the socket. */
interface SseEvent {
  event: string;
  data: string;
}

/** A client of the live stream on a raw socket, reading or not as the test says. */
class StreamClient {
  /** Events since the last {@link forget}. */
  readonly events: SseEvent[] = [];
  /** Events of each name ever received. */
  readonly counts = new Map<string, number>();
  private buffer = '';
  private headSeen = false;
  private readonly socket: Socket;
  private readonly waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1', () => this.socket.write(`GET /api/events HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`));
    this.socket.setEncoding('latin1');
    this.socket.on('data', (text: string) => this.take(text));
    this.socket.on('error', () => undefined);
  }

  /**
   * Reads until an event satisfying `match` has arrived (looking at each event
   * from index `from` once); fails when nothing more arrives for 20 s, so a hang names what it waited for.
   */
  async until(what: string, match: (event: SseEvent) => boolean, from = 0): Promise<SseEvent> {
    this.socket.resume();
    let checked = from;
    for (let idleTurns = 0; idleTurns < 800; ) {
      for (; checked < this.events.length; checked++) if (match(this.events[checked])) return this.events[checked];
      const arrived = await new Promise<boolean>((resolve) => {
        this.waiters.push(() => resolve(true));
        setTimeout(() => resolve(false), 25);
      });
      idleTurns = arrived ? 0 : idleTurns + 1;
    }
    throw new Error(`no ${what} among ${this.events.length} events: ${JSON.stringify(this.events.slice(-3))}`);
  }

  /** Drops the events received so far (they would weigh on the memory measured), keeping their counts. */
  forget(): void {
    this.events.length = 0;
  }

  /** Stops reading: the kernel buffers fill, then the listener's. */
  stopReading(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }

  private take(text: string): void {
    this.buffer += text;
    if (!this.headSeen) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.headSeen = true;
      this.buffer = this.buffer.slice(end + 4);
    }
    // Chunked framing: a size line before each chunk, CRLF after it.
    this.buffer = this.buffer.replace(/(^|\r\n)[0-9a-f]+\r\n/g, '');
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const lines = this.buffer.slice(0, end).split('\n');
      this.buffer = this.buffer.slice(end + 2).replace(/^\r\n/, '');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
      if (event && data !== undefined) {
        this.events.push({ event, data });
        this.counts.set(event, (this.counts.get(event) ?? 0) + 1);
      }
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** Heap, external and array-buffer bytes after a full collection. */
function liveBytes(): number {
  fullGc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
}

/** Matches the change event that adds the trace {@link makeSpan} makes of `label`. */
function adds(label: string): (event: SseEvent) => boolean {
  const traceId = hexId(label, 32);
  return (event) => event.event === 'change' && (JSON.parse(event.data) as StoreChangeJson).added.includes(traceId);
}

const MiB = 1024 * 1024;
const RETAINED_TRACES = 1000;

describe('live stream: slow clients and the stream cap', function () {
  this.timeout(300_000);
  let store: TraceStore;
  let server: InspectorServer;
  let clients: StreamClient[] = [];
  let serial = 0;

  /** One new one-span trace, delivered as its own change event (so a flood is many events). */
  const arrive = (label = `t${serial++}`) => {
    server.sinks.spans([makeSpan({ trace: label, id: 's' })]);
    store.flush();
  };

  beforeEach(async () => {
    store = new TraceStore({ maxTraces: RETAINED_TRACES, schedule: () => undefined });
    server = new InspectorServer({ store, port: 0 });
    await server.start();
    // The store at its bound before measuring: from then on each arrival evicts one trace.
    for (let i = 0; i < RETAINED_TRACES; i++) arrive();
  });
  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await server.stop();
  });

  /**
   * Reads until a new trace shows up as a change event. Until the client has
   * read its backlog, the listener may still be dropping events for it: a
   * resync then comes instead, and the next trace is sent.
   */
  const catchUp = async (client: StreamClient) => {
    for (let round = 0; round < 100; round++) {
      const label = `live-${serial++}`;
      const from = client.events.length;
      arrive(label);
      const seen = await client.until(`change event naming ${label}, or a resync`, (event) => adds(label)(event) || event.event === 'resync', from);
      if (seen.event === 'change') return;
    }
    assert.fail('the client never caught up with the live stream');
  };

  const openClient = async () => {
    const client = new StreamClient(server.port);
    clients.push(client);
    await client.until('hello event', (event) => event.event === 'hello');
    return client;
  };

  it('holds bounded memory for ten clients that stop reading during a flood; a reading client keeps getting events; the slow ones are told to resync', async () => {
    const stalled: StreamClient[] = [];
    for (let i = 0; i < 10; i++) {
      const client = await openClient();
      client.stopReading();
      stalled.push(client);
    }
    const reader = await openClient();
    const before = liveBytes();
    for (let i = 0; i < 100_000; i++) {
      arrive();
      if (i % 200 === 0) {
        reader.forget();
        await nextTurn();
      }
    }
    reader.forget();
    const grown = liveBytes() - before;
    assert.ok(grown < 24 * MiB, `the listener grew by ${(grown / MiB).toFixed(1)} MiB for ten clients that do not read`);

    assert.ok((reader.counts.get('change') ?? 0) > 1000, 'the reading client got the flood as it came');

    // Reading again, each stalled client is told to resync (events were dropped), then gets live events again.
    for (const client of [reader, ...stalled]) await catchUp(client);
    for (const client of stalled) {
      assert.ok((client.counts.get('resync') ?? 0) >= 1, 'a client that stopped reading is told to resync');
      const resync = client.events.find((event) => event.event === 'resync')!;
      assert.deepEqual(Object.keys(JSON.parse(resync.data) as object).sort(), ['spanCount', 'traceCount']);
    }
  });

  it(`refuses a stream beyond ${MAX_LIVE_STREAMS} with 503 and a message; a closed stream frees its slot`, async () => {
    for (let i = 0; i < MAX_LIVE_STREAMS; i++) await openClient();
    const refused = await rawSocketExchange(server.port, `GET /api/events HTTP/1.1\r\nHost: localhost:${server.port}\r\nConnection: close\r\n\r\n`);
    assert.equal(refused.status, 503, refused.head);
    assert.match(refused.head, /\r\nretry-after: \d+/i);
    assert.match((JSON.parse(refused.body) as { error: string }).error, new RegExp(`too many live streams are open \\(${MAX_LIVE_STREAMS}`));

    clients.shift()!.close();
    await openClient();
  });
});
