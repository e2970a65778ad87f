/**
 * The OTLP/gRPC receiver with real clients: the OpenTelemetry gRPC exporter
 * (the transport Python, Go, Java and .NET SDKs default to), a raw grpc-js
 * client for bad and oversized messages, raw HTTP/2 for a corrupt gzip frame,
 * and the start/stop facade with a port already taken.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:http2';
import { createServer, type Server } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Span } from '../../src/core/model';
import { decodeExportResponseProto, encodeExportRequestProto } from '../../src/core/otlp/proto';
import { TraceStore } from '../../src/core/store';
import type { TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import { TRACE_EXPORT_PATH } from '../../src/server/grpc';
import { startInspector, type RunningInspector } from '../../src/server/listener';
import { PortInUseError } from '../../src/server/server';
import { toProtoObject } from '../fixtures/otlp';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function exportRequest(spanIds: string[]): Buffer {
  const spans = spanIds.map((spanId, i) => ({ traceId: TRACE, spanId, name: `span ${i}`, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000' }));
  return Buffer.from(encodeExportRequestProto(toProtoObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })));
}

/** Sends raw bytes to TraceService/Export; resolves with the decoded answer or the gRPC error. */
function callExport(port: number, bytes: Buffer, options: grpc.ChannelOptions = {}): Promise<{ error?: grpc.ServiceError; answer?: { rejectedSpans: number; errorMessage: string } }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      TRACE_EXPORT_PATH,
      (message: Buffer) => message,
      (answer: Buffer) => decodeExportResponseProto(answer),
      bytes,
      (error, answer) => {
        client.close();
        resolve(error ? { error } : { answer });
      },
    );
  });
}

function takePort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('OTLP/gRPC receiver', function () {
  this.timeout(60_000);
  let store: TraceStore;
  let inspector: RunningInspector;
  let onSpans: Span[][];

  before(async () => {
    store = new TraceStore({ schedule: (flush) => setTimeout(flush, 5) });
    onSpans = [];
    inspector = await startInspector({ store, httpPort: 0, grpcPort: 0, maxBodyBytes: 256 * 1024, onSpans: (spans) => onSpans.push(spans) });
    assert.deepEqual(inspector.errors, {});
  });
  after(() => inspector.stop());
  beforeEach(() => {
    store.clear();
    onSpans.length = 0;
  });

  async function traceDetail(traceId: string): Promise<TraceDetailJson> {
    return (await (await fetch(`${inspector.httpUrl}/api/traces/${traceId}`)).json()) as TraceDetailJson;
  }

  /** Records a small agent trace with the real SDK and the real gRPC exporter. */
  async function sendWithExporter(exporter: OTLPTraceExporter, service: string): Promise<string> {
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('grpc-test');
    const root = tracer.startSpan('agent.workflow', { attributes: { 'traceloop.span.kind': 'workflow' } });
    const llm = tracer.startSpan('openai.chat', { kind: SpanKind.CLIENT, attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 11, big: 2 ** 40 } }, trace.setSpan(context.active(), root));
    llm.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    return root.spanContext().traceId;
  }

  for (const [label, compression] of [
    ['uncompressed', CompressionAlgorithm.NONE],
    ['gzip', CompressionAlgorithm.GZIP],
  ] as const) {
    it(`lands the real OTel gRPC exporter's traces (${label}) in the same store as HTTP`, async () => {
      const traceId = await sendWithExporter(new OTLPTraceExporter({ url: inspector.grpcEndpoint, compression }), `grpc-${label}`);
      const detail = await traceDetail(traceId);
      assert.equal(detail.spans.length, 2);
      const root = detail.spans.find((span) => span.name === 'agent.workflow')!;
      const llm = detail.spans.find((span) => span.name === 'openai.chat')!;
      assert.equal(llm.parentSpanId, root.spanId);
      assert.equal(llm.kind, 'CLIENT');
      assert.equal(llm.model, 'gpt-4o');
      assert.equal(llm.attributes.big, 2 ** 40);
      assert.equal(root.service, `grpc-${label}`);
      assert.equal(onSpans.flat().length, 2, 'gRPC spans pass the same onSpans hook as HTTP');
      const list = (await (await fetch(`${inspector.httpUrl}/api/traces`)).json()) as TraceListJson;
      assert.deepEqual(list.traces.map((item) => item.traceId), [traceId]);
    });
  }

  it('answers with partial success when some spans are bad', async () => {
    const { error, answer } = await callExport(inspector.grpc!.port, exportRequest(['00f067aa0ba902b7', 'abcd']));
    assert.equal(error, undefined);
    assert.equal(answer!.rejectedSpans, 1);
    assert.match(answer!.errorMessage, /spans\[1\]: span id must be 8 bytes, got 2/);
    assert.deepEqual([...store.get(TRACE)!.spans.keys()], ['00f067aa0ba902b7']);
  });

  it('answers bytes that are not a trace export with INVALID_ARGUMENT naming the problem', async () => {
    const garbage = await callExport(inspector.grpc!.port, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    assert.equal(garbage.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(garbage.error!.details, /invalid OTLP protobuf/);
    const allBad = await callExport(inspector.grpc!.port, exportRequest(['--']));
    assert.equal(allBad.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(allBad.error!.details, /no span could be accepted; 1 span rejected/);
    assert.equal(store.spanCount, 0);
  });

  it('takes gzip-compressed messages from a raw client', async () => {
    const { error, answer } = await callExport(inspector.grpc!.port, exportRequest(['00f067aa0ba902b8']), { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
    assert.equal(error, undefined);
    assert.equal(answer!.rejectedSpans, 0);
    assert.equal(store.spanCount, 1);
  });

  it('answers a message over the limit with RESOURCE_EXHAUSTED, compressed or not', async () => {
    const big = exportRequest(Array.from({ length: 8_000 }, (_, i) => (i + 1).toString(16).padStart(16, '0')));
    assert.ok(big.length > 256 * 1024);
    const plain = await callExport(inspector.grpc!.port, big);
    assert.equal(plain.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    // Small on the wire, too big once inflated.
    const compressed = await callExport(inspector.grpc!.port, big, { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
    assert.equal(compressed.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(compressed.error!.details, /decompresses to a size larger than/);
    assert.equal(store.spanCount, 0);
  });

  it('answers a corrupt gzip frame with an error status, not a crash, and keeps serving', async () => {
    const session = connect(`http://127.0.0.1:${inspector.grpc!.port}`);
    try {
      const garbage = Buffer.from('definitely not gzip');
      const frame = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), garbage]);
      frame.writeUInt32BE(garbage.length, 1);
      const stream = session.request({ ':method': 'POST', ':path': TRACE_EXPORT_PATH, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip', te: 'trailers' });
      const trailers = new Promise<Record<string, unknown>>((resolve) => {
        stream.on('response', (headers) => headers['grpc-status'] !== undefined && resolve(headers));
        stream.on('trailers', (headers) => resolve(headers));
      });
      stream.end(frame);
      stream.resume();
      const status = await trailers;
      // grpc-js answers an undecompressable message with INTERNAL before any handler runs.
      assert.equal(status['grpc-status'], String(grpc.status.INTERNAL));
      assert.match(String(status['grpc-message']), /decompress/);
    } finally {
      session.close();
    }
    const after = await callExport(inspector.grpc!.port, exportRequest(['00f067aa0ba902b9']));
    assert.equal(after.error, undefined);
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const client = new grpc.Client(`127.0.0.1:${inspector.grpc!.port}`, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest('/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', (b: Buffer) => b, (b: Buffer) => b, gzipSync('x'), (err) => resolve(err)),
    );
    client.close();
    assert.equal(error?.code, grpc.status.UNIMPLEMENTED);
  });
});

describe('starting and stopping both listeners', function () {
  this.timeout(60_000);

  it('reports a gRPC port in use and keeps HTTP serving', async () => {
    const blocker = await takePort();
    const { port } = blocker.address() as { port: number };
    const store = new TraceStore();
    const inspector = await startInspector({ store, httpPort: 0, grpcPort: port });
    try {
      assert.ok(inspector.errors.grpc instanceof PortInUseError);
      assert.equal((inspector.errors.grpc as PortInUseError).port, port);
      assert.equal(inspector.grpc, undefined);
      assert.equal(inspector.grpcEndpoint, undefined);
      assert.equal(inspector.errors.http, undefined);
      const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', startTimeUnixNano: '1' }] }] }] });
      const response = await fetch(`${inspector.httpUrl}/v1/traces`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
      assert.equal(response.status, 200);
      assert.equal(store.spanCount, 1);
    } finally {
      await inspector.stop();
      blocker.close();
    }
  });

  it('reports an HTTP port in use and still runs gRPC', async () => {
    const blocker = await takePort();
    const { port } = blocker.address() as { port: number };
    const store = new TraceStore();
    const inspector = await startInspector({ store, httpPort: port, grpcPort: 0 });
    try {
      assert.ok(inspector.errors.http instanceof PortInUseError);
      assert.equal(inspector.http, undefined);
      assert.equal((await callExport(inspector.grpc!.port, exportRequest(['00f067aa0ba902b7']))).error, undefined);
      assert.equal(store.spanCount, 1, 'gRPC spans still reach the store');
    } finally {
      await inspector.stop();
      blocker.close();
    }
  });

  it('frees both ports on stop, and stop is idempotent', async () => {
    const inspector = await startInspector({ store: new TraceStore(), httpPort: 0, grpcPort: 0 });
    const httpPort = inspector.http!.port;
    const grpcPort = inspector.grpc!.port;
    await inspector.stop();
    await inspector.stop();
    const again = await startInspector({ store: new TraceStore(), httpPort, grpcPort });
    try {
      assert.deepEqual(again.errors, {});
    } finally {
      await again.stop();
    }
  });

  it('skips gRPC when grpcPort is null', async () => {
    const inspector = await startInspector({ store: new TraceStore(), httpPort: 0, grpcPort: null });
    try {
      assert.equal(inspector.grpc, undefined);
      assert.deepEqual(inspector.errors, {});
      assert.ok(inspector.httpUrl);
    } finally {
      await inspector.stop();
    }
  });

  it('the standalone command prints the gRPC endpoint, and a taken gRPC port plainly without stopping HTTP', async () => {
    const run = async (args: string[], probe: (output: string) => Promise<void>) => {
      let output = '';
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--no-open', '--no-persist', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      try {
        const deadline = Date.now() + 20_000;
        while (!/Point your app at it/.test(output) && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
        await probe(output);
      } finally {
        child.kill('SIGINT');
      }
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, output);
    };

    await run(['--grpc-port', '0'], async (output) => {
      const endpoint = /OTLP\/gRPC:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      assert.ok(endpoint, output);
      assert.match(output, new RegExp(`OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}\\s+export OTEL_EXPORTER_OTLP_PROTOCOL=grpc`));
      assert.equal((await callExport(Number(new URL(endpoint).port), exportRequest(['00f067aa0ba902b7']))).error, undefined);
    });

    const blocker = await takePort();
    const { port } = blocker.address() as { port: number };
    try {
      await run(['--grpc-port', String(port)], async (output) => {
        assert.match(output, new RegExp(`OTLP/gRPC is off: port ${port} is already in use.*--grpc-port <n>`));
        assert.doesNotMatch(output, /No address added|\n\s+at /, 'no grpc-js log line, no stack trace');
        const url = /listening on (http:\/\/\S+)/.exec(output)![1];
        assert.equal((await fetch(`${url}/api/status`)).status, 200);
      });
    } finally {
      blocker.close();
    }
  });
});
