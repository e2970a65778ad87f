/**
 * The UI served over https by a TLS proxy or a forwarded port (Codespaces,
 * code-server): the page's own requests carry `Origin: https://<the Host>`
 * and must be answered like those of the page served over http, while every
 * other origin stays refused. Requests are sent as the proxy passes them on:
 * the public Host, `X-Forwarded-Proto: https`, and the browser's Origin and
 * `Sec-Fetch-Site`.
 */
import * as assert from 'node:assert/strict';
import { TraceStore } from '../../src/core/store';
import { createNodeForwarder, type NodeForwarding } from '../../src/server/forwarding';
import { InspectorServer } from '../../src/server/server';
import { FakeRespan } from '../support/fakeRespan';
import { messageOf, rawRequest } from '../support/rawHttp';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPANS = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', name: 'chat', startTimeUnixNano: '1' }] }] }] });
const FORWARDED_HOST = 'inspector-4318.preview.app.github.dev';

describe('https origins: the page served through a TLS proxy', function () {
  this.timeout(30_000);
  let fake: FakeRespan;
  let forwarding: NodeForwarding;
  let store: TraceStore;
  let server: InspectorServer;

  before(async () => {
    fake = new FakeRespan();
    await fake.start();
    store = new TraceStore();
    forwarding = createNodeForwarder({ store, apiKey: 'rk_https_origin_test', baseUrl: fake.baseUrl, autoForward: false, log: () => undefined });
    server = new InspectorServer({ store, port: 0, allowedHosts: [FORWARDED_HOST], forwarding: forwarding.forwarder });
    await server.start();
  });
  after(async () => {
    forwarding.dispose();
    await server.stop();
    await fake.stop();
  });
  beforeEach(async () => {
    store.clear();
    assert.equal((await rawRequest(`${server.url}/v1/traces`, { method: 'POST', body: SPANS, headers: { 'Content-Type': 'application/json' } })).status, 200);
  });

  /** What the proxy passes on for a request of the page at `https://{host}`. */
  const proxied = (host: string, origin = `https://${host}`, site = 'same-origin') => ({ Host: host, Origin: origin, 'Sec-Fetch-Site': site, 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' });
  const send = (method: string, path: string, headers: Record<string, string>, body?: string) => rawRequest(`${server.url}${path}`, { method, headers, body });

  for (const host of [FORWARDED_HOST, 'localhost:PORT']) {
    it(`answers the page's own requests from https://${host}: read, pin, unpin, forward, delete, upload`, async () => {
      const headers = proxied(host.replace('PORT', String(server.port)));
      assert.equal((await send('GET', '/api/traces', headers)).status, 200);
      assert.equal((await send('POST', `/api/traces/${TRACE}/pin`, headers)).status, 200);
      assert.equal(store.get(TRACE)?.pinned, true);
      assert.equal((await send('DELETE', `/api/traces/${TRACE}/pin`, headers)).status, 200);
      assert.equal(store.get(TRACE)?.pinned, false);
      const forward = await send('POST', `/api/traces/${TRACE}/forward`, headers);
      assert.equal(forward.status, 202, forward.text);
      assert.equal((await send('POST', '/v1/traces', { ...headers, 'Content-Type': 'application/json' }, SPANS)).status, 200);
      assert.equal((await send('DELETE', `/api/traces/${TRACE}`, headers)).status, 200);
      assert.equal(store.get(TRACE), undefined);
    });
  }

  const refused: Array<[string, Record<string, string>]> = [
    ['another site over https', proxied(FORWARDED_HOST, 'https://evil.example')],
    ['another port of the same name', proxied(FORWARDED_HOST, `https://${FORWARDED_HOST}:8443`)],
    ['a sibling name under the same domain', proxied(FORWARDED_HOST, 'https://other-4318.preview.app.github.dev')],
    ['a scheme other than http or https', proxied(FORWARDED_HOST, `ftp://${FORWARDED_HOST}`)],
    ['a null origin (sandboxed frame)', proxied(FORWARDED_HOST, 'null')],
    ['its own origin but cross-site by Sec-Fetch-Site', proxied(FORWARDED_HOST, `https://${FORWARDED_HOST}`, 'cross-site')],
  ];
  for (const [what, headers] of refused) {
    it(`refuses ${what}: reads, pins, forwards and deletes get 403`, async () => {
      for (const [method, path] of [
        ['GET', '/api/traces'],
        ['POST', `/api/traces/${TRACE}/pin`],
        ['POST', `/api/traces/${TRACE}/forward`],
        ['DELETE', `/api/traces/${TRACE}`],
      ]) {
        const response = await send(method, path, headers);
        assert.equal(response.status, 403, `${method} ${path}`);
        assert.match(messageOf(response), /cross-origin|another web page/);
      }
      assert.equal(store.get(TRACE)?.pinned, false);
      assert.ok(store.get(TRACE), 'not deleted');
    });
  }

  it('refuses a page whose Host is not this inspector, whatever its scheme', async () => {
    const response = await send('POST', `/api/traces/${TRACE}/pin`, proxied('evil.example'));
    assert.equal(response.status, 403);
    assert.match(messageOf(response), /is not this inspector/);
  });
});
