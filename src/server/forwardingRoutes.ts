/**
 * The REST routes of forwarding (shapes in `src/protocol/api.ts`): queue
 * status, per-trace status, manual forward of a trace, retry, preview. Each
 * translates its URL and body into a service request; an inspector without
 * a forwarder answers them all 404, as the service says.
 */

import type { IncomingMessage } from 'node:http';
import type { InspectorService } from '../core/service/inspectorService';
import { MAX_FORWARD_WAIT_MS } from '../core/service/inspectorService';
import { ServiceError } from '../core/service/errors';
import { jsonAnswer, type RouteAnswer } from './apiRoutes';
import { HttpError, readBody } from './body';
import { fromOwnPage } from './guard';

/** Paths served here: `/api/forwarding[/retry|/traces]`, `/api/traces/{id}/forward[/preview]`. */
export const FORWARDING_PATH = /^\/api\/(?:forwarding(\/retry|\/traces)?|traces\/([0-9a-fA-F]{32})\/forward(\/preview)?)$/;

function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  return value !== null && value !== '0' && value !== 'false';
}

function onlyGet(method: string, request: IncomingMessage, message = 'use GET'): void {
  if (method === 'GET' || method === 'HEAD') return;
  request.resume();
  throw new HttpError(405, message, { Allow: 'GET' });
}

/** The optional `{"traceIds": [...]}` body of a retry, parsed; empty retries everything. */
async function retryParams(request: IncomingMessage): Promise<unknown> {
  const text = (await readBody(request, 1024 * 1024)).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError('invalid', 'the body must be JSON, e.g. {"traceIds": ["…"]}, or empty to retry everything');
  }
}

/** Answers a forwarding route. Throws {@link HttpError} for a wrong method or a request from another web page. */
export async function forwardingRoute(service: InspectorService, method: string, path: string, url: URL, request: IncomingMessage): Promise<RouteAnswer> {
  const match = FORWARDING_PATH.exec(path);
  if (!match) throw new HttpError(404, `nothing at ${path}`);
  // A web page must not be able to make the inspector spend the user's key.
  if (method === 'POST' && !fromOwnPage(request)) {
    request.resume();
    throw new HttpError(403, 'forwarding can only be started from the inspector itself, not from another web page');
  }
  const [, sub, rawTraceId, preview] = match;
  const traceId = rawTraceId?.toLowerCase();

  if (traceId === undefined) {
    if (sub === '/retry') {
      if (method !== 'POST') {
        request.resume();
        throw new HttpError(405, 'retry with POST', { Allow: 'POST' });
      }
      return jsonAnswer(await service.dispatch('retryForwarding', await retryParams(request)));
    }
    onlyGet(method, request);
    return jsonAnswer(sub === '/traces' ? await service.handle('forwardingTraces', {}) : await service.handle('forwardingStatus', {}));
  }
  if (preview !== undefined) {
    onlyGet(method, request);
    return jsonAnswer(await service.handle('forwardPreview', { traceId }));
  }
  if (method === 'GET' || method === 'HEAD') return jsonAnswer(await service.handle('traceForwarding', { traceId }));
  request.resume();
  if (method !== 'POST') throw new HttpError(405, 'forward with POST, read the status with GET', { Allow: 'GET, POST' });
  const wait = flag(url, 'wait');
  const result = await service.handle('forwardTrace', { traceId, resend: flag(url, 'resend'), ...(wait ? { waitMs: MAX_FORWARD_WAIT_MS } : {}) });
  return jsonAnswer(result, wait ? 200 : 202);
}
