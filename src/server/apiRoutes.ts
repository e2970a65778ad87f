/**
 * The HTTP form of the service: `POST /api/service/{type}` (JSON parameters
 * in, the JSON result out) and the REST routes scripts use (`/api/traces`,
 * `/api/facets`, `/api/runs`, `/api/status`, `/api/import`, and the forwarding routes of
 * `forwardingRoutes.ts`). Each route only translates: a URL, query string or
 * body into a request's parameters, and its result (or `ServiceError`) into
 * an answer. What is answered is decided by the service.
 */

import type { IncomingMessage } from 'node:http';
import type { InspectorService } from '../core/service/inspectorService';
import type { ApiErrorJson } from '../protocol/api';
import { traceQueryFromSearch } from '../protocol/query';
import { SERVICE_ERROR_STATUS, SERVICE_PATH_PREFIX } from '../protocol/service';
import { ServiceError } from '../core/service/errors';
import { HttpError, readBody } from './body';
import { mediaTypeOf } from './receivers';

/** An answer for the server to send: a status and a JSON value (written in pieces), a JSON text already made, or bytes. */
export type RouteAnswer = { status: number; headers?: Record<string, string> } & ({ value: unknown } | { json: string } | { bytes: Uint8Array });

/** The answer of a service result: bytes for the requests that answer bytes, JSON for every other. */
function resultAnswer(result: unknown): RouteAnswer {
  return result instanceof Uint8Array ? { status: 200, bytes: result } : jsonAnswer(result);
}

/** A JSON answer. */
export function jsonAnswer(body: unknown, status = 200, headers?: Record<string, string>): RouteAnswer {
  return { status, value: body, headers };
}

/** The answer to a request the service refused: its reason's status and `{error}`. */
export function serviceErrorAnswer(error: ServiceError): RouteAnswer {
  return jsonAnswer({ error: error.message } satisfies ApiErrorJson, SERVICE_ERROR_STATUS[error.reason]);
}

/** What the routes need besides the service. */
export interface ApiContext {
  service: InspectorService;
  /** Bytes a body may have. */
  maxBodyBytes: number;
}

const TRACE_PATH = /^\/api\/traces\/([0-9a-fA-F]{32})(\/otlp|\/pin|\/logs|\/lean|\/spans\/[^/]{1,256})?$/;
/** `/spans/` before a span id in a trace's path. */
const SPAN_SUFFIX = '/spans/';

function pathSegment(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in ${encoded}`);
  }
}

/** Throws 405 unless `method` is one of `allowed` (HEAD goes with GET). */
function allow(method: string, allowed: readonly string[], request: IncomingMessage, message: string): void {
  if (allowed.includes(method) || (method === 'HEAD' && allowed.includes('GET'))) return;
  request.resume();
  throw new HttpError(405, message, { Allow: allowed.join(', ') });
}

/** A body of JSON parameters: empty is none; anything else must be a JSON object sent as JSON. */
async function jsonParams(request: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const text = (await readBody(request, maxBodyBytes)).toString('utf8');
  if (text.trim() === '') return {};
  const type = mediaTypeOf(request.headers['content-type']);
  if (type !== 'application/json') throw new HttpError(415, `send the parameters as JSON with Content-Type: application/json${type ? `, not ${type}` : ''}`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ServiceError('invalid', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Answers `path` when it is the service route or one of the REST routes of
 * traces, logs, facets, status and import; undefined for any other path (the
 * forwarding routes are matched before). Throws
 * {@link HttpError} or {@link ServiceError} for the server to answer.
 */
export async function apiRoute(context: ApiContext, method: string, path: string, url: URL, request: IncomingMessage): Promise<RouteAnswer | undefined> {
  const { service } = context;
  if (path.startsWith(SERVICE_PATH_PREFIX)) {
    allow(method, ['POST'], request, 'call the service with POST and the JSON parameters as the body');
    return resultAnswer(await service.dispatch(path.slice(SERVICE_PATH_PREFIX.length), await jsonParams(request, context.maxBodyBytes)));
  }
  if (path === '/api/traces') {
    allow(method, ['GET', 'DELETE'], request, `${method} is not allowed on /api/traces; use GET or DELETE`);
    if (method === 'DELETE') {
      const { traceCount } = await service.handle('deleteTraces', {});
      return jsonAnswer({ cleared: true, traceCount });
    }
    return jsonAnswer(await service.handle('listTraces', { query: traceQueryFromSearch(url.searchParams) }));
  }
  const traceMatch = TRACE_PATH.exec(path);
  if (traceMatch) {
    const traceId = traceMatch[1].toLowerCase();
    const suffix = traceMatch[2];
    if (suffix === '/pin') {
      allow(method, ['POST', 'DELETE'], request, 'pin with POST, unpin with DELETE');
      return jsonAnswer(await service.handle('pinTrace', { traceId, pinned: method === 'POST' }));
    }
    if (suffix === '/logs') {
      allow(method, ['GET'], request, `${method} is not allowed here`);
      return jsonAnswer(await service.handle('traceLogs', { traceId }));
    }
    if (suffix === '/lean') {
      allow(method, ['GET'], request, `${method} is not allowed here`);
      return resultAnswer(await service.handle('getLeanTrace', { traceId }));
    }
    if (suffix?.startsWith(SPAN_SUFFIX)) {
      allow(method, ['GET'], request, `${method} is not allowed here`);
      return jsonAnswer(await service.handle('getSpan', { traceId, spanId: pathSegment(suffix.slice(SPAN_SUFFIX.length)) }));
    }
    if (suffix === '/otlp') {
      allow(method, ['GET'], request, `${method} is not allowed here`);
      const { fileName, content } = await service.handle('exportTrace', { traceId });
      return { status: 200, json: content, headers: { 'Content-Disposition': `attachment; filename="${fileName}"` } };
    }
    allow(method, ['GET', 'DELETE'], request, `${method} is not allowed here`);
    if (method === 'DELETE') {
      await service.handle('deleteTraces', { traceIds: [traceId] });
      return jsonAnswer({ traceId, deleted: true });
    }
    return jsonAnswer(await service.handle('getTrace', { traceId }));
  }
  if (path.startsWith('/api/traces/')) throw new HttpError(404, `no trace at ${path}: trace ids are 32 hex digits`);
  if (path === '/api/facets') {
    allow(method, ['GET'], request, `${method} is not allowed here; use GET`);
    return jsonAnswer(await service.handle('getFacets', {}));
  }
  if (path === '/api/runs') {
    allow(method, ['GET'], request, `${method} is not allowed here; use GET`);
    return jsonAnswer(await service.handle('listRuns', {}));
  }
  if (path === '/api/status') {
    allow(method, ['GET'], request, `${method} is not allowed here; use GET`);
    return jsonAnswer(await service.handle('status', {}));
  }
  if (path === '/api/logs') {
    allow(method, ['GET'], request, `${method} is not allowed here; use GET`);
    return jsonAnswer(await service.handle('untracedLogs', {}));
  }
  if (path === '/api/import') {
    allow(method, ['POST'], request, 'import a trace file with POST');
    const content = (await readBody(request, context.maxBodyBytes)).toString('utf8');
    return jsonAnswer(await service.handle('importTraces', { content }));
  }
  return undefined;
}
