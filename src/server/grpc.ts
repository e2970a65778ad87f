/**
 * The OTLP/gRPC receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export`
 * (default port 4317), the default transport of the Python, Go, Java and .NET
 * OTLP exporters.
 *
 * The service is defined by hand rather than loaded from a .proto file, so it
 * bundles without files at run time. Requests reach the handler as raw bytes
 * and are decoded there with the same bounded decoder as OTLP/HTTP protobuf: a
 * deserializer that threw would make grpc-js answer INTERNAL, while bad data
 * must be INVALID_ARGUMENT with a message naming the problem.
 */

import * as grpc from '@grpc/grpc-js';
import type { Span } from '../core/model';
import { MalformedPayloadError, rejectedCount } from '../core/model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../core/otlp/common';
import { encodeExportResponseProto } from '../core/otlp/proto';
import { decodeSpanSource, type SpanSource } from '../core/spanSource';
import { describeRejections } from './receivers';
import { PortInUseError } from './server';

/** Full method path of OTLP trace export. */
export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Takes the spans a receiver accepted (the store, or whatever sits in front of it). */
export type SpanSink = (spans: Span[], source: SpanSource) => void;

/** What the Export handler answers with before serialisation. */
interface ExportAnswer {
  rejectedSpans: number;
  errorMessage: string;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** Hand-written service definition of `TraceService`, with protobufjs-encoded answers. */
const TRACE_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: (answer: ExportAnswer) => Buffer.from(encodeExportResponseProto(answer.rejectedSpans, answer.errorMessage)),
    responseDeserialize: identity,
  },
};

/** Settings of a {@link GrpcReceiver}. */
export interface GrpcReceiverOptions {
  /** Takes the decoded spans. */
  sink: SpanSink;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4317; 0 picks a free port. */
  port?: number;
  /** Bytes a message may have, compressed and after decompression. Default 64 MiB (as the HTTP body limit). */
  maxMessageBytes?: number;
  limits?: DecodeLimits;
}

/** Stops grpc-js printing its own log lines (e.g. a bind failure the caller already reports plainly). */
export function silenceGrpcLibraryLogs(): void {
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
}

/** The OTLP/gRPC listener. Create, `start()`, and `stop()` when done. */
export class GrpcReceiver {
  private server: grpc.Server | undefined;
  private boundPort: number | undefined;

  constructor(private readonly options: GrpcReceiverOptions) {}

  /** Host the listener is bound to. */
  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** The bound port (after `start()`). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('the gRPC receiver is not started');
    return this.boundPort;
  }

  /** `http://host:port`, the value for `OTEL_EXPORTER_OTLP_ENDPOINT` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`. */
  get endpoint(): string {
    return `http://${this.hostForAddress()}:${this.port}`;
  }

  /** Starts listening; rejects with {@link PortInUseError} when the port is taken. */
  async start(): Promise<void> {
    const maxBytes = this.options.maxMessageBytes ?? 64 * 1024 * 1024;
    const server = new grpc.Server({
      'grpc.max_receive_message_length': maxBytes,
      'grpc.max_concurrent_streams': 100,
      'grpc.enable_channelz': 0,
    });
    server.addService(TRACE_SERVICE, { Export: (call: grpc.ServerUnaryCall<Buffer, ExportAnswer>, callback: grpc.sendUnaryData<ExportAnswer>) => this.export(call.request, callback) });
    const port = this.options.port ?? 4317;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${this.hostForAddress()}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
        if (!error) return resolve(bound);
        server.forceShutdown();
        reject(/EADDRINUSE/.test(error.message) ? new PortInUseError(this.host, port) : new Error(`could not listen for OTLP/gRPC on ${this.host}:${port}: ${error.message}`));
      });
    });
    this.server = server;
  }

  /** Stops listening: waits up to `graceMs` for calls in flight, then cuts them. */
  async stop(graceMs = 1_000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private export(bytes: Buffer, callback: grpc.sendUnaryData<ExportAnswer>): void {
    try {
      const source: SpanSource = { format: 'otlp-protobuf', bytes, receivedAtMs: Date.now() };
      const result = decodeSpanSource(source, this.options.limits ?? DEFAULT_DECODE_LIMITS);
      const rejectedSpans = rejectedCount(result);
      if (result.spans.length === 0 && rejectedSpans > 0) {
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: `no span could be accepted; ${describeRejections(result)}` });
      }
      this.options.sink(result.spans, source);
      callback(null, { rejectedSpans, errorMessage: rejectedSpans > 0 ? describeRejections(result) : '' });
    } catch (error) {
      if (error instanceof MalformedPayloadError) return callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
      // A bug must cost one call, never the listener.
      callback({ code: grpc.status.INTERNAL, details: `internal error: ${(error as Error).message}` });
    }
  }

  private hostForAddress(): string {
    return this.host.includes(':') ? `[${this.host}]` : this.host;
  }
}
