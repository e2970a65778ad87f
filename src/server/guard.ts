/**
 * Defences of the HTTP listener against the web pages its user visits. Any page
 * can send requests to 127.0.0.1, and through DNS rebinding (a name of the
 * attacker's that starts resolving to 127.0.0.1) can even read the answers as
 * "same origin". Traces hold prompts, customer ids and secrets, so:
 *
 * - every request must name the inspector in its `Host` header: a loopback name,
 *   the address it is bound to, or a host the user allowed (rebinding sends the
 *   attacker's name);
 * - the query API, live stream and every other `/api/*` route answer only the
 *   inspector's own page and non-browser clients, never a cross-origin page, and
 *   never send CORS headers;
 * - span receivers take browser requests only from origins the user allowed
 *   (browser-side SDKs), and answer CORS preflights only for those;
 * - with an access token (required when bound beyond loopback), `/api/*` needs
 *   it as a bearer token or as the cookie the UI gets from `/?token=…`.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { isLoopbackHost } from '../core/net/loopback';
import { HttpError } from './body';

/** Settings of a {@link RequestGuard}. */
export interface GuardOptions {
  /** The address the listener is bound to. */
  host: string;
  /** Host names (without port) accepted in `Host` besides loopback names and the bound address. */
  allowedHosts?: readonly string[];
  /**
   * Origins whose pages may send spans to the receivers, as
   * {@link parseAllowedOrigin} gives them: `scheme://host[:port]`, or
   * `scheme://host:*` for every port of a host. Default none.
   */
  allowedOrigins?: readonly string[];
  /** Token `/api/*` requires, when set. */
  apiToken?: string;
}

/** A fresh random access token (192 bits, URL-safe). */
export function newApiToken(): string {
  return randomBytes(24).toString('base64url');
}

/** True for the wildcard addresses that bind every interface. */
export function isWildcardHost(host: string): boolean {
  const name = normaliseHostName(host);
  return name === '0.0.0.0' || name === '::' || name === '0:0:0:0:0:0:0:0';
}

/** A host name lowercased, without IPv6 brackets and without a trailing dot. */
function normaliseHostName(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** The host name of a `Host` header value (`name:port`, `[v6]:port`), or undefined when malformed. */
export function hostNameOf(header: string): string | undefined {
  const value = header.trim();
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return undefined;
    const rest = value.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return normaliseHostName(value.slice(0, close + 1));
  }
  const match = /^([^:\s/@]+)(?::\d{1,5})?$/.exec(value);
  return match ? normaliseHostName(match[1]) : undefined;
}

/** Origins are compared in their serialised form: lowercase scheme and host, no trailing slash. */
function normaliseOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * True when `origin` (an `Origin` header) is the page's own: exactly the host
 * and port the request was addressed to (`hostHeader`), over http or https.
 * https covers the page served through a TLS proxy or a forwarded port
 * (Codespaces, code-server); any other host, port or scheme, and `null`, is not
 * the page's own.
 */
export function isOwnOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  const page = normaliseOrigin(origin);
  const authority = hostHeader.trim().toLowerCase();
  return page === `http://${authority}` || page === `https://${authority}`;
}

/**
 * True unless a browser says the request comes from a page other than the
 * inspector's own: `Sec-Fetch-Site` other than same-origin or none, or an
 * `Origin` that {@link isOwnOrigin} does not accept. Non-browser clients send
 * neither and pass.
 */
export function fromOwnPage(request: IncomingMessage): boolean {
  const site = header(request, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = header(request, 'origin');
  return origin === undefined || isOwnOrigin(origin, header(request, 'host'));
}

/** The port that ends an origin, if any (`[::1]` has none; `[::1]:3000` does). */
const ORIGIN_PORT = /:\d+$/;

/**
 * An allowed-origin value checked and normalised: `http://localhost:3000`
 * (scheme, host and port only), or `http://localhost:*` for every port of that
 * host (a dev server that moves between ports). Undefined when it is neither;
 * a bare `*` is refused: every web page could then write spans here.
 */
export function parseAllowedOrigin(value: string): string | undefined {
  const trimmed = value.trim().replace(/\/+$/, '');
  const anyPort = trimmed.endsWith(':*');
  const text = anyPort ? trimmed.slice(0, -2) : trimmed;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || text.toLowerCase() !== url.origin || url.hostname.includes('*')) return undefined;
  if (anyPort && ORIGIN_PORT.test(url.origin)) return undefined;
  return anyPort ? `${url.origin}:*` : url.origin;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hostHeaderCount(request: IncomingMessage): number {
  let count = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2) if (request.rawHeaders[i].toLowerCase() === 'host') count++;
  return count;
}

function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Header names a preflight may ask for: tokens only, so nothing odd is echoed back. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/** Applies the rules above to each request of an {@link InspectorServer}. */
export class RequestGuard {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  /** `scheme://host` of origins allowed on every port. */
  private readonly anyPortOrigins: Set<string>;
  private readonly tokenDigest: Buffer | undefined;

  constructor(private readonly options: GuardOptions) {
    this.hosts = new Set([options.host, ...(options.allowedHosts ?? [])].map(normaliseHostName));
    if (isWildcardHost(options.host)) {
      // Bound to every interface: the machine's own addresses are names for it too.
      for (const addresses of Object.values(networkInterfaces())) for (const address of addresses ?? []) this.hosts.add(normaliseHostName(address.address));
    }
    const allowed = (options.allowedOrigins ?? []).map(normaliseOrigin);
    this.origins = new Set(allowed.filter((origin) => !origin.endsWith(':*')));
    this.anyPortOrigins = new Set(allowed.filter((origin) => origin.endsWith(':*')).map((origin) => origin.slice(0, -2)));
    this.tokenDigest = options.apiToken ? digest(options.apiToken) : undefined;
  }

  /** Name of the cookie holding the access token (per port: cookies do not separate ports). */
  cookieName(port: number): string {
    return `respan_inspector_token_${port}`;
  }

  /** Refuses a request whose `Host` does not name this listener (DNS rebinding), or that has several. */
  checkHost(request: IncomingMessage): void {
    // Node keeps only the first Host; a proxy may route by another one (RFC 9112 §3.2 says 400).
    if (hostHeaderCount(request) > 1) throw new HttpError(400, 'a request must carry exactly one Host header (RFC 9112)');
    const value = header(request, 'host');
    const name = value === undefined ? undefined : hostNameOf(value);
    if (name !== undefined && (isLoopbackHost(name) || this.hosts.has(name))) return;
    throw new HttpError(
      403,
      value === undefined
        ? 'requests must carry a Host header'
        : `Host "${value.slice(0, 100)}" is not this inspector: it answers only to localhost, 127.0.0.1, [::1] or the address it is bound to (this stops DNS-rebinding pages); allow another name with --allow-host`,
    );
  }

  /**
   * Refuses a browser request to `/api/*` from any page but the inspector's own
   * (`Sec-Fetch-Site` other than same-origin/none, or a foreign `Origin`), and
   * requests without the access token when one is set.
   */
  checkApi(request: IncomingMessage, port: number): void {
    if (!fromOwnPage(request)) {
      const from = ['Sec-Fetch-Site', 'Origin'].flatMap((name) => {
        const value = header(request, name.toLowerCase());
        return value === undefined ? [] : [`${name}: ${value.slice(0, 100)}`];
      });
      throw new HttpError(403, `cross-origin request refused (${from.join(', ')}): the inspector's API answers only its own page`);
    }
    if (this.tokenDigest && !this.hasToken(request, port)) {
      throw new HttpError(401, 'this inspector needs its access token: send "Authorization: Bearer <token>", or open the UI link printed at startup', {
        'WWW-Authenticate': 'Bearer realm="respan-inspector"',
      });
    }
  }

  /**
   * Refuses span uploads from browser pages other than the allowed origins and
   * the inspector's own. Returns the CORS headers to answer an allowed origin with.
   */
  checkReceiver(request: IncomingMessage): Record<string, string> {
    const origin = header(request, 'origin');
    if (origin === undefined) {
      const site = header(request, 'sec-fetch-site');
      if (site === 'cross-site' || site === 'same-site') throw new HttpError(403, `cross-origin span upload refused (Sec-Fetch-Site: ${site})`);
      return {};
    }
    if (isOwnOrigin(origin, header(request, 'host'))) return {};
    const normalised = normaliseOrigin(origin);
    if (!this.origins.has(normalised) && !this.anyPortOrigins.has(normalised.replace(ORIGIN_PORT, ''))) {
      throw new HttpError(403, `span uploads from the page ${origin.slice(0, 100)} are refused; allow that origin with --allow-origin ${origin.slice(0, 100)} (or the respanInspector.allowedOrigins setting)`);
    }
    return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  }

  /**
   * Answers a CORS preflight (`OPTIONS` with `Origin`) on a receiver path:
   * 204 with CORS headers for an allowed origin, 403 otherwise. Returns false
   * when the request is not a preflight.
   */
  answerPreflight(request: IncomingMessage, response: ServerResponse): boolean {
    const origin = header(request, 'origin');
    if (request.method !== 'OPTIONS' || origin === undefined) return false;
    const allowed = this.checkReceiver(request);
    const requested = header(request, 'access-control-request-headers');
    const headers: Record<string, string> = {
      ...allowed,
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': requested && HEADER_LIST.test(requested) ? requested : 'Content-Type, Content-Encoding, Authorization',
      'Access-Control-Max-Age': '600',
      'Cache-Control': 'no-store',
    };
    // Chrome's Private Network Access asks public pages' preflights to 127.0.0.1 for this.
    if (header(request, 'access-control-request-private-network') === 'true') headers['Access-Control-Allow-Private-Network'] = 'true';
    response.writeHead(204, headers);
    response.end();
    return true;
  }

  /** True when the request carries the access token (bearer header or the UI cookie). */
  hasToken(request: IncomingMessage, port: number): boolean {
    if (!this.tokenDigest) return true;
    const authorization = header(request, 'authorization');
    const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (bearer && this.matches(bearer)) return true;
    const name = this.cookieName(port);
    for (const part of (header(request, 'cookie') ?? '').split(';')) {
      const [key, ...value] = part.trim().split('=');
      if (key === name && this.matches(decodeCookieValue(value.join('=')))) return true;
    }
    return false;
  }

  /** True when `token` is the access token (compared in constant time). */
  matches(token: string): boolean {
    return this.tokenDigest !== undefined && timingSafeEqual(digest(token), this.tokenDigest);
  }

  /** Whether `/api/*` needs a token. */
  get requiresToken(): boolean {
    return this.tokenDigest !== undefined;
  }
}
