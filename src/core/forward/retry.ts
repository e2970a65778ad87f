/**
 * The retry policy of forwarding (WIRE.md §5): which answers are retried, how
 * long to wait, and what a failed answer says.
 */

import { MAX_NESTING_DEPTH } from '../nesting';

/** Statuses retried with backoff; every other non-2xx answer is final. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** How long to wait before the next attempt. */
export interface BackoffPolicy {
  /** Delay before the first retry, in ms (doubles on each failure). */
  baseDelayMs: number;
  /** Upper bound of the exponential delay, in ms. */
  maxDelayMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay plus a
 * random share of the other half, so clients that failed together do not
 * retry together, yet never retry immediately. `failures` counts from 1.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return exponential / 2 + random() * (exponential / 2);
}

const HTTP_DATE = /^[A-Za-z]{3},\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}:\d{2}\s+GMT$/;

/**
 * Milliseconds to wait from a `Retry-After` header: delay-seconds, or an HTTP
 * date (a date in the past means "now"). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (HTTP_DATE.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  return undefined;
}

/** Reason phrases for the statuses people meet here. */
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** `503 Service Unavailable`. */
export function describeStatus(status: number): string {
  return REASONS[status] ? `${status} ${REASONS[status]}` : String(status);
}

/**
 * The server's own explanation from an error body: `message`, `error`,
 * `detail` or `errorMessage` of a JSON body (google.rpc.Status and the usual
 * API shapes), else the body text, shortened. Empty when there is none.
 */
export function serverMessage(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  try {
    const parsed = JSON.parse(text) as unknown;
    const found = pickMessage(parsed);
    if (found) return shorten(found);
  } catch {
    // Not JSON: the text itself is the message.
  }
  return shorten(text);
}

/** The first message in an error body, looking no deeper than span content may nest (the body may nest without end). */
function pickMessage(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || depth >= MAX_NESTING_DEPTH) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['message', 'errorMessage', 'error', 'detail', 'details']) {
    const inner = record[key];
    if (typeof inner === 'string' && inner !== '') return inner;
    if (inner !== null && typeof inner === 'object') {
      const nested = pickMessage(inner, depth + 1);
      if (nested) return nested;
    }
  }
  return undefined;
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 500 ? `${oneLine.slice(0, 500)}…` : oneLine;
}
