/**
 * What senders need to reach the listener: the endpoints shown in the panel's
 * empty state and the environment variables given to integrated terminals.
 * No `vscode` here, so it is unit-tested outside VS Code.
 */

import type { ListenerEndpoints } from '../protocol/messages';

/** Hosts that mean "every interface": clients cannot connect to them by that name. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The host a client on this machine connects to for a listener bound to
 * `bindHost`: the loopback address for a wildcard bind, else the host itself.
 */
export function connectHost(bindHost: string): string {
  return WILDCARD_HOSTS.has(bindHost) ? '127.0.0.1' : bindHost;
}

/** `http://host:port` for clients, with IPv6 hosts bracketed. */
export function clientUrl(bindHost: string, port: number): string {
  const host = connectHost(bindHost);
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** The endpoints of a listener reachable at `url` (`http://host:port`, no trailing slash). */
export function endpointsOf(url: string): ListenerEndpoints {
  return { otlpEndpoint: url, respanBaseUrl: `${url}/api` };
}

/**
 * Environment variables that point OpenTelemetry and Respan SDKs at the
 * listener. `http/protobuf` because it is every OTel SDK's HTTP default and
 * works without the gRPC receiver.
 */
export function listenerEnvironment(endpoints: ListenerEndpoints): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    RESPAN_BASE_URL: endpoints.respanBaseUrl,
  };
}

/** `NAME=value` lines of {@link listenerEnvironment}, in a given shell's syntax. */
export function environmentText(endpoints: ListenerEndpoints, shell: 'posix' | 'powershell' | 'dotenv' = 'posix'): string {
  const entries = Object.entries(listenerEnvironment(endpoints));
  switch (shell) {
    case 'posix':
      return entries.map(([name, value]) => `export ${name}=${value}`).join('\n');
    case 'powershell':
      return entries.map(([name, value]) => `$env:${name}="${value}"`).join('\n');
    case 'dotenv':
      return entries.map(([name, value]) => `${name}=${value}`).join('\n');
  }
}
