// Shared helpers of the extension-host suites: the extension's test-only API,
// waiting for conditions, the inspector process's client, and a real
// OpenTelemetry SDK that sends to the listener.
import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { context as otelContext, trace, type Attributes, type Span as OtelSpan } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as vscode from 'vscode';
import type { InspectorTestApi } from '../../../src/extension/extension';
import type { InspectorExtension } from '../../../src/extension/inspector';
import type { InspectorClient } from '../../../src/extension/inspectorClient';
import type { TraceSummaryJson } from '../../../src/protocol/api';

/** The extension's id (publisher.name). */
export const EXTENSION_ID = 'respan.respan-trace-inspector';

/** The extension under test, activated. */
export async function extensionApi(): Promise<InspectorTestApi> {
  const extension = vscode.extensions.getExtension<InspectorTestApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not among the loaded extensions`);
  return extension.isActive ? extension.exports : extension.activate();
}

/** The running extension's internals. */
export async function inspector(): Promise<InspectorExtension> {
  return (await extensionApi()).inspector;
}

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The inspector process's URL once this window is attached to it. */
export async function listenerUrl(): Promise<string> {
  const ext = await inspector();
  return waitFor('the listener to run', () => {
    const state = ext.connection.state;
    return state.status === 'running' ? state.url : undefined;
  });
}

/** The extension's client of the inspector process, once attached: tests read the traces where they live. */
export async function processClient(): Promise<InspectorClient> {
  const ext = await inspector();
  // A settings change may be moving the window to another process: wait for it to settle.
  await ext.connection.idle();
  return waitFor('the window attached to the process', () => ext.connection.client);
}

/** The process's summary of a trace, or undefined while it does not hold it. */
export async function traceSummary(traceId: string): Promise<TraceSummaryJson | undefined> {
  return (await (await processClient()).call('listTraces', { query: { traceIds: [traceId] } })).traces[0];
}

/** One span to record: name, attributes, events, children. */
export interface SpanPlan {
  name: string;
  attributes?: Attributes;
  events?: Array<{ name: string; attributes: Attributes }>;
  error?: string;
  children?: SpanPlan[];
}

/** Ids of the spans sent, by name. */
export interface SentTrace {
  traceId: string;
  spanIds: Map<string, string>;
}

/**
 * Sends one trace through the real OpenTelemetry JS SDK and its OTLP/HTTP
 * protobuf exporter, as an instrumented app would, and waits until the
 * inspector process holds every span.
 */
export async function sendTrace(plan: SpanPlan, resource: Attributes = { 'service.name': 'vscode-suite' }): Promise<SentTrace> {
  const url = await listenerUrl();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
  const tracer = provider.getTracer('vscode-suite');
  const spanIds = new Map<string, string>();
  let traceId = '';
  // Explicit, distinct times: spans started within one millisecond would otherwise order by chance.
  const base = Date.now() - 1000;
  let started = 0;
  let ended = 0;
  const record = (step: SpanPlan, parent: OtelSpan | undefined) => {
    const span = tracer.startSpan(step.name, { attributes: step.attributes, startTime: base + started++ }, parent ? trace.setSpan(otelContext.active(), parent) : undefined);
    spanIds.set(step.name, span.spanContext().spanId);
    traceId = span.spanContext().traceId;
    for (const event of step.events ?? []) span.addEvent(event.name, event.attributes);
    if (step.error) span.setStatus({ code: 2, message: step.error });
    for (const child of step.children ?? []) record(child, span);
    span.end(base + 500 + ended++);
  };
  record(plan, undefined);
  await provider.forceFlush();
  await provider.shutdown();
  await waitFor(`trace ${traceId} in the inspector`, async () => (await traceSummary(traceId))?.spanCount === spanIds.size);
  return { traceId, spanIds };
}

/** The workspace folder the harness copied the fixtures into. */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite needs a workspace folder (test/vscode/fixtures/workspace)');
  return folder.uri;
}

/** Closes every editor, so a test sees only what it opened. */
export async function closeEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
