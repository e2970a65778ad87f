/**
 * Sharing a trace with Respan from the browser UI: the standalone command
 * started with a key (not auto-forwarding), a person clicks "Send to Respan",
 * and a fake Respan endpoint on loopback receives exactly that trace.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { FakeRespan } from '../support/fakeRespan';
import { buildBundles, ensureScreenshotDir, hexId, launchChromium, postOtlp, startInspector, type RunningInspector } from './support';

const API_KEY = 'sk-browser-test-0123456789';

describe('browser UI: send a trace to Respan', function () {
  this.timeout(60_000);
  let fake: FakeRespan;
  let inspector: RunningInspector;
  let browser: Browser;
  const shots = ensureScreenshotDir();
  const traceId = hexId(0xf0a4d, 32);

  before(async () => {
    buildBundles();
    fake = new FakeRespan([API_KEY]);
    await fake.start();
    inspector = await startInspector([], { RESPAN_API_KEY: API_KEY, RESPAN_BASE_URL: fake.baseUrl });
    browser = await launchChromium();
    await postOtlp(inspector.url, [
      {
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'share-me' } }] },
            scopeSpans: [
              {
                spans: [
                  { traceId, spanId: hexId(1), name: 'share.workflow', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000', attributes: [{ key: 'traceloop.span.kind', value: { stringValue: 'workflow' } }] },
                  { traceId, spanId: hexId(2), parentSpanId: hexId(1), name: 'openai.chat', startTimeUnixNano: '1700000000100000000', endTimeUnixNano: '1700000000900000000', attributes: [{ key: 'gen_ai.system', value: { stringValue: 'openai' } }] },
                ],
              },
            ],
          },
        ],
      },
    ]);
  });

  after(async () => {
    await browser?.close();
    await inspector?.stop();
    await fake?.goOffline();
  });

  it('sends the open trace with the key from the environment and says so, without the key ever reaching the page', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const seen: string[] = [];
    page.on('response', (response) => void response.text().then((text) => seen.push(text), () => undefined));
    await page.goto(`${inspector.url}/#trace=${traceId}`);
    const send = page.getByRole('button', { name: 'Send this trace to Respan' });
    await send.waitFor({ timeout: 10_000 });
    assert.equal(fake.requests.length, 0, 'nothing is sent before the person asks');
    await send.click();

    await page.getByText(/sent|queued|forward/i).first().waitFor({ timeout: 10_000 });
    for (let attempt = 0; fake.requests.length === 0 && attempt < 100; attempt++) await page.waitForTimeout(50);
    await page.screenshot({ path: join(shots, 'forward-sent-light.png') });

    assert.equal(fake.requests.length, 1);
    const [sent] = fake.requests;
    assert.equal(sent.path, '/api/v2/traces');
    assert.equal(sent.headers.authorization, `Bearer ${API_KEY}`);
    const spans = (sent.json as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; name: string }> }> }> }).resourceSpans.flatMap((group) => group.scopeSpans.flatMap((scope) => scope.spans));
    assert.deepEqual(spans.map((span) => [span.traceId, span.name]).sort(), [
      [traceId, 'openai.chat'],
      [traceId, 'share.workflow'],
    ]);
    assert.ok(!seen.some((text) => text.includes(API_KEY)), 'no response to the page carries the key');
    assert.ok(!(await page.content()).includes(API_KEY));
    await page.close();
  });
});
