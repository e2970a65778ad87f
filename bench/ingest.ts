/**
 * Ingest benchmark: how fast the listener takes spans over loopback, against
 * the floors of an empty HTTP sink (same connections, same bytes) and of
 * decoding alone; how long other requests wait while one 100,000-span body is
 * received (the worst answer time of `GET /api/status`, polled one after
 * another, beside the time decoding that body alone takes); and how much heap
 * one retained span costs at 1M spans.
 *
 *   npm run bench:ingest            (node --expose-gc, tsx)
 *
 * The listener runs on this process's main thread (one core); the clients are
 * child processes that replay pre-encoded batches (or send the large body and
 * poll the status), so their cost is not counted.
 */

import { fork } from 'node:child_process';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeOtlpJsonBytes, decodeOtlpJsonText } from '../src/core/otlp/json';
import { decodeOtlpProto, encodeExportRequestProto } from '../src/core/otlp/proto';
import { TraceStore } from '../src/core/store';
import { InspectorServer } from '../src/server/server';

const SPANS_PER_BATCH = 500;
const SPANS_PER_TRACE = 20;
const CONCURRENCY = 4;
/** Spans of the one large body (a long agent run exported at once), and how many times it is sent. */
const LARGE_BODY_SPANS = 100_000;
const LARGE_BODY_RUNS = 3;

/** A typical LLM-app span: a dozen attributes of the kinds real SDKs send. */
function typicalSpan(batch: number, index: number) {
  const trace = (batch * SPANS_PER_BATCH + index - (index % SPANS_PER_TRACE) + 1).toString(16).padStart(32, '0');
  const spanId = (batch * SPANS_PER_BATCH + index + 1).toString(16).padStart(16, '0');
  const parent = index % SPANS_PER_TRACE === 0 ? '' : (batch * SPANS_PER_BATCH + index - (index % SPANS_PER_TRACE) + 1).toString(16).padStart(16, '0');
  const start = 1_700_000_000_000_000_000n + BigInt(batch * SPANS_PER_BATCH + index) * 1_000_000n;
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });
  return {
    traceId: trace,
    spanId,
    parentSpanId: parent,
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

const RESOURCE = { attributes: [{ key: 'service.name', value: { stringValue: 'bench-agent' } }, { key: 'telemetry.sdk.language', value: { stringValue: 'python' } }] };

function batchJson(batch: number) {
  const spans = Array.from({ length: SPANS_PER_BATCH }, (_, index) => typicalSpan(batch, index));
  return { resourceSpans: [{ resource: RESOURCE, scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.openai', version: '0.40.0' }, spans }] }] };
}

function toProtoShape(json: ReturnType<typeof batchJson> | ReturnType<typeof largeTraceJson>) {
  const hex = (value: string) => Buffer.from(value, 'hex');
  return {
    resourceSpans: json.resourceSpans.map((group) => ({
      ...group,
      scopeSpans: group.scopeSpans.map((scope) => ({
        ...scope,
        spans: scope.spans.map((span) => ({ ...span, traceId: hex(span.traceId), spanId: hex(span.spanId), parentSpanId: hex(span.parentSpanId) })),
      })),
    })),
  };
}

/** One trace of {@link LARGE_BODY_SPANS} small spans in one export request: groups of 100 steps under a root. */
function largeTraceJson() {
  const traceId = (0x1a2b3c).toString(16).padStart(32, '0');
  const id = (n: number) => (n + 1).toString(16).padStart(16, '0');
  const spans = Array.from({ length: LARGE_BODY_SPANS }, (_, n) => {
    const start = 1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n;
    return {
      traceId,
      spanId: id(n),
      parentSpanId: n === 0 ? '' : id(n % 100 === 1 ? 0 : n - ((n - 1) % 100)),
      name: `step ${n % 100}`,
      kind: 1,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + 800_000n).toString(),
      attributes: [{ key: 'step.index', value: { intValue: String(n) } }],
      status: { code: 0 },
    };
  });
  return { resourceSpans: [{ resource: RESOURCE, scopeSpans: [{ scope: { name: 'bench.large' }, spans }] }] };
}

function largeBody(encoding: 'protobuf' | 'json'): Buffer {
  const json = largeTraceJson();
  return Buffer.from(encoding === 'json' ? JSON.stringify(json) : encodeExportRequestProto(toProtoShape(json)));
}

interface Payloads {
  json: Buffer[];
  protobuf: Buffer[];
}

function makePayloads(batches: number, offset: number): Payloads {
  const json: Buffer[] = [];
  const protobuf: Buffer[] = [];
  for (let batch = 0; batch < batches; batch++) {
    const body = batchJson(offset + batch);
    json.push(Buffer.from(JSON.stringify(body)));
    protobuf.push(Buffer.from(encodeExportRequestProto(toProtoShape(body))));
  }
  return { json, protobuf };
}

/* ---- client (child process): replays batches with keep-alive and fixed concurrency ---- */

interface ClientJob {
  port: number;
  path: string;
  contentType: string;
  payloads: string[];
}

async function runClient(job: ClientJob): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const bodies = job.payloads.map((payload) => Buffer.from(payload, 'base64'));
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: job.port, path: job.path, method: 'POST', agent, headers: { 'Content-Type': job.contentType, 'Content-Length': body.length } }, (res) => {
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

/** One request on a fresh connection; resolves with its status when the answer has been read. */
function send(port: number, method: string, path: string, agent: Agent | false, body?: Buffer, contentType = 'application/json'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const headers = body ? { 'Content-Type': contentType, 'Content-Length': body.length } : {};
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface LargeBodyJob {
  port: number;
  encoding: 'protobuf' | 'json';
}

interface LargeBodyTimes {
  /** The slowest `GET /api/status` answer while the body was received, ms. */
  worstStatusMs: number;
  polls: number;
  /** From the start of the upload to the body's answer, ms. */
  answeredMs: number;
}

/** Posts the large body and, until it is answered, polls `GET /api/status` one request after another. */
async function runLargeBodyClient(job: LargeBodyJob): Promise<LargeBodyTimes> {
  const body = largeBody(job.encoding);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // A first answer, so the poller's connection is open before the clock starts.
  await send(job.port, 'GET', '/api/status', agent);
  let answered = false;
  const started = performance.now();
  const post = send(job.port, 'POST', '/v1/traces', false, body, job.encoding === 'json' ? 'application/json' : 'application/x-protobuf').then((status) => {
    answered = true;
    if (status !== 200) throw new Error(`the large body was answered ${status}`);
    return performance.now() - started;
  });
  let worstStatusMs = 0;
  let polls = 0;
  while (!answered) {
    const asked = performance.now();
    const status = await send(job.port, 'GET', '/api/status', agent);
    if (status !== 200) throw new Error(`status answered ${status}`);
    worstStatusMs = Math.max(worstStatusMs, performance.now() - asked);
    polls++;
  }
  const answeredMs = await post;
  agent.destroy();
  return { worstStatusMs, polls, answeredMs };
}

/** Runs `work` with the job a child process is sent and sends back what it resolves with. */
function serveJob<J, R>(work: (job: J) => Promise<R>): void {
  process.once('message', (job: J) => {
    work(job).then(
      (result) => process.send!(result, () => process.exit(0)),
      (error: Error) => {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      },
    );
  });
}

/** What a child process started with `--client` or `--large-body-client` does. */
const CLIENT_MODES: Record<string, () => void> = {
  '--client': () => serveJob((job: ClientJob) => runClient(job).then((seconds) => ({ seconds }))),
  '--large-body-client': () => serveJob(runLargeBodyClient),
};
CLIENT_MODES[process.argv[2]]?.();

/** Runs `mode`'s job in a child process (without this process's heap flags) and resolves with its result. */
function inChild<J, R>(mode: string, job: J): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [mode], { execArgv: process.execArgv.filter((arg) => !arg.startsWith('--expose-gc') && !arg.startsWith('--max-old')) });
    child.once('message', (message: R) => resolve(message));
    child.once('exit', (code) => code !== 0 && reject(new Error(`client exited with ${code}`)));
    child.send(job as object);
  });
}

function replay(port: number, path: string, contentType: string, payloads: Buffer[]): Promise<number> {
  const job: ClientJob = { port, path, contentType, payloads: payloads.map((payload) => payload.toString('base64')) };
  return inChild<ClientJob, { seconds: number }>('--client', job).then((message) => message.seconds);
}

/** An HTTP server that reads each body and answers `{}`: the transport floor. */
async function emptySink(): Promise<{ port: number; close: () => void }> {
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

const rate = (spans: number, seconds: number) => `${Math.round(spans / seconds).toLocaleString('en-US')} spans/s`;

async function main(): Promise<void> {
  const batches = Number(process.env.BENCH_BATCHES ?? 400);
  const retained = Number(process.env.BENCH_RETAINED_SPANS ?? 1_000_000);
  const totalSpans = batches * SPANS_PER_BATCH;
  const payloads = makePayloads(batches, 0);
  const mb = (list: Buffer[]) => (list.reduce((sum, b) => sum + b.length, 0) / 1e6).toFixed(1);
  console.log(`Ingest benchmark: ${batches} batches × ${SPANS_PER_BATCH} spans (12 attributes each), ${CONCURRENCY} keep-alive connections, Node ${process.version}`);
  console.log(`payload: protobuf ${mb(payloads.protobuf)} MB, JSON ${mb(payloads.json)} MB\n`);

  for (const encoding of ['protobuf', 'json'] as const) {
    const contentType = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
    const bodies = payloads[encoding];

    let started = process.hrtime.bigint();
    for (const body of bodies) (encoding === 'json' ? decodeOtlpJsonBytes(body) : decodeOtlpProto(body));
    const decodeSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    const sink = await emptySink();
    const sinkSeconds = await replay(sink.port, '/v1/traces', contentType, bodies);
    sink.close();

    const store = new TraceStore({ maxSpans: totalSpans * 2, maxTraces: totalSpans });
    const server = new InspectorServer({ store, port: 0 });
    await server.start();
    started = process.hrtime.bigint();
    const ingestSeconds = await replay(server.port, '/v1/traces', contentType, bodies);
    await server.stop();
    if (store.spanCount !== totalSpans) throw new Error(`stored ${store.spanCount} of ${totalSpans} spans`);

    console.log(`${encoding.padEnd(8)} ingest over loopback: ${rate(totalSpans, ingestSeconds)}`);
    console.log(`${''.padEnd(8)} empty HTTP sink floor: ${rate(totalSpans, sinkSeconds)}`);
    console.log(`${''.padEnd(8)} decode only:           ${rate(totalSpans, decodeSeconds)}`);
    if (encoding === 'json') {
      // The general decoder (JSON.parse) that takes every body the fast path hands over.
      started = process.hrtime.bigint();
      for (const body of bodies) decodeOtlpJsonText(body.toString('utf8'));
      console.log(`${''.padEnd(8)} decode only, general:  ${rate(totalSpans, Number(process.hrtime.bigint() - started) / 1e9)}`);
    }
    console.log('');
  }

  // Other requests while one large body is received: the status poller's worst wait, beside the body's decode alone.
  console.log(`One body of ${LARGE_BODY_SPANS.toLocaleString('en-US')} spans (one trace, one attribute each), GET /api/status polled one after another while it is received, ${LARGE_BODY_RUNS} runs:`);
  for (const encoding of ['protobuf', 'json'] as const) {
    const body = largeBody(encoding);
    const decodeMs: number[] = [];
    for (let run = 0; run < LARGE_BODY_RUNS; run++) {
      const started = performance.now();
      const { spans } = encoding === 'json' ? decodeOtlpJsonBytes(body) : decodeOtlpProto(body);
      decodeMs.push(performance.now() - started);
      if (spans.length !== LARGE_BODY_SPANS) throw new Error(`decoded ${spans.length} of ${LARGE_BODY_SPANS} spans`);
    }
    const runs: LargeBodyTimes[] = [];
    for (let run = 0; run < LARGE_BODY_RUNS; run++) {
      const store = new TraceStore({ maxSpans: LARGE_BODY_SPANS * 2, maxTraces: 10 });
      const server = new InspectorServer({ store, port: 0 });
      await server.start();
      runs.push(await inChild<LargeBodyJob, LargeBodyTimes>('--large-body-client', { port: server.port, encoding }));
      await server.stop();
      if (store.spanCount !== LARGE_BODY_SPANS) throw new Error(`stored ${store.spanCount} of ${LARGE_BODY_SPANS} spans`);
    }
    const ms = (values: number[]) => values.map((value) => Math.round(value)).join(' / ');
    console.log(`${encoding.padEnd(8)} ${(body.length / 1e6).toFixed(1)} MB: worst status answer ${ms(runs.map((run) => run.worstStatusMs))} ms (${ms(runs.map((run) => run.polls))} polls); body answered in ${ms(runs.map((run) => run.answeredMs))} ms`);
    console.log(`${''.padEnd(8)} decoding that body alone: ${ms(decodeMs)} ms`);
  }
  console.log('');

  // Heap per retained span: decode and store `retained` typical spans, in batches, then measure.
  gc();
  const baseline = process.memoryUsage().heapUsed;
  // No byte bound: its estimate errs high on purpose, and this measures the heap of all `retained` spans.
  const store = new TraceStore({ maxSpans: retained * 2, maxTraces: retained, maxBytes: Infinity, schedule: () => undefined });
  for (let batch = 0; batch * SPANS_PER_BATCH < retained; batch++) {
    const bytes = encodeExportRequestProto(toProtoShape(batchJson(batch)));
    store.add(decodeOtlpProto(bytes).spans);
    store.flush();
  }
  gc();
  const used = process.memoryUsage().heapUsed - baseline;
  console.log(`retained: ${store.spanCount.toLocaleString('en-US')} spans in ${store.traceCount.toLocaleString('en-US')} traces, heap ${(used / 1e6).toFixed(0)} MB, ${Math.round(used / store.spanCount)} bytes per span`);
}

if (!(process.argv[2] in CLIENT_MODES)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
