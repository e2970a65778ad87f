/**
 * Which SDK sent a span, and the setting that makes it record prompts and
 * completions: what the conversation view says when a model call arrives with
 * a model and token counts but no content.
 */

import type { ContentNotRecorded } from './types';
import type { AttributeMap } from './values';

/** One SDK: how to recognise its spans and how to turn its content capture on. */
interface Sender {
  sdk: string;
  /** Its instrumentation scope names, exactly. */
  scopeNames: readonly string[];
  /** Prefixes of its instrumentation scope names. */
  scopePrefixes: readonly string[];
  /** Attributes only its spans carry. */
  attributes: readonly string[];
  setting: string;
  /** Text it writes in place of the content it hides. */
  placeholder?: string;
}

/**
 * Senders in order of precedence. Traceloop comes before the OpenTelemetry
 * instrumentations because OpenLLMetry's Python instrumentations share the
 * `opentelemetry.instrumentation.` scope prefix; its spans carry
 * `llm.request.type`, the official ones do not.
 */
const SENDERS: readonly Sender[] = [
  {
    sdk: 'Vercel AI SDK',
    scopeNames: ['ai'],
    scopePrefixes: [],
    attributes: ['ai.operationId'],
    setting: 'experimental_telemetry: { recordInputs: true, recordOutputs: true } (both default to true; this call turned them off)',
  },
  {
    sdk: 'OpenInference',
    scopeNames: [],
    scopePrefixes: ['@arizeai/openinference-', 'openinference.instrumentation'],
    attributes: ['openinference.span.kind'],
    setting:
      'unset OPENINFERENCE_HIDE_INPUTS, OPENINFERENCE_HIDE_OUTPUTS, OPENINFERENCE_HIDE_INPUT_MESSAGES, OPENINFERENCE_HIDE_OUTPUT_MESSAGES, OPENINFERENCE_HIDE_INPUT_TEXT and OPENINFERENCE_HIDE_OUTPUT_TEXT (or the hideInputs, hideOutputs, … options of the instrumentation’s traceConfig)',
    placeholder: '__REDACTED__',
  },
  {
    sdk: 'Traceloop (OpenLLMetry)',
    scopeNames: [],
    scopePrefixes: ['@traceloop/', 'traceloop.'],
    attributes: ['llm.request.type', 'traceloop.span.kind'],
    setting: 'TRACELOOP_TRACE_CONTENT=true (and no traceContent: false in initialize)',
  },
  {
    sdk: 'OpenTelemetry GenAI instrumentation',
    scopeNames: [],
    scopePrefixes: ['@opentelemetry/instrumentation-', 'opentelemetry.instrumentation.'],
    attributes: [],
    setting: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (or captureMessageContent: true in the instrumentation’s config)',
  },
];

const UNKNOWN_SENDER_SETTING = 'turn on the recording of prompts and completions (message content) in the SDK or instrumentation that sent this span';

/** The SDK that sent a span, by its instrumentation scope name or the attributes only that SDK writes. */
function senderOf(scopeName: string, attributes: AttributeMap): Sender | undefined {
  return SENDERS.find(
    (sender) =>
      sender.scopeNames.includes(scopeName) ||
      sender.scopePrefixes.some((prefix) => scopeName.startsWith(prefix)) ||
      sender.attributes.some((key) => attributes[key] !== undefined && attributes[key] !== null),
  );
}

/** A span's instrumentation scope as both hosts see it (a `Span`'s or a `SpanJson`'s). */
export interface ScopeLike {
  name: string;
}

/** What the conversation needs to know about the sender of a span. */
export interface SenderCapture {
  /** What to say when the span's content is missing. */
  notRecorded: ContentNotRecorded;
  /** Text the sender writes in place of content it hides: not content. */
  placeholder?: string;
}

/** The capture facts of the SDK that sent a span. */
export function senderCaptureOf(scope: ScopeLike | undefined, attributes: AttributeMap): SenderCapture {
  const sender = senderOf(scope?.name ?? '', attributes);
  if (sender === undefined) return { notRecorded: { setting: UNKNOWN_SENDER_SETTING } };
  const capture: SenderCapture = { notRecorded: { sdk: sender.sdk, setting: sender.setting } };
  if (sender.placeholder !== undefined) capture.placeholder = sender.placeholder;
  return capture;
}
