/**
 * The query API routes of forwarding (shapes in `src/protocol/api.ts`):
 * queue status, per-trace status, manual forward of a trace, retry, preview.
 * Kept apart from `server.ts` so the listener works the same without a forwarder.
 */

import type { IncomingMessage } from 'node:http';
import { ForwardConfigError } from '../core/forward/destination';
import type { Forwarder, ForwardReceipt, ForwardingStatus, TraceForwardStatus } from '../core/forward/forwarder';
import type { ForwardPreviewJson, ForwardRetryJson, ForwardTraceJson, ForwardingStatusJson, ForwardingTracesJson, TraceForwardingJson } from '../protocol/api';
import { HttpError, readBody } from './body';
import { fromOwnPage } from './guard';

/** Paths served here: `/api/forwarding[/retry|/traces]`, `/api/traces/{id}/forward[/preview]`. */
export const FORWARDING_PATH = /^\/api\/(?:forwarding(\/retry|\/traces)?|traces\/([0-9a-fA-F]{32})\/forward(\/preview)?)$/;

/** Longest `?wait=1` answer, after which the current status is returned. */
const MAX_WAIT_MS = 120_000;

/** A JSON answer for the server to send. */
export interface RouteAnswer {
  status: number;
  body: unknown;
}

function statusJson(status: ForwardingStatus): ForwardingStatusJson {
  return status satisfies ForwardingStatusJson;
}

function traceJson(forwarder: Forwarder, traceId: string): TraceForwardingJson {
  const status: TraceForwardStatus = forwarder.traceStatus(traceId);
  return { ...status, spans: forwarder.spanStatuses(traceId).map(({ traceId: _trace, ...span }) => span) };
}

function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  return value !== null && value !== '0' && value !== 'false';
}

function waitFor(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function configProblem(error: unknown): HttpError {
  if (error instanceof ForwardConfigError) {
    const hint = error.message === 'no Respan API key is set' ? '; start the inspector with RESPAN_API_KEY set in its environment' : '';
    return new HttpError(409, `${error.message}${hint}`);
  }
  throw error;
}

function forwardMessage(forwarder: Forwarder, receipt: ForwardReceipt, trace: TraceForwardingJson, waited: boolean): { ok: boolean; message: string } {
  const plural = (n: number) => `${n} span${n === 1 ? '' : 's'}`;
  if (waited) {
    if (trace.counts.failed > 0) return { ok: false, message: `${plural(trace.counts.failed)} not forwarded: ${trace.failures[0]?.reason ?? 'failed'}` };
    const paused = forwarder.status().pausedReason;
    if (trace.counts.pending + trace.counts.sending > 0) {
      return { ok: false, message: paused ? `not sent yet: ${paused}` : `still sending ${plural(trace.counts.pending + trace.counts.sending)} to Respan` };
    }
    if (trace.counts.sent > 0) return { ok: true, message: `Respan has ${plural(trace.counts.sent)} of this trace` };
    return { ok: false, message: `nothing sent: the "${forwarder.settings.filter}" filter leaves out every span of this trace` };
  }
  if (receipt.queued > 0) {
    const extra = receipt.overflowed > 0 ? `; ${plural(receipt.overflowed)} did not fit in the queue (retry later)` : '';
    return { ok: true, message: `forwarding ${plural(receipt.queued)} to ${forwarder.endpoint}${extra}` };
  }
  if (receipt.overflowed > 0) return { ok: false, message: `the forwarding queue is full; ${plural(receipt.overflowed)} can be retried once it drains` };
  if (receipt.alreadySent > 0) return { ok: true, message: `Respan already has this trace (${plural(receipt.alreadySent)}); add ?resend=1 to send it again` };
  return { ok: false, message: 'this trace has no spans to forward' };
}

/**
 * Answers a forwarding route. Throws {@link HttpError} for a wrong method, an
 * unknown trace, a missing key (409) or a cross-origin request (403); 404 for
 * every path when the inspector has no forwarder.
 */
export async function forwardingRoute(forwarder: Forwarder | undefined, method: string, path: string, url: URL, request: IncomingMessage): Promise<RouteAnswer> {
  const match = FORWARDING_PATH.exec(path);
  if (!match) throw new HttpError(404, `nothing at ${path}`);
  // A web page must not be able to make the inspector spend the user's key.
  if (method === 'POST' && !fromOwnPage(request)) {
    request.resume();
    throw new HttpError(403, 'forwarding can only be started from the inspector itself, not from another web page');
  }
  if (forwarder === undefined) {
    request.resume();
    throw new HttpError(404, 'forwarding to Respan is not available in this inspector');
  }
  const [, sub, rawTraceId, preview] = match;
  const traceId = rawTraceId?.toLowerCase();

  if (traceId === undefined && sub !== '/retry') {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'use GET', { Allow: 'GET' });
    if (sub === '/traces') return { status: 200, body: { traces: forwarder.traceStates() } satisfies ForwardingTracesJson };
    return { status: 200, body: statusJson(forwarder.status()) };
  }
  if (traceId === undefined) {
    if (method !== 'POST') throw new HttpError(405, 'retry with POST', { Allow: 'POST' });
    const text = (await readBody(request, 1024 * 1024)).toString('utf8').trim();
    let traceIds: string[] | undefined;
    if (text !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'the body must be JSON, e.g. {"traceIds": ["…"]}, or empty to retry everything');
      }
      const ids = (parsed as { traceIds?: unknown })?.traceIds;
      if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))) throw new HttpError(400, 'traceIds must be an array of trace ids');
      traceIds = (ids as string[] | undefined)?.map((id) => id.toLowerCase());
    }
    let queued: number;
    try {
      queued = forwarder.retryFailed(traceIds);
    } catch (error) {
      throw configProblem(error);
    }
    return { status: 200, body: { queued, status: statusJson(forwarder.status()) } satisfies ForwardRetryJson };
  }
  if (preview !== undefined) {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'use GET', { Allow: 'GET' });
    const result = forwarder.previewTraces([traceId]);
    if (result.spanCount + result.skippedCount === 0) throw new HttpError(404, `no trace with id ${traceId} (never received, deleted, or evicted by retention)`);
    return { status: 200, body: result satisfies ForwardPreviewJson };
  }
  if (method === 'GET' || method === 'HEAD') return { status: 200, body: traceJson(forwarder, traceId) };
  if (method !== 'POST') throw new HttpError(405, 'forward with POST, read the status with GET', { Allow: 'GET, POST' });
  request.resume();
  let receipt: ForwardReceipt;
  try {
    receipt = forwarder.forwardTraces([traceId], { resend: flag(url, 'resend') });
  } catch (error) {
    throw configProblem(error);
  }
  if (receipt.notFound.length > 0) throw new HttpError(404, `no trace with id ${traceId} (never received, deleted, or evicted by retention)`);
  const wait = flag(url, 'wait');
  if (wait) await waitFor(forwarder.whenSettled([traceId]), MAX_WAIT_MS);
  const trace = traceJson(forwarder, traceId);
  const body: ForwardTraceJson = { ...forwardMessage(forwarder, receipt, trace, wait), queued: receipt.queued, alreadySent: receipt.alreadySent, overflowed: receipt.overflowed, trace };
  return { status: wait ? 200 : 202, body };
}
