/**
 * Shared machinery of the browser tests and the UI benchmark: build the UI,
 * start the standalone command, launch Debian's Chromium, make OTLP payloads.
 */

import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page, type PageScreenshotOptions } from 'playwright-core';
import { startCli } from '../support/processes';

export const ROOT = resolve(__dirname, '../..');
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

/** Builds every bundle (the CLI serves `dist/webview`). */
export function buildBundles(): void {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
}

/** A running `respan-inspector`. */
export interface RunningInspector {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node dist/cli.js --no-open` on free ports (with `env` added to this process's) and waits for its URL. */
export async function startInspector(extraArgs: string[] = [], env: Record<string, string> = {}): Promise<RunningInspector> {
  const { child, url } = await startCli(['--no-open', '--no-persist', '--port', '0', '--grpc-port', '0', ...extraArgs], { env });
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Headless Debian Chromium (never a downloaded browser), with `extraArgs` (e.g. host resolver rules). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

export function ensureScreenshotDir(): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return SCREENSHOTS;
}

/** The standalone command and Chromium one browser suite runs against; filled by its `before` hook. */
export interface BrowserSession {
  inspector: RunningInspector;
  browser: Browser;
  /** Where screenshots go. */
  shots: string;
}

/**
 * Registers the suite's hooks: before, build the bundles, start the standalone
 * command, `seed` it (post its traces), launch Chromium; after, close both.
 */
export function useInspectorInChromium(seed: (url: string) => Promise<void>): BrowserSession {
  const session = { shots: ensureScreenshotDir() } as BrowserSession;
  before(async () => {
    buildBundles();
    session.inspector = await startInspector();
    await seed(session.inspector.url);
    session.browser = await launchChromium();
  });
  after(async () => {
    await session.browser?.close();
    await session.inspector?.stop();
  });
  return session;
}

/** A new page of the UI at `viewport`, with the uncaught page errors it meets; `prepare` runs before it loads (routes). */
export async function openUi(
  session: BrowserSession,
  viewport: { width: number; height: number },
  prepare: (page: Page) => Promise<void> = async () => {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await session.browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await prepare(page);
  await page.goto(`${session.inspector.url}/`);
  return { page, errors };
}

/** Opens a trace from the list. */
export async function openTrace(page: Page, traceId: string): Promise<void> {
  await page.locator(`.trace-item[data-trace-id="${traceId}"]`).click();
}

/** Screenshots of the page in the light and the dark theme: `{name}-light.png`, `{name}-dark.png`. */
export async function screenshotThemes(page: Page, shots: string, name: string, options: Omit<PageScreenshotOptions, 'path'> = {}): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ ...options, path: join(shots, `${name}-${scheme}.png`) });
  }
}

/** 16 hex digits from a number. */
export function hexId(n: number, width = 16): string {
  return n.toString(16).padStart(width, '0');
}

/**
 * OTLP/JSON export requests carrying one generated trace of `spanCount` spans
 * (a root, `fanout` branches, nested groups of 100), split into `batch`-span
 * requests so no request nears the body limit.
 */
export function largeTraceRequests(traceId: string, spanCount: number, batch = 20_000, fanout = 10): unknown[] {
  const base = 1_700_000_000_000n * 1_000_000n;
  const spans: Record<string, unknown>[] = [];
  const span = (id: number, parent: number | null, name: string, startMs: number, durationMs: number, error = false) => {
    spans.push({
      traceId,
      spanId: hexId(id),
      parentSpanId: parent === null ? '' : hexId(parent),
      name,
      kind: 1,
      startTimeUnixNano: String(base + BigInt(Math.round(startMs * 1e6))),
      endTimeUnixNano: String(base + BigInt(Math.round((startMs + durationMs) * 1e6))),
      attributes: [{ key: 'step.index', value: { intValue: String(id) } }],
      status: error ? { code: 2, message: 'failed' } : {},
    });
  };
  const perBranch = Math.floor((spanCount - 1) / fanout);
  span(1, null, 'big root', 0, spanCount);
  let n = 2;
  for (let b = 0; b < fanout; b++) {
    const branch = n++;
    span(branch, 1, `branch ${b}`, b * perBranch, perBranch);
    let group = branch;
    for (let k = 1; k < perBranch && n <= spanCount; k++) {
      const id = n++;
      if (k % 100 === 0) {
        span(id, branch, `group ${b}.${k / 100}`, b * perBranch + k, 100);
        group = id;
      } else {
        span(id, group, `step ${id}`, b * perBranch + k, 0.8, id % 997 === 0);
      }
    }
  }
  while (n <= spanCount) span(n++, 1, `tail ${n}`, spanCount - 1, 0.5);
  const requests: unknown[] = [];
  for (let i = 0; i < spans.length; i += batch) {
    requests.push({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'big-service' } }] }, scopeSpans: [{ scope: { name: 'bench' }, spans: spans.slice(i, i + batch) }] }],
    });
  }
  return requests;
}

/** POSTs OTLP/JSON requests to the inspector. */
export async function postOtlp(url: string, requests: unknown[]): Promise<void> {
  for (const body of requests) {
    const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST /v1/traces: ${response.status} ${await response.text()}`);
  }
}

/** What {@link manyTracesRequests} puts in trace `i` (0 is the oldest). */
export interface ManyTracesOptions {
  /** Trace id of trace `i`. Default: `i + 1` as 32 hex digits. */
  traceId?(i: number): string;
  /** Start of trace `i`, ms since the epoch. Default: one second apart, ending about now. */
  startMs?(i: number): number;
  /** Respan thread of trace `i`. Default `thread-{i % 40}`. */
  thread?(i: number): string;
}

/**
 * OTLP/JSON requests carrying `count` small LLM traces: a workflow root with
 * one chat span (model, tokens), a thread and a customer, every 17th failing.
 */
export function manyTracesRequests(count: number, options: ManyTracesOptions = {}): unknown[] {
  const now = Date.now();
  const traceIdOf = options.traceId ?? ((i: number) => hexId(i + 1, 32));
  const startOf = options.startMs ?? ((i: number) => now - (count - i) * 1000);
  const threadOf = options.thread ?? ((i: number) => `thread-${i % 40}`);
  const nanos = (ms: number) => String(BigInt(Math.round(ms)) * 1_000_000n);
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });
  const spans: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const traceId = traceIdOf(i);
    const start = startOf(i);
    const failed = i % 17 === 5;
    spans.push({
      traceId,
      spanId: hexId(2 * i + 1),
      name: `agent_run ${i}`,
      kind: 1,
      startTimeUnixNano: nanos(start),
      endTimeUnixNano: nanos(start + 120 + (i % 9) * 35),
      attributes: [text('traceloop.span.kind', 'workflow'), text('respan.threads.thread_identifier', threadOf(i)), text('respan.customer_params.customer_identifier', `cus_${i % 7}`)],
      status: failed ? { code: 2, message: 'tool failed' } : {},
    });
    spans.push({
      traceId,
      spanId: hexId(2 * i + 2),
      parentSpanId: hexId(2 * i + 1),
      name: 'openai.chat',
      kind: 3,
      startTimeUnixNano: nanos(start + 10),
      endTimeUnixNano: nanos(start + 100 + (i % 9) * 30),
      attributes: [text('gen_ai.system', 'openai'), text('gen_ai.request.model', i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini'), int('gen_ai.usage.input_tokens', 40 + (i % 50)), int('gen_ai.usage.output_tokens', 12 + (i % 20))],
      status: {},
    });
  }
  const requests: unknown[] = [];
  for (let i = 0; i < spans.length; i += 2000) {
    requests.push({
      resourceSpans: [{ resource: { attributes: [text('service.name', 'many-traces-agent')] }, scopeSpans: [{ scope: { name: 'browser-test' }, spans: spans.slice(i, i + 2000) }] }],
    });
  }
  return requests;
}
