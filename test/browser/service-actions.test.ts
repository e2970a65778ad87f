/**
 * The browser UI's operations through its one service client (`POST
 * /api/service/{type}`), in real Chromium against the standalone command: a
 * person imports a file, pins the trace, exports it and deletes it, and the
 * query API sees each effect; a file with nothing importable is refused with
 * the service's message.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts --timeout 90000 test/browser/service-actions.test.ts
 */

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { buildBundles, hexId, launchChromium, startInspector, type RunningInspector } from './support';

const TRACE = hexId(0x5e41ce, 32);

const FILE = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'imported-agent' } }] },
      scopeSpans: [
        {
          spans: [
            { traceId: TRACE, spanId: hexId(1), name: 'imported.workflow', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000' },
            { traceId: TRACE, spanId: hexId(2), parentSpanId: hexId(1), name: 'imported.chat', startTimeUnixNano: '1700000000100000000', endTimeUnixNano: '1700000000900000000' },
          ],
        },
      ],
    },
  ],
});

describe('browser UI: operations through the service', function () {
  this.timeout(90_000);
  let inspector: RunningInspector;
  let browser: Browser;

  before(async () => {
    buildBundles();
    inspector = await startInspector();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await inspector?.stop();
  });

  it('imports a file, pins, exports and deletes its trace; the query API sees each', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
    const calls: string[] = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/api/service/')) calls.push(path.slice('/api/service/'.length));
    });
    await page.goto(`${inspector.url}/`);
    await page.getByTestId('empty-state').waitFor();

    await page.getByTestId('import-input').setInputFiles({ name: 'saved.json', mimeType: 'application/json', buffer: Buffer.from(FILE) });
    await page.getByText('Imported 2 spans from saved.json').waitFor({ timeout: 10_000 });
    await page.getByTestId('trace-header').getByText('imported.workflow').waitFor();

    await page.getByTitle('Pin (keep it when retention evicts old traces)').click();
    await page.getByTitle('Unpin (let retention evict it)').waitFor();
    const detail = (await (await fetch(`${inspector.url}/api/traces/${TRACE}`)).json()) as { summary: { pinned: boolean } };
    assert.equal(detail.summary.pinned, true);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    assert.equal(download.suggestedFilename(), `trace-${TRACE}.json`);
    const saved = await readFile((await download.path())!, 'utf8');
    assert.equal(saved, await (await fetch(`${inspector.url}/api/traces/${TRACE}/otlp`)).text());

    await page.getByTitle('Delete this trace').click();
    await page.getByTestId('empty-state').waitFor({ timeout: 10_000 });
    assert.equal((await fetch(`${inspector.url}/api/traces/${TRACE}`)).status, 404);

    for (const type of ['importTraces', 'pinTrace', 'exportTrace', 'deleteTraces', 'listTraces']) assert.ok(calls.includes(type), `the UI called ${type}: ${calls.join(', ')}`);
    await page.close();
  });

  it('says why a file with nothing importable was refused, with the service’s message', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await page.getByTestId('empty-state').waitFor();
    const bad = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz', spanId: '1', name: 'bad' }] }] }] });
    await page.getByTestId('import-input').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(bad) });
    await page.getByText(/bad\.json: nothing could be imported from bad\.json: 1 span rejected/).waitFor({ timeout: 10_000 });
    assert.equal(((await (await fetch(`${inspector.url}/api/traces`)).json()) as { total: number }).total, 0);
    await page.close();
  });
});
