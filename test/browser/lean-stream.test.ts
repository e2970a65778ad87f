/**
 * A large trace's first rows show before its lean form has all arrived: a
 * proxy in front of the standalone command holds back the end of the
 * `getLeanTrace` answer until the test has seen the rows, the count saying
 * the rest is still on its way; then lets it through and the whole trace
 * shows. No timing: the order is forced by the proxy.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/lean-stream.test.ts
 */

import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { largeTraceRequests, postOtlp, useInspectorInChromium } from './support';

const TRACE_ID = 'f'.repeat(32);
const SPANS = 30_000;
/** Bytes of the lean answer held back: less than its last chunk. */
const HELD_BYTES = 4096;

/** A proxy to `target` that holds the last bytes of every lean answer until `release()`. */
async function holdingProxy(target: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let leanHeld = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = httpRequest(new URL(incoming.url ?? '/', target), { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      if (incoming.url !== '/api/service/getLeanTrace' || answer.statusCode !== 200) {
        answer.pipe(outgoing);
        return;
      }
      const parts: Buffer[] = [];
      answer.on('data', (part: Buffer) => parts.push(part));
      answer.on('end', () => {
        const body = Buffer.concat(parts);
        outgoing.write(body.subarray(0, body.length - HELD_BYTES));
        leanHeld++;
        void released.then(() => outgoing.end(body.subarray(body.length - HELD_BYTES)));
      });
    });
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release,
    leanHeld: () => leanHeld,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    server,
  };
}

describe('a large trace shows its first rows while the rest arrives', function () {
  this.timeout(180_000);
  const session = useInspectorInChromium((url) => postOtlp(url, largeTraceRequests(TRACE_ID, SPANS)));

  it('paints rows from the first chunks, says the rest is loading, then shows the whole trace', async () => {
    const proxy = await holdingProxy(session.inspector.url);
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 860 } });
    try {
      await page.goto(`${proxy.url}/#trace=${TRACE_ID}`);
      await page.locator('.wf-row .wf-label', { hasText: 'big root' }).first().waitFor({ timeout: 60_000 });
      await page.getByTestId('trace-arriving').waitFor();
      const arriving = await page.locator('.wf-row-count').innerText();
      assert.match(arriving, new RegExp(`^[\\d,]+ of ${SPANS.toLocaleString('en-US')} spans arrived, loading…$`));
      assert.ok(Number(arriving.split(' ')[0].replaceAll(',', '')) < SPANS);
      // The rows came while the answer's end was still held.
      assert.equal(proxy.leanHeld(), 1);

      proxy.release();
      await page.locator('.wf-row-count', { hasText: `${SPANS.toLocaleString('en-US')} spans` }).filter({ hasNotText: 'loading' }).waitFor({ timeout: 60_000 });
      assert.equal(await page.getByTestId('trace-arriving').count(), 0);
      await page.getByTestId('find-input').fill('step 12345');
      await page.getByTestId('find-count').filter({ hasText: '1 match' }).waitFor();
    } finally {
      await page.close();
      proxy.server.closeAllConnections();
      await proxy.stop();
    }
  });
});
