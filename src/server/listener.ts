/**
 * One call to start everything that listens (the HTTP listener and the OTLP/gRPC
 * receiver) and one to stop it, for the standalone command and the VS Code
 * extension. Each endpoint starts or fails on its own: a taken gRPC port is
 * reported and the HTTP listener keeps working.
 */

import { DEFAULT_GRPC_PORT, DEFAULT_HOST, DEFAULT_HTTP_PORT } from '../core/defaults';
import { isLoopbackHost } from '../core/net/loopback';
import { DEFAULT_DECODE_LIMITS } from '../core/otlp/common';
import type { InspectorService } from '../core/service/inspectorService';
import { GrpcReceiver, silenceGrpcLibraryLogs } from './grpc';
import { openPersistence, type Persistence, type PersistOptions } from './persist/diskJournal';
import { InspectorServer, type InspectorServerSettings, type ServiceSource } from './server';

/** Settings of {@link startInspector}: those of {@link InspectorServer} plus the ports and the data folder. */
export type InspectorOptions = Omit<InspectorServerSettings, 'port'> &
  ServiceSource & {
    /** HTTP port (OTLP/HTTP, Respan paths, API, UI). Default {@link DEFAULT_HTTP_PORT}; 0 picks a free port. */
    httpPort?: number;
    /** OTLP/gRPC port. Default {@link DEFAULT_GRPC_PORT}; 0 picks a free port; `null` runs no gRPC receiver. */
    grpcPort?: number | null;
    /**
     * Keep the store's traces in this data folder across restarts: replayed
     * into the store once the HTTP port is taken (the listener answers reads
     * meanwhile; spans received wait for the replay's end). Absent: memory only.
     */
    persistence?: Omit<PersistOptions, 'limits'>;
  };

/** What {@link startInspector} started, and what failed to start. */
export interface RunningInspector {
  /** The service the listener carries (built on the given store, or the one given). */
  readonly service: InspectorService;
  /** The HTTP listener, when it started. */
  readonly http: InspectorServer | undefined;
  /** The gRPC receiver, when it started. */
  readonly grpc: GrpcReceiver | undefined;
  /** `http://host:port` of the HTTP listener, when it started. */
  readonly httpUrl: string | undefined;
  /** `http://host:port` for `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, when the gRPC receiver started. */
  readonly grpcEndpoint: string | undefined;
  /** Why an endpoint did not start ({@link PortInUseError} for a taken port). */
  readonly errors: { readonly http?: Error; readonly grpc?: Error };
  /** True when bound beyond loopback (other machines can reach it). */
  readonly exposed: boolean;
  /** The token `/api/*` requires: the one given, or one generated because the listener is exposed. */
  readonly apiToken: string | undefined;
  /** Link that opens the browser UI (carrying the token when one is required). */
  readonly uiUrl: string | undefined;
  /** The on-disk journal, when `persistence` was given and the HTTP listener started (see its `state`). */
  readonly persistence: Persistence | undefined;
  /** Stops whatever started. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts the HTTP listener and (unless `grpcPort` is null) the OTLP/gRPC
 * receiver on the same host, with the same body limit and decode limits.
 * What both decode goes through the HTTP listener's sinks (capture pause,
 * store, then `onSpans` for spans). Never rejects for a port in use: look at
 * `errors` (gRPC's own log lines are silenced, so the caller's report is the
 * only one). With `persistence`, resolves once the kept traces are replayed.
 */
export async function startInspector(options: InspectorOptions): Promise<RunningInspector> {
  const host = options.host ?? DEFAULT_HOST;
  const { httpPort, grpcPort, persistence: persistOptions, ...serverOptions } = options;
  // Beyond loopback, anyone on the network could read traces: the server then requires a token (generated if not given).
  const server = new InspectorServer({ ...serverOptions, host, port: httpPort ?? DEFAULT_HTTP_PORT });
  const apiToken = server.apiToken;
  const errors: { http?: Error; grpc?: Error } = {};

  let http: InspectorServer | undefined;
  try {
    await server.start();
    http = server;
  } catch (error) {
    errors.http = error as Error;
  }

  // Only the process that holds the port takes the data folder. While it replays, reads are answered from
  // what is replayed so far and every change (spans received, pins, deletes) waits for the replay's end.
  const persistence = http && persistOptions ? openPersistence(server.service.store, { ...persistOptions, limits: options.limits ?? DEFAULT_DECODE_LIMITS }) : undefined;
  if (persistence) server.service.holdChangesUntil(persistence.replayed);
  server.setPersistence(persistence);

  let grpc: GrpcReceiver | undefined;
  if (grpcPort !== null) {
    silenceGrpcLibraryLogs();
    const receiver = new GrpcReceiver({
      host,
      port: grpcPort ?? DEFAULT_GRPC_PORT,
      maxMessageBytes: options.maxBodyBytes,
      limits: options.limits,
      sinks: server.sinks,
    });
    try {
      await receiver.start();
      grpc = receiver;
      server.setGrpcEndpoint(receiver.endpoint);
    } catch (error) {
      errors.grpc = error as Error;
    }
  }

  await persistence?.replayed;

  let stopped = false;
  const httpUrl = http?.url;
  return {
    service: server.service,
    http,
    grpc,
    httpUrl,
    grpcEndpoint: grpc?.endpoint,
    errors,
    exposed: !isLoopbackHost(host),
    apiToken,
    uiUrl: httpUrl && (apiToken ? `${httpUrl}/?token=${encodeURIComponent(apiToken)}` : `${httpUrl}/`),
    persistence,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([http?.stop(), grpc?.stop()]);
      await persistence?.close();
    },
  };
}
