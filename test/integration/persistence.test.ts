/**
 * Traces kept on disk by the standalone command, as a user runs it: a real
 * child process, real senders, restarts, a second process on the same
 * folder, the disk limit, and `kill -9` in the middle of sustained ingest.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ingestIdToHex } from '../../src/core/ingest';
import { encodeExportRequestProto } from '../../src/core/otlp/proto';
import type { RunListJson, StatusJson, TraceListJson } from '../../src/protocol/api';
import { seededRandom, toProtoObject } from '../fixtures/otlp';

interface Cli {
  child: ChildProcess;
  url: string;
  grpcEndpoint: string | undefined;
  output(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `respan-inspector` on free ports and resolves once it prints its banner. */
async function startCli(args: string[]): Promise<Cli> {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--no-open', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/Point your app at it/.test(output)) return resolve();
      if (child.exitCode !== null) return reject(new Error(`the inspector exited: ${output}`));
      setTimeout(check, 25);
    };
    check();
  });
  return {
    child,
    url: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1],
    grpcEndpoint: /OTLP\/gRPC:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1],
    output: () => output,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function send(url: string, method: string, body?: string | Buffer, contentType = 'application/json'): Promise<void> {
  const response = await fetch(url, { method, body: typeof body === 'string' ? body : body && new Uint8Array(body).buffer, headers: body === undefined ? {} : { 'Content-Type': contentType } });
  assert.equal(response.status, 200, `${method} ${url}: ${await response.text()}`);
}

/** Bytes of the files in `dir`. */
function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** One trace of `spans` spans as an OTLP/JSON request. */
function otlpTrace(traceId: string, spans: number, padding: string) {
  const parent = traceId.slice(0, 16);
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'persist-test' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId,
              spanId: i === 0 ? parent : `${traceId.slice(16, 28)}${i.toString(16).padStart(4, '0')}`,
              parentSpanId: i === 0 ? '' : parent,
              name: i === 0 ? 'agent.workflow' : `step ${i}`,
              kind: 1,
              startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
              endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i + 1) * 1_000_000n),
              attributes: [
                { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                { key: 'padding', value: { stringValue: padding } },
              ],
            })),
          },
        ],
      },
    ],
  };
}

/** One trace of `spans` spans as a Respan ingest body. */
function ingestTrace(key: string, spans: number, padding: string): string {
  return JSON.stringify(
    Array.from({ length: spans }, (_, i) => ({
      trace_unique_id: key,
      span_unique_id: `${key}-span-${i}`,
      span_parent_id: i === 0 ? undefined : `${key}-span-0`,
      span_name: `ingest ${i}`,
      model: 'gpt-4o',
      start_time: '2025-01-01T00:00:00Z',
      latency: 0.5,
      metadata: { padding },
    })),
  );
}

/** A one-span trace from process `pid` of service `agent`, starting `second` seconds after a fixed time, as an OTLP/JSON request. */
function processTrace(traceId: string, pid: number, second: number): string {
  const startNs = BigInt(1_700_000_000 + second) * 1_000_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }, { key: 'process.pid', value: { intValue: String(pid) } }] },
        scopeSpans: [{ spans: [{ traceId, spanId: traceId.slice(0, 16), name: 'agent.run', startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 500_000_000n) }] }],
      },
    ],
  });
}

async function sendWithSdk(exporter: SpanExporter, service: string): Promise<void> {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('persist-test');
  tracer.startActiveSpan('agent.workflow', (root) => {
    tracer.startSpan('openai.chat', { attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 12 } }, trace.setSpan(context.active(), root)).end();
    root.end();
  });
  await provider.forceFlush();
  await provider.shutdown();
}

describe('traces kept on disk by the standalone command', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'respan-persist-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
  });

  it('keeps traces from every receiver (OTel SDK exporters over HTTP protobuf, HTTP JSON and gRPC, Respan ingest, an import), pins and deletions across a restart', async () => {
    const dir = dataDir();
    const first = await startCli(['--data-dir', dir, '--grpc-port', '0']);
    let before: TraceListJson;
    const details = new Map<string, unknown>();
    try {
      await sendWithSdk(new ProtoExporter({ url: `${first.url}/v1/traces` }), 'proto-service');
      await sendWithSdk(new JsonExporter({ url: `${first.url}/v1/traces` }), 'json-service');
      await sendWithSdk(new GrpcExporter({ url: first.grpcEndpoint }), 'grpc-service');
      await send(`${first.url}/api/v1/traces/ingest`, 'POST', ingestTrace('ingest-trace', 3, 'p'));
      await send(`${first.url}/api/import`, 'POST', JSON.stringify(otlpTrace('1234567890abcdef1234567890abcdef', 4, 'imported')));
      const list = await getJson<TraceListJson>(`${first.url}/api/traces`);
      assert.equal(list.total, 5);
      const byService = (service: string) => list.traces.find((item) => item.service === service)!.traceId;
      await send(`${first.url}/api/traces/${byService('grpc-service')}/pin`, 'POST');
      await send(`${first.url}/api/traces/${byService('json-service')}`, 'DELETE');
      before = await getJson<TraceListJson>(`${first.url}/api/traces`);
      for (const item of before.traces) details.set(item.traceId, await getJson(`${first.url}/api/traces/${item.traceId}`));
    } finally {
      assert.equal(await first.stop(), 0, first.output());
    }
    assert.equal(before.total, 4);
    assert.ok(before.traces.some((item) => item.pinned));

    const second = await startCli(['--data-dir', dir, '--no-grpc']);
    try {
      assert.match(second.output(), new RegExp(`Traces kept: +in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; restored 4 traces \\(11 spans\\)`));
      assert.deepEqual(await getJson<TraceListJson>(`${second.url}/api/traces`), before);
      const status = await getJson<StatusJson>(`${second.url}/api/status`);
      assert.equal(status.dataDir, dir);
      assert.ok(status.disk !== null && status.disk.bytes > 0 && status.disk.bytes <= folderBytes(dir), JSON.stringify(status.disk));
      for (const [traceId, detail] of details) assert.deepEqual(await getJson(`${second.url}/api/traces/${traceId}`), detail);
      // It keeps taking spans, and those are kept too.
      await send(`${second.url}/v1/traces`, 'POST', JSON.stringify(otlpTrace('abcdefabcdefabcdefabcdefabcdef01', 2, 'after')));
    } finally {
      assert.equal(await second.stop(), 0, second.output());
    }
    const third = await startCli(['--data-dir', dir, '--no-grpc']);
    try {
      assert.equal((await getJson<TraceListJson>(`${third.url}/api/traces`)).total, 5);
    } finally {
      await third.stop();
    }
  });

  it('with --no-persist keeps nothing on disk and nothing across a restart', async () => {
    const dir = join(dataDir(), 'unused');
    const first = await startCli(['--data-dir', dir, '--no-persist', '--no-grpc']);
    try {
      assert.match(first.output(), /Traces kept: +in memory only \(--no-persist\)/);
      const status = await getJson<StatusJson>(`${first.url}/api/status`);
      assert.deepEqual([status.dataDir, status.disk], [null, null]);
      await send(`${first.url}/v1/traces`, 'POST', JSON.stringify(otlpTrace('abcdefabcdefabcdefabcdefabcdef02', 2, 'x')));
      assert.equal((await getJson<TraceListJson>(`${first.url}/api/traces`)).total, 1);
    } finally {
      await first.stop();
    }
    assert.equal(existsSync(dir), false);
    const second = await startCli(['--data-dir', dir, '--no-persist', '--no-grpc']);
    try {
      assert.equal((await getJson<TraceListJson>(`${second.url}/api/traces`)).total, 0);
    } finally {
      await second.stop();
    }
  });

  it('lets one process at a time write a folder: a second one says which process holds it and keeps its traces in memory only', async () => {
    const dir = dataDir();
    const first = await startCli(['--data-dir', dir, '--no-grpc']);
    try {
      const second = await startCli(['--data-dir', dir, '--no-grpc']);
      try {
        assert.match(second.output(), new RegExp(`another inspector \\(process ${first.child.pid} on [^)]+\\) is keeping its traces in .*, so this one keeps traces in memory only`));
        assert.match(second.output(), /Traces kept: +in memory only \(see above\)/);
        assert.equal((await getJson<StatusJson>(`${second.url}/api/status`)).dataDir, null);
        assert.equal((await getJson<StatusJson>(`${first.url}/api/status`)).dataDir, dir);
        await send(`${second.url}/v1/traces`, 'POST', JSON.stringify(otlpTrace('abcdefabcdefabcdefabcdefabcdef03', 2, 'second')));
      } finally {
        assert.equal(await second.stop(), 0);
      }
      await send(`${first.url}/v1/traces`, 'POST', JSON.stringify(otlpTrace('abcdefabcdefabcdefabcdefabcdef04', 2, 'first')));
    } finally {
      await first.stop();
    }
    const third = await startCli(['--data-dir', dir, '--no-grpc']);
    try {
      const list = await getJson<TraceListJson>(`${third.url}/api/traces`);
      assert.deepEqual(list.traces.map((item) => item.traceId), ['abcdefabcdefabcdefabcdefabcdef04']);
    } finally {
      await third.stop();
    }
  });

  it('holds --max-disk-mb, evicting the least recently updated traces but never a pinned one', async () => {
    const dir = dataDir();
    const limit = 2 * 1024 * 1024;
    const cli = await startCli(['--data-dir', dir, '--no-grpc', '--max-disk-mb', '2']);
    const padding = 'x'.repeat(1_000);
    const traceIdOf = (n: number) => `${n.toString(16).padStart(8, '0')}${'ab'.repeat(12)}`;
    const count = 600;
    try {
      for (let n = 0; n < count; n++) {
        const body = Buffer.from(encodeExportRequestProto(toProtoObject(otlpTrace(traceIdOf(n), 10, padding))));
        await send(`${cli.url}/v1/traces`, 'POST', body, 'application/x-protobuf');
        if (n === 0) await send(`${cli.url}/api/traces/${traceIdOf(0)}/pin`, 'POST');
      }
      // Compaction runs in the background: wait for it to bring the folder within the limit.
      while (folderBytes(dir) > limit) await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      assert.equal(await cli.stop(), 0, cli.output());
    }
    assert.ok(folderBytes(dir) <= limit, `${folderBytes(dir)} bytes on disk`);
    assert.match(cli.output(), /disk limit: the \d+ least recently updated traces were evicted/);
    const restarted = await startCli(['--data-dir', dir, '--no-grpc', '--max-disk-mb', '2']);
    try {
      const list = await getJson<TraceListJson>(`${restarted.url}/api/traces`);
      const kept = new Set(list.traces.map((item) => item.traceId));
      assert.ok(kept.has(traceIdOf(0)), 'the pinned trace is kept');
      assert.ok(kept.has(traceIdOf(count - 1)), 'the newest trace is kept');
      assert.ok(list.total < count / 2, `${list.total} traces kept`);
      // What is kept besides the pinned trace is the newest traces, without gaps.
      const oldestKept = [...Array(count).keys()].find((n) => n > 0 && kept.has(traceIdOf(n)))!;
      for (let n = oldestKept; n < count; n++) assert.ok(kept.has(traceIdOf(n)), `trace ${n} is kept (the oldest kept is ${oldestKept})`);
    } finally {
      await restarted.stop();
    }
  });

  it('keeps each run and its traces across a restart, after a snapshot dropped the run\'s first trace: /api/runs, listRuns and the run filter answer the same', async () => {
    const dir = dataDir();
    // A 1 MB disk limit makes the journal take a snapshot once about 350 KB of changes are logged.
    const args = ['--data-dir', dir, '--no-grpc', '--max-disk-mb', '1'];
    const traceIdOf = (n: number) => `${n.toString(16).padStart(4, '0')}${'cd'.repeat(14)}`;
    const first = await startCli(args);
    let runsBefore: RunListJson;
    try {
      await send(`${first.url}/v1/traces`, 'POST', processTrace(traceIdOf(1), 4242, 0));
      await send(`${first.url}/v1/traces`, 'POST', processTrace(traceIdOf(2), 4242, 10));
      await send(`${first.url}/api/traces/${traceIdOf(1)}`, 'DELETE');
      await send(`${first.url}/api/traces/${traceIdOf(2)}/pin`, 'POST');
      for (let n = 100; n < 110; n++) await send(`${first.url}/v1/traces`, 'POST', JSON.stringify(otlpTrace(traceIdOf(n), 1, 'x'.repeat(60_000))));
      while (!readdirSync(dir).some((name) => name.endsWith('.snapshot'))) await new Promise((resolve) => setTimeout(resolve, 50));
      runsBefore = await getJson<RunListJson>(`${first.url}/api/runs`);
    } finally {
      assert.equal(await first.stop(), 0, first.output());
    }
    assert.deepEqual(
      runsBefore.runs.map(({ id, label, service, firstSeenMs, traceCount, spanCount }) => ({ id, label, service, firstSeenMs, traceCount, spanCount })),
      [{ id: 'agent:4242:1700000000000', label: 'agent · pid 4242', service: 'agent', firstSeenMs: 1_700_000_000_000, traceCount: 1, spanCount: 1 }],
    );

    const second = await startCli(args);
    try {
      assert.deepEqual(await getJson<RunListJson>(`${second.url}/api/runs`), runsBefore);
      const viaService = await fetch(`${second.url}/api/service/listRuns`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.deepEqual(await viaService.json(), runsBefore);
      const runId = runsBefore.runs[0].id;
      // The same process sends again: its trace joins the run it had before the restart.
      await send(`${second.url}/v1/traces`, 'POST', processTrace(traceIdOf(3), 4242, 20));
      const ofRun = await getJson<TraceListJson>(`${second.url}/api/traces?run=${encodeURIComponent(runId)}`);
      assert.deepEqual(ofRun.traces.map((item) => item.traceId).sort(), [traceIdOf(2), traceIdOf(3)]);
      assert.ok(ofRun.traces.every((item) => item.run?.id === runId));
      assert.equal((await getJson<RunListJson>(`${second.url}/api/runs`)).runs[0].traceCount, 2);
    } finally {
      await second.stop();
    }
  });

  it('kill -9 at random moments of sustained ingest loses no acknowledged span, and the journal always reopens undamaged', async function () {
    this.timeout(600_000);
    const dir = dataDir();
    const seed = 20_251_202;
    const random = seededRandom(seed);
    const padding = 'p'.repeat(400);
    const SPANS = 20;
    /** Trace id → spans, for every trace whose request was answered 200. */
    const acked = new Map<string, number>();
    const pinnedAcked = new Set<string>();
    const deleteSent = new Set<string>();
    const deleteAcked = new Set<string>();
    /** Acknowledged traces that are neither pinned nor deleted, oldest first: what the deleter removes, keeping about 30 (within the disk limit). */
    const live: string[] = [];
    let sent = 0;

    async function verify(url: string, round: number): Promise<TraceListJson> {
      const list = await getJson<TraceListJson>(`${url}/api/traces`);
      const listed = new Map(list.traces.map((item) => [item.traceId, item]));
      for (const [traceId, spans] of acked) {
        if (deleteSent.has(traceId)) continue;
        assert.equal(listed.get(traceId)?.spanCount, spans, `round ${round} (seed ${seed}): acknowledged trace ${traceId} with ${spans} spans`);
      }
      for (const traceId of deleteAcked) assert.equal(listed.has(traceId), false, `round ${round}: deleted trace ${traceId} is gone`);
      for (const traceId of pinnedAcked) if (!deleteSent.has(traceId)) assert.equal(listed.get(traceId)?.pinned, true, `round ${round}: pinned trace ${traceId}`);
      // A request is kept whole or not at all.
      for (const item of list.traces) assert.equal(item.spanCount, SPANS, `round ${round}: trace ${item.traceId} has ${item.spanCount} spans`);
      return list;
    }

    /** Sends traces, pins and deletes over 4 keep-alive connections until the process dies; kills it after `killAfter` answers. */
    async function ingestUntilKilled(cli: Cli, killAfter: number): Promise<void> {
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      let answers = 0;
      let killed = false;
      const call = (method: string, path: string, body: Buffer | undefined, contentType: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request(`${cli.url}${path}`, { method, agent, headers: body ? { 'Content-Type': contentType, 'Content-Length': body.length } : {} }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end(body);
        });
      const answered = () => {
        if (++answers === killAfter && !killed) {
          killed = true;
          setTimeout(() => cli.child.kill('SIGKILL'), Math.floor(random() * 15));
        }
      };
      const worker = async () => {
        for (;;) {
          const choice = random();
          try {
            if (choice < 0.03 && live.length > 0) {
              const traceId = live.splice(Math.floor(random() * live.length), 1)[0];
              if ((await call('POST', `/api/traces/${traceId}/pin`, undefined, '')) === 200) pinnedAcked.add(traceId);
            } else if (choice < 0.55 && live.length > 30) {
              const traceId = live.shift()!;
              deleteSent.add(traceId);
              if ((await call('DELETE', `/api/traces/${traceId}`, undefined, '')) === 200) deleteAcked.add(traceId);
            } else {
              const n = sent++;
              const format = choice < 0.75 ? 'protobuf' : choice < 0.92 ? 'json' : 'ingest';
              const key = `kill-${seed}-${n}`;
              const traceId = format === 'ingest' ? ingestIdToHex(key, 16) : `${n.toString(16).padStart(8, '0')}${'cd'.repeat(12)}`;
              const json = otlpTrace(traceId, SPANS, padding);
              const status =
                format === 'protobuf'
                  ? await call('POST', '/v1/traces', Buffer.from(encodeExportRequestProto(toProtoObject(json))), 'application/x-protobuf')
                  : format === 'json'
                    ? await call('POST', '/v1/traces', Buffer.from(JSON.stringify(json)), 'application/json')
                    : await call('POST', '/api/v1/traces/ingest', Buffer.from(ingestTrace(key, SPANS, padding)), 'application/json');
              assert.equal(status, 200);
              acked.set(traceId, SPANS);
              live.push(traceId);
            }
            answered();
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            // The process was killed: this request may or may not have been kept.
            return;
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      agent.destroy();
      await cli.stop('SIGKILL');
    }

    const damage = /unreadable|could not be|skipped|cannot be kept|can no longer/;
    const outputs: string[] = [];
    for (let round = 0; round < 12; round++) {
      const cli = await startCli(['--data-dir', dir, '--no-grpc', '--max-disk-mb', '6']);
      try {
        await verify(cli.url, round);
        await ingestUntilKilled(cli, 20 + Math.floor(random() * 180));
      } catch (error) {
        await cli.stop('SIGKILL');
        throw new Error(`${(error as Error).message}\n${[...outputs, cli.output()].map((text, i) => `--- round ${i}:\n${text}`).join('\n')}`);
      }
      outputs.push(cli.output());
      assert.doesNotMatch(cli.output(), damage, `round ${round}`);
    }
    const last = await startCli(['--data-dir', dir, '--no-grpc', '--max-disk-mb', '6']);
    let before: TraceListJson;
    try {
      before = await verify(last.url, 12);
      assert.ok(acked.size > 120, `${acked.size} traces acknowledged`);
    } finally {
      assert.equal(await last.stop(), 0, last.output());
    }
    assert.doesNotMatch(last.output(), damage);
    const after = await startCli(['--data-dir', dir, '--no-grpc', '--max-disk-mb', '6']);
    try {
      assert.deepEqual(await getJson<TraceListJson>(`${after.url}/api/traces`), before);
    } finally {
      await after.stop();
    }
    assert.doesNotMatch(after.output(), damage);
  });
});
