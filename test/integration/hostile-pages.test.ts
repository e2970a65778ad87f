/**
 * The listener against web pages: Host checks (DNS rebinding), no cross-origin
 * reads of the API or live stream, span uploads from browsers only for allowed
 * origins, and the access token. Browser-level proof is in
 * test/browser/cross-origin.test.ts; these tests pin down each rule on the wire.
 */
import * as assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { TraceStore } from '../../src/core/store';
import { parseArgs, UsageError } from '../../src/cli/main';
import { isLoopbackHost } from '../../src/core/net/loopback';
import { hostNameOf, parseAllowedOrigin } from '../../src/server/guard';
import { startInspector } from '../../src/server/listener';
import { InspectorServer } from '../../src/server/server';
import { messageOf, rawRequest, type RawResponse } from '../support/rawHttp';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPANS = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', name: 'secret prompt', startTimeUnixNano: '1' }] }] }] });

function assertNoCors(response: RawResponse): void {
  const cors = Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));
  assert.deepEqual(cors, [], `no CORS headers, got ${cors.join(', ')}`);
}

describe('hostile pages: the HTTP guard', function () {
  this.timeout(30_000);
  let store: TraceStore;
  let server: InspectorServer;
  let base: string;
  let port: number;
  const allowed = 'http://localhost:5173';

  before(async () => {
    store = new TraceStore();
    server = new InspectorServer({ store, port: 0, allowedOrigins: [allowed], allowedHosts: ['devbox.internal'] });
    await server.start();
    base = server.url;
    port = server.port;
  });
  after(() => server.stop());
  beforeEach(() => store.clear());

  const get = (path: string, headers: Record<string, string> = {}) => rawRequest(`${base}${path}`, { headers });
  const postSpans = (headers: Record<string, string> = {}, path = '/v1/traces') => rawRequest(`${base}${path}`, { method: 'POST', body: SPANS, headers: { 'Content-Type': 'application/json', ...headers } });

  describe('Host header (DNS rebinding)', () => {
    for (const host of ['evil.example', 'evil.example:4318', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.1', 'attacker.com:80', 'app.localhost']) {
      it(`refuses Host "${host}" on the API, the receivers and the UI with 403`, async () => {
        for (const response of [await get('/api/traces', { Host: host }), await postSpans({ Host: host }), await get('/', { Host: host }), await get('/api/events', { Host: host })]) {
          assert.equal(response.status, 403);
          assert.match(messageOf(response), /is not this inspector.*DNS-rebinding/);
          assertNoCors(response);
        }
        assert.equal(store.spanCount, 0);
      });
    }

    for (const host of ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1.2.3', '[::1]', 'devbox.internal', 'DevBox.Internal']) {
      it(`answers Host "${host}:port"`, async () => {
        assert.equal((await get('/api/traces', { Host: `${host}:${port}` })).status, 200);
      });
    }

    it('refuses an HTTP/1.1 request without a Host header (Node answers 400 before the guard)', async () => {
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port, path: '/api/traces', setHost: false, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        request.on('error', reject);
        request.end();
      });
      assert.equal(response.status, 400);
      assert.doesNotMatch(response.body, /traces/);
    });

    it('reads host names out of Host headers strictly', () => {
      assert.equal(hostNameOf('LocalHost:4318'), 'localhost');
      assert.equal(hostNameOf('[::1]:4318'), '::1');
      assert.equal(hostNameOf('[::1]x'), undefined);
      assert.equal(hostNameOf('evil.com@localhost'), undefined);
      assert.equal(hostNameOf('localhost:99999999'), undefined);
      assert.ok(isLoopbackHost('127.255.0.1') && isLoopbackHost('[::1]') && !isLoopbackHost('127.0.0.1.evil.com') && !isLoopbackHost('0.0.0.0'));
    });
  });

  describe('query API and live stream', () => {
    const foreign: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: `http://127.0.0.1:${1}` },
      { Origin: allowed },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
      { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://ignored' },
    ];
    for (const headers of foreign) {
      it(`refuses a cross-origin read (${JSON.stringify(headers)}) with 403 and no CORS headers`, async () => {
        for (const path of ['/api/traces', '/api/status', '/api/facets', '/api/events', `/api/traces/${TRACE}`]) {
          const response = await get(path, headers);
          assert.equal(response.status, 403, path);
          assert.match(messageOf(response), /cross-origin request/);
          assertNoCors(response);
        }
      });
    }

    it('refuses cross-origin writes: clearing, pinning, importing', async () => {
      assert.equal((await postSpans()).status, 200);
      for (const [method, path] of [
        ['DELETE', '/api/traces'],
        ['POST', `/api/traces/${TRACE}/pin`],
        ['DELETE', `/api/traces/${TRACE}`],
        ['POST', '/api/import'],
      ]) {
        const response = await rawRequest(`${base}${path}`, { method, body: SPANS, headers: { Origin: 'https://evil.example', 'Content-Type': 'text/plain' } });
        assert.equal(response.status, 403, `${method} ${path}`);
      }
      assert.equal(store.spanCount, 1);
      assert.equal(store.get(TRACE)!.pinned, false);
    });

    it('answers CORS preflights on the API with 403 and no CORS headers', async () => {
      const response = await rawRequest(`${base}/api/traces`, { method: 'OPTIONS', headers: { Origin: allowed, 'Access-Control-Request-Method': 'GET' } });
      assert.equal(response.status, 403);
      assertNoCors(response);
    });

    it('answers its own page (same origin) and non-browser clients', async () => {
      for (const headers of <Record<string, string>[]>[{}, { 'Sec-Fetch-Site': 'same-origin' }, { 'Sec-Fetch-Site': 'none' }, { Origin: base, 'Sec-Fetch-Site': 'same-origin' }, { Host: `localhost:${port}`, Origin: `http://localhost:${port}` }]) {
        const response = await get('/api/traces', headers);
        assert.equal(response.status, 200, JSON.stringify(headers));
        assertNoCors(response);
      }
    });
  });

  describe('span receivers', () => {
    it('refuses uploads from a page whose origin is not allowed, with a message naming the flag', async () => {
      for (const path of ['/v1/traces', '/api/v2/traces', '/api/v1/traces/ingest', '/v1/logs', '/v1/metrics']) {
        const response = await postSpans({ Origin: 'https://evil.example', 'Content-Type': 'text/plain' }, path);
        assert.equal(response.status, 403, path);
        assert.match(messageOf(response), /--allow-origin https:\/\/evil\.example/);
        assertNoCors(response);
      }
      assert.equal((await postSpans({ 'Sec-Fetch-Site': 'cross-site' })).status, 403);
      assert.equal(store.spanCount, 0);
    });

    it('refuses CORS preflights from origins not allowed', async () => {
      const response = await rawRequest(`${base}/v1/traces`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
      assert.equal(response.status, 403);
      assertNoCors(response);
    });

    it('answers CORS preflights from allowed origins, private network access included', async () => {
      const response = await rawRequest(`${base}/v1/traces`, {
        method: 'OPTIONS',
        headers: { Origin: allowed, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, x-respan-dogfood', 'Access-Control-Request-Private-Network': 'true' },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers['access-control-allow-origin'], allowed);
      assert.equal(response.headers['access-control-allow-methods'], 'POST');
      assert.equal(response.headers['access-control-allow-headers'], 'content-type, x-respan-dogfood');
      assert.equal(response.headers['access-control-allow-private-network'], 'true');
      assert.equal(response.headers.vary, 'Origin');
    });

    it('takes uploads from allowed origins and lets them read the answer', async () => {
      const response = await postSpans({ Origin: allowed });
      assert.equal(response.status, 200);
      assert.equal(response.headers['access-control-allow-origin'], allowed);
      assert.equal(store.spanCount, 1);
      const api = await get('/api/traces', { Origin: allowed });
      assert.equal(api.status, 403, 'an origin allowed to send spans still cannot read them');
    });

    it('takes uploads from SDKs (no Origin) and from its own page', async () => {
      assert.equal((await postSpans()).status, 200);
      assert.equal((await postSpans({ Origin: base })).status, 200);
    });

    it('answers OPTIONS without Origin like any other wrong method', async () => {
      const response = await rawRequest(`${base}/v1/traces`, { method: 'OPTIONS' });
      assert.equal(response.status, 405);
      assert.equal(response.headers.allow, 'POST');
    });
  });
});

describe('hostile pages: an origin allowed on every port', function () {
  this.timeout(30_000);
  let store: TraceStore;
  let server: InspectorServer;

  before(async () => {
    store = new TraceStore();
    server = new InspectorServer({ store, port: 0, allowedOrigins: [parseAllowedOrigin('http://localhost:*')!] });
    await server.start();
  });
  after(() => server.stop());

  it('takes uploads from that host on any port, and from no other host or scheme', async () => {
    const post = (origin: string) => rawRequest(`${server.url}/v1/traces`, { method: 'POST', body: SPANS, headers: { 'Content-Type': 'application/json', Origin: origin } });
    for (const origin of ['http://localhost:5173', 'http://localhost:3000', 'http://localhost']) {
      const response = await post(origin);
      assert.equal(response.status, 200, origin);
      assert.equal(response.headers['access-control-allow-origin'], origin);
    }
    for (const origin of ['http://127.0.0.1:5173', 'https://localhost:5173', 'http://localhost.evil.example:5173', 'http://evil-localhost:5173']) {
      assert.equal((await post(origin)).status, 403, origin);
    }
  });
});

describe('hostile pages: the access token', function () {
  this.timeout(30_000);
  const token = 'tok-3f9a1c8e-test';
  let store: TraceStore;
  let server: InspectorServer;
  let base: string;

  before(async () => {
    store = new TraceStore();
    server = new InspectorServer({ store, port: 0, apiToken: token });
    await server.start();
    base = server.url;
  });
  after(() => server.stop());

  it('requires the token on every /api route, answering 401 with WWW-Authenticate', async () => {
    for (const path of ['/api/traces', '/api/status', '/api/events', '/api/facets']) {
      for (const headers of <Record<string, string>[]>[{}, { Authorization: 'Bearer wrong' }, { Authorization: `Basic ${token}` }, { Cookie: `respan_inspector_token_${server.port}=wrong` }]) {
        const response = await rawRequest(`${base}${path}`, { headers });
        assert.equal(response.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.match(String(response.headers['www-authenticate']), /^Bearer/);
        assert.match(messageOf(response), /access token/);
      }
    }
    assert.equal((await rawRequest(`${base}/api/traces`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  });

  it('does not require it from span senders, whose Authorization is their Respan key', async () => {
    const response = await rawRequest(`${base}/v1/traces`, { method: 'POST', body: SPANS, headers: { 'Content-Type': 'application/json', Authorization: 'Bearer rsp-user-key' } });
    assert.equal(response.status, 200);
  });

  it('trades ?token= for an HttpOnly SameSite=Strict cookie the UI then carries', async () => {
    assert.equal((await rawRequest(`${base}/`)).status, 401);
    assert.equal((await rawRequest(`${base}/?token=wrong`)).status, 401);
    const opened = await rawRequest(`${base}/?token=${token}`);
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.location, '/');
    const cookie = String(opened.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const pair = cookie.split(';')[0];
    assert.equal((await rawRequest(`${base}/`, { headers: { Cookie: pair } })).status, 200);
    assert.equal((await rawRequest(`${base}/api/traces`, { headers: { Cookie: `other=1; ${pair}` } })).status, 200);
  });

  it('is generated, and required, when the listener is bound beyond loopback', async () => {
    const inspector = await startInspector({ store: new TraceStore(), host: '0.0.0.0', httpPort: 0, grpcPort: null });
    try {
      assert.equal(inspector.exposed, true);
      assert.match(inspector.apiToken ?? '', /^[A-Za-z0-9_-]{32}$/);
      assert.match(inspector.uiUrl ?? '', new RegExp(`/\\?token=${inspector.apiToken}$`));
      const url = `http://127.0.0.1:${inspector.http!.port}/api/traces`;
      assert.equal((await rawRequest(url)).status, 401);
      assert.equal((await rawRequest(url, { headers: { Authorization: `Bearer ${inspector.apiToken}` } })).status, 200);
    } finally {
      await inspector.stop();
    }
    const direct = new InspectorServer({ store: new TraceStore(), host: '0.0.0.0', port: 0 });
    await direct.start();
    try {
      assert.ok(direct.apiToken, 'an InspectorServer bound beyond loopback makes its own token');
      assert.equal((await rawRequest(`http://127.0.0.1:${direct.port}/api/traces`)).status, 401);
    } finally {
      await direct.stop();
    }
    const local = await startInspector({ store: new TraceStore(), httpPort: 0, grpcPort: null });
    try {
      assert.equal(local.exposed, false);
      assert.equal(local.apiToken, undefined);
    } finally {
      await local.stop();
    }
  });
});

describe('hostile pages: command-line flags', () => {
  it('reads --allow-origin (repeatable), --allow-host, --api-token and --no-grpc', () => {
    const options = parseArgs(['--allow-origin', 'http://localhost:3000', '--allow-origin=https://app.example/', '--allow-origin', 'HTTP://LocalHost:*', '--allow-host', 'devbox.local', '--api-token', 's3cret', '--no-grpc']);
    assert.deepEqual(options.allowOrigins, ['http://localhost:3000', 'https://app.example', 'http://localhost:*']);
    assert.deepEqual(options.allowHosts, ['devbox.local']);
    assert.equal(options.apiToken, 's3cret');
    assert.equal(options.grpcPort, null);
  });

  it('refuses origins with a path, other schemes, and tokens with spaces', () => {
    for (const bad of ['localhost:3000', 'http://localhost:3000/app', 'file:///tmp/x.html', '*', 'http://*', 'http://*:3000', 'http://localhost:3000:*', 'http://localhost:*/app']) {
      assert.throws(() => parseArgs(['--allow-origin', bad]), (error: Error) => error instanceof UsageError && /--allow-origin needs an origin/.test(error.message), bad);
    }
    assert.throws(() => parseArgs(['--api-token', 'a b']), UsageError);
    assert.throws(() => parseArgs(['--allow-host', 'evil.com:80']), UsageError);
  });
});
