/**
 * The standalone command as a user runs it: a real child process, real ports,
 * real signals.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { createStore, parseArgs, UsageError, environmentLines } from '../../src/cli/main';
import { makeSpan } from '../support/spans';
import type { TraceListJson } from '../../src/protocol/api';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startCli(args: string[]): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--no-open', '--no-persist', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
      });
    });

    it('reads every flag, in both --flag value and --flag=value forms', () => {
      const options = parseArgs(['--port', '5000', '--grpc-port=5001', '--host', '0.0.0.0', '--no-open', '--demo', '--max-spans', '10', '--max-traces=3', '--max-memory-mb', '64', '--data-dir', '/var/traces', '--no-persist', '--max-disk-mb=100']);
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
      });
    });

    it('explains what is wrong with a bad command line', () => {
      assert.throws(() => parseArgs(['--port', 'http']), (error) => error instanceof UsageError && /--port needs a whole number from 0 to 65535, got "http"/.test(error.message));
      assert.throws(() => parseArgs(['--port']), /got nothing/);
      assert.throws(() => parseArgs(['--verbose']), /unknown option --verbose/);
      assert.throws(() => parseArgs(['--max-memory-mb', '1']), /--max-memory-mb needs a whole number from 16/);
      assert.throws(() => parseArgs(['--data-dir']), /--data-dir needs a folder/);
      assert.throws(() => parseArgs(['--max-disk-mb', '0']), /--max-disk-mb needs a whole number from 1/);
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

  it('answers a bad flag with usage and exit code 2', async () => {
    const { child, output } = startCli(['--port', 'abc']);
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(output(), /--port needs a whole number/);
    assert.match(output(), /Usage: respan-inspector/);
  });
});
