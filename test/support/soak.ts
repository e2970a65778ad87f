/**
 * The soak: several concurrent "apps", each a real OpenTelemetry SDK with a
 * batch processor and a real exporter (OTLP/HTTP JSON, OTLP/HTTP protobuf,
 * OTLP/gRPC; with and without gzip; OTel and Respan paths), send LLM-shaped
 * traces to one listener for a bounded time. Checks that every span an
 * exporter reports as delivered was accepted exactly once, that nothing
 * arrived that was not sent, that the store holds every span of the traces it
 * kept and stays within its retention bound, and how much heap that took.
 */

import { SpanKind, context, trace, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { TraceStore } from '../../src/core/store';
import { startInspector } from '../../src/server/listener';
import { fullGc as gc } from './gc';

/** Settings of {@link runSoak}. */
export interface SoakOptions {
  seconds: number;
  /** Concurrent apps (exporters); they cycle through the transports. Default 6. */
  apps?: number;
  /** Retention bound of the store. Default 20,000 spans. */
  maxSpans?: number;
  /** Traces each app starts per tick of 20 ms. Default 4 (5 spans each). */
  tracesPerTick?: number;
  /**
   * Spans to send at least, however long that takes: a slow machine runs
   * past `seconds` rather than sending too few to prove anything.
   */
  minSpans?: number;
  log?: (line: string) => void;
}

/** Figures of one app. */
export interface SoakAppReport {
  name: string;
  /** Spans its exporter reported as delivered. */
  delivered: number;
  /** Spans in exports that failed (the SDK would drop or retry them). */
  failed: number;
}

/** What the soak measured. */
export interface SoakReport {
  seconds: number;
  apps: SoakAppReport[];
  delivered: number;
  /** Spans the listener accepted (each counted once per acceptance). */
  accepted: number;
  /** Delivered spans accepted more than once. */
  duplicates: number;
  /** Delivered spans never accepted. */
  lost: number;
  /** Accepted spans no exporter delivered. */
  unexpected: number;
  /** Spans of traces still in the store that are missing from it. */
  missingFromStore: number;
  storeSpans: number;
  storeTraces: number;
  maxSpans: number;
  spansPerSecond: number;
  baselineHeapMb: number;
  maxHeapMb: number;
  /** Heap after a full GC at the end, with the store full. */
  retainedHeapMb: number;
}

/** Wraps an exporter to count, per result, the spans it was given. */
class CountingExporter implements SpanExporter {
  readonly delivered = new Set<string>();
  failed = 0;

  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) for (const span of spans) this.delivered.add(`${span.spanContext().traceId}/${span.spanContext().spanId}`);
      else this.failed += spans.length;
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

interface Transport {
  name: string;
  exporter(httpUrl: string, grpcEndpoint: string): SpanExporter;
}

const TRANSPORTS: Transport[] = [
  { name: 'OTLP/HTTP protobuf', exporter: (url) => new ProtoExporter({ url: `${url}/v1/traces` }) },
  { name: 'OTLP/gRPC', exporter: (_url, grpc) => new GrpcExporter({ url: grpc }) },
  { name: 'OTLP/HTTP JSON on /api/v2/traces (respan-tracing)', exporter: (url) => new JsonExporter({ url: `${url}/api/v2/traces` }) },
  { name: 'OTLP/gRPC gzip', exporter: (_url, grpc) => new GrpcExporter({ url: grpc, compression: CompressionAlgorithm.GZIP }) },
  { name: 'OTLP/HTTP protobuf gzip on /api/v1/traces', exporter: (url) => new ProtoExporter({ url: `${url}/api/v1/traces`, compression: CompressionAlgorithm.GZIP }) },
  { name: 'OTLP/HTTP JSON gzip', exporter: (url) => new JsonExporter({ url: `${url}/v1/traces`, compression: CompressionAlgorithm.GZIP }) },
];

/** One LLM-app trace: workflow → task → LLM call, tool call, and a retrieval. */
/** Spans {@link recordTrace} makes. */
const SPANS_PER_TRACE = 5;

function recordTrace(tracer: Tracer, app: number, n: number): void {
  const root = tracer.startSpan('support_agent.workflow', { attributes: { 'traceloop.span.kind': 'workflow', 'respan.customer_params.customer_identifier': `cus_${n % 50}`, 'app.index': app } });
  const rootContext = trace.setSpan(context.active(), root);
  const task = tracer.startSpan('answer.task', { attributes: { 'traceloop.span.kind': 'task' } }, rootContext);
  const taskContext = trace.setSpan(context.active(), task);
  const llm = tracer.startSpan(
    'openai.chat',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': `Where is my order #${n}? `.repeat(8),
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'It ships tomorrow.',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 9,
      },
    },
    taskContext,
  );
  llm.end();
  tracer.startSpan('lookup_order.tool', { attributes: { 'traceloop.span.kind': 'tool', 'traceloop.entity.input': JSON.stringify({ order: n }) } }, taskContext).end();
  tracer.startSpan('vector.search', { attributes: { 'db.system': 'pinecone', 'retrieval.top_k': 5 } }, rootContext).end();
  task.end();
  root.end();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the soak and reports. Never throws for a finding: read the report. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const appCount = options.apps ?? 6;
  const maxSpans = options.maxSpans ?? 20_000;
  const tracesPerTick = options.tracesPerTick ?? 4;
  const store = new TraceStore({ maxSpans, maxTraces: maxSpans });
  const acceptedCounts = new Map<string, number>();
  let accepted = 0;
  const inspector = await startInspector({
    store,
    httpPort: 0,
    grpcPort: 0,
    onSpans: (spans) => {
      accepted += spans.length;
      for (const span of spans) {
        const key = `${span.traceId}/${span.spanId}`;
        acceptedCounts.set(key, (acceptedCounts.get(key) ?? 0) + 1);
      }
    },
  });
  if (!inspector.httpUrl || !inspector.grpcEndpoint) throw new Error(`soak listener did not start: ${Object.values(inspector.errors).join('; ')}`);
  gc();
  const baselineHeap = process.memoryUsage().heapUsed;
  let maxHeap = baselineHeap;

  const apps = Array.from({ length: appCount }, (_, index) => {
    const transport = TRANSPORTS[index % TRANSPORTS.length];
    const exporter = new CountingExporter(transport.exporter(inspector.httpUrl!, inspector.grpcEndpoint!));
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `soak-app-${index}` }),
      // A queue large enough that the SDK never drops: every span is exported or counted as failed.
      spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 100 })],
    });
    return { name: `app ${index}: ${transport.name}`, exporter, provider, tracer: provider.getTracer('soak', '1.0.0') };
  });

  const started = Date.now();
  const deadline = started + options.seconds * 1_000;
  const minTicks = Math.ceil((options.minSpans ?? 0) / (apps.length * tracesPerTick * SPANS_PER_TRACE));
  let lastLog = started;
  await Promise.all(
    apps.map(async (app, index) => {
      for (let n = 0; Date.now() < deadline || n < minTicks; n++) {
        for (let i = 0; i < tracesPerTick; i++) recordTrace(app.tracer, index, n * tracesPerTick + i);
        await sleep(20);
        maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
        if (index === 0 && Date.now() - lastLog > 5_000) {
          lastLog = Date.now();
          options.log?.(`  ${((Date.now() - started) / 1_000).toFixed(0)} s: ${accepted} spans accepted, store ${store.spanCount} spans, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
        }
      }
    }),
  );
  for (const app of apps) await app.provider.forceFlush();
  const seconds = (Date.now() - started) / 1_000;
  for (const app of apps) await app.provider.shutdown();
  store.flush();

  let duplicates = 0;
  let lost = 0;
  let delivered = 0;
  const sent = new Set<string>();
  for (const app of apps) {
    for (const key of app.exporter.delivered) {
      sent.add(key);
      delivered++;
      const count = acceptedCounts.get(key) ?? 0;
      if (count === 0) lost++;
      else if (count > 1) duplicates++;
    }
  }
  let unexpected = 0;
  for (const key of acceptedCounts.keys()) if (!sent.has(key)) unexpected++;

  // Every span of every trace the store kept is there (eviction is by whole trace).
  const sentPerTrace = new Map<string, number>();
  for (const key of sent) {
    const traceId = key.slice(0, 32);
    sentPerTrace.set(traceId, (sentPerTrace.get(traceId) ?? 0) + 1);
  }
  let missingFromStore = 0;
  for (const entry of store.entries()) missingFromStore += (sentPerTrace.get(entry.traceId) ?? 0) - entry.spans.size;

  const appReports = apps.map((app) => ({ name: app.name, delivered: app.exporter.delivered.size, failed: app.exporter.failed }));
  // Drop the soak's own bookkeeping (a key per span sent), so what remains is the listener and its store.
  acceptedCounts.clear();
  sent.clear();
  sentPerTrace.clear();
  for (const app of apps) app.exporter.delivered.clear();
  gc();
  const retainedHeap = process.memoryUsage().heapUsed;
  const report: SoakReport = {
    seconds,
    apps: appReports,
    delivered,
    accepted,
    duplicates,
    lost,
    unexpected,
    missingFromStore,
    storeSpans: store.spanCount,
    storeTraces: store.traceCount,
    maxSpans,
    spansPerSecond: delivered / seconds,
    baselineHeapMb: baselineHeap / 1e6,
    maxHeapMb: maxHeap / 1e6,
    retainedHeapMb: retainedHeap / 1e6,
  };
  await inspector.stop();
  return report;
}

/** The report as a few lines of figures. */
export function formatSoakReport(report: SoakReport): string {
  return [
    `soak: ${report.apps.length} concurrent exporters for ${report.seconds.toFixed(1)} s, ${report.delivered} spans delivered (${report.spansPerSecond.toFixed(0)} spans/s)`,
    ...report.apps.map((app) => `  ${app.name}: ${app.delivered} delivered${app.failed ? `, ${app.failed} in failed exports` : ''}`),
    `  accepted ${report.accepted}; lost ${report.lost}, duplicated ${report.duplicates}, unexpected ${report.unexpected}, missing from kept traces ${report.missingFromStore}`,
    `  store: ${report.storeSpans} spans in ${report.storeTraces} traces (retention bound ${report.maxSpans} spans)`,
    `  heap: ${report.baselineHeapMb.toFixed(0)} MB at start, ${report.maxHeapMb.toFixed(0)} MB max, ${report.retainedHeapMb.toFixed(0)} MB retained after GC at the end (${(((report.retainedHeapMb - report.baselineHeapMb) * 1e3) / Math.max(1, report.storeSpans)).toFixed(1)} KB per stored span)`,
  ].join('\n');
}
