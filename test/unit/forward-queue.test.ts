import { strict as assert } from 'node:assert';
import { ForwardConfigError } from '../../src/core/forward/destination';
import {
  Forwarder,
  WRONG_KEY_MESSAGE,
  type ForwarderOptions,
  type ForwardingChange,
  type ForwardRequest,
  type ForwardResponse,
  type SpanSource,
} from '../../src/core/forward/forwarder';
import type { Span } from '../../src/core/model';
import { FakeTime, settle } from '../support/fakeTime';
import { fspan, fspans, spanKeysInOtlpBodies, traceIdOf } from '../support/forwardSpans';

const KEY = 'rk_test_SECRET_9f8e7d6c5b4a';

type Answer = Partial<ForwardResponse> | Error | 'hang';

/** Request sizes a fake server refuses with 413 (the answer's body is optional). */
interface SizeLimit {
  spans?: number;
  bytes?: number;
  body?: string;
}

/**
 * A transport that records requests and answers from a script, then 200.
 * With a {@link SizeLimit}, requests over it get 413 before the script is
 * consulted, the way a proxy in front of the API would answer.
 */
class ScriptedTransport {
  readonly requests: ForwardRequest[] = [];
  /** The status answered to each request (undefined for network errors and hangs). */
  readonly statuses: Array<number | undefined> = [];
  private readonly script: Answer[] = [];
  private readonly hanging: Array<(error: Error) => void> = [];
  private limit: SizeLimit | undefined;

  answer(...answers: Answer[]): void {
    this.script.push(...answers);
  }

  refuseOver(limit: SizeLimit): void {
    this.limit = limit;
  }

  send = (request: ForwardRequest): Promise<ForwardResponse> => {
    this.requests.push(request);
    if (this.tooLarge(request)) {
      this.statuses.push(413);
      return Promise.resolve({ status: 413, headers: {}, body: this.limit?.body ?? '' });
    }
    const next = this.script.shift() ?? {};
    if (next === 'hang' || next instanceof Error) {
      this.statuses.push(undefined);
      return next === 'hang' ? new Promise((_, reject) => this.hanging.push(reject)) : Promise.reject(next);
    }
    const response = { status: 200, headers: {}, body: '{"partialSuccess":{}}', ...next };
    this.statuses.push(response.status);
    return Promise.resolve(response);
  };

  private tooLarge(request: ForwardRequest): boolean {
    if (this.limit === undefined) return false;
    const { spans, bytes } = this.limit;
    return (spans !== undefined && spanKeysInOtlpBodies([request.body]).length > spans) || (bytes !== undefined && Buffer.byteLength(request.body) > bytes);
  }

  /** Spans per request, in order. */
  get batchSizes(): number[] {
    return this.requests.map((request) => spanKeysInOtlpBodies([request.body]).length);
  }

  /** `traceId/spanId` of every span in requests answered with 2xx. */
  get acceptedKeys(): string[] {
    const accepted = this.requests.filter((_, index) => (this.statuses[index] ?? 0) >= 200 && (this.statuses[index] ?? 0) < 300);
    return spanKeysInOtlpBodies(accepted.map((request) => request.body));
  }

  /** Ends hanging requests the way a transport timeout would. */
  timeOutHanging(): void {
    for (const reject of this.hanging.splice(0)) reject(new Error('no answer within 30 s'));
  }

  get sentKeys(): string[] {
    return spanKeysInOtlpBodies(this.requests.map((request) => request.body));
  }
}

function storeOf(spans: Span[]): SpanSource {
  return {
    trace: (traceId) => {
      const found = spans.filter((span) => span.traceId === traceId);
      return found.length ? found : undefined;
    },
    span: (traceId, spanId) => spans.find((span) => span.traceId === traceId && span.spanId === spanId),
  };
}

interface Rig {
  time: FakeTime;
  transport: ScriptedTransport;
  forwarder: Forwarder;
  logs: string[];
  changes: ForwardingChange[];
}

function rig(options: Partial<ForwarderOptions> = {}): Rig {
  const time = new FakeTime();
  const transport = new ScriptedTransport();
  const logs: string[] = [];
  const changes: ForwardingChange[] = [];
  const forwarder = new Forwarder({
    transport: { send: transport.send },
    now: time.now,
    timers: time,
    random: () => 0.5,
    apiKey: KEY,
    autoForward: true,
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...options,
    limits: { batchDelayMs: 1000, ...options.limits },
  });
  forwarder.onChange((change) => changes.push(change));
  return { time, transport, forwarder, logs, changes };
}

const keyOf = (span: Span) => `${span.traceId}/${span.spanId}`;

describe('Forwarder delivery queue', () => {
  it('sends one request with the documented shape and headers', async () => {
    const { time, transport, forwarder } = rig({ baseUrl: 'https://respan.example/api', userAgent: 'inspector-test' });
    const spans = fspans(3);
    forwarder.captured(spans);
    assert.equal(transport.requests.length, 0, 'spans wait for the batch delay');
    await time.advance(999);
    assert.equal(transport.requests.length, 0);
    await time.advance(1);
    assert.equal(transport.requests.length, 1);
    const [request] = transport.requests;
    assert.equal(request.url, 'https://respan.example/api/v2/traces');
    assert.equal(request.method, 'POST');
    assert.equal(request.headers.Authorization, `Bearer ${KEY}`);
    assert.equal(request.headers['Content-Type'], 'application/json');
    assert.equal(request.headers['User-Agent'], 'inspector-test');
    assert.deepEqual(transport.sentKeys, spans.map(keyOf));
    assert.equal(forwarder.status().counts.sent, 3);
    assert.equal(forwarder.traceStatus(traceIdOf(1)).state, 'sent');
    assert.equal(forwarder.spanStatus(spans[0].traceId, spans[0].spanId)?.state, 'sent');
  });

  it('batches by span count and by bytes', async () => {
    const byCount = rig({ limits: { maxBatchSpans: 500 } });
    const many = fspans(1200);
    byCount.forwarder.captured(many);
    await byCount.time.runAll();
    assert.deepEqual(
      byCount.transport.requests.map((request) => spanKeysInOtlpBodies([request.body]).length),
      [500, 500, 200],
    );
    assert.deepEqual(byCount.transport.sentKeys, many.map(keyOf));

    const bySize = rig({ limits: { maxBatchBytes: 6000 } });
    const big = Array.from({ length: 6 }, (_, i) => fspan({ span: i + 1, attributes: { text: 'x'.repeat(2000) } }));
    bySize.forwarder.captured(big);
    await bySize.time.runAll();
    assert.ok(bySize.transport.requests.length >= 3, `${bySize.transport.requests.length} requests`);
    for (const request of bySize.transport.requests) {
      const count = spanKeysInOtlpBodies([request.body]).length;
      assert.ok(Buffer.byteLength(request.body) <= 6000 || count === 1, 'a body is over the byte limit only when it holds one span');
    }
    assert.deepEqual(bySize.transport.sentKeys, big.map(keyOf));

    const oversized = rig({ limits: { maxBatchBytes: 100 } });
    oversized.forwarder.captured(fspans(2));
    await oversized.time.runAll();
    assert.equal(oversized.transport.requests.length, 2, 'a span larger than the limit is sent alone');
  });

  it('retries 503, 502, 504, 429 and network errors with backoff, without loss or duplicates', async () => {
    const { time, transport, forwarder } = rig();
    transport.answer({ status: 503 }, { status: 502 }, new Error('ECONNREFUSED'), { status: 504 }, { status: 429 });
    const spans = fspans(5);
    forwarder.captured(spans);
    await time.advance(1000);
    assert.equal(transport.requests.length, 1);
    const status = forwarder.status();
    assert.equal(status.activity, 'retrying');
    assert.equal(status.counts.pending, 5);
    assert.match(status.lastError!.message, /503 Service Unavailable/);
    assert.match(forwarder.spanStatus(spans[0].traceId, spans[0].spanId)!.reason!, /waiting to retry/);
    // random() = 0.5: delays are 0.75 × 1 s, 2 s, 4 s, 8 s.
    await time.advance(749);
    assert.equal(transport.requests.length, 1, 'no retry before the backoff');
    await time.advance(1);
    assert.equal(transport.requests.length, 2);
    await time.runAll();
    assert.equal(transport.requests.length, 6);
    assert.equal(forwarder.status().counts.sent, 5);
    const accepted = spanKeysInOtlpBodies([transport.requests[5].body]);
    assert.deepEqual(accepted, spans.map(keyOf), 'the accepted request holds every span once');
    assert.equal(new Set(transport.sentKeys).size, 5);
  });

  it('doubles the backoff per consecutive failure and caps it', async () => {
    const { time, transport, forwarder } = rig({ random: () => 0, limits: { maxRetryDelayMs: 4000, maxAttempts: 100 } });
    transport.answer(...Array.from({ length: 6 }, () => ({ status: 503 })));
    forwarder.captured(fspans(1));
    await time.advance(1000);
    const gaps: number[] = [];
    let last = time.now();
    for (let i = 0; i < 6; i++) {
      const before = transport.requests.length;
      while (transport.requests.length === before) await time.advance(50);
      gaps.push(time.now() - last);
      last = time.now();
    }
    assert.deepEqual(gaps, [500, 1000, 2000, 2000, 2000, 2000]);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const { time, transport, forwarder } = rig();
    transport.answer({ status: 429, headers: { 'retry-after': '7' } });
    forwarder.captured(fspans(1));
    await time.advance(1000);
    await time.advance(6999);
    assert.equal(transport.requests.length, 1);
    await time.advance(1);
    assert.equal(transport.requests.length, 2);

    const dated = rig();
    const at = new Date(dated.time.now() + 1000 + 20_000).toUTCString();
    dated.transport.answer({ status: 503, headers: { 'retry-after': at } });
    dated.forwarder.captured(fspans(1));
    await dated.time.advance(1000);
    assert.equal(dated.forwarder.status().nextAttemptAtMs, dated.time.now() + 20_000);
    await dated.time.advance(19_999);
    assert.equal(dated.transport.requests.length, 1);
    await dated.time.advance(1);
    assert.equal(dated.transport.requests.length, 2);
    assert.equal(dated.forwarder.status().counts.sent, 1);
  });

  it('reports 400 with the server message and never retries it; other batches still go', async () => {
    const { time, transport, forwarder, logs } = rig({ limits: { maxBatchSpans: 2 } });
    transport.answer({ status: 400, body: '{"code":3,"message":"span name is required"}' });
    const spans = fspans(4);
    forwarder.captured(spans);
    await time.runAll();
    assert.equal(transport.requests.length, 2);
    const failed = forwarder.spanStatus(spans[0].traceId, spans[0].spanId)!;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.failure, 'rejected');
    assert.match(failed.reason!, /400 Bad Request: span name is required/);
    assert.equal(forwarder.spanStatus(spans[3].traceId, spans[3].spanId)?.state, 'sent');
    await time.advance(3600_000);
    assert.equal(transport.requests.length, 2, 'never retried on its own');
    const trace = forwarder.traceStatus(traceIdOf(1));
    assert.equal(trace.state, 'failed');
    assert.deepEqual(trace.counts, { pending: 0, sending: 0, sent: 2, failed: 2, skipped: 0 });
    assert.match(trace.failures[0].reason, /span name is required/);
    assert.ok(logs.some((line) => /error: 2 spans of 1 trace not forwarded: Respan answered 400 Bad Request: span name is required/.test(line)));
    assert.equal(forwarder.status().unsent, 2);
  });

  it('does not retry 500 or other final errors', async () => {
    const { time, transport, forwarder } = rig();
    transport.answer({ status: 500, body: 'boom' }, { status: 404 }, { status: 302, headers: { location: 'https://elsewhere.example/' } });
    forwarder.captured(fspans(1, 1));
    await time.runAll();
    forwarder.captured(fspans(1, 2));
    await time.runAll();
    forwarder.captured(fspans(1, 3));
    await time.runAll();
    assert.equal(transport.requests.length, 3);
    assert.equal(forwarder.status().counts.failed, 3);
    assert.match(forwarder.traceStatus(traceIdOf(3)).failures[0].reason, /redirect to https:\/\/elsewhere\.example\//);
  });

  it('stops on 401, says the key is wrong, and resumes when a new key is set', async () => {
    const { time, transport, forwarder } = rig();
    transport.answer({ status: 401, body: '{"detail":"Invalid API key"}' });
    const first = fspans(2);
    forwarder.captured(first);
    await time.runAll();
    let status = forwarder.status();
    assert.equal(status.activity, 'paused');
    assert.equal(status.autoForward, false);
    assert.ok(status.pausedReason!.startsWith(WRONG_KEY_MESSAGE), status.pausedReason!);
    assert.equal(status.pausedBy, 'auth');
    assert.equal(forwarder.spanStatus(first[0].traceId, first[0].spanId)?.failure, 'auth');

    // Auto-forward is off: spans captured now are not queued.
    forwarder.captured(fspans(1, 2));
    await time.runAll();
    assert.equal(transport.requests.length, 1);
    assert.equal(forwarder.traceStatus(traceIdOf(2)).state, 'none');

    forwarder.setApiKey('rk_test_new_key_0001');
    assert.equal(forwarder.autoForward, true, 'auto-forward resumes with the new key');
    await time.runAll();
    assert.equal(transport.requests.length, 2);
    assert.equal(transport.requests[1].headers.Authorization, 'Bearer rk_test_new_key_0001');
    assert.deepEqual(spanKeysInOtlpBodies([transport.requests[1].body]), first.map(keyOf));
    status = forwarder.status();
    assert.equal(status.activity, 'idle');
    assert.equal(status.pausedReason, null);
    assert.equal(status.pausedBy, null);
    assert.equal(status.counts.sent, 2);
  });

  it('treats 403 like 401', async () => {
    const { time, transport, forwarder } = rig();
    transport.answer({ status: 403 });
    forwarder.captured(fspans(1));
    await time.runAll();
    assert.equal(forwarder.status().activity, 'paused');
    assert.ok(forwarder.status().pausedReason!.startsWith(WRONG_KEY_MESSAGE));
  });

  it('fails spans after maxAttempts and sends them on retryFailed', async () => {
    const spans = fspans(2);
    const { time, transport, forwarder } = rig({ limits: { maxAttempts: 3 }, source: storeOf(spans) });
    transport.answer({ status: 503 }, { status: 503 }, { status: 503 });
    forwarder.captured(spans);
    await time.runAll();
    assert.equal(transport.requests.length, 3);
    const failed = forwarder.spanStatus(spans[0].traceId, spans[0].spanId)!;
    assert.equal(failed.failure, 'retries-exhausted');
    assert.match(failed.reason!, /gave up after 3 attempts: Respan answered 503/);
    assert.equal(forwarder.status().unsent, 2);
    assert.equal(forwarder.retryFailed(), 2);
    await time.runAll();
    assert.equal(transport.requests.length, 4);
    assert.equal(forwarder.status().counts.sent, 2);
    assert.equal(forwarder.status().unsent, 0);
  });

  it('bounds the queue: overflow is counted, visible and retryable, never dropped', async () => {
    const spans = fspans(15);
    const { time, transport, forwarder } = rig({ limits: { maxQueuedSpans: 10 }, source: storeOf(spans) });
    forwarder.captured(spans);
    let status = forwarder.status();
    assert.equal(status.counts.pending, 10);
    assert.equal(status.counts.failed, 5);
    assert.equal(status.overflowed, 5);
    assert.equal(status.unsent, 15);
    assert.equal(forwarder.spanStatus(spans[14].traceId, spans[14].spanId)?.failure, 'queue-full');
    await time.runAll();
    assert.equal(forwarder.retryFailed(), 5);
    await time.runAll();
    status = forwarder.status();
    assert.equal(status.counts.sent, 15);
    assert.equal(status.overflowed, 0);
    assert.equal(status.unsent, 0);
    assert.deepEqual([...transport.sentKeys].sort(), spans.map(keyOf).sort());
  });

  it('keeps overflowed spans retryable without a span source', async () => {
    const spans = fspans(3);
    const { time, transport, forwarder } = rig({ limits: { maxQueuedSpans: 2 } });
    forwarder.captured(spans);
    await time.runAll();
    assert.equal(forwarder.retryFailed(), 1);
    await time.runAll();
    assert.deepEqual([...transport.sentKeys].sort(), spans.map(keyOf).sort());
  });

  it('sends a span captured twice before sending once, in its latest version', async () => {
    const { time, transport, forwarder } = rig();
    forwarder.captured([fspan({ span: 1, name: 'first' })]);
    forwarder.captured([fspan({ span: 1, name: 'second' })]);
    await time.runAll();
    assert.equal(transport.requests.length, 1);
    assert.equal(transport.sentKeys.length, 1);
    assert.match(transport.requests[0].body, /"name":"second"/);
  });

  it('never re-sends an accepted span on its own; marks changed ones; resends on request', async () => {
    const { time, transport, forwarder } = rig();
    forwarder.captured([fspan({ span: 1, name: 'v1' })]);
    await time.runAll();
    forwarder.captured([fspan({ span: 1, name: 'v1' })]);
    await time.runAll();
    assert.equal(transport.requests.length, 1);
    assert.equal(forwarder.spanStatus(traceIdOf(1), fspan({ span: 1 }).spanId)?.changedSinceSent, undefined);
    forwarder.captured([fspan({ span: 1, name: 'v2' })]);
    await time.runAll();
    assert.equal(transport.requests.length, 1);
    assert.equal(forwarder.spanStatus(traceIdOf(1), fspan({ span: 1 }).spanId)?.changedSinceSent, true);
    assert.equal(forwarder.traceStatus(traceIdOf(1)).changedSinceSent, 1);

    const plain = forwarder.forwardSpans([fspan({ span: 1, name: 'v2' })]);
    assert.deepEqual({ queued: plain.queued, alreadySent: plain.alreadySent }, { queued: 0, alreadySent: 1 });
    await time.runAll();
    assert.equal(transport.requests.length, 1);
    const resend = forwarder.forwardSpans([fspan({ span: 1, name: 'v2' })], { resend: true });
    assert.equal(resend.queued, 1);
    await time.runAll();
    assert.equal(transport.requests.length, 2);
    assert.match(transport.requests[1].body, /"name":"v2"/);
  });

  it('does not send a span again that arrives while it is being sent', async () => {
    const { time, transport, forwarder } = rig();
    transport.answer('hang');
    forwarder.captured([fspan({ span: 1, name: 'v1' })]);
    await time.advance(1000);
    assert.equal(forwarder.status().activity, 'sending');
    forwarder.captured([fspan({ span: 1, name: 'v1' })]);
    transport.timeOutHanging();
    await time.runAll();
    // The timed-out request is retried once; the re-arrival adds nothing.
    assert.equal(transport.requests.length, 2);
    assert.equal(forwarder.status().counts.sent, 1);
  });

  it('retries a request that hangs until the transport times out', async () => {
    const { time, transport, forwarder } = rig({ limits: { requestTimeoutMs: 5000 } });
    transport.answer('hang');
    forwarder.captured(fspans(2));
    await time.advance(1000);
    assert.equal(transport.requests[0].timeoutMs, 5000);
    transport.timeOutHanging();
    await settle();
    assert.match(forwarder.status().lastError!.message, /could not reach Respan .*no answer within 30 s/);
    await time.runAll();
    assert.equal(forwarder.status().counts.sent, 2);
  });

  it('skips what the "sdk" filter leaves out, with a reason, and forwards the rest', async () => {
    const { time, transport, forwarder } = rig({ settings: { filter: 'sdk' } });
    const llm = fspan({ span: 1, attributes: { 'gen_ai.system': 'openai' } });
    const http = fspan({ span: 2, attributes: { 'http.method': 'GET' } });
    forwarder.captured([llm, http]);
    await time.runAll();
    assert.deepEqual(transport.sentKeys, [keyOf(llm)]);
    const skipped = forwarder.spanStatus(http.traceId, http.spanId)!;
    assert.equal(skipped.state, 'skipped');
    assert.match(skipped.reason!, /"sdk" filter/);
    assert.equal(forwarder.traceStatus(traceIdOf(1)).state, 'sent');

    const onlyHttp = rig({ settings: { filter: 'sdk' } });
    onlyHttp.forwarder.captured([http]);
    await onlyHttp.time.runAll();
    assert.equal(onlyHttp.transport.requests.length, 0);
    assert.equal(onlyHttp.forwarder.traceStatus(traceIdOf(1)).state, 'skipped');
  });

  it('redacts what leaves the machine and uses the ingest API when asked', async () => {
    const { time, transport, forwarder } = rig({ settings: { api: 'ingest', redact: ['user.email'] } });
    forwarder.captured([fspan({ span: 1, attributes: { 'user.email': 'ada@example.com', 'respan.metadata.user.email': 'x' } })]);
    await time.runAll();
    assert.equal(transport.requests[0].url, 'https://api.respan.ai/api/v1/traces/ingest');
    assert.ok(!transport.requests[0].body.includes('ada@example.com'));
    assert.ok(Array.isArray(JSON.parse(transport.requests[0].body)));
  });

  it('applies settings changes to spans still queued', async () => {
    const { time, transport, forwarder } = rig();
    forwarder.captured([fspan({ span: 1, attributes: { secret: 'hunter2' } })]);
    forwarder.setSettings({ redact: ['secret'] });
    await time.runAll();
    assert.ok(!transport.requests[0].body.includes('hunter2'));
    assert.throws(() => forwarder.setSettings({ redact: ['/(/'] }), ForwardConfigError);
    assert.deepEqual(forwarder.settings.redact, ['secret'], 'an invalid rule changes nothing');
  });

  it('forwards whole traces manually at once, reporting unknown ones', async () => {
    const spans = [...fspans(3, 1), ...fspans(2, 2)];
    const { time, transport, forwarder } = rig({ autoForward: false, source: storeOf(spans) });
    forwarder.captured(spans);
    await time.runAll();
    assert.equal(transport.requests.length, 0, 'nothing goes without auto-forward');
    const receipt = forwarder.forwardTraces([traceIdOf(1), traceIdOf(9)]);
    assert.equal(receipt.queued, 3);
    assert.deepEqual(receipt.notFound, [traceIdOf(9)]);
    assert.equal(forwarder.traceStatus(traceIdOf(1)).state, 'pending');
    await time.advance(0);
    assert.equal(transport.requests.length, 1, 'a manual forward does not wait for the batch delay');
    assert.equal(forwarder.traceStatus(traceIdOf(1)).state, 'sent');
    assert.equal(forwarder.traceStatus(traceIdOf(2)).state, 'none');
  });

  it('emits a change naming the traces whose spans changed state', async () => {
    const { time, forwarder, changes } = rig();
    forwarder.captured([...fspans(1, 1), ...fspans(1, 2)]);
    assert.deepEqual([...changes.at(-1)!.traceIds].sort(), [traceIdOf(1), traceIdOf(2)]);
    changes.length = 0;
    await time.runAll();
    const states = changes.map((change) => change.status.activity);
    assert.ok(states.includes('sending'));
    assert.equal(states.at(-1), 'idle');
    assert.ok(changes.some((change) => change.traceIds.includes(traceIdOf(2))));
  });

  it('resolves whenSettled once the traces are delivered', async () => {
    const { time, forwarder } = rig();
    forwarder.captured(fspans(2));
    let settled = false;
    void forwarder.whenSettled([traceIdOf(1)]).then(() => (settled = true));
    await settle();
    assert.equal(settled, false);
    await time.runAll();
    assert.equal(settled, true);
  });

  it('needs a key for manual forwards and auto-forward, and says so plainly', () => {
    const time = new FakeTime();
    const forwarder = new Forwarder({ transport: { send: () => Promise.reject(new Error('unused')) }, now: time.now, timers: time });
    assert.throws(() => forwarder.forwardSpans(fspans(1)), (error: unknown) => error instanceof ForwardConfigError && error.message === 'no Respan API key is set');
    assert.throws(() => forwarder.setAutoForward(true), /set the Respan API key before turning on auto-forward/);
    assert.throws(() => new Forwarder({ transport: { send: () => Promise.reject(new Error('unused')) }, now: time.now, timers: time, baseUrl: 'http://respan.example/api' }), /plain http/);
  });

  it('turns auto-forward off when the key is cleared; queued spans wait for a key', async () => {
    const { time, transport, forwarder } = rig();
    forwarder.captured(fspans(1));
    forwarder.clearApiKey();
    assert.equal(forwarder.autoForward, false);
    await time.runAll();
    assert.equal(transport.requests.length, 0);
    assert.equal(forwarder.status().activity, 'paused');
    assert.equal(forwarder.status().pausedReason, 'no Respan API key is set');
    assert.equal(forwarder.status().pausedBy, 'no-key');
    forwarder.setApiKey(KEY);
    await time.runAll();
    assert.equal(transport.requests.length, 1);
  });

  it('forgets finished spans of evicted traces but still delivers pending ones', async () => {
    const { time, forwarder } = rig();
    forwarder.captured(fspans(1, 1));
    await time.runAll();
    forwarder.captured(fspans(1, 2));
    forwarder.forget([traceIdOf(1), traceIdOf(2)]);
    assert.equal(forwarder.traceStatus(traceIdOf(1)).state, 'none');
    assert.equal(forwarder.traceStatus(traceIdOf(2)).state, 'pending');
    await time.runAll();
    assert.equal(forwarder.traceStatus(traceIdOf(2)).state, 'sent');
    assert.equal(forwarder.status().counts.sent, 1);
  });

  it('reports a partial success as a warning', async () => {
    const { time, transport, forwarder } = rig();
    transport.answer({ body: '{"partialSuccess":{"rejectedSpans":1,"errorMessage":"span too old"}}' });
    forwarder.captured(fspans(2));
    await time.runAll();
    assert.equal(forwarder.status().warning, 'Respan accepted the request but rejected 1 span: span too old');
  });

  describe('a batch Respan refuses as too large (413)', () => {
    // Two-digit span numbers: every span of these tests encodes to the same size.
    const tenSpans = () => fspans(10, 1, 10);

    it('is split in halves until Respan accepts them, delivering every span exactly once', async () => {
      const { time, transport, forwarder, logs } = rig();
      transport.refuseOver({ spans: 3 });
      const spans = tenSpans();
      forwarder.captured(spans);
      await time.runAll();
      assert.deepEqual(transport.batchSizes, [10, 5, 3, 3, 3, 1], 'halved twice, then sent at the lowered size');
      assert.deepEqual(transport.statuses, [413, 413, 200, 200, 200, 200]);
      assert.deepEqual(transport.acceptedKeys, spans.map(keyOf), 'every span accepted once, in order');
      const status = forwarder.status();
      assert.deepEqual(status.counts, { pending: 0, sending: 0, sent: 10, failed: 0, skipped: 0 });
      assert.equal(status.unsent, 0);
      assert.deepEqual(status.requests, { accepted: 4, failed: 2 });
      assert.equal(status.lastError?.status, 413);
      assert.equal(forwarder.traceStatus(traceIdOf(1)).state, 'sent');
      assert.ok(logs.some((line) => /^warn: Respan answered 413 Payload Too Large; 10 spans of 1 trace go again in halves/.test(line)), logs.join('\n'));
    });

    it('keeps later batches under the size Respan accepted, so they are not refused first', async () => {
      const { time, transport, forwarder } = rig();
      transport.refuseOver({ spans: 5 });
      forwarder.captured(tenSpans());
      await time.runAll();
      assert.deepEqual(transport.batchSizes, [10, 5, 5], 'one split: the halves are accepted');
      const later = fspans(12, 2, 10);
      forwarder.captured(later);
      await time.runAll();
      assert.deepEqual(transport.batchSizes.slice(3), [5, 5, 2], 'later batches start at the lowered size');
      assert.deepEqual(transport.statuses.slice(3), [200, 200, 200], 'and are not refused first');
      assert.equal(forwarder.status().counts.sent, 22);
      assert.equal(new Set(transport.acceptedKeys).size, 22);
    });

    it('forgets the lowered batch size when the base URL changes (another server, other limits)', async () => {
      const { time, transport, forwarder } = rig();
      transport.refuseOver({ spans: 5 });
      forwarder.captured(tenSpans());
      await time.runAll();
      transport.refuseOver({ spans: 100 });
      forwarder.setBaseUrl('https://api.eu.respan.example/api');
      forwarder.captured(fspans(12, 2, 10));
      await time.runAll();
      assert.deepEqual(transport.batchSizes.slice(3), [12], 'one batch again at the new server');
    });

    it('does not count a 413 as an attempt, waits no backoff and does not pause', async () => {
      const { time, transport, forwarder } = rig({ limits: { maxAttempts: 2 } });
      transport.refuseOver({ spans: 2 });
      transport.answer({ status: 503 });
      const spans = fspans(4, 1, 10);
      forwarder.captured(spans);
      await time.advance(1000);
      // The 413 and the split happen at once; only the 503 waits (0.75 s with random() = 0.5).
      assert.deepEqual(transport.statuses, [413, 503]);
      assert.equal(forwarder.status().activity, 'retrying');
      await time.runAll();
      assert.deepEqual(transport.batchSizes, [4, 2, 2, 2]);
      assert.deepEqual(transport.acceptedKeys, spans.map(keyOf));
      // Counting the 413 would have made the 503 the second and last attempt of the first half.
      assert.deepEqual(
        spans.map((span) => forwarder.spanStatus(span.traceId, span.spanId)?.attempts),
        [2, 2, 1, 1],
      );
      const status = forwarder.status();
      assert.equal(status.counts.sent, 4);
      assert.equal(status.pausedBy, null);
      assert.equal(status.autoForward, true);
      assert.equal(status.activity, 'idle');
    });

    it('fails only a span too large on its own, saying so with its size, and delivers the rest of its batch', async () => {
      const small = fspans(6, 1, 10);
      const huge = fspan({ span: 50, attributes: { text: 'x'.repeat(5000) } });
      const spans = [...small.slice(0, 2), huge, ...small.slice(2)];
      const { time, transport, forwarder, logs, changes } = rig({ source: storeOf(spans) });
      transport.refuseOver({ bytes: 3000, body: JSON.stringify({ message: `request too large for key ${KEY}` }) });
      forwarder.captured(spans);
      await time.runAll();
      assert.deepEqual(transport.statuses, [413, 413, 200, 413, 413, 200]);
      assert.deepEqual(transport.batchSizes, [7, 4, 2, 2, 1, 4]);
      assert.deepEqual([...transport.acceptedKeys].sort(), small.map(keyOf).sort(), 'every other span accepted once');
      const failed = forwarder.spanStatus(huge.traceId, huge.spanId)!;
      assert.equal(failed.state, 'failed');
      assert.equal(failed.failure, 'rejected');
      assert.match(failed.reason!, /^this span alone is larger than Respan accepts \(about 5\.4 KiB as a request; Respan answered 413 Payload Too Large: request too large for key \[api key hidden\]\)$/);
      const trace = forwarder.traceStatus(traceIdOf(1));
      assert.deepEqual(trace.counts, { pending: 0, sending: 0, sent: 6, failed: 1, skipped: 0 });
      assert.deepEqual(trace.failures, [{ spanId: huge.spanId, reason: failed.reason }]);
      assert.equal(forwarder.status().pausedBy, null);
      assert.ok(logs.some((line) => line.startsWith('error: 1 span of 1 trace not forwarded: this span alone is larger than Respan accepts')));
      const produced = [...logs, ...changes.map((change) => JSON.stringify(change)), JSON.stringify(forwarder.status()), JSON.stringify(trace)];
      for (const text of produced) assert.ok(!text.includes(KEY), `the key leaked into: ${text.slice(0, 300)}`);
    });

    it('on a retry by hand sends only the span that was too large, never the accepted ones', async () => {
      const small = fspans(6, 1, 10);
      const huge = fspan({ span: 50, attributes: { text: 'x'.repeat(5000) } });
      const spans = [...small.slice(0, 2), huge, ...small.slice(2)];
      const { time, transport, forwarder } = rig({ source: storeOf(spans) });
      transport.refuseOver({ bytes: 3000 });
      forwarder.captured(spans);
      await time.runAll();
      const before = transport.requests.length;
      assert.equal(forwarder.retryFailed(), 1);
      await time.runAll();
      assert.deepEqual(transport.requests.slice(before).map((request) => spanKeysInOtlpBodies([request.body])), [[keyOf(huge)]], 'one request, holding the big span alone');
      assert.equal(transport.statuses.at(-1), 413);
      assert.equal(forwarder.spanStatus(huge.traceId, huge.spanId)?.state, 'failed');
      assert.match(forwarder.spanStatus(huge.traceId, huge.spanId)!.reason!, /this span alone is larger than Respan accepts/);
      assert.equal(transport.acceptedKeys.length, 6);
      assert.equal(new Set(transport.acceptedKeys).size, 6);
      assert.deepEqual(forwarder.traceStatus(traceIdOf(1)).counts, { pending: 0, sending: 0, sent: 6, failed: 1, skipped: 0 });

      // A manual forward of the whole trace leaves the accepted spans alone too.
      const receipt = forwarder.forwardTraces([traceIdOf(1)]);
      assert.deepEqual({ queued: receipt.queued, alreadySent: receipt.alreadySent }, { queued: 1, alreadySent: 6 });
      await time.runAll();
      assert.equal(transport.acceptedKeys.length, 6);
    });
  });

  it('never lets the key into a message, status, reason, event or error', async () => {
    const spans = fspans(6);
    const { time, transport, forwarder, logs, changes } = rig({ source: storeOf(spans), limits: { maxBatchSpans: 1, maxAttempts: 2, maxQueuedSpans: 5 } });
    // Hostile answers and errors that repeat the key and the header back.
    transport.answer(
      new Error(`connect ECONNREFUSED with Authorization: Bearer ${KEY}`),
      { status: 503, body: `upstream saw key ${KEY}` },
      { status: 400, body: JSON.stringify({ message: `bad key ${KEY}` }) },
      { status: 200, body: JSON.stringify({ partialSuccess: { rejectedSpans: 1, errorMessage: `rejected for ${KEY}` } }) },
      { status: 302, headers: { location: `https://x.example/?key=${KEY}` } },
      { status: 401, body: `key ${KEY} is revoked` },
    );
    forwarder.captured(spans);
    await time.runAll();
    const produced: string[] = [...logs, ...changes.map((change) => JSON.stringify(change))];
    produced.push(JSON.stringify(forwarder.status()));
    for (const span of spans) {
      produced.push(JSON.stringify(forwarder.traceStatus(span.traceId)));
      produced.push(JSON.stringify(forwarder.spanStatus(span.traceId, span.spanId)));
    }
    produced.push(JSON.stringify(forwarder.preview(spans)));
    for (const attempt of [() => forwarder.setApiKey(`${KEY}\n`), () => forwarder.setApiKey(`bad key ${KEY}`), () => forwarder.setBaseUrl(`http://remote.example/${KEY}`)]) {
      try {
        attempt();
      } catch (error) {
        produced.push(String(error), (error as Error).stack ?? '');
      }
    }
    assert.ok(produced.length > 20);
    assert.ok(produced.some((text) => text.includes('[api key hidden]')), 'the hostile texts were seen, with the key hidden');
    for (const text of produced) assert.ok(!text.includes(KEY), `the key leaked into: ${text.slice(0, 300)}`);
    // Only the transport ever sees it, in the Authorization header.
    assert.ok(transport.requests.every((request) => request.headers.Authorization === `Bearer ${KEY}` && !request.body.includes(KEY)));
  });
});
