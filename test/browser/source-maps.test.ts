/**
 * The real build served by the real standalone command: the development
 * bundles have source maps beside them (for debugging the extension), but the
 * browser gets them, and a reference to them, only with `--dev`.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/source-maps.test.ts
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ROOT, buildBundles, launchChromium, startInspector, type RunningInspector } from './support';

describe('source maps of the served UI (standalone command, real build)', function () {
  this.timeout(120_000);
  let browser: Browser;

  before(async () => {
    buildBundles();
    assert.ok(existsSync(join(ROOT, 'dist', 'webview', 'webview.js.map')), 'the development build writes maps');
    browser = await launchChromium();
  });
  after(() => browser?.close());

  async function withInspector(args: string[], check: (url: string) => Promise<void>): Promise<void> {
    const inspector: RunningInspector = await startInspector(args);
    try {
      await check(inspector.url);
    } finally {
      await inspector.stop();
    }
  }

  it('serves neither the maps nor a reference to them by default, and the UI works without them', () =>
    withInspector([], async (url) => {
      for (const name of ['webview.js.map', 'webview.css.map']) {
        const response = await fetch(`${url}/webview/${name}`);
        assert.equal(response.status, 404, name);
        assert.doesNotMatch(await response.text(), /sourcesContent/);
      }
      const script = await (await fetch(`${url}/webview/webview.js`)).text();
      assert.ok(script.length > 10_000);
      assert.doesNotMatch(script, /sourceMappingURL/);
      assert.doesNotMatch(await (await fetch(`${url}/webview/webview.css`)).text(), /sourceMappingURL/);

      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const mapRequests: string[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('.map')) mapRequests.push(request.url());
      });
      await page.goto(`${url}/`);
      await page.getByTestId('empty-state').waitFor();
      assert.deepEqual(errors, []);
      assert.deepEqual(mapRequests, []);
      await page.close();
    }));

  it('serves them with --dev', () =>
    withInspector(['--dev'], async (url) => {
      const map = await fetch(`${url}/webview/webview.js.map`);
      assert.equal(map.status, 200);
      assert.ok(((await map.json()) as { sourcesContent?: unknown[] }).sourcesContent?.length);
      assert.match(await (await fetch(`${url}/webview/webview.js`)).text(), /\/\/# sourceMappingURL=webview\.js\.map\s*$/);
    }));
});
