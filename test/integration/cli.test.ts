/**
 * The standalone command as a user runs it: a real child process, real ports,
 * real signals.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { createStore, parseArgs, UsageError, environmentLines } from '../../src/cli/main';
import { PRICE_DATA_URL } from '../../src/server/prices';
import { makeSpan } from '../support/spans';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import type { StatusJson, TraceListJson } from '../../src/protocol/api';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs the command; `fakeDns` names resolve to the given addresses in it (see test/support/fakeDns.ts). */
function startCli(args: string[], fakeDns?: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const dnsArgs = fakeDns ? ['--import', './test/support/fakeDns.ts'] : [];
  const env = fakeDns ? { ...process.env, FAKE_DNS: Object.entries(fakeDns).map(([name, address]) => `${name}=${address}`).join(',') } : process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', ...dnsArgs, 'src/cli/main.ts', '--no-open', '--no-persist', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('respan-inspector command', function () {
  this.timeout(40_000);

  describe('argument parsing', () => {
    it('has the documented defaults', () => {
      assert.deepEqual(parseArgs([]), {
        host: '127.0.0.1',
        port: 4318,
        grpcPort: 4317,
        open: true,
        demo: false,
        maxSpans: 200_000,
        maxTraces: 10_000,
        maxMemoryMb: 1024,
        persist: true,
        maxDiskMb: 4096,
        help: false,
        forward: false,
        forwardFilter: 'all',
        forwardApi: 'otlp',
        redact: [],
        prices: [],
        priceFiles: [],
        startedBy: 'user',
      });
    });

    it('reads every flag, in both --flag value and --flag=value forms', () => {
      const options = parseArgs([
        '--port',
        '5000',
        '--grpc-port=5001',
        '--host',
        '0.0.0.0',
        '--no-open',
        '--demo',
        '--max-spans',
        '10',
        '--max-traces=3',
        '--max-memory-mb',
        '64',
        '--data-dir',
        '/var/traces',
        '--no-persist',
        '--max-disk-mb=100',
        '--price',
        'house=1:2',
        '--prices=prices.json',
        '--update-prices',
      ]);
      assert.deepEqual(options, {
        host: '0.0.0.0',
        port: 5000,
        grpcPort: 5001,
        open: false,
        demo: true,
        maxSpans: 10,
        maxTraces: 3,
        maxMemoryMb: 64,
        persist: false,
        dataDir: '/var/traces',
        maxDiskMb: 100,
        help: false,
        forward: false,
        forwardFilter: 'all',
        forwardApi: 'otlp',
        redact: [],
        prices: [{ model: 'house', rates: { input: 1, cacheRead: 1, cacheWrite: 1, output: 2, reasoning: 2 }, origin: '--price' }],
        priceFiles: ['prices.json'],
        updatePrices: PRICE_DATA_URL,
        startedBy: 'user',
      });
    });

    it('explains what is wrong with a bad command line', () => {
      assert.throws(() => parseArgs(['--port', 'http']), (error) => error instanceof UsageError && /--port needs a whole number from 0 to 65535, got "http"/.test(error.message));
      assert.throws(() => parseArgs(['--port']), /got nothing/);
      assert.throws(() => parseArgs(['--verbose']), /unknown option --verbose/);
      assert.throws(() => parseArgs(['--max-memory-mb', '1']), /--max-memory-mb needs a whole number from 16/);
      assert.throws(() => parseArgs(['--data-dir']), /--data-dir needs a folder/);
      assert.throws(() => parseArgs(['--max-disk-mb', '0']), /--max-disk-mb needs a whole number from 1/);
      assert.throws(() => parseArgs(['--started-by', 'robot']), /--started-by needs user or extension, got "robot"/);
      assert.throws(() => parseArgs(['--exit-when-idle', '-1']), /--exit-when-idle needs a whole number/);
    });

    it('reads who started the process and when it ends', () => {
      const options = parseArgs(['--started-by', 'extension', '--exit-when-idle', '30']);
      assert.equal(options.startedBy, 'extension');
      assert.equal(options.exitWhenIdleSeconds, 30);
    });

    it('bounds the store by --max-memory-mb, evicting the oldest traces', () => {
      const store = createStore(parseArgs(['--max-memory-mb', '16']));
      // 40 traces of one span with a 1 MB prompt: far past 16 MB, far under the span and trace bounds.
      for (let trace = 0; trace < 40; trace++) store.add([makeSpan({ trace: `t${trace}`, id: 's', attributes: { 'gen_ai.prompt.0.content': 'x'.repeat(1_000_000) } })]);
      store.flush();
      assert.ok(store.traceCount >= 8 && store.traceCount <= 16, `${store.traceCount} traces kept`);
    });

    it('prints the environment users set', () => {
      assert.deepEqual(environmentLines('http://127.0.0.1:4318'), [
        'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318',
        'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
        'RESPAN_BASE_URL=http://127.0.0.1:4318/api',
      ]);
    });
  });

  it('runs the demo: its traces reach the query API, and Ctrl-C shuts down cleanly', async () => {
    const port = await freePort();
    const { child, output } = startCli(['--port', String(port), '--grpc-port', String(await freePort()), '--demo']);
    try {
      const list = await waitFor(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/api/traces`);
        const body = (await response.json()) as TraceListJson;
        return body.traces.length > 0 ? body : undefined;
      }, 20_000);
      const demo = list.traces[0];
      assert.equal(demo.name, 'joke_workflow.workflow');
      assert.equal(demo.spanCount, 10);
      assert.equal(demo.errorCount, 1);
      assert.ok(demo.models.includes('claude-3-5-sonnet-20241022'));
      assert.ok(demo.cost! > 0);
      assert.match(output(), new RegExp(`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${port}`));
      assert.match(output(), new RegExp(`RESPAN_BASE_URL=http://127.0.0.1:${port}/api`));
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output());
    assert.match(output(), /Shutting down/);
  });

  it('names the port and the flag when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { child, output } = startCli(['--port', String(port), '--grpc-port', String(await freePort())]);
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      assert.match(output(), new RegExp(`port ${port} is already in use.*--port <n>`, 's'));
      assert.doesNotMatch(output(), /\n\s+at /, 'no stack trace');
    } finally {
      blocker.close();
    }
  });

  it('treats a name under .localhost as the network it is (DNS decides where it goes): a token, and a warning that shows it', async () => {
    const port = await freePort();
    const { child, output } = startCli(['--host', 'app.localhost', '--port', String(port), '--no-grpc'], { 'app.localhost': '127.0.0.1' });
    try {
      await waitFor(async () => (/Reading them needs the access token[^]*\n\n {2}\S+\n\n/.test(output()) ? true : undefined), 20_000);
      const token = /Reading them needs the access token[^]*?\n\n {2}(\S+)\n\n/.exec(output())![1];
      assert.notEqual(token, 'undefined', output());
      assert.match(token, /^[A-Za-z0-9_-]{32}$/);
      assert.match(output(), /Warning: bound to app\.localhost/);
      assert.ok(output().includes(`/?token=${token}`), 'the UI link carries the token');
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/traces`)).status, 401);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/traces`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      child.kill('SIGINT');
    }
    await once(child, 'exit');
  });

  it('answers a bad flag with usage and exit code 2', async () => {
    const { child, output } = startCli(['--port', 'abc']);
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(output(), /--port needs a whole number/);
    assert.match(output(), /Usage: respan-inspector/);
  });

  describe('as the inspector process', () => {
    const running: ChildProcess[] = [];
    afterEach(() => {
      for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    /** A CLI on free ports, answering `/api/status`. */
    async function startProcess(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: () => string }> {
      const port = await freePort();
      const { child, output } = startCli(['--port', String(port), '--grpc-port', String(await freePort()), ...args]);
      running.push(child);
      const exited = once(child, 'exit').then(([code]) => code as number | null);
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => ((await fetch(`${url}/api/status`)).ok ? true : undefined), 20_000);
      return { child, url, exited, output };
    }

    async function status(url: string): Promise<StatusJson> {
      return (await (await fetch(`${url}/api/status`)).json()) as StatusJson;
    }

    /** Opens the live stream the way a window does; resolves once the server counts it. */
    async function openStream(url: string): Promise<ClientRequest> {
      const request = httpRequest(`${url}/api/events`);
      const connected = new Promise<void>((resolve, reject) => {
        request.on('response', (response) => {
          response.resume();
          resolve();
        });
        request.on('error', reject);
      });
      request.end();
      await connected;
      return request;
    }

    it('identifies itself at /api/status', async () => {
      const { child, url } = await startProcess(['--started-by', 'extension', '--exit-when-idle', '600']);
      const body = await status(url);
      const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      assert.equal(body.inspector, 'respan-trace-inspector');
      assert.equal(body.version, version);
      assert.equal(body.pid, child.pid);
      assert.equal(body.startedBy, 'extension');
      assert.equal(body.exitWhenIdleSeconds, 600);
      assert.equal(body.endpoints.http, url);
      assert.match(body.endpoints.grpc ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(body.clients, 0);
      const stream = await openStream(url);
      assert.equal((await status(url)).clients, 1);
      stream.destroy();
      const byHand = await startProcess([]);
      assert.equal((await status(byHand.url)).startedBy, 'user');
      assert.equal((await status(byHand.url)).exitWhenIdleSeconds, undefined);
    });

    it('ends after its last live stream closed, and not while one is open', async function () {
      this.timeout(60_000);
      const held = await startProcess(['--started-by', 'extension', '--exit-when-idle', '1']);
      const first = await openStream(held.url);
      const second = await openStream(held.url);
      first.destroy();
      // A twin with the same idle time and no client shows the idle time has passed.
      const twin = await startProcess(['--started-by', 'extension', '--exit-when-idle', '1']);
      assert.equal(await twin.exited, 0, twin.output());
      assert.equal(held.child.exitCode, null, 'the process with an open stream is still running');
      assert.equal((await status(held.url)).clients, 1);
      second.destroy();
      assert.equal(await held.exited, 0, held.output());
      assert.match(held.output(), /No client for 1 s/);
    });

    it('never ends on idle when started by hand', async function () {
      this.timeout(60_000);
      const byHand = await startProcess([]);
      (await openStream(byHand.url)).destroy();
      const twin = await startProcess(['--started-by', 'extension', '--exit-when-idle', '1']);
      (await openStream(twin.url)).destroy();
      assert.equal(await twin.exited, 0, twin.output());
      assert.equal(byHand.child.exitCode, null);
      assert.equal((await status(byHand.url)).clients, 0);
    });
  });
});
