/**
 * The LLM view: a span's conversation (normalised by `src/core/llm` from any of
 * the four message conventions) as bubbles, with tool calls, tool results and
 * tool definitions. All content is untrusted text: markdown is shown as
 * written, never rendered.
 */

import { useMemo, useState } from 'preact/hooks';
import type { ChatMessage, ContentNotRecorded, Conversation, MessagePart, ToolCall, ToolDefinition } from '../../src/core/llm/types';
import { CopyButton, Icon, LongText, Section } from './common';
import { JsonView } from './JsonView';
import { Value } from './Value';

const ROLE_ICONS: Record<string, string> = {
  system: 'settings-gear',
  developer: 'settings-gear',
  user: 'account',
  assistant: 'sparkle',
  tool: 'tools',
  input: 'arrow-right',
  output: 'arrow-left',
};

const SOURCE_LABELS: Record<string, string> = {
  traceloop: 'Traceloop gen_ai.prompt / completion',
  genai: 'OTel GenAI messages',
  'genai-events': 'OTel GenAI events',
  openinference: 'OpenInference messages',
  'openinference-io': 'OpenInference input / output',
  'respan-ingest': 'Respan ingest fields',
  'entity-io': 'Traceloop entity input / output',
  'ai-sdk': 'Vercel AI SDK ai.prompt / ai.response',
};

/** The conversation of one span, with a pretty/raw toggle. */
export function ConversationView({ conversation, rawAttributes }: { conversation: Conversation; rawAttributes: Array<[string, unknown]> }) {
  const [raw, setRaw] = useState(false);
  const toolNames = useMemo(() => {
    const names = new Map<string, string>();
    for (const message of conversation.messages) for (const call of message.toolCalls) if (call.id) names.set(call.id, call.name);
    return names;
  }, [conversation]);
  return (
    <div class="conversation" data-testid="conversation">
      <div class="conversation-toolbar">
        <span class="muted" title="Where the messages were read from">
          {conversation.sources.map((source) => SOURCE_LABELS[source] ?? source).join(' · ')}
        </span>
        <span class="segmented" role="group" aria-label="Display">
          <button type="button" class={raw ? '' : 'active'} aria-pressed={!raw} onClick={() => setRaw(false)}>
            Pretty
          </button>
          <button type="button" class={raw ? 'active' : ''} aria-pressed={raw} onClick={() => setRaw(true)} data-testid="conversation-raw">
            Raw
          </button>
        </span>
      </div>
      {raw ? (
        <RawAttributes entries={rawAttributes} />
      ) : conversation.notRecorded ? (
        <NotRecordedNote reason={conversation.notRecorded} />
      ) : (
        <div class="messages">
          {conversation.messages.map((message, i) => (
            <MessageBubble key={i} message={message} toolNames={toolNames} />
          ))}
          {conversation.messages.length === 0 && <div class="muted">No messages, only tool definitions.</div>}
        </div>
      )}
      {conversation.tools.length > 0 && (
        <Section title={`Tools offered (${conversation.tools.length})`} open={false} testId="tool-definitions">
          {conversation.tools.map((tool, i) => (
            <ToolDefinitionView key={i} tool={tool} />
          ))}
        </Section>
      )}
    </div>
  );
}

/** In place of the messages of a model call whose SDK recorded no content: why, and the setting that records it. */
function NotRecordedNote({ reason }: { reason: ContentNotRecorded }) {
  return (
    <div class="conversation-not-recorded" data-testid="content-not-recorded">
      <Icon name="info" /> No prompt or completion was recorded: this model call has a model and token counts, but{' '}
      {reason.sdk ? <strong>{reason.sdk}</strong> : 'the SDK that sent it'} did not record message content. To record it:{' '}
      <span class="code">{reason.setting}</span>
    </div>
  );
}

/** The attributes the conversation was read from, verbatim. */
function RawAttributes({ entries }: { entries: Array<[string, unknown]> }) {
  return (
    <div class="raw-attributes">
      {entries.map(([key, value]) => (
        <div class="raw-attribute" key={key}>
          <div class="raw-key">
            <span>{key}</span>
            <CopyButton text={typeof value === 'string' ? value : JSON.stringify(value, null, 2)} what={key} />
          </div>
          <LongText text={typeof value === 'string' ? value : JSON.stringify(value, null, 2)} class="code" />
        </div>
      ))}
    </div>
  );
}

function MessageBubble({ message, toolNames }: { message: ChatMessage; toolNames: Map<string, string> }) {
  const role = message.role || (message.direction === 'input' ? 'input' : 'output');
  const answered = message.toolCallId ? toolNames.get(message.toolCallId) : undefined;
  const text = message.parts
    .filter((part): part is Extract<MessagePart, { text: string }> => 'text' in part && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
  return (
    <div class={`bubble role-${cssToken(role)} ${message.direction}`} data-role={role}>
      <div class="bubble-header">
        <Icon name={ROLE_ICONS[role] ?? 'comment'} />
        <span class="bubble-role">{role}</span>
        {message.name && <span class="bubble-name">{message.name}</span>}
        {message.toolCallId && (
          <span class="bubble-meta" title="The tool call this message answers">
            ↩ {answered ? `${answered} ` : ''}
            <code>{message.toolCallId}</code>
          </span>
        )}
        {message.finishReason && <span class="badge" title="Finish reason">{message.finishReason}</span>}
        <span class="bubble-spacer" />
        {text && <CopyButton text={text} what="message text" />}
      </div>
      <div class="bubble-body">
        {message.parts.map((part, i) => (
          <PartView key={i} part={part} toolNames={toolNames} />
        ))}
        {message.toolCalls.map((call, i) => (
          <ToolCallView key={`call-${i}`} call={call} />
        ))}
        {message.parts.length === 0 && message.toolCalls.length === 0 && <span class="muted">(empty)</span>}
      </div>
    </div>
  );
}

function PartView({ part, toolNames }: { part: MessagePart; toolNames: Map<string, string> }) {
  switch (part.type) {
    case 'text':
      return <LongText text={part.text} class="message-text" />;
    case 'reasoning':
      return (
        <details class="reasoning">
          <summary>
            <Icon name="lightbulb" /> Reasoning{part.redacted ? ' (redacted)' : ''}
          </summary>
          <LongText text={part.text} class="message-text" />
        </details>
      );
    case 'refusal':
      return (
        <div class="refusal">
          <Icon name="circle-slash" /> Refused: <LongText text={part.text} class="inline" />
        </div>
      );
    case 'image':
      // Only inline data: images are drawn (the CSP allows nothing remote); a URL is shown as text.
      return part.url.startsWith('data:image/') ? (
        <img class="message-image" src={part.url} alt="Image from the conversation" />
      ) : (
        <div class="media">
          <Icon name="file-media" /> Image: <span class="code">{part.url}</span>
        </div>
      );
    case 'media':
      return (
        <div class="media">
          <Icon name="file-media" /> {part.modality ?? 'file'} {part.mimeType ? `(${part.mimeType})` : ''}{' '}
          <span class="code">{part.uri ?? part.fileId ?? part.filename ?? (part.data ? `${part.data.length} base64 characters` : '')}</span>
        </div>
      );
    case 'tool_result':
      return (
        <div class={`tool-result${part.isError ? ' error' : ''}`}>
          <div class="tool-result-header">
            <Icon name={part.isError ? 'error' : 'output'} /> Result
            {part.toolCallId && (
              <span class="muted">
                {' '}
                of {toolNames.get(part.toolCallId) ?? 'call'} <code>{part.toolCallId}</code>
              </span>
            )}
          </div>
          <Value value={part.content} openDepth={2} />
        </div>
      );
    case 'json':
      return <JsonView value={part.value} openDepth={2} />;
  }
}

function ToolCallView({ call }: { call: ToolCall }) {
  return (
    <div class="tool-call" data-testid="tool-call">
      <div class="tool-call-header">
        <Icon name="tools" />
        <span class="tool-name">{call.name || '(unnamed tool)'}</span>
        {call.id && <code class="muted">{call.id}</code>}
        <span class="bubble-spacer" />
        {call.arguments !== undefined && (
          <CopyButton text={typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments, null, 2)} what="arguments" />
        )}
      </div>
      {call.arguments === undefined ? <span class="muted">no arguments</span> : <Value value={call.arguments} openDepth={3} />}
    </div>
  );
}

function ToolDefinitionView({ tool }: { tool: ToolDefinition }) {
  return (
    <div class="tool-definition">
      <div class="tool-call-header">
        <Icon name="symbol-method" />
        <span class="tool-name">{tool.name}</span>
        {tool.type && <span class="badge">{tool.type}</span>}
      </div>
      {tool.description && <LongText text={tool.description} class="muted" limit={300} />}
      {tool.parameters !== undefined && <JsonView value={tool.parameters} openDepth={1} />}
    </div>
  );
}

/** A role as a class-name-safe token (roles are sender-chosen strings). */
function cssToken(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]/g, '_').slice(0, 32);
}
