/**
 * The receivers on the HTTP port: OTLP/HTTP (JSON and protobuf) traces, logs
 * and metrics on every path the OTel and Respan SDKs use, and the Respan
 * ingest API (WIRE.md §1–3).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeRejections, MalformedPayloadError, rejectedCount } from '../core/model';
import type { DecodeLimits } from '../core/otlp/common';
import { encodeRpcStatusProto } from '../core/otlp/proto';
import { decodeSpanSourceInSteps, type SpanSource } from '../core/spanSource';
import { runInSteps } from '../core/steps';
import { HttpError, readBody } from './body';
import { LOGS, METRICS, TRACES, type DecodedExport, type OtlpSignal, type OtlpSinks } from './signals';
import { nextTurn } from './turns';

/**
 * OTLP/HTTP trace export paths: OTel's own, and the Respan SDKs' under their
 * base URLs. `/api/api/…` is `@respan/tracing` (JS, which appends `/api/v1/traces`)
 * given the `…/api` base URL the Python SDK wants, as one shared
 * `RESPAN_BASE_URL` (the VS Code terminal's) gives both.
 */
export const OTLP_TRACE_PATHS: ReadonlySet<string> = new Set(['/v1/traces', '/api/v1/traces', '/api/v2/traces', '/v2/traces', '/api/api/v1/traces', '/api/api/v2/traces']);

/**
 * OTLP/HTTP logs and metrics export paths: OTel's own, and under the `/api`
 * base URL the Respan SDKs are given (an OTel SDK whose
 * `OTEL_EXPORTER_OTLP_ENDPOINT` ends in `/api` posts there). No Respan SDK
 * exports logs or metrics itself.
 */
export const OTLP_SIGNAL_PATHS: ReadonlyMap<string, OtlpSignal> = new Map([
  ...[...OTLP_TRACE_PATHS].map((path) => [path, TRACES] as const),
  ['/v1/logs', LOGS],
  ['/api/v1/logs', LOGS],
  ['/v1/metrics', METRICS],
  ['/api/v1/metrics', METRICS],
]);

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

/** Why an export whose every item was rejected is refused as a whole (HTTP 400, gRPC INVALID_ARGUMENT); undefined when something was accepted. */
export function nothingAccepted(decoded: DecodedExport, signal: OtlpSignal): string | undefined {
  if (decoded.accepted > 0 || rejectedCount(decoded.rejections) === 0) return undefined;
  return `no ${signal.item} could be accepted; ${describeRejections(decoded.rejections, signal)}`;
}

/** What the receivers need from their host. */
export interface ReceiverContext {
  /** Bytes a body may have after decompression. */
  maxBodyBytes: number;
  limits: DecodeLimits;
  /** Take what was decoded (the store, or a pause gate in front of it). */
  sinks: OtlpSinks;
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
 * Handles `POST` of an OTLP export of `signal`. Answers in the request's
 * encoding: 200 with `partialSuccess` when some items were rejected, 400 with a
 * `google.rpc.Status` when the body is unusable or every item was rejected.
 */
export async function receiveOtlp(request: IncomingMessage, response: ServerResponse, context: ReceiverContext, signal: OtlpSignal): Promise<void> {
  let encoding: Encoding = mediaTypeOf(request.headers['content-type']).includes('protobuf') ? 'protobuf' : 'json';
  try {
    const declared = otlpEncodingOf(request);
    const body = await readBody(request, context.maxBodyBytes);
    encoding = declared === 'sniff' ? sniff(body) : declared;
    // An empty protobuf message is a valid empty export; empty text is not JSON.
    if (encoding === 'json' && body.length === 0) throw new MalformedPayloadError(`the body is empty: send an OTLP/JSON ${signal.requestName}`);
    // A large body decodes in steps, with other requests and ingest let through between them.
    const decoded = await runInSteps(encoding === 'json' ? signal.decodeJson(body, context.limits) : signal.decodeProto(body, context.limits), nextTurn);
    await context.sinks.whenWritable();
    await answerOtlp(response, encoding, decoded, signal, context);
  } catch (error) {
    if (error instanceof HttpError) return sendOtlpError(response, encoding, error.status, error.message, error.headers);
    if (error instanceof MalformedPayloadError) return sendOtlpError(response, encoding, 400, error.message);
    throw error;
  }
}

async function answerOtlp(response: ServerResponse, encoding: Encoding, decoded: DecodedExport, signal: OtlpSignal, context: ReceiverContext): Promise<void> {
  const refused = nothingAccepted(decoded, signal);
  if (refused !== undefined) return sendOtlpError(response, encoding, 400, refused);
  await decoded.deliver(context.sinks);
  const rejected = rejectedCount(decoded.rejections);
  const errorMessage = rejected > 0 ? describeRejections(decoded.rejections, signal) : '';
  if (encoding === 'protobuf') send(response, 200, 'application/x-protobuf', signal.protoAnswer(rejected, errorMessage));
  else send(response, 200, 'application/json', JSON.stringify(signal.jsonAnswer(rejected, errorMessage)));
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
    const result = await runInSteps(decodeSpanSourceInSteps(source, context.limits), nextTurn);
    const rejected = rejectedCount(result);
    if (result.spans.length === 0 && rejected > 0) {
      throw new HttpError(400, `no span could be accepted; ${describeRejections(result)}`);
    }
    await context.sinks.whenWritable();
    await context.sinks.spans(result.spans, source);
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
