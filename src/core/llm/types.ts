/**
 * The one conversation model every LLM message convention is normalised into
 * (WIRE.md §4). The UI renders only this.
 */

/** Which convention a conversation (or one direction of it) was read from. */
export type ConversationSource =
  /** Traceloop/OpenLLMetry legacy indexed `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*`. */
  | 'traceloop'
  /** OTel GenAI `gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions`. */
  | 'genai'
  /** OTel GenAI span events (`gen_ai.user.message`, `gen_ai.choice`, …, and the older `gen_ai.content.*`). */
  | 'genai-events'
  /** OpenInference `llm.input_messages.{i}.*` / `llm.output_messages.{i}.*`. */
  | 'openinference'
  /** OpenInference `input.value` / `output.value`, when there are no messages. */
  | 'openinference-io'
  /** Respan ingest fields `prompt_messages`, `completion_message`, `input`, `output`. */
  | 'respan-ingest'
  /** Chat messages found inside `traceloop.entity.input` / `traceloop.entity.output`. */
  | 'entity-io'
  /** The Vercel AI SDK's `ai.prompt.messages` / `ai.prompt`, `ai.response.*` and `ai.toolCall.*`. */
  | 'ai-sdk';

/** Whether a message was sent to the model or produced by it. */
export type MessageDirection = 'input' | 'output';

/**
 * A message role. The usual values are listed; anything else a sender used is
 * kept (lowercased). Fallback messages built from non-chat `input.value` /
 * `output.value` use the roles `input` and `output`.
 */
export type MessageRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'input' | 'output' | (string & {});

/** Plain text. */
export interface TextPart {
  type: 'text';
  text: string;
}

/** Model reasoning ("thinking"). `redacted` when the provider withheld it. */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  redacted?: boolean;
}

/** A refusal by the model (OpenAI `refusal`). */
export interface RefusalPart {
  type: 'refusal';
  text: string;
}

/** An image, by `http(s):` URL or as a `data:` URL built from inline base64. */
export interface ImagePart {
  type: 'image';
  url: string;
  mimeType?: string;
}

/**
 * Any other media or file reference (audio, documents, uploaded files).
 * `kind` says how it was referenced: inline base64 (`blob`, in `data`), a
 * provider file id (`file`, in `fileId`), or a URI (`uri`, in `uri`).
 */
export interface MediaPart {
  type: 'media';
  kind: 'blob' | 'file' | 'uri';
  /** `image`, `audio`, `video`, `document`, … when known. */
  modality?: string;
  mimeType?: string;
  uri?: string;
  fileId?: string;
  filename?: string;
  /** Base64 content of a `blob`. */
  data?: string;
}

/** The result of a tool call, sent back to the model. */
export interface ToolResultPart {
  type: 'tool_result';
  toolCallId?: string;
  /** As sent: usually a string (often JSON text), sometimes structured. */
  content: unknown;
  isError?: boolean;
}

/** Structured content that is not one of the known part types, kept verbatim. */
export interface JsonPart {
  type: 'json';
  value: unknown;
}

/** One piece of a message's content. */
export type MessagePart = TextPart | ReasoningPart | RefusalPart | ImagePart | MediaPart | ToolResultPart | JsonPart;

/** A tool (function) call requested by the model. */
export interface ToolCall {
  id?: string;
  /** Empty when the sender gave none. */
  name: string;
  /** Parsed JSON when the arguments were JSON text, else the raw value (string or structure); undefined when absent. */
  arguments: unknown;
}

/** One message of a conversation. */
export interface ChatMessage {
  role: MessageRole;
  direction: MessageDirection;
  /** Participant or function name (`name` of OpenAI/OTel messages). */
  name?: string;
  parts: MessagePart[];
  toolCalls: ToolCall[];
  /** For tool results: the call this message answers. */
  toolCallId?: string;
  finishReason?: string;
}

/** A tool offered to the model. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON schema of the arguments (parsed when it was JSON text). */
  parameters?: unknown;
  /** Provider tool type when not a plain function (e.g. Anthropic `web_search_20250305`). */
  type?: string;
  /** The definition as the sender wrote it (the raw text when it was not JSON). */
  definition: unknown;
}

/** Why a model call's conversation is empty, and how to fill it. */
export interface ContentNotRecorded {
  /** The SDK that sent the span, as its users know it; absent when the span does not say. */
  sdk?: string;
  /** The setting that makes that SDK record content. */
  setting: string;
}

/** A span's LLM conversation, normalised. */
export interface Conversation {
  /** Input messages, then output messages, each in the order the sender gave. */
  messages: ChatMessage[];
  tools: ToolDefinition[];
  /** Where the messages were read from (the input's source when both directions have one); absent when nothing was. */
  source?: ConversationSource;
  /** Every source that contributed messages or tools, without repeats, in order of use. */
  sources: ConversationSource[];
  /**
   * Set when the span is a model call (it names a model and counts tokens)
   * whose messages hold no content: its SDK was told not to record it.
   */
  notRecorded?: ContentNotRecorded;
}
