/**
 * The service's HTTP transport for any client with a `fetch` (the browser UI,
 * the extension host): `POST /api/service/{type}` with the JSON parameters,
 * the JSON result back (bytes, as a `Uint8Array`, for the requests of
 * `BINARY_RESULTS`), or `{error}` with the status of its reason, read back
 * into a `ServiceError` through the same table.
 */

import { ServiceError } from '../core/service/errors';
import { BINARY_MEDIA_TYPE, reasonOfStatus, SERVICE_PATH_PREFIX, type ServiceTransport } from './service';

/** The part of `fetch` the transport uses (protocol is compiled without DOM or Node types). */
export type ServiceFetch = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number; statusText: string; headers: { get(name: string): string | null }; text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> }>;

/** The `error` of an error answer, when it is one. */
function errorOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : undefined;
  } catch {
    // Not JSON (a proxy's error page): the status line says it.
    return undefined;
  }
}

/** The error a refused request (status, status text, body) stands for: a `ServiceError` when the body names a reason's message. */
export function serviceFailure(status: number, statusText: string, body: string): Error {
  const reason = reasonOfStatus(status);
  const message = errorOf(body);
  if (reason && message) return new ServiceError(reason, message);
  return new Error(message ? `${status}: ${message}` : `${status} ${statusText}`.trim());
}

/** The transport to the service of the inspector at `base` (`http://host:port`, no trailing slash). */
export function httpServiceTransport(base: string, fetch: ServiceFetch): ServiceTransport {
  return async (type, params) => {
    let response;
    try {
      response = await fetch(`${base}${SERVICE_PATH_PREFIX}${type}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(params) });
    } catch (error) {
      throw new Error(`The inspector did not answer (${(error as Error).message}). Is it still running?`);
    }
    if (response.ok && response.headers.get('content-type') === BINARY_MEDIA_TYPE) return new Uint8Array(await response.arrayBuffer());
    const text = await response.text();
    if (response.ok) return JSON.parse(text);
    throw serviceFailure(response.status, response.statusText, text);
  };
}
