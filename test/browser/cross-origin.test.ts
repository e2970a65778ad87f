/**
 * Web pages against the listener, in real Chromium: a page on another origin
 * (cross-site, and same-site on another port) tries to read traces through the
 * query API and the live stream and to post spans; a DNS-rebinding page (its
 * name resolving to 127.0.0.1, so the browser calls it same-origin) tries to
 * read traces; an allowed origin may post spans but still not read; the
 * inspector's own page, with and without an access token, keeps working.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts --timeout 90000 test/browser/cross-origin.test.ts
 */

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { TraceStore } from '../../src/core/store';
import { InspectorServer } from '../../src/server/server';
import { buildBundles, launchChromium, ROOT } from './support';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SECRET = 'secret-prompt-4f1c';
const SPANS = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', name: SECRET, startTimeUnixNano: '1700000000000000000' }] }] }] });
const INJECTED = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ffffffffffffffffffffffffffffffff', spanId: '00000000000000ff', name: 'injected', startTimeUnixNano: '1' }] }] }] });

/** What a hostile page manages to do against `target`; run inside the page. */
interface AttackReport {
  corsRead: string;
  noCorsRead: string;
  credentialedRead: string;
  streamMessages: number;
  jsonPost: string;
  simplePost: string;
}

/**
 * The attack, as page script text: compiled test code would carry the
 * transpiler's helpers into the page, so it is written as plain JavaScript.
 */
const ATTACK = `async ({ target, injected }) => {
  const outcome = (promise) => promise.then((text) => 'read:' + text, (error) => 'blocked:' + error.name);
  const streamMessages = await new Promise((resolve) => {
    let messages = 0;
    const source = new EventSource(target + '/api/events');
    source.addEventListener('hello', () => messages++);
    source.onmessage = () => messages++;
    setTimeout(() => { source.close(); resolve(messages); }, 1500);
  });
  return {
    corsRead: await outcome(fetch(target + '/api/traces').then((r) => r.text())),
    noCorsRead: await outcome(fetch(target + '/api/traces', { mode: 'no-cors' }).then((r) => r.text())),
    credentialedRead: await outcome(fetch(target + '/api/traces/${TRACE}', { credentials: 'include' }).then((r) => r.text())),
    streamMessages,
    jsonPost: await outcome(fetch(target + '/v1/traces', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: injected }).then((r) => r.text())),
    simplePost: await outcome(fetch(target + '/v1/traces', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: injected }).then((r) => r.text())),
  };
}`;

async function attack(page: Page, target: string): Promise<AttackReport> {
  return (await page.evaluate(`(${ATTACK})(${JSON.stringify({ target, injected: INJECTED })})`)) as AttackReport;
}

function assertNothingGained(report: AttackReport, store: TraceStore): void {
  assert.match(report.corsRead, /^blocked:/, 'a CORS read is refused');
  assert.equal(report.noCorsRead, 'read:', 'a no-cors read is opaque: nothing to read');
  assert.match(report.credentialedRead, /^blocked:/);
  assert.equal(report.streamMessages, 0, 'the live stream tells the page nothing');
  assert.match(report.jsonPost, /^blocked:/, 'the preflight is refused');
  assert.equal(report.simplePost, 'read:', 'a simple POST is sent but its answer is opaque');
  assert.equal(store.get('ffffffffffffffffffffffffffffffff'), undefined, 'no span was injected');
  assert.equal(store.spanCount, 1);
}

describe('hostile pages in real Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  let evil: Server;
  let evilPort: number;
  let store: TraceStore;
  let inspector: InspectorServer;
  let inspectorPort: number;
  const webviewDir = join(ROOT, 'dist', 'webview');

  before(async () => {
    buildBundles();
    evil = createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><title>totally normal page</title><p>${request.headers.host}</p>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilPort = (evil.address() as AddressInfo).port;
    store = new TraceStore();
    inspector = new InspectorServer({ store, port: 0, webviewDir, allowedOrigins: [`http://allowed.test:${evilPort}`] });
    await inspector.start();
    inspectorPort = inspector.port;
    browser = await launchChromium([
      // Names of the attacker's that resolve to this machine, as DNS rebinding arranges.
      '--host-resolver-rules=MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1, MAP allowed.test 127.0.0.1',
      // Recent Chromium also blocks public pages from reaching loopback (Local Network Access);
      // other browsers and older versions do not, so the inspector's own defences are tested without it.
      '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests',
    ]);
  });
  after(async () => {
    await browser?.close();
    await inspector?.stop();
    evil?.close();
  });
  beforeEach(async () => {
    store.clear();
    const response = await fetch(`${inspector.url}/v1/traces`, { method: 'POST', body: SPANS, headers: { 'Content-Type': 'application/json' } });
    assert.equal(response.status, 200);
  });

  async function openPage(url: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(url);
    return page;
  }

  it('a cross-site page can neither read traces nor post spans', async () => {
    const page = await openPage(`http://evil.test:${evilPort}/`);
    try {
      assertNothingGained(await attack(page, `http://127.0.0.1:${inspectorPort}`), store);
      assertNothingGained(await attack(page, `http://localhost:${inspectorPort}`), store);
    } finally {
      await page.close();
    }
  });

  it('a same-site page on another port (another local dev server) can neither read traces nor post spans', async () => {
    const page = await openPage(`http://127.0.0.1:${evilPort}/`);
    try {
      assertNothingGained(await attack(page, `http://127.0.0.1:${inspectorPort}`), store);
    } finally {
      await page.close();
    }
  });

  it('a DNS-rebinding page, same-origin in the browser, is refused by the Host check', async () => {
    const page = await browser.newPage();
    try {
      const origin = `http://rebind.test:${inspectorPort}`;
      // The attacker's server answered the first load; afterwards the name points at 127.0.0.1.
      await page.route(`${origin}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>rebinding</title>' }));
      await page.goto(`${origin}/`);
      const seen = await page.evaluate(async () => {
        const response = await fetch('/api/traces');
        const stream = await new Promise<string>((resolve) => {
          const source = new EventSource('/api/events');
          source.addEventListener('hello', () => resolve('hello'));
          source.onerror = () => {
            source.close();
            resolve('error');
          };
        });
        const post = await fetch('/v1/traces', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        return { status: response.status, body: await response.text(), stream, postStatus: post.status };
      });
      assert.equal(seen.status, 403);
      assert.doesNotMatch(seen.body, new RegExp(SECRET));
      assert.match(seen.body, /not this inspector/);
      assert.equal(seen.stream, 'error');
      assert.equal(seen.postStatus, 403);
    } finally {
      await page.close();
    }
  });

  it('an allowed origin may post spans and read the answer, but still cannot read traces', async () => {
    const page = await openPage(`http://allowed.test:${evilPort}/`);
    try {
      const target = `http://127.0.0.1:${inspectorPort}`;
      const result = await page.evaluate(
        async ({ target, body }) => {
          const post = await fetch(`${target}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
          const read = await fetch(`${target}/api/traces`).then(
            (r) => `read:${r.status}`,
            (error: Error) => `blocked:${error.name}`,
          );
          return { postStatus: post.status, postBody: await post.text(), read };
        },
        { target, body: INJECTED },
      );
      assert.equal(result.postStatus, 200);
      assert.equal(result.postBody, '{}');
      assert.match(result.read, /^blocked:/);
      assert.ok(store.get('ffffffffffffffffffffffffffffffff'), 'the allowed page sent its span');
    } finally {
      await page.close();
    }
  });

  it("the inspector's own page still reads traces and the live stream (same origin)", async () => {
    const page = await openPage(`${inspector.url}/`);
    try {
      const seen = await page.evaluate(async () => {
        const list = await (await fetch('/api/traces')).text();
        const hello = await new Promise<string>((resolve) => {
          const source = new EventSource('/api/events');
          source.addEventListener('hello', (event) => {
            source.close();
            resolve((event as MessageEvent<string>).data);
          });
        });
        return { list, hello };
      });
      assert.match(seen.list, new RegExp(SECRET));
      assert.equal(JSON.parse(seen.hello).spanCount, 1);
      await page.waitForFunction((secret) => document.body.innerText.includes(secret), SECRET, { timeout: 15_000 });
    } finally {
      await page.close();
    }
  });

  it('with an access token, the UI link signs the browser in and a bare visit is refused', async () => {
    const token = 'ui-token-7d2e';
    const guarded = new InspectorServer({ store, port: 0, webviewDir, apiToken: token });
    await guarded.start();
    const page = await browser.newPage();
    try {
      const bare = await page.goto(`${guarded.url}/`);
      assert.equal(bare?.status(), 401);
      await page.goto(`${guarded.url}/?token=${token}`);
      assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
      const status = await page.evaluate(async () => (await fetch('/api/traces')).status);
      assert.equal(status, 200);
      await page.waitForFunction((secret) => document.body.innerText.includes(secret), SECRET, { timeout: 15_000 });
      const evilPage = await openPage(`http://evil.test:${evilPort}/`);
      try {
        const read = await evilPage.evaluate((target) => fetch(`${target}/api/traces`, { credentials: 'include' }).then((r) => `read:${r.status}`, (e: Error) => `blocked:${e.name}`), guarded.url);
        assert.match(read, /^blocked:/);
      } finally {
        await evilPage.close();
      }
    } finally {
      await page.close();
      await guarded.stop();
    }
  });
});
