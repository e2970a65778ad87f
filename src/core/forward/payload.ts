/**
 * Turns captured spans into request bodies for the Respan API: filter, then
 * redact, then encode, one span at a time (so a batch can be cut by bytes
 * before it is assembled), and the body assembled from the encoded pieces.
 * The preview uses the very same path, so it shows exactly what leaves the
 * machine.
 */

import type { Span } from '../model';
import { encodeAttributes, encodeSpan } from '../otlp/export';
import { endpointUrl, type ForwardApi } from './destination';
import { applyFilter, type ForwardFilter } from './filter';
import { encodeIngestSpan, ingestIdsOf } from './ingestEncode';
import { compileRedaction, redactSpan, type Redactor } from './redact';

/** What is sent and how: the user's forwarding settings. */
export interface ForwardSettings {
  /** `otlp` (preferred): OTLP/JSON to `{base}/v2/traces`; `ingest`: Respan ingest JSON to `{base}/v1/traces/ingest`. */
  api: ForwardApi;
  /** `all` spans, or `sdk`: what the Respan SDK would send (see `filter.ts`). */
  filter: ForwardFilter;
  /** Redaction rules (see `redact.ts`). */
  redact: string[];
}

/** Defaults: OTLP, every span, nothing redacted. */
export const DEFAULT_FORWARD_SETTINGS: ForwardSettings = { api: 'otlp', filter: 'all', redact: [] };

/** One span, filtered, redacted and encoded, ready to join a batch. */
export interface PreparedSpan {
  traceId: string;
  spanId: string;
  /** JSON text of the encoded span (an OTLP span, or an ingest span object). */
  json: string;
  /** OTLP only: JSON text of the (redacted) resource and scope the span is grouped under. */
  resourceJson: string;
  scopeJson: string;
  /** UTF-8 bytes this span adds to a body (its resource and scope counted in full, as an upper bound). */
  bytes: number;
}

/** UTF-8 length of a string, without an encoder (core runs without `TextEncoder` typings). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Prepares spans and assembles bodies under one set of settings. Build a new
 * one when the settings change (it caches redacted resources).
 */
export class PayloadBuilder {
  readonly redactor: Redactor;
  private readonly resourceJson = new WeakMap<object, string>();
  private readonly scopeJson = new WeakMap<object, string>();
  private readonly redactedShared = new WeakMap<object, unknown>();

  /** Throws `ForwardConfigError` for an invalid redaction rule. */
  constructor(readonly settings: ForwardSettings) {
    this.redactor = compileRedaction(settings.redact);
  }

  /** The span ready to send, or null when the filter leaves it out. */
  prepare(span: Span): PreparedSpan | null {
    const filtered = applyFilter(span, this.settings.filter);
    if (filtered === null) return null;
    const redacted = redactSpan(filtered, this.redactor, this.redactedShared);
    if (this.settings.api === 'ingest') {
      const ids = ingestIdsOf(filtered);
      const json = JSON.stringify(encodeIngestSpan(redacted, ids));
      return { traceId: span.traceId, spanId: span.spanId, json, resourceJson: '', scopeJson: '', bytes: utf8Length(json) + 1 };
    }
    let resourceJson = this.resourceJson.get(redacted.resource);
    if (resourceJson === undefined) {
      resourceJson = JSON.stringify({ attributes: encodeAttributes(redacted.resource) });
      this.resourceJson.set(redacted.resource, resourceJson);
    }
    let scopeJson = this.scopeJson.get(redacted.scope);
    if (scopeJson === undefined) {
      const scope = redacted.scope;
      scopeJson = JSON.stringify({ name: scope.name, ...(scope.version ? { version: scope.version } : {}), attributes: encodeAttributes(scope.attributes) });
      this.scopeJson.set(redacted.scope, scopeJson);
    }
    const json = JSON.stringify(encodeSpan(redacted));
    // Resource and scope count in full for every span: an upper bound keeps batches under the byte limit.
    const bytes = utf8Length(json) + 1 + utf8Length(resourceJson) + utf8Length(scopeJson) + 64;
    return { traceId: span.traceId, spanId: span.spanId, json, resourceJson, scopeJson, bytes };
  }

  /**
   * The request body of prepared spans: an OTLP/JSON `ExportTraceServiceRequest`
   * grouped by resource and scope, or a raw JSON array of ingest objects.
   */
  body(spans: readonly PreparedSpan[]): string {
    if (this.settings.api === 'ingest') return `[${spans.map((span) => span.json).join(',')}]`;
    const byResource = new Map<string, Map<string, string[]>>();
    for (const span of spans) {
      let byScope = byResource.get(span.resourceJson);
      if (byScope === undefined) byResource.set(span.resourceJson, (byScope = new Map()));
      let list = byScope.get(span.scopeJson);
      if (list === undefined) byScope.set(span.scopeJson, (list = []));
      list.push(span.json);
    }
    const resourceSpans = [...byResource].map(
      ([resource, byScope]) => `{"resource":${resource},"scopeSpans":[${[...byScope].map(([scope, list]) => `{"scope":${scope},"spans":[${list.join(',')}]}`).join(',')}]}`,
    );
    return `{"resourceSpans":[${resourceSpans.join(',')}]}`;
  }
}

/** What a forward of some spans would send: the preview shown before anything leaves the machine. */
export interface ForwardPreview {
  /** The endpoint the request goes to. */
  url: string;
  method: 'POST';
  /** Request headers, with the key shown as `Bearer [api key hidden]`. */
  headers: Record<string, string>;
  api: ForwardApi;
  filter: ForwardFilter;
  redact: string[];
  /** Spans that would be sent. */
  spanCount: number;
  /** Spans the filter leaves out. */
  skippedCount: number;
  /** The parsed request body, exactly as it would be sent (all spans in one body; real sends may split it into batches). */
  body: unknown;
  /** Size of that body in UTF-8 bytes. */
  bytes: number;
}

/** Headers of a forward request (`authorization` is the caller's to fill in). */
export function requestHeaders(authorization: string, userAgent?: string): Record<string, string> {
  return {
    Authorization: authorization,
    'Content-Type': 'application/json',
    ...(userAgent ? { 'User-Agent': userAgent } : {}),
  };
}

/** Builds the preview of forwarding `spans` to `baseUrl` with `builder`'s settings. */
export function previewForward(spans: Iterable<Span>, builder: PayloadBuilder, baseUrl: string, userAgent?: string): ForwardPreview {
  const prepared: PreparedSpan[] = [];
  let skipped = 0;
  for (const span of spans) {
    const one = builder.prepare(span);
    if (one === null) skipped++;
    else prepared.push(one);
  }
  const text = builder.body(prepared);
  const { api, filter, redact } = builder.settings;
  return {
    url: endpointUrl(baseUrl, api),
    method: 'POST',
    headers: requestHeaders('Bearer [api key hidden]', userAgent),
    api,
    filter,
    redact: [...redact],
    spanCount: prepared.length,
    skippedCount: skipped,
    body: JSON.parse(text),
    bytes: utf8Length(text),
  };
}
