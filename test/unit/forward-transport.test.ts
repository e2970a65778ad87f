import { strict as assert } from 'node:assert';
import { ForwardConfigError } from '../../src/core/forward/destination';
import { MIN_HIDDEN_KEY_RUN, SecretScrubber } from '../../src/core/forward/secrets';
import {
  NO_KEY_MESSAGE,
  RespanTransport,
  WRONG_KEY_MESSAGE,
  type ForwardRequest,
  type ForwardResponse,
  type RetryLimits,
  type SendOutcome,
} from '../../src/core/forward/transport';

const KEY = 'rk_unit_SECRET_0a1b2c3d4e5f';
const URL = 'https://respan.example/api/v2/traces';
const LIMITS: RetryLimits = { requestTimeoutMs: 5000, baseRetryDelayMs: 1000, maxRetryDelayMs: 8000, maxRetryAfterMs: 60_000 };

type Answer = Partial<ForwardResponse> | Error;

interface Rig {
  transport: RespanTransport;
  requests: ForwardRequest[];
  /** Answers given in order, then 200. */
  answer(...answers: Answer[]): void;
  clock: { nowMs: number };
  /** Runs while the next request is out, before its answer. */
  duringRequest(action: () => void): void;
}

function rig(options: { random?: () => number; limits?: Partial<RetryLimits>; userAgent?: string; key?: string | null } = {}): Rig {
  const requests: ForwardRequest[] = [];
  const script: Answer[] = [];
  const clock = { nowMs: Date.UTC(2025, 0, 1) };
  let during: (() => void) | undefined;
  const transport = new RespanTransport({
    transport: {
      send: async (request) => {
        requests.push(request);
        const action = during;
        during = undefined;
        action?.();
        const next = script.shift() ?? {};
        if (next instanceof Error) throw next;
        return { status: 200, headers: {}, body: '', ...next };
      },
    },
    now: () => clock.nowMs,
    random: options.random ?? (() => 0.5),
    scrubber: new SecretScrubber(),
    limits: { ...LIMITS, ...options.limits },
    userAgent: options.userAgent,
  });
  if (options.key !== null) transport.setKey(options.key ?? KEY);
  return {
    transport,
    requests,
    answer: (...answers) => script.push(...answers),
    clock,
    duringRequest: (action) => (during = action),
  };
}

async function outcomeOf(answer: Answer): Promise<SendOutcome> {
  const { transport, answer: give } = rig();
  give(answer);
  return transport.send(URL, '{}');
}

/** Every run of the key long enough to be hidden, for scanning texts. */
function keyRuns(): string[] {
  return Array.from({ length: KEY.length - MIN_HIDDEN_KEY_RUN + 1 }, (_, at) => KEY.slice(at, at + MIN_HIDDEN_KEY_RUN));
}

describe('Respan transport', () => {
  it('posts the body with the key, the headers and the timeout', async () => {
    const { transport, requests } = rig({ userAgent: 'inspector-unit' });
    await transport.send(URL, '{"resourceSpans":[]}');
    assert.deepEqual(requests, [
      {
        url: URL,
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', 'User-Agent': 'inspector-unit' },
        body: '{"resourceSpans":[]}',
        timeoutMs: 5000,
      },
    ]);
  });

  it('refuses to send without a key, saying so plainly', async () => {
    const { transport, requests } = rig({ key: null });
    assert.equal(transport.hasKey, false);
    await assert.rejects(transport.send(URL, '{}'), (error: unknown) => error instanceof ForwardConfigError && error.message === NO_KEY_MESSAGE);
    assert.equal(requests.length, 0);
    transport.setKey(KEY);
    assert.equal(transport.hasKey, true);
    transport.clearKey();
    assert.equal(transport.hasKey, false);
  });

  it('checks a key before taking it, without quoting it', () => {
    const { transport } = rig({ key: null });
    assert.throws(() => transport.setKey(`bad key ${KEY}`), (error: unknown) => error instanceof ForwardConfigError && !String(error).includes(KEY));
    assert.equal(transport.hasKey, false);
  });

  it('retries 429, 502, 503, 504 and network errors, and nothing else', async () => {
    for (const status of [429, 502, 503, 504]) {
      const outcome = await outcomeOf({ status });
      assert.equal(outcome.kind, 'retry', `${status}`);
      assert.equal(outcome.kind === 'retry' && outcome.countsAsAttempt, true);
    }
    const network = await outcomeOf(new Error('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }));
    assert.deepEqual(network, {
      kind: 'retry',
      message: `could not reach Respan at ${URL}: fetch failed: connect ECONNREFUSED 127.0.0.1:9`,
      status: null,
      delayMs: 750,
      countsAsAttempt: true,
    });
    for (const status of [400, 404, 408, 409, 422, 500, 501]) {
      assert.equal((await outcomeOf({ status })).kind, 'rejected', `${status} is final`);
    }
  });

  it('says a 401 or 403 means the key is wrong, with the server message', async () => {
    for (const status of [401, 403]) {
      const outcome = await outcomeOf({ status, body: '{"detail":"Invalid API key"}' });
      assert.equal(outcome.kind, 'auth');
      assert.ok(outcome.kind === 'auth' && outcome.message.startsWith(`${WRONG_KEY_MESSAGE} (Respan answered ${status} `), JSON.stringify(outcome));
      assert.match(outcome.kind === 'auth' ? outcome.message : '', /Invalid API key\); set a valid key to resume forwarding$/);
    }
  });

  it('tells a 413 apart from other refusals, and names a redirect with where it goes', async () => {
    assert.deepEqual(await outcomeOf({ status: 413, body: 'request entity too large' }), {
      kind: 'too-large',
      status: 413,
      message: 'Respan answered 413 Payload Too Large: request entity too large',
    });
    const redirect = await outcomeOf({ status: 307, headers: { location: 'https://api.eu.respan.example/api/v2/traces' } });
    assert.equal(redirect.kind, 'rejected');
    assert.match(redirect.kind === 'rejected' ? redirect.message : '', /a redirect to https:\/\/api\.eu\.respan\.example\/api\/v2\/traces\); set the Respan base URL to the final address$/);
  });

  it('accepts 2xx, with a warning for a partial success', async () => {
    assert.deepEqual(await outcomeOf({ status: 200, body: '{"partialSuccess":{}}' }), { kind: 'accepted', warning: null });
    assert.deepEqual(await outcomeOf({ status: 202, body: 'not json' }), { kind: 'accepted', warning: null });
    assert.deepEqual(await outcomeOf({ status: 200, body: '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}' }), {
      kind: 'accepted',
      warning: 'Respan accepted the request but rejected 2 spans: too old',
    });
  });

  it('backs off exponentially with jitter per consecutive retry, capped, and starts over after any other answer', async () => {
    const { transport, answer, clock } = rig({ random: () => 0 });
    answer({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 400 }, { status: 503 });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const outcome = await transport.send(URL, '{}');
      delays.push(outcome.kind === 'retry' ? outcome.delayMs : -1);
      if (outcome.kind === 'retry') assert.equal(transport.retryAtMs, clock.nowMs + outcome.delayMs);
      else assert.equal(transport.retryAtMs, 0, 'a final answer ends the wait');
    }
    // random() = 0: half of 1 s, 2 s, 4 s, then the 8 s cap; the 400 resets the sequence.
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 4000, -1, 500]);

    const high = rig({ random: () => 0.999 });
    high.answer({ status: 502 });
    const outcome = await high.transport.send(URL, '{}');
    // random() = 0.999: half of the 1 s step plus 0.999 of the other half.
    assert.ok(outcome.kind === 'retry', outcome.kind);
    assert.equal(outcome.delayMs, 999.5, 'jitter reaches up to the full step');
  });

  it('honours Retry-After in seconds or as an HTTP date, capped; an unreadable one falls back to backoff', async () => {
    const seconds = await outcomeOf({ status: 429, headers: { 'retry-after': '7' } });
    assert.equal(seconds.kind === 'retry' && seconds.delayMs, 7000);
    const capped = await outcomeOf({ status: 503, headers: { 'retry-after': '3600' } });
    assert.equal(capped.kind === 'retry' && capped.delayMs, 60_000);
    const { transport, answer, clock } = rig();
    answer({ status: 503, headers: { 'retry-after': new Date(clock.nowMs + 20_000).toUTCString() } });
    const dated = await transport.send(URL, '{}');
    assert.equal(dated.kind === 'retry' && dated.delayMs, 20_000);
    assert.equal(transport.retryAtMs, clock.nowMs + 20_000);
    const unreadable = await outcomeOf({ status: 503, headers: { 'retry-after': 'soon' } });
    assert.equal(unreadable.kind === 'retry' && unreadable.delayMs, 750);
  });

  it('retries at once, without counting an attempt, a 401 to a key replaced while the request was out', async () => {
    const { transport, answer, duringRequest } = rig();
    answer({ status: 401 }, { status: 401 });
    duringRequest(() => transport.setKey('rk_unit_new_key_0001'));
    assert.deepEqual(await transport.send(URL, '{}'), {
      kind: 'retry',
      message: 'the Respan API key changed during the request',
      status: 401,
      delayMs: 0,
      countsAsAttempt: false,
    });
    const again = await transport.send(URL, '{}');
    assert.equal(again.kind, 'auth', 'the same key refused again is wrong');
  });

  it('reports what the requests came to', async () => {
    const { transport, answer, clock } = rig();
    assert.deepEqual(transport.report(), { lastError: null, warning: null, lastSentAtMs: null, requests: { accepted: 0, failed: 0 } });
    answer({ status: 200, body: '{"partialSuccess":{"errorMessage":"slow down"}}' }, { status: 400, body: '{"message":"bad span"}' }, { status: 200 });
    await transport.send(URL, '{}');
    const sentAt = clock.nowMs;
    assert.equal(transport.report().warning, 'Respan accepted the request with a warning: slow down');
    clock.nowMs += 1000;
    await transport.send(URL, '{}');
    assert.deepEqual(transport.report(), {
      lastError: { message: 'Respan answered 400 Bad Request: bad span', atMs: clock.nowMs, status: 400 },
      warning: 'Respan accepted the request with a warning: slow down',
      lastSentAtMs: sentAt,
      requests: { accepted: 1, failed: 1 },
    });
    clock.nowMs += 1000;
    await transport.send(URL, '{}');
    assert.equal(transport.report().warning, null, 'a clean acceptance clears the warning');
    assert.equal(transport.report().lastSentAtMs, clock.nowMs);
  });

  it('hides the key in every outcome and report, even where a message is cut inside it', async () => {
    const { transport, answer } = rig();
    // The server message is cut at 500 characters: this puts the cut in the middle of the key.
    const cutInside = `${'x'.repeat(500 - KEY.length / 2)}${KEY} and more`;
    answer(
      { status: 400, body: JSON.stringify({ message: cutInside }) },
      { status: 401, body: `key ${KEY} is revoked` },
      { status: 503, body: `upstream saw Authorization: Bearer ${KEY}` },
      new Error(`connect ECONNREFUSED with ${KEY}`),
      { status: 302, headers: { location: `https://x.example/?key=${KEY}` } },
      { status: 200, body: JSON.stringify({ partialSuccess: { rejectedSpans: 1, errorMessage: `rejected for ${KEY}` } }) },
    );
    const texts: string[] = [];
    for (let i = 0; i < 6; i++) {
      texts.push(JSON.stringify(await transport.send(URL, '{}')));
      texts.push(JSON.stringify(transport.report()));
    }
    assert.ok(texts.some((text) => text.includes('[api key hidden]')), 'the hostile texts were seen, with the key hidden');
    for (const text of texts) for (const run of keyRuns()) assert.ok(!text.includes(run), `"${run}" of the key leaked into: ${text.slice(0, 300)}`);
  });

  it('hides the key before shortening a server message, so a cut cannot leave a piece too short to recognise', async () => {
    const head = KEY.slice(0, MIN_HIDDEN_KEY_RUN - 1);
    // The message is cut at 500 characters: without hiding first, the cut keeps the key's first 7 characters.
    const outcome = await outcomeOf({ status: 400, body: JSON.stringify({ message: `${'x'.repeat(500 - head.length)}${KEY}` }) });
    assert.equal(outcome.kind, 'rejected');
    const message = outcome.kind === 'rejected' ? outcome.message : '';
    assert.ok(message.endsWith(`x${'[api key hidden]'.slice(0, head.length)}…`), message.slice(-40));
    assert.ok(!message.includes(head));
  });
});
