/**
 * The Respan end of forwarding: sends one request body with the API key,
 * says what Respan's answer means for the spans in it (WIRE.md §5), and paces
 * the next request after a retryable failure.
 *
 * It never resends on its own, unlike a retrying exporter: the queue decides
 * what the next request holds, so spans captured meanwhile join a retry and
 * the ledger counts each span's attempts. What it owns is the answer's
 * meaning and the wait before the next request.
 *
 * Every message it produces (outcomes, the last error, a partial-success
 * warning) is scrubbed of the key before anyone sees it, and scrubbed before
 * it is shortened, so a cut can never leave part of a key behind.
 */

import { checkApiKey, ForwardConfigError } from './destination';
import { requestHeaders } from './payload';
import { backoffDelay, describeStatus, parseRetryAfter, RETRYABLE_STATUSES, serverMessage } from './retry';
import type { SecretScrubber } from './secrets';

/** One HTTP request of the forwarder. */
export interface ForwardRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** The transport must give up (reject) after this long, including reading the answer. */
  timeoutMs: number;
}

/** The answer to a {@link ForwardRequest}. Header names in lowercase. */
export interface ForwardResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Sends requests. Rejects on network errors and timeouts. */
export interface ForwardTransport {
  send(request: ForwardRequest): Promise<ForwardResponse>;
}

/** The user-facing words for a wrong key; said plainly wherever it shows. */
export const WRONG_KEY_MESSAGE = 'the Respan API key is wrong';

/** Said wherever sending needs a key and none is set. */
export const NO_KEY_MESSAGE = 'no Respan API key is set';

/** Timeout and retry pacing of {@link RespanTransport}. */
export interface RetryLimits {
  /** Per-request timeout, in ms. Default 30,000. */
  requestTimeoutMs: number;
  /** First retry delay, in ms; doubles per consecutive failure. Default 1000. */
  baseRetryDelayMs: number;
  /** Cap of the exponential delay, in ms. Default 60,000. */
  maxRetryDelayMs: number;
  /** Cap of a server's `Retry-After`, in ms. Default 15 minutes. */
  maxRetryAfterMs: number;
}

/** What one request's answer means for the spans it carried. Every message is free of the key. */
export type SendOutcome =
  /** 2xx. `warning` tells what a partial success rejected. */
  | { kind: 'accepted'; warning: string | null }
  /**
   * 429/502/503/504, a timeout or a network error: send again after
   * `delayMs`. Also a 401/403 to a key that was replaced while the request
   * was out, which says nothing about the new key: it goes again at once and
   * does not count as an attempt.
   */
  | { kind: 'retry'; message: string; status: number | null; delayMs: number; countsAsAttempt: boolean }
  /** 401/403: the key is wrong. */
  | { kind: 'auth'; message: string; status: number }
  /** 413: the body is larger than Respan accepts. */
  | { kind: 'too-large'; message: string; status: number }
  /** Any other answer (400, 404, 500, a redirect): final. */
  | { kind: 'rejected'; message: string; status: number };

/** What the requests so far came to, for the forwarding status. */
export interface TransportReport {
  lastError: { message: string; atMs: number; status: number | null } | null;
  /** A notice about the last accepted request (partial success). */
  warning: string | null;
  lastSentAtMs: number | null;
  /** Requests accepted / failed so far. */
  requests: { accepted: number; failed: number };
}

/** Settings of a {@link RespanTransport}. */
export interface RespanTransportOptions {
  transport: ForwardTransport;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  /** In [0, 1); for jitter. */
  random: () => number;
  /** Learns every key set here, and hides them in every message. */
  scrubber: SecretScrubber;
  limits: RetryLimits;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

/** Sends request bodies to Respan with the key, classifies the answers, and paces retries. */
export class RespanTransport {
  private readonly options: RespanTransportOptions;
  private key: string | undefined;
  private consecutiveRetries = 0;
  private notBeforeMs = 0;
  private lastError: TransportReport['lastError'] = null;
  private warning: string | null = null;
  private lastSentAtMs: number | null = null;
  private readonly requests = { accepted: 0, failed: 0 };

  constructor(options: RespanTransportOptions) {
    this.options = options;
  }

  get hasKey(): boolean {
    return this.key !== undefined;
  }

  /** Checks and sets the key (throws {@link ForwardConfigError}, never quoting it); it is hidden in every message from now on. */
  setKey(key: string): void {
    const checked = checkApiKey(key);
    this.options.scrubber.add(checked);
    this.key = checked;
  }

  clearKey(): void {
    this.key = undefined;
  }

  /** When the next request may go after a retryable failure (ms since the epoch; 0 when it need not wait). */
  get retryAtMs(): number {
    return this.notBeforeMs;
  }

  report(): TransportReport {
    return { lastError: this.lastError, warning: this.warning, lastSentAtMs: this.lastSentAtMs, requests: { ...this.requests } };
  }

  /**
   * Posts `body` to `url` with the key and says what the answer means. Never
   * rejects for a failed request (that is an outcome); throws
   * {@link ForwardConfigError} when no key is set.
   */
  async send(url: string, body: string): Promise<SendOutcome> {
    const key = this.key;
    if (key === undefined) throw new ForwardConfigError(NO_KEY_MESSAGE);
    const request: ForwardRequest = {
      url,
      method: 'POST',
      headers: requestHeaders(`Bearer ${key}`, this.options.userAgent),
      body,
      timeoutMs: this.options.limits.requestTimeoutMs,
    };
    let outcome: SendOutcome;
    try {
      outcome = this.classify(await this.options.transport.send(request));
    } catch (error) {
      outcome = this.retryOutcome(`could not reach Respan at ${url}: ${errorText(error)}`, null, undefined);
    }
    if (outcome.kind === 'auth' && key !== this.key) {
      outcome = { kind: 'retry', message: 'the Respan API key changed during the request', status: outcome.status, delayMs: 0, countsAsAttempt: false };
    }
    outcome = this.scrubbed(outcome);
    this.record(outcome);
    return outcome;
  }

  private classify(response: ForwardResponse): SendOutcome {
    const { status } = response;
    if (status >= 200 && status < 300) return { kind: 'accepted', warning: partialSuccessWarning(response.body) };
    // Scrubbed before serverMessage shortens it, so its cut cannot fall inside a key.
    const said = serverMessage(this.scrub(response.body));
    const detail = `Respan answered ${describeStatus(status)}${said ? `: ${said}` : ''}`;
    if (status === 401 || status === 403) {
      return { kind: 'auth', status, message: `${WRONG_KEY_MESSAGE} (${detail}); set a valid key to resume forwarding` };
    }
    if (status === 413) return { kind: 'too-large', status, message: detail };
    if (RETRYABLE_STATUSES.has(status)) return this.retryOutcome(detail, status, response.headers['retry-after']);
    if (status >= 300 && status < 400) {
      const location = response.headers.location;
      return { kind: 'rejected', status, message: `${detail} (a redirect${location ? ` to ${location}` : ''}); set the Respan base URL to the final address` };
    }
    return { kind: 'rejected', status, message: detail };
  }

  /** A retry after the server's `Retry-After` (capped), else after exponential backoff with jitter. */
  private retryOutcome(message: string, status: number | null, retryAfter: string | undefined): SendOutcome {
    const { limits, now, random } = this.options;
    const asked = parseRetryAfter(retryAfter, now());
    const delayMs =
      asked !== undefined
        ? Math.min(asked, limits.maxRetryAfterMs)
        : backoffDelay(this.consecutiveRetries + 1, { baseDelayMs: limits.baseRetryDelayMs, maxDelayMs: limits.maxRetryDelayMs }, random);
    return { kind: 'retry', message, status, delayMs, countsAsAttempt: true };
  }

  /** The outcome with the key hidden in its text: the one place an answer's words leave the transport. */
  private scrubbed(outcome: SendOutcome): SendOutcome {
    if (outcome.kind === 'accepted') return { ...outcome, warning: outcome.warning === null ? null : this.scrub(outcome.warning) };
    return { ...outcome, message: this.scrub(outcome.message) };
  }

  private record(outcome: SendOutcome): void {
    const now = this.options.now();
    if (outcome.kind === 'retry') {
      this.consecutiveRetries++;
      this.notBeforeMs = now + outcome.delayMs;
    } else {
      // Any answer that is not "try again later" means the server is there: the backoff starts over.
      this.consecutiveRetries = 0;
      this.notBeforeMs = 0;
    }
    if (outcome.kind === 'accepted') {
      this.requests.accepted++;
      this.lastSentAtMs = now;
      this.warning = outcome.warning;
      return;
    }
    this.requests.failed++;
    this.lastError = { message: outcome.message, atMs: now, status: outcome.status };
  }

  private scrub(text: string): string {
    return this.options.scrubber.scrub(text);
  }
}

/** The message of a transport error, with its causes (fetch hides the useful part in `cause`). */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? (current as Error & { cause?: unknown }).cause : undefined;
  }
  return parts.join(': ') || 'unknown network error';
}

/** A notice when Respan accepted the request but rejected some spans (OTLP partial success). */
function partialSuccessWarning(body: string): string | null {
  if (body.trim() === '') return null;
  try {
    const parsed = JSON.parse(body) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } };
    const partial = parsed?.partialSuccess;
    if (!partial) return null;
    const rejected = Number(partial.rejectedSpans ?? 0);
    const message = typeof partial.errorMessage === 'string' ? partial.errorMessage : '';
    if (rejected > 0) return `Respan accepted the request but rejected ${rejected} span${rejected === 1 ? '' : 's'}${message ? `: ${message}` : ''}`;
    if (message) return `Respan accepted the request with a warning: ${message}`;
  } catch {
    // Not JSON: a success is a success.
  }
  return null;
}
