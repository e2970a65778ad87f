/**
 * The inspector's defaults, each defined here once: the standalone command,
 * the extension, the listener and the store read them from this module.
 * `package.json` cannot import them, so a unit test checks that the
 * extension's contributed setting defaults equal these.
 */

/** Address the listener binds: loopback, so traces stay on this machine. */
export const DEFAULT_HOST = '127.0.0.1';

/** OTLP/HTTP port (the OpenTelemetry default): receivers, the query API and the UI. */
export const DEFAULT_HTTP_PORT = 4318;

/** OTLP/gRPC port (the OpenTelemetry default). */
export const DEFAULT_GRPC_PORT = 4317;

/** Spans the store keeps before it evicts the least recently updated traces. */
export const DEFAULT_MAX_SPANS = 200_000;

/** Traces the store keeps before it evicts the least recently updated ones. */
export const DEFAULT_MAX_TRACES = 10_000;

/** Approximate memory for captured span content, in MB (the store's byte bound). */
export const DEFAULT_MAX_MEMORY_MB = 1024;

/** Disk the traces kept across restarts may use, in MB (the journal's bound, `--max-disk-mb`). */
export const DEFAULT_MAX_DISK_MB = 4096;

/** Name of the inspector's folder inside the platform's data folder (the default `--data-dir`). */
export const DATA_FOLDER_NAME = 'respan-trace-inspector';

/** The smallest memory bound accepted, in MB: below it a single large trace would not fit. */
export const MIN_MAX_MEMORY_MB = 16;

/** Bytes one request body (or gRPC message) may have after decompression. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The Respan API base URL forwarded spans go to unless `RESPAN_BASE_URL` says otherwise (WIRE.md §5). */
export const DEFAULT_RESPAN_BASE_URL = 'https://api.respan.ai/api';

/** Bytes in a megabyte, as the memory settings count them. */
export const BYTES_PER_MB = 1024 * 1024;

/** How long a forward someone clicked waits for Respan's answer before saying it is still sending. */
export const FORWARD_ANSWER_WAIT_MS = 15_000;

/** Environment variable a launcher passes the inspector's access token in, so it is not on the command line. */
export const API_TOKEN_ENV = 'RESPAN_INSPECTOR_TOKEN';
