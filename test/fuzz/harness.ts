/**
 * The fuzz harness: mutates real OTLP JSON, OTLP protobuf and Respan ingest
 * payloads and sends each one through the decoders directly and through a real
 * listener (HTTP on every receiver path, some over OTLP/gRPC), for a bounded
 * time or number of inputs. A crash is a decoder throwing anything but MalformedPayloadError, an
 * answer outside 200/400/413/415 (or a gRPC status outside OK, INVALID_ARGUMENT,
 * RESOURCE_EXHAUSTED), a dropped connection, or the listener not answering
 * afterwards. A hang is an input that takes longer than `hangMs`.
 *
 * Every input is a pure function of (seed, iteration), so any finding replays
 * with {@link fuzzInput}.
 */

import { Agent, request as httpRequest } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { decodeIngest } from '../../src/core/ingest';
import { MalformedPayloadError, type DecodeResult } from '../../src/core/model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/core/otlp/common';
import { decodeOtlpJson, parseJsonText } from '../../src/core/otlp/json';
import { decodeCanonicalOtlpJson } from '../../src/core/otlp/jsonWire';
import { decodeOtlpLogsJsonBytes } from '../../src/core/otlp/logsJson';
import { decodeOtlpLogsProto } from '../../src/core/otlp/logsProto';
import { countMetricsJsonBytes, countMetricsProto } from '../../src/core/otlp/metrics';
import { decodeOtlpProto } from '../../src/core/otlp/proto';
import { TraceStore } from '../../src/core/store';
import { startInspector } from '../../src/server/listener';
import { LOGS, METRICS, TRACES } from '../../src/server/signals';
import { seededRandom } from '../fixtures/otlp';
import { encodeBody, mutateBytes, mutateJson, type Random } from './mutators';
import { buildSeeds, type Seed, type SeedKind } from './seeds';

/** Settings of {@link runFuzz}. */
export interface FuzzOptions {
  seed: number;
  /** When to stop: after a wall-clock time (the bench), or after a number of inputs (the suite: the same inputs on any machine). */
  budget: { seconds: number } | { inputs: number };
  /** An input slower than this (decode or round trip) is a hang. Default 5 s. */
  hangMs?: number;
  /** Progress lines (bench prints them; the suite does not). */
  log?: (line: string) => void;
}

/** One finding, with what it takes to replay it. */
export interface Finding {
  iteration: number;
  where: 'decoder' | 'http' | 'grpc' | 'listener';
  detail: string;
  /** The first bytes of the input, base64. */
  inputPreview: string;
}

/** What a run did and found. */
export interface FuzzReport {
  seed: number;
  seconds: number;
  inputs: number;
  httpRequests: number;
  grpcCalls: number;
  crashes: Finding[];
  hangs: Finding[];
  /** Answers by status (HTTP) or `grpc:<code>`. */
  statuses: Record<string, number>;
  spansStored: number;
  baselineHeapMb: number;
  maxHeapMb: number;
  /** Largest heap right after a full GC (retained memory), when run with --expose-gc. */
  maxRetainedHeapMb: number | undefined;
  maxRssMb: number;
}

/** Limits of the listener under fuzzing: small enough that retained spans stay bounded. */
export const FUZZ_LIMITS: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxStringLength: 10_000, maxAttributes: 200, maxArrayLength: 1_000 };
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const PATHS: Record<SeedKind, string[]> = {
  'otlp-json': ['/v1/traces', '/api/v2/traces', '/v2/traces'],
  'otlp-proto': ['/v1/traces', '/api/v1/traces', '/v2/traces'],
  'logs-json': ['/v1/logs', '/api/v1/logs'],
  'logs-proto': ['/v1/logs', '/api/v1/logs'],
  'metrics-json': ['/v1/metrics', '/api/v1/metrics'],
  'metrics-proto': ['/v1/metrics', '/api/v1/metrics'],
  ingest: ['/api/v1/traces/ingest', '/v1/traces/ingest', '/api/openai/v1/traces/ingest'],
};
const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', ''];
const PROTO_TYPES = ['application/x-protobuf', 'application/protobuf', ''];
const CONTENT_TYPES: Record<SeedKind, string[]> = {
  'otlp-json': JSON_TYPES,
  'otlp-proto': PROTO_TYPES,
  'logs-json': JSON_TYPES,
  'logs-proto': PROTO_TYPES,
  'metrics-json': JSON_TYPES,
  'metrics-proto': PROTO_TYPES,
  ingest: ['application/json', 'text/plain', ''],
};
/** The gRPC method of each protobuf kind. */
const GRPC_PATHS: Partial<Record<SeedKind, string>> = { 'otlp-proto': TRACES.grpcPath, 'logs-proto': LOGS.grpcPath, 'metrics-proto': METRICS.grpcPath };
const WRONG_CONTENT_TYPES = ['text/html', 'application/x-www-form-urlencoded', 'application/x-protobuf', 'application/json'];

/** One generated input: the payload, where it goes and how it is labelled. */
export interface FuzzInput {
  kind: SeedKind;
  payload: Buffer;
  path: string;
  contentType: string;
  body: Buffer;
  gzip: boolean;
  /** Also sent over OTLP/gRPC (protobuf only). */
  viaGrpc: boolean;
}

function iterationRandom(seed: number, iteration: number): Random {
  return seededRandom((seed ^ Math.imul(iteration + 1, 0x9e3779b1)) >>> 0);
}

/** The input of `iteration` in a run with `seed` over `seeds` (for replaying a finding). */
export function fuzzInput(seeds: readonly Seed[], seed: number, iteration: number): FuzzInput {
  const random = iterationRandom(seed, iteration);
  const base = seeds[Math.floor(random() * seeds.length)];
  const other = seeds[Math.floor(random() * seeds.length)];
  let payload = base.bytes;
  const rounds = 1 + Math.floor(random() * 3);
  for (let round = 0; round < rounds; round++) {
    if (GRPC_PATHS[base.kind] === undefined && random() < 0.5) {
      try {
        payload = Buffer.from(JSON.stringify(mutateJson(random, JSON.parse(payload.toString('utf8')))));
        continue;
      } catch {
        // The text is no longer JSON after an earlier byte mutation: mutate bytes instead.
      }
    }
    payload = mutateBytes(random, payload, other.bytes);
  }
  const types = random() < 0.1 ? WRONG_CONTENT_TYPES : CONTENT_TYPES[base.kind];
  const contentType = types[Math.floor(random() * types.length)];
  const { body, gzip } = encodeBody(random, payload);
  const paths = PATHS[base.kind];
  return { kind: base.kind, payload, path: paths[Math.floor(random() * paths.length)], contentType, body, gzip, viaGrpc: GRPC_PATHS[base.kind] !== undefined && random() < 0.1 };
}

/**
 * Runs the decoders on the payload itself: only MalformedPayloadError may
 * escape. OTLP/JSON goes through both JSON decoders, and the fast path must
 * either hand the body over or decode it exactly as the general decoder does.
 */
export function decodeDirectly(input: FuzzInput): void {
  if (input.kind === 'otlp-proto') decodeOtlpProto(input.payload, FUZZ_LIMITS);
  else if (input.kind === 'logs-proto') decodeOtlpLogsProto(input.payload, FUZZ_LIMITS);
  else if (input.kind === 'logs-json') decodeOtlpLogsJsonBytes(input.payload, FUZZ_LIMITS);
  else if (input.kind === 'metrics-proto') countMetricsProto(input.payload);
  else if (input.kind === 'metrics-json') countMetricsJsonBytes(input.payload);
  else if (input.kind === 'otlp-json') {
    const fast = decodeCanonicalOtlpJson(input.payload, FUZZ_LIMITS);
    let general: DecodeResult;
    try {
      general = decodeOtlpJson(parseJsonText(input.payload.toString('utf8')), FUZZ_LIMITS);
    } catch (error) {
      if (fast !== undefined && error instanceof MalformedPayloadError) throw new Error(`the fast JSON path decoded a body the general decoder refuses (${error.message})`);
      throw error;
    }
    if (fast !== undefined && !isDeepStrictEqual(fast, general)) throw new Error('the fast JSON path and the general decoder disagree');
  } else decodeIngest(parseJsonText(input.payload.toString('utf8')), { limits: FUZZ_LIMITS });
}

function send(agent: Agent, url: URL, input: FuzzInput, timeoutMs: number): Promise<number | 'timeout'> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Length': input.body.length };
    if (input.contentType) headers['Content-Type'] = input.contentType;
    if (input.gzip) headers['Content-Encoding'] = 'gzip';
    const request = httpRequest({ host: url.hostname, port: url.port, path: input.path, method: 'POST', headers, agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.setTimeout(timeoutMs, () => {
      request.destroy();
      resolve('timeout');
    });
    request.on('error', reject);
    request.end(input.body);
  });
}

function callGrpc(client: grpc.Client, path: string, bytes: Buffer, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, { deadline: Date.now() + timeoutMs }, (error) => resolve(error ? error.code : grpc.status.OK));
  });
}

const HTTP_OK = new Set([200, 400, 413, 415]);
const GRPC_OK = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED]);

/** Fuzzes within `options.budget` and reports. Never throws for a finding: read the report. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const hangMs = options.hangMs ?? 5_000;
  const seeds = await buildSeeds();
  const store = new TraceStore({ maxSpans: 5_000, maxTraces: 1_000 });
  const inspector = await startInspector({ store, httpPort: 0, grpcPort: 0, maxBodyBytes: MAX_BODY_BYTES, limits: FUZZ_LIMITS });
  if (!inspector.http || !inspector.grpc) throw new Error(`fuzz listener did not start: ${Object.values(inspector.errors).join('; ')}`);
  const url = new URL(inspector.http.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const client = new grpc.Client(`127.0.0.1:${inspector.grpc.port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const baseline = process.memoryUsage();
  const report: FuzzReport = {
    seed: options.seed,
    seconds: 0,
    inputs: 0,
    httpRequests: 0,
    grpcCalls: 0,
    crashes: [],
    hangs: [],
    statuses: {},
    spansStored: 0,
    baselineHeapMb: baseline.heapUsed / 1e6,
    maxHeapMb: baseline.heapUsed / 1e6,
    maxRetainedHeapMb: undefined,
    maxRssMb: baseline.rss / 1e6,
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  const started = Date.now();
  const budget = options.budget;
  const more = 'inputs' in budget ? (iteration: number) => iteration < budget.inputs : () => Date.now() < started + budget.seconds * 1_000;
  let spansSeen = 0;
  const unsubscribe = store.onChange((change) => (spansSeen = Math.max(spansSeen, change.spanCount)));
  const finding = (list: Finding[], iteration: number, where: Finding['where'], detail: string, input?: FuzzInput) => {
    list.push({ iteration, where, detail, inputPreview: input ? input.payload.subarray(0, 256).toString('base64') : '' });
  };
  const count = (key: string) => (report.statuses[key] = (report.statuses[key] ?? 0) + 1);

  try {
    for (let iteration = 0; more(iteration); iteration++) {
      const input = fuzzInput(seeds, options.seed, iteration);
      report.inputs++;

      const decodeStart = Date.now();
      try {
        decodeDirectly(input);
      } catch (error) {
        if (!(error instanceof MalformedPayloadError)) finding(report.crashes, iteration, 'decoder', `${(error as Error).name}: ${(error as Error).message}`, input);
      }
      if (Date.now() - decodeStart > hangMs) finding(report.hangs, iteration, 'decoder', `decoding took ${Date.now() - decodeStart} ms`, input);

      try {
        const status = await send(agent, url, input, hangMs);
        report.httpRequests++;
        count(String(status));
        if (status === 'timeout') finding(report.hangs, iteration, 'http', `no answer within ${hangMs} ms on ${input.path}`, input);
        else if (!HTTP_OK.has(status)) finding(report.crashes, iteration, 'http', `status ${status} on ${input.path}`, input);
      } catch (error) {
        finding(report.crashes, iteration, 'http', `connection failed: ${(error as Error).message}`, input);
      }

      if (input.viaGrpc) {
        const code = await callGrpc(client, GRPC_PATHS[input.kind]!, input.payload, hangMs);
        report.grpcCalls++;
        count(`grpc:${grpc.status[code]}`);
        if (code === grpc.status.DEADLINE_EXCEEDED) finding(report.hangs, iteration, 'grpc', `no answer within ${hangMs} ms`, input);
        else if (!GRPC_OK.has(code)) finding(report.crashes, iteration, 'grpc', `status ${grpc.status[code]}`, input);
      }

      if (iteration % 25 === 0) {
        const memory = process.memoryUsage();
        report.maxHeapMb = Math.max(report.maxHeapMb, memory.heapUsed / 1e6);
        report.maxRssMb = Math.max(report.maxRssMb, memory.rss / 1e6);
      }
      if (gc && iteration % 1_000 === 0) {
        gc();
        report.maxRetainedHeapMb = Math.max(report.maxRetainedHeapMb ?? 0, process.memoryUsage().heapUsed / 1e6);
      }
      if (iteration % 1_000 === 0 && iteration > 0) options.log?.(`  ${iteration} inputs, ${report.crashes.length} crashes, ${report.hangs.length} hangs, heap ${report.maxHeapMb.toFixed(0)} MB max`);
    }
    const alive = await fetch(`${inspector.http.url}/api/status`).then((response) => response.status, () => 0);
    if (alive !== 200) finding(report.crashes, report.inputs, 'listener', `the listener answered ${alive} to /api/status after the run`);
  } finally {
    unsubscribe();
    client.close();
    agent.destroy();
    await inspector.stop();
  }
  report.spansStored = Math.max(spansSeen, store.spanCount);
  report.seconds = (Date.now() - started) / 1_000;
  return report;
}

/** The report as a few lines of figures. */
export function formatReport(report: FuzzReport): string {
  const statuses = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  const lines = [
    `fuzz seed ${report.seed}: ${report.inputs} inputs in ${report.seconds.toFixed(1)} s (${report.httpRequests} over HTTP, ${report.grpcCalls} over gRPC)`,
    `  crashes: ${report.crashes.length}, hangs: ${report.hangs.length}`,
    `  answers: ${statuses}`,
    `  spans accepted into the store (peak): ${report.spansStored}`,
    `  heap: ${report.baselineHeapMb.toFixed(0)} MB at start, ${report.maxHeapMb.toFixed(0)} MB max${report.maxRetainedHeapMb === undefined ? '' : `, ${report.maxRetainedHeapMb.toFixed(0)} MB max retained after GC`}; rss ${report.maxRssMb.toFixed(0)} MB max`,
  ];
  for (const found of [...report.crashes, ...report.hangs].slice(0, 10)) {
    lines.push(`  ${found.where} @ iteration ${found.iteration}: ${found.detail} (replay: FUZZ_SEED=${report.seed} iteration ${found.iteration}; input starts ${found.inputPreview.slice(0, 80)})`);
  }
  return lines.join('\n');
}
