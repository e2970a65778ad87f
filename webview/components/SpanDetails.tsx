/**
 * Details of the selected span: what it is and how long it took, then what a
 * developer came for (exception, LLM conversation, entity input/output), then
 * every attribute, grouped, with log records, events, links, resource and scope.
 */

import { useMemo } from 'preact/hooks';
import { conversationOf, entityIO, requestSettings } from '../../src/core/llm/conversation';
import type { RequestSettings } from '../../src/core/llm/conversation';
import { exceptionsOf, type ExceptionInfo } from '../../src/core/source/exception';
import type { StackFrame } from '../../src/core/source/stack';
import type { RespanField } from '../../src/core/model';
import type { SpanJson } from '../../src/protocol/api';
import type { SourceTarget } from '../../src/protocol/messages';
import { useServices } from '../context';
import { attributeGroupOf, groupAttributes } from '../model/attributes';
import { formatClock, formatCount, formatDuration } from '../model/format';
import { isLlmKind, kindInfo } from '../model/kinds';
import { CopyButton, Fact, Icon, IconButton, LongText, Section } from './common';
import { ConversationView } from './Conversation';
import { CostBreakdown, CostFact } from './CostDetails';
import { ErrorBoundary } from './ErrorBoundary';
import { JsonView } from './JsonView';
import { DottedKey, KeyValues } from './KeyValues';
import { LogList, spanLogRows } from './Logs';
import { Value } from './Value';

export interface SpanDetailsProps {
  span: SpanJson;
  /** Epoch ms of the trace's first span, for relative times. */
  traceStartMs: number;
  /** Trace ids the app knows, to make links clickable. */
  knownTrace(traceId: string): boolean;
}

const ENTITY_KINDS = new Set(['workflow', 'task', 'agent', 'tool', 'chain', 'session', 'handoff', 'guardrail', 'evaluator']);

export function SpanDetails({ span, traceStartMs, knownTrace }: SpanDetailsProps) {
  const { capabilities, host, notify, openTrace, copy } = useServices();
  const info = kindInfo(span.displayKind);
  const conversation = useMemo(() => conversationOf(span), [span]);
  const io = useMemo(() => entityIO(span.attributes), [span]);
  const settings = useMemo(() => requestSettings(span.attributes), [span]);
  const groups = useMemo(() => groupAttributes(span.attributes), [span]);
  const exceptions = useMemo(() => exceptionsOf(span), [span]);
  const logs = useMemo(() => spanLogRows(span.events), [span]);
  const events = useMemo(() => span.events.filter((event) => event.log === undefined), [span]);
  const isLlm = isLlmKind(span.displayKind) || span.model !== null || (conversation !== undefined && conversation.source !== 'entity-io');
  const showIo = io !== undefined && (ENTITY_KINDS.has(span.displayKind) || !conversation || conversation.source === 'entity-io');

  const openSource = (target: SourceTarget) => {
    host.openSource(target).then(
      (found) => found || notify(`Could not find ${target.filePath} in the workspace.`, 'error'),
      (error: Error) => notify(error.message, 'error'),
    );
  };

  return (
    <div class="span-details" data-testid="span-details" tabIndex={-1}>
      <div class="details-header">
        <Icon name={info.icon} class={`kind-${span.displayKind}`} title={info.label} />
        <h2 class="details-title" title={span.name}>
          {span.name}
        </h2>
        {span.isError && (
          <span class="badge error" data-testid="error-badge">
            <Icon name="error" /> Error
          </span>
        )}
        <span class="bubble-spacer" />
        <CopyButton text={span.spanId} what="span id" />
        <IconButton icon="json" title="Copy span as JSON" onClick={() => copy(JSON.stringify(span, null, 2), 'span JSON')} />
      </div>
      <div class="facts">
        <Fact label="Kind">
          {info.label}
          <span class="muted"> · {span.kind.toLowerCase()}</span>
        </Fact>
        <Fact label="Status">
          <span class={span.status.code === 'ERROR' ? 'error-text' : ''}>{span.status.code.toLowerCase()}</span>
          {span.status.message && <span class="muted"> · {span.status.message}</span>}
        </Fact>
        <Fact label="Duration">{formatDuration(span.durationMs)}</Fact>
        <Fact label="Start" title={`${span.startTimeUnixNano} ns since the epoch`}>
          {formatClock(span.startTimeMs)}
          <span class="muted"> · +{formatDuration(span.startTimeMs - traceStartMs)}</span>
        </Fact>
        {span.service && <Fact label="Service">{span.service}</Fact>}
        {span.run && (
          <Fact label="Run" title={span.run.id}>
            {span.run.label}
            <span class="muted"> · first span {formatClock(span.run.firstSeenMs)}</span>
          </Fact>
        )}
        {span.model && <Fact label="Model">{span.model}</Fact>}
        {span.provider && <Fact label="Provider">{span.provider}</Fact>}
        {span.tokens && (
          <Fact label="Tokens">
            {tokenText(span.tokens)}
            {span.tokensCountedInDescendant && <NotInTotal testId="tokens-not-in-total" />}
          </Fact>
        )}
        <CostFact span={span}>{span.costCountedInDescendant && <NotInTotal testId="cost-not-in-total" />}</CostFact>
        {span.streaming?.timeToFirstTokenMs !== undefined && <Fact label="Time to first token">{formatDuration(span.streaming.timeToFirstTokenMs)}</Fact>}
        {span.streaming?.tokensPerSecond !== undefined && (
          <Fact label="Tokens per second">
            {span.streaming.tokensPerSecond.toFixed(1)}
            {span.streaming.tokensPerSecondSource === 'computed' && <span class="muted"> · output tokens after the first, over the time they took</span>}
          </Fact>
        )}
        {span.entityPath && <Fact label="Entity path">{span.entityPath}</Fact>}
        {span.workflowName && <Fact label="Workflow">{span.workflowName}</Fact>}
        {span.sourceLocation && (
          <Fact label="Source">
            {capabilities.openSource ? (
              <button type="button" class="link-button" onClick={() => openSource(span.sourceLocation!)}>
                {locationText(span.sourceLocation)}
              </button>
            ) : (
              <span class="code">{locationText(span.sourceLocation)}</span>
            )}
          </Fact>
        )}
        <Fact label="Span id">
          <code>{span.spanId}</code>
        </Fact>
        {span.parentSpanId && (
          <Fact label="Parent">
            <code>{span.parentSpanId}</code>
            {span.orphan && <span class="warning-text"> (not received)</span>}
          </Fact>
        )}
      </div>

      {span.pricing?.rates && (
        <Section title="Cost" testId="cost-section">
          {() => <CostBreakdown span={span} />}
        </Section>
      )}

      {exceptions.map((exception, i) => (
        <ErrorBoundary key={i} part="exception">
          <ExceptionView exception={exception} canOpen={capabilities.openSource} onOpen={openSource} />
        </ErrorBoundary>
      ))}

      {isLlm && conversation && conversation.source !== 'entity-io' && (
        <Section title="Conversation" testId="llm-section">
          {() => (
            <>
              <SettingsLine settings={settings} />
              <ConversationView conversation={conversation} rawAttributes={Object.entries(span.attributes).filter(([key]) => attributeGroupOf(key) === 'llm' || key.startsWith('input.') || key.startsWith('output.'))} />
            </>
          )}
        </Section>
      )}

      {showIo && io && (
        <Section title="Input / output" testId="entity-io">
          {() => (
            <>
              {io.call ? (
                <div class="io-block">
                  <div class="io-label">Arguments</div>
                  {io.call.args.length === 0 && Object.keys(io.call.kwargs).length === 0 && <span class="muted">none</span>}
                  {io.call.args.map((arg, i) => (
                    <div class="kv" key={`a${i}`}>
                      <span class="kv-key">#{i}</span>
                      <div class="kv-value">
                        <Value value={arg} openDepth={2} />
                      </div>
                    </div>
                  ))}
                  {Object.entries(io.call.kwargs).map(([key, value]) => (
                    <div class="kv" key={`k${key}`}>
                      <span class="kv-key">{key}</span>
                      <div class="kv-value">
                        <Value value={value} openDepth={2} />
                      </div>
                    </div>
                  ))}
                </div>
              ) : (
                io.input !== undefined && (
                  <div class="io-block">
                    <div class="io-label">Input</div>
                    <Value value={io.input} openDepth={2} />
                  </div>
                )
              )}
              {io.output !== undefined && (
                <div class="io-block">
                  <div class="io-label">Output</div>
                  <Value value={io.output} openDepth={2} />
                </div>
              )}
            </>
          )}
        </Section>
      )}

      {span.respan && (
        <Section title="Respan parameters" testId="respan-params">
          {() => <RespanParamsView params={span.respan!} />}
        </Section>
      )}

      <Section title={`Attributes (${Object.keys(span.attributes).length})`} testId="attributes">
        {() => (
          <>
            {groups.length === 0 && <span class="muted">No attributes.</span>}
            {groups.map((group) => (
              <div class="attribute-group" key={group.id}>
                <div class="group-title">{group.title}</div>
                <KeyValues entries={group.entries} />
              </div>
            ))}
          </>
        )}
      </Section>

      {logs.length > 0 && (
        <Section title={`Logs (${logs.length})`} testId="span-logs">
          {() => <LogList rows={logs} originMs={span.startTimeMs} />}
        </Section>
      )}

      {events.length > 0 && (
        <Section title={`Events (${events.length})`}>
          {() => (
            <>
              {events.map((event, i) => (
                <div class="event" key={i}>
                  <div class="event-header">
                    <Icon name="symbol-event" />
                    <span class="event-name">{event.name}</span>
                    <span class="muted">+{formatDuration(event.timeMs - span.startTimeMs)}</span>
                  </div>
                  {Object.keys(event.attributes).length > 0 && <KeyValues entries={Object.entries(event.attributes)} />}
                </div>
              ))}
            </>
          )}
        </Section>
      )}

      {span.links.length > 0 && (
        <Section title={`Links (${span.links.length})`}>
          {() => (
            <>
              {span.links.map((link, i) => (
                <div class="link" key={i}>
                  <Icon name="link" />
                  {knownTrace(link.traceId) ? (
                    <button type="button" class="link-button" onClick={() => openTrace(link.traceId, link.spanId)}>
                      trace {link.traceId.slice(0, 8)}… span {link.spanId.slice(0, 8)}
                    </button>
                  ) : (
                    <span class="code" title="The linked trace is not in the inspector">
                      trace {link.traceId} span {link.spanId}
                    </span>
                  )}
                  {Object.keys(link.attributes).length > 0 && <KeyValues entries={Object.entries(link.attributes)} />}
                </div>
              ))}
            </>
          )}
        </Section>
      )}

      <Section title="Resource" open={false}>
        {() => <KeyValues entries={Object.entries(span.resource).sort(([a], [b]) => a.localeCompare(b))} />}
      </Section>
      <Section title={`Scope: ${span.scope.name || '(unnamed)'}${span.scope.version ? ` ${span.scope.version}` : ''}`} open={false}>
        {() => (Object.keys(span.scope.attributes).length === 0 ? <span class="muted">No scope attributes.</span> : <KeyValues entries={Object.entries(span.scope.attributes)} />)}
      </Section>
      <Section title="Span JSON" open={false}>
        {() => <JsonView value={span} openDepth={1} />}
      </Section>
    </div>
  );
}

/** Why a span's own usage is left out of the trace total. */
function NotInTotal({ testId }: { testId: string }) {
  return (
    <span class="muted" data-testid={testId} title="One call traced twice (an SDK's own span under an instrumentation's, a framework's span over or beside its client's) is counted once, at the innermost span that carries usage.">
      {' '}
      · not in the trace total: another span reports the same call
    </span>
  );
}

type RespanParamsJson = NonNullable<SpanJson['respan']>;

/** The single-valued Respan parameters as the details name them, in display order. */
const RESPAN_FIELD_LABELS: ReadonlyArray<readonly [RespanField, string]> = [
  ['customerIdentifier', 'customer'],
  ['customerName', 'customer name'],
  ['customerEmail', 'customer email'],
  ['threadIdentifier', 'thread'],
  ['traceGroupIdentifier', 'trace group'],
  ['customIdentifier', 'custom id'],
  ['environment', 'environment'],
];

/** Customer, thread, … each with the attribute it was read from; then the metadata. */
function RespanParamsView({ params }: { params: RespanParamsJson }) {
  const metadata = Object.entries(params.metadata ?? {});
  return (
    <>
      <div class="kv-list" data-testid="respan-fields">
        {RESPAN_FIELD_LABELS.map(([field, label]) => {
          const value = params[field];
          const source = params.sources?.[field];
          return (
            value !== undefined && (
              <div class="kv" key={field} data-testid={`respan-${field}`}>
                <span class="kv-key">{label}</span>
                <div class="kv-value">
                  {value}
                  {source && (
                    <span class="muted">
                      {' '}
                      (from{' '}
                      <span class="code">
                        <DottedKey text={source} />
                      </span>
                      )
                    </span>
                  )}
                </div>
                <CopyButton text={value} what={label} />
              </div>
            )
          );
        })}
      </div>
      {metadata.length > 0 && (
        <div class="attribute-group" data-testid="respan-metadata">
          <div class="group-title">Metadata</div>
          <KeyValues entries={metadata} />
        </div>
      )}
    </>
  );
}

function ExceptionView({ exception, canOpen, onOpen }: { exception: ExceptionInfo; canOpen: boolean; onOpen(target: SourceTarget): void }) {
  const lines = useMemo(() => {
    const frames = new Map<string, StackFrame>();
    for (const frame of exception.frames) frames.set(frame.raw, frame);
    return (exception.stacktrace ?? '').split(/\r?\n/).map((text) => ({ text, frame: frames.get(text) }));
  }, [exception]);
  return (
    <div class="exception" data-testid="exception">
      <div class="exception-header">
        <Icon name="error" />
        <span class="exception-type">{exception.type ?? 'Exception'}</span>
        {exception.stacktrace && <CopyButton text={exception.stacktrace} what="stack trace" />}
      </div>
      {exception.message && <LongText text={exception.message} class="exception-message" />}
      {exception.stacktrace && (
        <div class="stack">
          {lines.map(({ text, frame }, i) => {
            const kind = frame ? (frame.isLibrary ? ' frame library' : ' frame') : '';
            return frame && canOpen ? (
              <button
                type="button"
                key={i}
                class={`stack-line${kind}`}
                onClick={() => onOpen({ filePath: frame.filePath, line: frame.line, column: frame.column, functionName: frame.functionName })}
                title={`Open ${frame.filePath}${frame.line ? `:${frame.line}` : ''}`}
              >
                {text}
              </button>
            ) : (
              <div key={i} class={`stack-line${kind}`}>
                {text}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

function SettingsLine({ settings }: { settings: RequestSettings }) {
  const items: Array<[string, string]> = [];
  if (settings.temperature !== undefined) items.push(['temperature', String(settings.temperature)]);
  if (settings.maxTokens !== undefined) items.push(['max tokens', String(settings.maxTokens)]);
  if (settings.topP !== undefined) items.push(['top p', String(settings.topP)]);
  if (settings.topK !== undefined) items.push(['top k', String(settings.topK)]);
  if (settings.frequencyPenalty !== undefined) items.push(['frequency penalty', String(settings.frequencyPenalty)]);
  if (settings.presencePenalty !== undefined) items.push(['presence penalty', String(settings.presencePenalty)]);
  if (settings.seed !== undefined) items.push(['seed', String(settings.seed)]);
  if (settings.choiceCount !== undefined) items.push(['n', String(settings.choiceCount)]);
  if (settings.stopSequences) items.push(['stop', settings.stopSequences.map((s) => JSON.stringify(s)).join(', ')]);
  if (settings.streaming !== undefined) items.push(['streaming', settings.streaming ? 'yes' : 'no']);
  if (settings.reasoningEffort) items.push(['reasoning effort', settings.reasoningEffort]);
  for (const [key, value] of Object.entries(settings.other ?? {})) items.push([key, typeof value === 'string' ? value : JSON.stringify(value)]);
  if (items.length === 0) return null;
  return (
    <div class="settings-line" data-testid="llm-settings">
      {items.map(([key, value]) => (
        <span class="setting" key={key}>
          <span class="muted">{key}</span> {value}
        </span>
      ))}
    </div>
  );
}

function tokenText(tokens: NonNullable<SpanJson['tokens']>): string {
  const parts: string[] = [];
  if (tokens.input !== undefined) parts.push(`${formatCount(tokens.input)} in`);
  if (tokens.output !== undefined) parts.push(`${formatCount(tokens.output)} out`);
  if (tokens.total !== undefined) parts.push(`${formatCount(tokens.total)} total`);
  if (tokens.cacheRead) parts.push(`${formatCount(tokens.cacheRead)} cache read`);
  if (tokens.cacheWrite) parts.push(`${formatCount(tokens.cacheWrite)} cache write`);
  if (tokens.reasoning) parts.push(`${formatCount(tokens.reasoning)} reasoning`);
  return parts.join(' · ') || '–';
}

function locationText(location: NonNullable<SpanJson['sourceLocation']>): string {
  const position = location.line !== undefined ? `:${location.line}${location.column !== undefined ? `:${location.column}` : ''}` : '';
  return `${location.filePath}${position}${location.functionName ? ` (${location.functionName})` : ''}`;
}
