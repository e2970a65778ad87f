/**
 * Source maps carry the UI's sources: the listener serves them, and points
 * the bundles at them, only in dev mode (`--dev`). The built bundles keep
 * their maps on disk for the extension's own debugging.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../src/cli/main';
import { TraceStore } from '../../src/core/store';
import { InspectorServer } from '../../src/server/server';
import { messageOf, rawRequest } from '../support/rawHttp';

const SCRIPT = '(() => { console.log("ui"); })();\n';
const STYLE = 'body { color: red; }\n';
const MAP = JSON.stringify({ version: 3, sources: ['../../webview/app.tsx'], sourcesContent: ['export function App() { /* the UI source */ }'], mappings: 'AAAA' });

describe('source maps of the UI', function () {
  this.timeout(20_000);
  let dir: string;

  before(() => {
    // What esbuild writes for a development build: linked maps beside the bundles.
    dir = mkdtempSync(join(tmpdir(), 'respan-maps-'));
    writeFileSync(join(dir, 'webview.js'), `${SCRIPT}//# sourceMappingURL=webview.js.map\n`);
    writeFileSync(join(dir, 'webview.css'), `${STYLE}/*# sourceMappingURL=webview.css.map */\n`);
    writeFileSync(join(dir, 'webview.js.map'), MAP);
    writeFileSync(join(dir, 'webview.css.map'), MAP);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function serving(sourceMaps: boolean | undefined, check: (base: string) => Promise<void>): Promise<void> {
    const server = new InspectorServer({ store: new TraceStore(), port: 0, webviewDir: dir, sourceMaps });
    await server.start();
    try {
      await check(server.url);
    } finally {
      await server.stop();
    }
  }

  it('by default serves no map (404 naming --dev) and bundles without a sourceMappingURL', () =>
    serving(undefined, async (base) => {
      for (const name of ['webview.js.map', 'webview.css.map']) {
        const response = await rawRequest(`${base}/webview/${name}`);
        assert.equal(response.status, 404, name);
        assert.match(messageOf(response), /source maps are served only with --dev/);
        assert.doesNotMatch(response.text, /sourcesContent|the UI source/);
      }
      const script = await rawRequest(`${base}/webview/webview.js`);
      assert.equal(script.status, 200);
      assert.equal(script.text, SCRIPT);
      const style = await rawRequest(`${base}/webview/webview.css`);
      assert.equal(style.status, 200);
      assert.equal(style.text, STYLE);
      for (const response of [script, style]) assert.equal(response.headers.sourcemap, undefined);
    }));

  it('in dev mode serves the maps and leaves the bundles pointing at them', () =>
    serving(true, async (base) => {
      const map = await rawRequest(`${base}/webview/webview.js.map`);
      assert.equal(map.status, 200);
      assert.equal(map.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(map.text), JSON.parse(MAP));
      assert.match((await rawRequest(`${base}/webview/webview.js`)).text, /\/\/# sourceMappingURL=webview\.js\.map\n$/);
      assert.match((await rawRequest(`${base}/webview/webview.css`)).text, /\/\*# sourceMappingURL=webview\.css\.map \*\/\n$/);
    }));

  it('is dev mode only with --dev on the command line', () => {
    assert.equal(parseArgs(['--dev']).dev, true);
    assert.ok(!parseArgs([]).dev);
  });
});
