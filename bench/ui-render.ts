/**
 * UI rendering benchmark in headless Chromium against the standalone command:
 * for 10,000- and 100,000-span traces, the time from the trace's data being
 * available in the page to its first rows on screen, the cost of a scroll
 * frame, the cost of collapsing/expanding a large subtree, and the cost of a
 * Ctrl + wheel zoom step of the time axis. Then, for the 100,000-span trace:
 * the bytes per span of the lean form and of the JSON form, the time from
 * selecting a span (a key press) to its details on screen, and the worst
 * answer time of `GET /api/status` while the listener sends each form. Side
 * by side with Jaeger UI v2.14.0 built from source (`bench/jaegerPeer.ts`;
 * skipped without the build): navigation to the first row of the same
 * 100,000-span trace, a fresh browser context per load, alternating. Also a
 * 1,000-span trace with a cold cache, and a 1,000,000-span trace: first rows,
 * the page's heap, scroll frames, find by name (`BENCH_MILLION=0` leaves it out).
 *
 * Run: npm run bench:ui
 */

import { spawn } from 'node:child_process';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TraceDetailJson } from '../src/protocol/api';
import { firstTextMs, watchForText } from './firstText';
import { JAEGER_UI_BUILD, jaegerTraceJson, startJaegerPeer } from './jaegerPeer';
import { buildBundles, largeTraceRequests, launchChromium, postOtlp, startInspector } from '../test/browser/support';

interface Figures {
  spans: number;
  navigationToRowsMs: number;
  fetchAndParseMs: number;
  indexMs: number;
  dataToRowsMs: number;
  stepMedianMs: number;
  stepP95Ms: number;
  jumpMedianMs: number;
  jumpP95Ms: number;
  frameIntervalP95Ms: number;
  collapseMs: number;
  expandMs: number;
  subtreeSpans: number;
  rowElements: number;
  zoomMedianMs: number;
  zoomP95Ms: number;
  zoomRowElements: number;
}

/** Median of a list of numbers. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(page: Page, url: string, traceId: string, spans: number): Promise<Figures> {
  await page.goto(`${url}/#trace=${traceId}`);
  // The whole trace's rows: the first rows mark after the last index (a large trace shows its first rows before, from its first spans).
  await page.waitForFunction(
    () => {
      const indexed = performance.getEntriesByName('rti:indexed').at(-1)?.startTime;
      return indexed !== undefined && performance.getEntriesByName('rti:rows').some((mark) => mark.startTime > indexed);
    },
    undefined,
    { timeout: 120_000 },
  );
  const marks = await page.evaluate(() => {
    const at = (name: string) => performance.getEntriesByName(name).at(-1)!.startTime;
    const rows = performance.getEntriesByName('rti:rows');
    return { request: at('rti:request'), data: at('rti:data'), indexed: at('rti:indexed'), firstRows: rows[0].startTime, rows: rows.find((mark) => mark.startTime > at('rti:indexed'))!.startTime };
  });

  const { scrollWork, intervals } = await scrollFigures(page);

  // Collapse and expand the biggest branch under the root (the root itself for small traces).
  const toggle = await page.evaluate(async (total) => {
    const el = document.querySelector<HTMLElement>('[data-testid="waterfall"]')!;
    el.scrollTop = 0;
    el.focus();
    const macrotask = () => new Promise<void>((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
    const key = async (name: string) => {
      const t0 = performance.now();
      el.dispatchEvent(new KeyboardEvent('keydown', { key: name, bubbles: true }));
      await macrotask();
      void el.querySelector<HTMLElement>('.wf-row:last-child')?.offsetTop;
      return performance.now() - t0;
    };
    await key('Home');
    await macrotask();
    if (total > 20_000) await key('ArrowDown');
    await macrotask();
    const label = document.querySelector('.wf-row.selected .wf-label')?.textContent ?? '';
    const collapse: number[] = [];
    const expand: number[] = [];
    for (let i = 0; i < 5; i++) {
      collapse.push(await key('ArrowLeft'));
      expand.push(await key('ArrowRight'));
    }
    const count = document.querySelector('.wf-row-count')?.textContent ?? '';
    return { label, collapse, expand, count, rows: document.querySelectorAll('.wf-row').length };
  }, spans);

  // Synchronous work of one Ctrl + wheel zoom step over the middle of the time axis, in and out.
  const zoom = await page.evaluate(async () => {
    const el = document.querySelector<HTMLElement>('[data-testid="waterfall"]')!;
    const axis = document.querySelector<HTMLElement>('[data-testid="time-axis"]')!.getBoundingClientRect();
    const body = el.getBoundingClientRect();
    const macrotask = () => new Promise<void>((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
    const times: number[] = [];
    let rows = 0;
    for (let i = -40; i < 200; i++) {
      // Ten steps in, ten steps out: the window keeps changing and stays zoomed.
      const deltaY = Math.floor(i / 10) % 2 === 0 ? -120 : 120;
      const t0 = performance.now();
      el.dispatchEvent(new WheelEvent('wheel', { deltaY, ctrlKey: true, clientX: axis.left + axis.width * 0.6, clientY: body.top + 100, bubbles: true, cancelable: true }));
      await macrotask();
      void el.querySelector<HTMLElement>('.wf-row:last-child')?.offsetTop;
      if (i >= 0) times.push(performance.now() - t0);
      rows = Math.max(rows, document.querySelectorAll('.wf-row').length);
    }
    return { times, rows };
  });

  return {
    spans,
    navigationToRowsMs: marks.firstRows,
    fetchAndParseMs: marks.data - marks.request,
    indexMs: marks.indexed - marks.data,
    dataToRowsMs: marks.rows - marks.data,
    stepMedianMs: percentile(scrollWork.steps, 50),
    stepP95Ms: percentile(scrollWork.steps, 95),
    jumpMedianMs: percentile(scrollWork.jumps, 50),
    jumpP95Ms: percentile(scrollWork.jumps, 95),
    frameIntervalP95Ms: percentile(intervals, 95),
    collapseMs: percentile(toggle.collapse, 50),
    expandMs: percentile(toggle.expand, 50),
    subtreeSpans: toggle.label.startsWith('branch') ? Math.floor((spans - 1) / 10) + 1 : spans,
    rowElements: toggle.rows,
    zoomMedianMs: percentile(zoom.times, 50),
    zoomP95Ms: percentile(zoom.times, 95),
    zoomRowElements: zoom.rows,
  };
}

/** Scroll figures of the open waterfall: the synchronous work of scroll steps and jumps, and frame intervals while scrolling one step per frame. */
async function scrollFigures(page: Page): Promise<{ scrollWork: { steps: number[]; jumps: number[] }; intervals: number[] }> {
  // Synchronous work of one scroll step: event → render → style and layout.
  const scrollWork = await page.evaluate(async () => {
    const el = document.querySelector<HTMLElement>('[data-testid="waterfall"]')!;
    const macrotask = () => new Promise<void>((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
    const steps: number[] = [];
    const jumps: number[] = [];
    // The first 100 steps warm the JIT up and are not counted.
    for (let i = -100; i < 300; i++) {
      // Mix small steps (wheel-like) and big jumps (scrollbar drags).
      const target = i % 10 === 0 ? Math.random() * (el.scrollHeight - el.clientHeight) : el.scrollTop + 66;
      const t0 = performance.now();
      el.scrollTop = target;
      el.dispatchEvent(new Event('scroll'));
      await macrotask();
      void el.querySelector<HTMLElement>('.wf-row:last-child')?.offsetTop;
      if (i >= 0) (i % 10 === 0 ? jumps : steps).push(performance.now() - t0);
    }
    return { steps, jumps };
  });

  // Frame intervals while scrolling one step per animation frame.
  const intervals = await page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const el = document.querySelector<HTMLElement>('[data-testid="waterfall"]')!;
        el.scrollTop = 0;
        const out: number[] = [];
        let last = 0;
        let frames = 0;
        const step = (time: number) => {
          if (last) out.push(time - last);
          last = time;
          el.scrollTop += 44;
          if (++frames < 150) requestAnimationFrame(step);
          else resolve(out);
        };
        requestAnimationFrame(step);
      }),
  );
  return { scrollWork, intervals };
}

/** Key press (ArrowDown) to the selected span's details on screen, ms, over `steps` steps down the rows. */
async function selectToDetails(page: Page, steps: number): Promise<number[]> {
  return page.evaluate(async (count) => {
    const el = document.querySelector<HTMLElement>('[data-testid="waterfall"]')!;
    el.focus();
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      el.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
      const id = await new Promise<string>((resolve) => {
        const check = () => {
          const name = document.querySelector('.wf-row.selected .wf-label')?.textContent;
          const shown = document.querySelector('[data-testid="span-details"]')?.textContent ?? '';
          if (name && shown.includes(name)) resolve(name);
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      });
      if (id) times.push(performance.now() - t0);
      // A reader's pace: a few steps a second, so prefetch can do its part.
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return times;
  }, steps);
}

/**
 * Bytes of a GET and the worst time `/api/status` took to answer (polled one
 * after the other) while it was sent. The GET is read by another process, so
 * reading it does not delay the polls here.
 */
async function listenerWhileSending(url: string, path: string): Promise<{ bytes: number; worstStatusMs: number }> {
  const reader = spawn(process.execPath, ['-e', `fetch(${JSON.stringify(url + path)}).then((answer) => answer.arrayBuffer()).then((body) => console.log(body.byteLength))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  reader.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let sending = true;
  reader.on('exit', () => (sending = false));
  let worst = 0;
  while (sending) {
    const t0 = performance.now();
    await (await fetch(`${url}/api/status`)).arrayBuffer();
    worst = Math.max(worst, performance.now() - t0);
  }
  return { bytes: Number(output.trim()), worstStatusMs: worst };
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/** Time from navigation start until the frame that first shows the text "big root" (the root row), timed in the page, in a fresh browser context (cold cache). */
async function timeToRootRow(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await watchForText(page, 'big root');
  await page.goto(url);
  const elapsed = await firstTextMs(page, 120_000);
  await context.close();
  return elapsed;
}

const ourRootRow = (page: Page) => page.locator('.wf-row .wf-label', { hasText: 'big root' }).first();

/** Both UIs open the same 100,000-span trace, alternating, five times each; undefined without a Jaeger UI build. */
async function besideJaeger(browser: Browser, url: string, traceId: string): Promise<{ ours: number[]; jaeger: number[] } | undefined> {
  const detail = (await (await fetch(`${url}/api/traces/${traceId}`)).json()) as TraceDetailJson;
  const peer = await startJaegerPeer(new Map([[traceId, jaegerTraceJson(detail)]]));
  if (!peer) return undefined;
  try {
    const ours: number[] = [];
    const jaeger: number[] = [];
    for (let round = 0; round < 5; round++) {
      ours.push(await timeToRootRow(browser, `${url}/#trace=${traceId}`));
      jaeger.push(await timeToRootRow(browser, `${peer.url}/trace/${traceId}`));
    }
    return { ours, jaeger };
  } finally {
    await peer.stop();
  }
}

/** A small trace opened five times, each in a fresh context. */
async function coldOpens(browser: Browser, url: string, spans: number): Promise<number[]> {
  const traceId = 'd'.repeat(32);
  await postOtlp(url, largeTraceRequests(traceId, spans));
  const times: number[] = [];
  for (let round = 0; round < 5; round++) times.push(await timeToRootRow(browser, `${url}/#trace=${traceId}`));
  return times;
}

/** A 1,000,000-span trace: first rows, the page's heap once open, scroll frames, and find by name over it (timed inside the page). */
async function millionSpans(browser: Browser, url: string): Promise<MillionFigures> {
  const traceId = 'e'.repeat(32);
  for (const request of largeTraceRequests(traceId, 1_000_000)) await postOtlp(url, [request]);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript('globalThis.__name = (fn) => fn;');
  const started = performance.now();
  await page.goto(`${url}/#trace=${traceId}`);
  await ourRootRow(page).waitFor({ timeout: 300_000 });
  const rowsMs = performance.now() - started;
  await page.waitForFunction(() => document.querySelector('.wf-row-count')?.textContent === '1,000,000 spans', undefined, { timeout: 300_000, polling: 200 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  const { scrollWork, intervals } = await scrollFigures(page);
  // What a user does first: look at the rows for a moment (the search's text is built while the page is idle).
  await page.waitForTimeout(3_000);
  const finds: FindFigure[] = [];
  for (const needle of ['step 987654', 'step 4242', 'no such span']) finds.push(await findInPage(page, needle));
  await context.close();
  return { rowsMs, heapBytes: usedSize, frameP95Ms: percentile(intervals, 95), stepP95Ms: percentile(scrollWork.steps, 95), jumpP95Ms: percentile(scrollWork.jumps, 95), finds };
}

interface FindFigure {
  needle: string;
  /** The count as shown ("N matches", "No results"). */
  shown: string;
  /** From the input event to the animation frame after the count shows. */
  ms: number;
}

interface MillionFigures {
  rowsMs: number;
  heapBytes: number;
  frameP95Ms: number;
  stepP95Ms: number;
  jumpP95Ms: number;
  finds: FindFigure[];
}

/** Types `needle` into the find box at once and times, inside the page, the input event to the frame that shows its count; then clears the box. */
async function findInPage(page: Page, needle: string): Promise<FindFigure> {
  return page.evaluate(async (text) => {
    const input = document.querySelector<HTMLInputElement>('[data-testid="find-input"]')!;
    const type = (value: string) => {
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    };
    const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
    const started = performance.now();
    type(text);
    let count = document.querySelector('[data-testid="find-count"]');
    while (!count) {
      await frame();
      count = document.querySelector('[data-testid="find-count"]');
    }
    await frame();
    const ms = performance.now() - started;
    const shown = count.textContent ?? '';
    type('');
    await frame();
    return { needle: text, shown, ms };
  }, needle);
}

async function main(): Promise<void> {
  buildBundles();
  const inspector = await startInspector(['--max-spans', '1300000', '--max-memory-mb', '4096']);
  const browser = await launchChromium();
  try {
    const results: Figures[] = [];
    let details: number[] = [];
    for (const spans of [10_000, 100_000]) {
      const traceId = (spans === 10_000 ? 'a' : 'c').repeat(32);
      await postOtlp(inspector.url, largeTraceRequests(traceId, spans));
      // A fresh page per trace, so its performance marks are its own.
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // tsx compiles with keepNames, which wraps named functions in page.evaluate callbacks in `__name(...)`.
      await page.addInitScript('globalThis.__name = (fn) => fn;');
      results.push(await measure(page, inspector.url, traceId, spans));
      if (spans === 100_000) {
        await page.goto(`${inspector.url}/#trace=${traceId}`);
        await page.locator('[data-testid="span-details"]').waitFor({ timeout: 120_000 });
        details = await selectToDetails(page, 60);
      }
      await page.close();
    }
    const sideBySide = await besideJaeger(browser, inspector.url, 'c'.repeat(32));
    const coldSmall = await coldOpens(browser, inspector.url, 1_000);
    const huge = process.env.BENCH_MILLION === '0' ? undefined : await millionSpans(browser, inspector.url);
    const leanPath = `/api/traces/${'c'.repeat(32)}/lean`;
    const lean = await listenerWhileSending(inspector.url, leanPath);
    // A trace just received, asked for at once: its lean form is encoded for this request (not ahead).
    const freshId = 'f'.repeat(32);
    await postOtlp(inspector.url, largeTraceRequests(freshId, 100_000));
    const firstEncode = await listenerWhileSending(inspector.url, `/api/traces/${freshId}/lean`);
    const json = await listenerWhileSending(inspector.url, `/api/traces/${'c'.repeat(32)}`);
    const otlp = await listenerWhileSending(inspector.url, `/api/traces/${'c'.repeat(32)}/otlp`);
    const f = (n: number) => n.toFixed(1).padStart(8);
    console.log('\nInspector UI rendering (headless Chromium, ms)\n');
    console.log('spans     fetch+parse  index  data→rows  step p50  step p95  jump p50  jump p95  frame p95  collapse  expand  subtree  row elements  zoom p50  zoom p95  rows zoomed');
    for (const r of results) {
      console.log(
        `${String(r.spans).padEnd(9)}${f(r.fetchAndParseMs)}   ${f(r.indexMs)} ${f(r.dataToRowsMs)}   ${f(r.stepMedianMs)}  ${f(r.stepP95Ms)}  ${f(r.jumpMedianMs)}  ${f(r.jumpP95Ms)}   ${f(r.frameIntervalP95Ms)}  ${f(r.collapseMs)} ${f(r.expandMs)}  ${String(r.subtreeSpans).padStart(7)}  ${String(r.rowElements).padStart(12)}  ${f(r.zoomMedianMs)}  ${f(r.zoomP95Ms)}  ${r.zoomRowElements}`,
      );
    }
    console.log('\nstep: scroll by 3 rows; jump: scroll anywhere (scrollbar drag); both = event → render → style + layout.');
    console.log('zoom: one Ctrl + wheel step of the time axis = event → render → style + layout.');
    console.log('frame p95: interval between animation frames while scrolling one step per frame (16.7 = no dropped frame).');
    console.log('\nnavigation → first rows (ms): ' + results.map((r) => `${r.spans} spans ${r.navigationToRowsMs.toFixed(0)}`).join(', ') + ' (traces of 2,000 spans or more open in the lean form)');
    console.log(`100,000 spans on the wire: lean ${(lean.bytes / 100_000).toFixed(1)} bytes/span (${(lean.bytes / 1e6).toFixed(1)} MB), JSON ${(json.bytes / 100_000).toFixed(1)} bytes/span (${(json.bytes / 1e6).toFixed(1)} MB)`);
    console.log(`GET /api/status worst answer while sending the 100,000-span trace: lean ${lean.worstStatusMs.toFixed(1)} ms (encoded for the request: ${firstEncode.worstStatusMs.toFixed(1)} ms), JSON ${json.worstStatusMs.toFixed(1)} ms, OTLP/JSON export ${otlp.worstStatusMs.toFixed(1)} ms`);
    console.log(`select a span (ArrowDown) → its details on screen, 100,000 spans: p50 ${percentile(details, 50).toFixed(1)} ms, p95 ${percentile(details, 95).toFixed(1)} ms, max ${Math.max(...details).toFixed(1)} ms`);
    console.log(`navigation → first rows, cold browser cache, 1,000 spans: median ${median(coldSmall).toFixed(0)} ms (runs ${coldSmall.map((t) => t.toFixed(0)).join(', ')})`);
    if (sideBySide) {
      const ours = median(sideBySide.ours);
      const theirs = median(sideBySide.jaeger);
      console.log(`navigation → row "big root" visible, 100,000 spans, fresh context each, alternating: inspector median ${ours.toFixed(0)} ms (${sideBySide.ours.map((t) => t.toFixed(0)).join(', ')}), Jaeger UI v2.14.0 median ${theirs.toFixed(0)} ms (${sideBySide.jaeger.map((t) => t.toFixed(0)).join(', ')}): ${(theirs / ours).toFixed(1)}× faster`);
    } else {
      console.log(`Jaeger UI side by side: skipped, no build at ${JAEGER_UI_BUILD} (build it per /work/shared/docs/PEERS.md, or set JAEGER_UI_BUILD)`);
    }
    if (huge) {
      console.log(`1,000,000 spans: first rows ${huge.rowsMs.toFixed(0)} ms after navigation; page heap ${(huge.heapBytes / 1e6).toFixed(0)} MB; frame p95 ${huge.frameP95Ms.toFixed(1)} ms, step p95 ${huge.stepP95Ms.toFixed(1)} ms, jump p95 ${huge.jumpP95Ms.toFixed(1)} ms`);
      for (const find of huge.finds) console.log(`  find "${find.needle}" → ${find.shown}: ${find.ms.toFixed(0)} ms (input event → the frame showing the count)`);
    }
    console.log('Targets: data→rows ≤ 500 ms at 100k spans; a scroll frame ≤ 16 ms; collapse/expand of a 10k subtree ≤ 100 ms.');
  } finally {
    await browser.close();
    await inspector.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
