/**
 * The span receivers on the HTTP port: OTLP/HTTP (JSON and protobuf) on every
 * path the OTel and Respan SDKs use, and the Respan ingest API (WIRE.md §1–3).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecodeResult, Span } from '../core/model';
import { MalformedPayloadError, rejectedCount } from '../core/model';
import type { DecodeLimits } from '../core/otlp/common';
import { encodeExportResponseProto, encodeRpcStatusProto } from '../core/otlp/proto';
import { decodeSpanSource, type SpanSource } from '../core/spanSource';
import { HttpError, readBody } from './body';

/**
 * OTLP/HTTP trace export paths: OTel's own, and the Respan SDKs' under their
 * base URLs. `/api/api/…` is `@respan/tracing` (JS, which appends `/api/v1/traces`)
 * given the `…/api` base URL the Python SDK wants, as one shared
 * `RESPAN_BASE_URL` (the VS Code terminal's) gives both.
 */
export const OTLP_TRACE_PATHS: ReadonlySet<string> = new Set(['/v1/traces', '/api/v1/traces', '/api/v2/traces', '/v2/traces', '/api/api/v1/traces', '/api/api/v2/traces']);

/**
 * Respan ingest API paths: `{base}/v1/traces/ingest` of the Respan exporters
 * (OpenAI Agents, LiteLLM, Haystack; with or without `/api` in the base), the
 * OpenAI Agents processor's `/api/openai/…`, and `@keywordsai/exporter-vercel`'s
 * `/api/integrations/…` (its one path for a base with or without `/api`).
 */
export const INGEST_PATHS: ReadonlySet<string> = new Set([
  '/api/v1/traces/ingest',
  '/v1/traces/ingest',
  '/api/openai/v1/traces/ingest',
  '/api/integrations/v1/traces/ingest',
]);

/** `google.rpc.Code.INVALID_ARGUMENT`, the code of OTLP's 400 answers. */
const RPC_INVALID_ARGUMENT = 3;

type Encoding = 'json' | 'protobuf';

const SUPPORTED_TYPES = 'application/json or application/x-protobuf';

/** The media type of a Content-Type header, lowercased, without parameters. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

function otlpEncodingOf(request: IncomingMessage): Encoding | 'sniff' {
  const type = mediaTypeOf(request.headers['content-type']);
  if (type === 'application/json') return 'json';
  if (type === 'application/x-protobuf' || type === 'application/protobuf' || type === 'application/vnd.google.protobuf') return 'protobuf';
  if (type === '') return 'sniff';
  throw new HttpError(415, `unsupported Content-Type "${type}"; send ${SUPPORTED_TYPES}`);
}

/** First non-blank byte `{` means JSON; anything else is taken for protobuf. */
function sniff(body: Buffer): Encoding {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b ? 'json' : 'protobuf';
  }
  return 'json';
}

/** One line naming what was rejected and why (the first few, then a count). */
export function describeRejections(result: DecodeResult): string {
  const total = rejectedCount(result);
  const shown = result.rejected.slice(0, 5).map((item) => `${item.path}: ${item.reason}`);
  const more = total > shown.length ? `; and ${total - shown.length} more` : '';
  return `${total} span${total === 1 ? '' : 's'} rejected: ${shown.join('; ')}${more}`;
}

/** What the receivers need from their host. */
export interface ReceiverContext {
  /** Bytes a body may have after decompression. */
  maxBodyBytes: number;
  limits: DecodeLimits;
  /** Takes the decoded spans (the store, or a pause gate in front of it), with the body they came from. */
  accept(spans: Span[], source: SpanSource): void;
}

function send(response: ServerResponse, status: number, contentType: string, body: string | Uint8Array): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  response.end(body);
}

function sendOtlpError(response: ServerResponse, encoding: Encoding, status: number, message: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  if (encoding === 'protobuf') send(response, status, 'application/x-protobuf', encodeRpcStatusProto(RPC_INVALID_ARGUMENT, message));
  else send(response, status, 'application/json', JSON.stringify({ code: RPC_INVALID_ARGUMENT, message }));
}

/**
 * Handles `POST` of an OTLP trace export. Answers in the request's encoding:
 * 200 with `partialSuccess` when some spans were rejected, 400 with a
 * `google.rpc.Status` when the body is unusable or every span was rejected.
 */
export async function receiveOtlp(request: IncomingMessage, response: ServerResponse, context: ReceiverContext): Promise<void> {
  let encoding: Encoding = mediaTypeOf(request.headers['content-type']).includes('protobuf') ? 'protobuf' : 'json';
  try {
    const declared = otlpEncodingOf(request);
    const body = await readBody(request, context.maxBodyBytes);
    encoding = declared === 'sniff' ? sniff(body) : declared;
    // An empty protobuf message is a valid empty export; empty text is not JSON.
    if (encoding === 'json' && body.length === 0) throw new MalformedPayloadError('the body is empty: send an OTLP/JSON ExportTraceServiceRequest');
    const source: SpanSource = { format: encoding === 'json' ? 'otlp-json' : 'otlp-protobuf', bytes: body, receivedAtMs: Date.now() };
    answerOtlp(response, encoding, decodeSpanSource(source, context.limits), source, context);
  } catch (error) {
    if (error instanceof HttpError) return sendOtlpError(response, encoding, error.status, error.message, error.headers);
    if (error instanceof MalformedPayloadError) return sendOtlpError(response, encoding, 400, error.message);
    throw error;
  }
}

function answerOtlp(response: ServerResponse, encoding: Encoding, result: DecodeResult, source: SpanSource, context: ReceiverContext): void {
  const rejectedSpans = rejectedCount(result);
  if (result.spans.length === 0 && rejectedSpans > 0) {
    return sendOtlpError(response, encoding, 400, `no span could be accepted; ${describeRejections(result)}`);
  }
  context.accept(result.spans, source);
  const errorMessage = rejectedSpans > 0 ? describeRejections(result) : '';
  if (encoding === 'protobuf') {
    send(response, 200, 'application/x-protobuf', encodeExportResponseProto(rejectedSpans, errorMessage));
  } else {
    send(response, 200, 'application/json', JSON.stringify(rejectedSpans > 0 ? { partialSuccess: { rejectedSpans, errorMessage } } : {}));
  }
}

/**
 * Handles `POST` to the Respan ingest API: a JSON array of span objects or
 * `{"data": [...]}`. Answers `{"success": true, "ingested_count": N}` (plus the
 * rejections, if any), or 400 with `{"success": false, "error": ...}`.
 */
export async function receiveIngest(request: IncomingMessage, response: ServerResponse, context: ReceiverContext): Promise<void> {
  try {
    const type = mediaTypeOf(request.headers['content-type']);
    if (type !== '' && type !== 'application/json' && type !== 'text/plain') {
      throw new HttpError(415, `unsupported Content-Type "${type}"; the ingest API takes application/json`);
    }
    const body = await readBody(request, context.maxBodyBytes);
    const source: SpanSource = { format: 'respan-ingest-json', bytes: body, receivedAtMs: Date.now() };
    const result = decodeSpanSource(source, context.limits);
    const rejected = rejectedCount(result);
    if (result.spans.length === 0 && rejected > 0) {
      throw new HttpError(400, `no span could be accepted; ${describeRejections(result)}`);
    }
    context.accept(result.spans, source);
    const answer: Record<string, unknown> = { success: true, ingested_count: result.spans.length };
    if (rejected > 0) {
      answer.rejected_count = rejected;
      answer.error_message = describeRejections(result);
    }
    send(response, 200, 'application/json', JSON.stringify(answer));
  } catch (error) {
    if (error instanceof HttpError || error instanceof MalformedPayloadError) {
      const status = error instanceof HttpError ? error.status : 400;
      send(response, status, 'application/json', JSON.stringify({ success: false, error: error.message }));
      return;
    }
    throw error;
  }
}
