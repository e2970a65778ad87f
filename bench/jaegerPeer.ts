/**
 * Jaeger UI (built from source, /work/shared/docs/PEERS.md) served the same
 * trace as the inspector, for side-by-side figures: a tiny loopback server
 * answers `/api/traces/{id}` in Jaeger's JSON, other `/api/*` paths an empty
 * list, anything else a file of the build or its `index.html`.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { TraceDetailJson } from '../src/protocol/api';

/** Where the Jaeger UI build is looked for: `JAEGER_UI_BUILD`, else the folder PEERS.md's steps leave. */
export const JAEGER_UI_BUILD = process.env.JAEGER_UI_BUILD ?? '/tmp/jaeger/jaeger-ui/packages/jaeger-ui/build';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon' };

/** The trace in Jaeger's query API JSON. */
export function jaegerTraceJson(detail: TraceDetailJson): string {
  const spans = detail.spans.map((span) => ({
    traceID: detail.traceId,
    spanID: span.spanId,
    operationName: span.name,
    references: span.parentSpanId && !span.orphan ? [{ refType: 'CHILD_OF', traceID: detail.traceId, spanID: span.parentSpanId }] : [],
    startTime: Math.round(span.startTimeMs * 1000),
    duration: Math.round(span.durationMs * 1000),
    tags: Object.entries(span.attributes).map(([key, value]) => ({ key, type: typeof value === 'number' ? 'int64' : 'string', value: typeof value === 'number' ? value : String(value) })),
    logs: [],
    processID: 'p1',
    warnings: null,
  }));
  const serviceName = detail.spans[0]?.service ?? 'unknown';
  return JSON.stringify({ data: [{ traceID: detail.traceId, spans, processes: { p1: { serviceName, tags: [] } }, warnings: null }], total: 0, limit: 0, offset: 0, errors: null });
}

/** A running Jaeger UI serving one trace. */
export interface JaegerPeer {
  url: string;
  stop(): Promise<void>;
}

/** Serves the build with `traces` (id → Jaeger JSON); undefined when the build is not there. */
export async function startJaegerPeer(traces: Map<string, string>): Promise<JaegerPeer | undefined> {
  if (!existsSync(join(JAEGER_UI_BUILD, 'index.html'))) return undefined;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const trace = /^\/api\/traces\/([0-9a-f]+)$/.exec(path);
      if (trace) {
        const body = traces.get(trace[1]);
        response.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
        return response.end(body ?? '{"data":[],"errors":[{"code":404,"msg":"trace not found"}]}');
      }
      if (path.startsWith('/api/')) {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        return response.end('{"data":[],"total":0,"limit":0,"offset":0,"errors":null}');
      }
      const file = normalize(join(JAEGER_UI_BUILD, path));
      const inside = file.startsWith(JAEGER_UI_BUILD) && extname(file) !== '' && existsSync(file);
      const target = inside ? file : join(JAEGER_UI_BUILD, 'index.html');
      response.writeHead(200, { 'Content-Type': TYPES[extname(target)] ?? 'application/octet-stream' });
      response.end(await readFile(target));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
