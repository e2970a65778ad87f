/**
 * Persistence benchmark, side by side in one run:
 *   - ingest rate with persistence off and on (the listener on this thread,
 *     a child process replaying pre-encoded OTLP batches over loopback, as in
 *     bench/ingest.ts), into an empty store and sustained past retention
 *     (evicting, compacting), by the wall clock and by the listener's CPU
 *     time (the figure that holds on a machine other jobs keep busy);
 *   - bytes on disk per span, as received and after compaction;
 *   - restart of the standalone command with 200,000 spans retained, from
 *     its start to the first answer that lists a trace (the listener answers
 *     while it restores) and to the first that lists them all, from the log
 *     of request bodies and from a snapshot, next to a start with nothing kept.
 *
 *   npm run bench:persist
 */

import { fork, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DECODE_LIMITS } from '../src/core/otlp/common';
import { encodeExportRequestProto } from '../src/core/otlp/proto';
import { TraceStore } from '../src/core/store';
import type { TraceListJson } from '../src/protocol/api';
import { startInspector } from '../src/server/listener';
import { openPersistence } from '../src/server/persist/diskJournal';

const SPANS_PER_BATCH = 500;
const SPANS_PER_TRACE = 20;
const CONCURRENCY = 4;
const RETAINED_SPANS = 200_000;
const MAX_DISK_BYTES = 4096 * 1024 * 1024;

/** A typical LLM-app span: a dozen attributes of the kinds real SDKs send (as in bench/ingest.ts). */
function typicalSpan(batch: number, index: number) {
  const n = batch * SPANS_PER_BATCH + index;
  const first = n - (index % SPANS_PER_TRACE) + 1;
  const start = 1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n;
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });
  return {
    traceId: Buffer.from(first.toString(16).padStart(32, '0'), 'hex'),
    spanId: Buffer.from((n + 1).toString(16).padStart(16, '0'), 'hex'),
    parentSpanId: index % SPANS_PER_TRACE === 0 ? Buffer.alloc(0) : Buffer.from(first.toString(16).padStart(16, '0'), 'hex'),
    name: index % 3 === 0 ? 'openai.chat' : `step_${index % 7}.task`,
    kind: 1,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 2_500_000n).toString(),
    attributes: [
      text('traceloop.span.kind', 'task'),
      text('traceloop.entity.name', `step_${index % 7}`),
      text('traceloop.entity.path', 'agent_workflow.plan'),
      text('traceloop.workflow.name', 'agent_workflow'),
      text('gen_ai.system', 'openai'),
      text('gen_ai.request.model', 'gpt-4o-mini'),
      int('gen_ai.usage.input_tokens', 100 + (index % 50)),
      int('gen_ai.usage.output_tokens', 20 + (index % 30)),
      text('respan.customer_params.customer_identifier', `cus_${batch % 100}`),
      text('respan.threads.thread_identifier', `thread_${batch % 1000}`),
      text('code.file.path', '/srv/app/agents/planner.py'),
      int('code.line.number', 40 + (index % 100)),
    ],
    status: { code: 0 },
  };
}

function batchProto(batch: number): Buffer {
  const spans = Array.from({ length: SPANS_PER_BATCH }, (_, index) => typicalSpan(batch, index));
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'bench-agent' } }] };
  return Buffer.from(encodeExportRequestProto({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.openai', version: '0.40.0' }, spans }] }] }));
}

/* ---- client (child process): encodes its batches, then replays them with keep-alive and fixed concurrency ---- */

interface ClientJob {
  port: number;
  batches: number;
  /** Sends the batches this many times: later rounds bring back traces evicted since, as new ones. */
  rounds: number;
}

async function runClient(job: ClientJob): Promise<number> {
  const encoded = Array.from({ length: job.batches }, (_, i) => batchProto(i));
  const bodies = Array.from({ length: job.rounds }, () => encoded).flat();
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: job.port, path: '/v1/traces', method: 'POST', agent, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

if (process.argv[2] === '--client') {
  process.once('message', (job: ClientJob) => {
    runClient(job).then(
      (seconds) => process.send!({ seconds }, () => process.exit(0)),
      (error: Error) => {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      },
    );
  });
}

/** Runs a client process that encodes its batches, then sends them; resolves with the seconds the sending took. */
function client(job: ClientJob): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--client'], { execArgv: process.execArgv.filter((arg) => !arg.startsWith('--expose-gc') && !arg.startsWith('--max-old')) });
    child.once('message', (message: { seconds: number }) => resolve(message.seconds));
    child.once('exit', (code) => code !== 0 && reject(new Error(`client exited with ${code}`)));
    child.send(job);
  });
}

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

const rate = (spans: number, seconds: number) => `${Math.round(spans / seconds).toLocaleString('en-US')} spans/s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const quiet = () => undefined;

/** CPU seconds this process used since `since` (all its threads: the journal's flushes too). */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** One ingest run into a fresh store: wall and CPU seconds, the snapshots written and, with persistence, the folder it wrote. */
async function ingestRun(batches: number, rounds: number, persist: boolean, maxSpans: number): Promise<{ seconds: number; cpu: number; dataDir?: string; compactions: number }> {
  const store = new TraceStore({ maxSpans, maxTraces: 1_000_000, maxBytes: Infinity });
  const dataDir = persist ? mkdtempSync(join(tmpdir(), 'respan-bench-persist-')) : undefined;
  const inspector = await startInspector({ store, httpPort: 0, grpcPort: null, persistence: dataDir ? { dataDir, maxDiskBytes: MAX_DISK_BYTES, log: quiet } : undefined });
  const cpuStart = process.cpuUsage();
  const seconds = await client({ port: inspector.http!.port, batches, rounds });
  await inspector.stop();
  const cpu = cpuSeconds(cpuStart);
  // Each snapshot begins a new log generation, the first being 0.
  const compactions = dataDir ? Number(/journal-(\d+)\.log/.exec(readdirSync(dataDir).join(' '))?.[1] ?? 0) : 0;
  const expected = Math.min(batches * SPANS_PER_BATCH, maxSpans);
  if (store.spanCount < expected - SPANS_PER_BATCH) throw new Error(`stored ${store.spanCount} of ${expected} spans`);
  return { seconds, cpu, dataDir, compactions };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `dist/cli.js` and measures until an answer lists a trace (while the
 * journal still replays, the answer says it is loading) and until one lists
 * traces without loading (everything restored); returns the seconds and what
 * it printed.
 */
async function restart(args: string[], expectTraces: boolean): Promise<{ seconds: number; restoredSeconds: number; output: string }> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'cli.js'), '--no-open', '--no-grpc', '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const agent = new Agent({ keepAlive: false });
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  let seconds: number | undefined;
  for (;;) {
    const listed = await new Promise<TraceListJson | undefined>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/traces?limit=1', agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(body) as TraceListJson) : undefined));
      });
      req.on('error', () => resolve(undefined));
      req.end();
    });
    if (listed !== undefined && (listed.traces.length > 0 || !expectTraces)) {
      seconds ??= elapsed();
      if (!listed.loading) break;
    }
    if (child.exitCode !== null) throw new Error(`the inspector exited: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const restoredSeconds = elapsed();
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  return { seconds, restoredSeconds, output };
}

async function main(): Promise<void> {
  const batches = RETAINED_SPANS / SPANS_PER_BATCH;
  const spans = batches * SPANS_PER_BATCH;
  console.log(`Persistence benchmark: ${batches} OTLP/protobuf batches × ${SPANS_PER_BATCH} spans (12 attributes each), ${CONCURRENCY} keep-alive connections, Node ${process.version}\n`);

  const off: { seconds: number; cpu: number }[] = [];
  const on: { seconds: number; cpu: number }[] = [];
  let kept: string | undefined;
  for (let round = 0; round < 3; round++) {
    off.push(await ingestRun(batches, 1, false, RETAINED_SPANS));
    const run = await ingestRun(batches, 1, true, RETAINED_SPANS);
    on.push(run);
    if (kept) rmSync(run.dataDir!, { recursive: true, force: true });
    else kept = run.dataDir;
  }
  const summary = (runs: { seconds: number; cpu: number }[]) =>
    `${rate(spans, median(runs.map((run) => run.seconds)))} wall, ${rate(spans, median(runs.map((run) => run.cpu)))} of listener CPU   (wall: ${runs.map((run) => rate(spans, run.seconds)).join(', ')})`;
  const ratio = (pick: (run: { seconds: number; cpu: number }) => number) => Math.round((100 * median(off.map(pick))) / median(on.map(pick)));
  console.log(`ingest of ${spans.toLocaleString('en-US')} spans into an empty store (medians of 3 alternating runs):`);
  console.log(`  persistence off: ${summary(off)}`);
  console.log(`  persistence on:  ${summary(on)}`);
  console.log(`  on / off:        ${ratio((run) => run.seconds)}% wall, ${ratio((run) => run.cpu)}% CPU\n`);

  const sustainedBatches = 3 * batches;
  const sustainedRounds = 2;
  const sustainedSpans = sustainedRounds * sustainedBatches * SPANS_PER_BATCH;
  const sustainedOff = await ingestRun(sustainedBatches, sustainedRounds, false, RETAINED_SPANS);
  const sustainedOn = await ingestRun(sustainedBatches, sustainedRounds, true, RETAINED_SPANS);
  rmSync(sustainedOn.dataDir!, { recursive: true, force: true });
  console.log(`sustained: ${sustainedSpans.toLocaleString('en-US')} spans into a store that keeps ${RETAINED_SPANS.toLocaleString('en-US')} (evicting; the journal compacts as it goes):`);
  console.log(`  persistence off: ${rate(sustainedSpans, sustainedOff.seconds)} wall, ${rate(sustainedSpans, sustainedOff.cpu)} of listener CPU`);
  console.log(`  persistence on:  ${rate(sustainedSpans, sustainedOn.seconds)} wall, ${rate(sustainedSpans, sustainedOn.cpu)} of listener CPU   (${sustainedOn.compactions} snapshots written)`);
  console.log(`  on / off:        ${Math.round((100 * sustainedOff.seconds) / sustainedOn.seconds)}% wall, ${Math.round((100 * sustainedOff.cpu) / sustainedOn.cpu)}% CPU\n`);

  const logDir = kept!;
  const logBytes = folderBytes(logDir);
  const snapshotDir = mkdtempSync(join(tmpdir(), 'respan-bench-persist-'));
  cpSync(logDir, snapshotDir, { recursive: true });
  const store = new TraceStore({ maxSpans: RETAINED_SPANS, maxTraces: 1_000_000, maxBytes: Infinity, schedule: quiet });
  let cpuStart = process.cpuUsage();
  const persistence = openPersistence(store, { dataDir: snapshotDir, maxDiskBytes: MAX_DISK_BYTES, limits: DEFAULT_DECODE_LIMITS, log: quiet });
  await persistence.replayed;
  const replayLogCpu = cpuSeconds(cpuStart);
  const replayMs = persistence.state.status === 'on' ? persistence.state.restored.ms : NaN;
  const started = process.hrtime.bigint();
  cpuStart = process.cpuUsage();
  await persistence.compact();
  const compactCpu = cpuSeconds(cpuStart);
  const compactSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await persistence.close();
  cpuStart = process.cpuUsage();
  const fromSnapshotStore = new TraceStore({ maxSpans: RETAINED_SPANS, maxTraces: 1_000_000, maxBytes: Infinity, schedule: quiet });
  const reopened = openPersistence(fromSnapshotStore, { dataDir: snapshotDir, maxDiskBytes: MAX_DISK_BYTES, limits: DEFAULT_DECODE_LIMITS, log: quiet });
  await reopened.replayed;
  const replaySnapshotCpu = cpuSeconds(cpuStart);
  const replaySnapshotMs = reopened.state.status === 'on' ? reopened.state.restored.ms : NaN;
  await reopened.close();
  const snapshotBytes = folderBytes(snapshotDir);
  console.log(`on disk, ${spans.toLocaleString('en-US')} spans:`);
  console.log(`  as received (request bodies):  ${(logBytes / 1e6).toFixed(1)} MB, ${Math.round(logBytes / spans)} bytes per span`);
  console.log(`  after compaction (snapshot):   ${(snapshotBytes / 1e6).toFixed(1)} MB, ${Math.round(snapshotBytes / spans)} bytes per span (writing it took ${compactSeconds.toFixed(1)} s, ${compactCpu.toFixed(1)} s of CPU, in steps between requests)`);
  console.log(`replay into a store in this process: request bodies ${(replayMs / 1000).toFixed(2)} s (${replayLogCpu.toFixed(2)} s of CPU), snapshot ${(replaySnapshotMs / 1000).toFixed(2)} s (${replaySnapshotCpu.toFixed(2)} s of CPU)\n`);

  const baseline = await restart(['--no-persist'], false);
  const fromLog = await restart(['--data-dir', logDir], true);
  const fromSnapshot = await restart(['--data-dir', snapshotDir], true);
  const restoredOf = (output: string) => /restored (.*) in ([\d.]+) s/.exec(output)?.slice(1).join(', replayed in ') ?? output;
  console.log(`restart of dist/cli.js to the first answer that lists a trace, and to the first that lists them all (${RETAINED_SPANS.toLocaleString('en-US')} spans retained):`);
  console.log(`  nothing kept (--no-persist, to an empty answer): ${baseline.seconds.toFixed(2)} s`);
  console.log(`  from the request bodies as received:            ${fromLog.seconds.toFixed(2)} s, all ${fromLog.restoredSeconds.toFixed(2)} s   (${restoredOf(fromLog.output)} s)`);
  console.log(`  from a snapshot:                                 ${fromSnapshot.seconds.toFixed(2)} s, all ${fromSnapshot.restoredSeconds.toFixed(2)} s   (${restoredOf(fromSnapshot.output)} s)`);
  for (const dir of [logDir, snapshotDir]) rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] !== '--client') {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
