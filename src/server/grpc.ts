/**
 * The OTLP/gRPC receiver (default port 4317), the default transport of the
 * Python, Go, Java and .NET OTLP exporters: `TraceService/Export`,
 * `LogsService/Export` and `MetricsService/Export` of
 * `opentelemetry.proto.collector.*.v1`.
 *
 * The services are defined by hand rather than loaded from .proto files, so
 * they bundle without files at run time. Requests reach the handler as raw
 * bytes and are decoded there with the same bounded decoders as OTLP/HTTP
 * protobuf: a deserializer that threw would make grpc-js answer INTERNAL, while
 * bad data must be INVALID_ARGUMENT with a message naming the problem.
 */

import * as grpc from '@grpc/grpc-js';
import { DEFAULT_GRPC_PORT, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES } from '../core/defaults';
import { describeRejections, MalformedPayloadError, rejectedCount } from '../core/model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../core/otlp/common';
import { runInSteps } from '../core/steps';
import { nothingAccepted } from './receivers';
import { PortInUseError } from './server';
import { SIGNALS, TRACES, type OtlpSignal, type OtlpSinks } from './signals';
import { nextTurn } from './turns';

/** Full method path of OTLP trace export. */
export const TRACE_EXPORT_PATH = TRACES.grpcPath;

const identity = (bytes: Buffer): Buffer => bytes;

/** Hand-written service definition of one signal's service: its `Export`, answered with bytes the signal encoded. */
function serviceOf(signal: OtlpSignal): grpc.ServiceDefinition {
  return {
    Export: {
      path: signal.grpcPath,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

/** Settings of a {@link GrpcReceiver}. */
export interface GrpcReceiverOptions {
  /** Take what was decoded. */
  sinks: OtlpSinks;
  /** Default {@link DEFAULT_HOST}. */
  host?: string;
  /** Default {@link DEFAULT_GRPC_PORT}; 0 picks a free port. */
  port?: number;
  /** Bytes a message may have, compressed and after decompression. Default {@link DEFAULT_MAX_BODY_BYTES} (as the HTTP body limit). */
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
    return this.options.host ?? DEFAULT_HOST;
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
    const maxBytes = this.options.maxMessageBytes ?? DEFAULT_MAX_BODY_BYTES;
    const server = new grpc.Server({
      'grpc.max_receive_message_length': maxBytes,
      'grpc.max_concurrent_streams': 100,
      'grpc.enable_channelz': 0,
    });
    for (const signal of SIGNALS) {
      server.addService(serviceOf(signal), { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => void this.export(signal, call.request, callback) });
    }
    const port = this.options.port ?? DEFAULT_GRPC_PORT;
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

  private async export(signal: OtlpSignal, bytes: Buffer, callback: grpc.sendUnaryData<Buffer>): Promise<void> {
    try {
      const decoded = await runInSteps(signal.decodeProto(bytes, this.options.limits ?? DEFAULT_DECODE_LIMITS), nextTurn);
      const refused = nothingAccepted(decoded, signal);
      if (refused !== undefined) return callback({ code: grpc.status.INVALID_ARGUMENT, details: refused });
      await this.options.sinks.whenWritable();
      await decoded.deliver(this.options.sinks);
      const rejected = rejectedCount(decoded.rejections);
      callback(null, Buffer.from(signal.protoAnswer(rejected, rejected > 0 ? describeRejections(decoded.rejections, signal) : '')));
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
