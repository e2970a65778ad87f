/**
 * Where forwarded spans go: the Respan base URL, the two endpoints under it,
 * and the rule that an API key never travels in clear text to another machine.
 * Core has no `URL` global (it is compiled without DOM or Node types), so the
 * few URL facts needed here are parsed by hand.
 */

import { isLoopbackHost } from '../net/loopback';

/** Which Respan API receives the spans. */
export type ForwardApi = 'otlp' | 'ingest';

/** Paths under the base URL, per API (WIRE.md §5). */
export const FORWARD_PATHS: Readonly<Record<ForwardApi, string>> = {
  otlp: '/v2/traces',
  ingest: '/v1/traces/ingest',
};

/** A forwarding setting that cannot be used; the message says why and never contains the key. */
export class ForwardConfigError extends Error {
  override readonly name = 'ForwardConfigError';
}

/** The parts of an http(s) base URL that matter here. */
export interface BaseUrlParts {
  scheme: 'http' | 'https';
  /** Lowercase host name, or an IPv6 address without brackets. */
  host: string;
  port?: number;
  /** Path without a trailing slash ('' for none). */
  path: string;
}

const BASE_URL = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:?#@[\]]+)(?::(\d{1,5}))?(\/[^\s?#]*)?$/i;

/**
 * Parses a base URL such as `https://api.respan.ai/api`. Throws
 * {@link ForwardConfigError} for anything else: other schemes, user info,
 * query strings and fragments (they would end up in every request URL).
 */
export function parseBaseUrl(text: string): BaseUrlParts {
  const match = BASE_URL.exec(text.trim());
  if (!match) {
    throw new ForwardConfigError(`the Respan base URL must look like https://api.respan.ai/api (http or https, no user name, query or fragment), got "${text.slice(0, 200)}"`);
  }
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new ForwardConfigError(`the Respan base URL has an invalid port ${match[3]}`);
  const host = match[2].replace(/^\[|\]$/g, '').toLowerCase();
  return { scheme: match[1].toLowerCase() as 'http' | 'https', host, port, path: (match[4] ?? '').replace(/\/+$/, '') };
}

/**
 * The normalised base URL (no trailing slash), after checking that a key sent
 * there stays safe: plain http only to a loopback address.
 */
export function checkBaseUrl(text: string): string {
  const parts = parseBaseUrl(text);
  if (parts.scheme === 'http' && !isLoopbackHost(parts.host)) {
    throw new ForwardConfigError(
      `refusing to send the Respan API key over plain http to ${parts.host}; use an https:// base URL (plain http is allowed only to localhost, 127.0.0.0/8 and ::1, which never ask DNS)`,
    );
  }
  const host = parts.host.includes(':') ? `[${parts.host}]` : parts.host;
  return `${parts.scheme}://${host}${parts.port === undefined ? '' : `:${parts.port}`}${parts.path}`;
}

/** The endpoint URL of `api` under a checked base URL. */
export function endpointUrl(baseUrl: string, api: ForwardApi): string {
  return `${baseUrl.replace(/\/+$/, '')}${FORWARD_PATHS[api]}`;
}

/**
 * Checks an API key before it goes into a header. Returns the trimmed key.
 * The error never repeats the key.
 */
export function checkApiKey(key: string): string {
  const trimmed = key.trim();
  if (trimmed === '') throw new ForwardConfigError('the Respan API key is empty');
  // A control character or non-ASCII byte would break (or inject into) the Authorization header.
  if (!/^[\x21-\x7e]+$/.test(trimmed)) throw new ForwardConfigError('the Respan API key contains spaces, control characters or non-ASCII characters; copy it again from the Respan API keys page');
  return trimmed;
}
