/**
 * The host side of the webview protocol's requests, answered from the trace
 * store exactly as the query API answers the browser UI. Editor actions
 * (opening files, the clipboard, save dialogs, forwarding) come in through
 * {@link ViewServices}, so this module has no `vscode` import and is tested
 * outside VS Code.
 */

import { decodeTraceFile } from '../core/importFile';
import { rejectedCount } from '../core/model';
import { encodeOtlpJson } from '../core/otlp/export';
import { encodeLeanTrace } from '../core/leanTrace';
import type { TraceTree } from '../core/store';
import type { TraceQuery as StoreQuery } from '../core/store';
import type {
  ForwardResult,
  HostCapabilities,
  ImportResult,
  SourceTarget,
  TraceQuery,
  ViewRequest,
  ViewRequestResults,
} from '../protocol/messages';
import { traceQueryToSearch } from '../protocol/messages';
import { leanTraceHeadJson, spanDetailJson, summaryJson, traceDetailJson } from '../protocol/serialize';
import { describeRejections } from '../server/receivers';
import { traceQueryOf } from '../server/server';
import type { CaptureStore } from './listener';

/** What the panel can ask the editor to do. */
export interface ViewServices {
  openSource(target: SourceTarget): Promise<boolean>;
  copy(text: string): Promise<void>;
  /** Offers to save `content` (a trace export); false when the user cancelled. */
  saveExport(suggestedName: string, content: string): Promise<boolean>;
  forwardTrace(traceId: string): Promise<ForwardResult>;
  /** Whether forwarding is available (a key set and the forwarder wired). */
  canForward(): boolean;
}

/** What this host offers the view. */
export function hostCapabilities(services: ViewServices): HostCapabilities {
  return { openSource: true, copy: true, exportToFile: true, import: true, pin: true, delete: true, forward: services.canForward() };
}

/** The store's query for the view's list filters: the same mapping the query API applies to its URL. */
export function storeQueryOf(query: TraceQuery): StoreQuery {
  return traceQueryOf(new URLSearchParams(traceQueryToSearch(query)));
}

/** The OTLP/JSON export of a trace, as the query API's `/otlp` route writes it; undefined for an unknown trace. */
export function exportTraceJson(store: CaptureStore, traceId: string): string | undefined {
  const tree = store.tree(traceId);
  return tree ? JSON.stringify(encodeOtlpJson(tree.spans), null, 2) : undefined;
}

/** Decodes an imported file into the store; capture pause does not apply to imports. */
export function importTraces(store: CaptureStore, content: string): ImportResult {
  const result = decodeTraceFile(content);
  const rejected = rejectedCount(result);
  store.addImported(result.spans);
  return {
    accepted: result.spans.length,
    rejected,
    traceIds: [...new Set(result.spans.map((span) => span.traceId))],
    ...(rejected > 0 ? { message: describeRejections(result) } : {}),
  };
}

/** A trace's lean form in one buffer (a message carries it whole), built chunk by chunk with a turn of the event loop between chunks. */
async function leanTraceBytes(tree: TraceTree): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (const chunk of encodeLeanTrace(tree, JSON.stringify(leanTraceHeadJson(tree)))) {
    chunks.push(chunk);
    length += chunk.length;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  // A buffer of its own (not a slice of Node's pool), so the message carries exactly these bytes.
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** Thrown for a request the host refuses; the message is shown to the user. */
export class ViewRequestError extends Error {}

/** Answers one request. Rejects with an `Error` whose message the view shows. */
export async function answerViewRequest<R extends ViewRequest>(
  request: R,
  store: CaptureStore,
  services: ViewServices,
): Promise<ViewRequestResults[R['type']]> {
  return (await answer(request, store, services)) as ViewRequestResults[R['type']];
}

async function answer(request: ViewRequest, store: CaptureStore, services: ViewServices): Promise<ViewRequestResults[ViewRequest['type']]> {
  switch (request.type) {
    case 'listTraces': {
      const { traces, total } = store.list(storeQueryOf(request.query ?? {}));
      return { traces: traces.map(summaryJson), total };
    }
    case 'getTrace': {
      const tree = store.tree(request.traceId);
      return tree ? traceDetailJson(tree) : null;
    }
    case 'getLeanTrace': {
      const tree = store.tree(request.traceId);
      return tree ? await leanTraceBytes(tree) : null;
    }
    case 'getSpan':
      return spanDetailJson(store, request.traceId, request.spanId);
    case 'getFacets':
      return store.facetValues();
    case 'openSource':
      return services.openSource(request.target);
    case 'copy':
      await services.copy(request.text);
      return null;
    case 'exportTrace': {
      const json = exportTraceJson(store, request.traceId);
      if (json === undefined) throw new ViewRequestError('This trace is no longer in the inspector.');
      return services.saveExport(`trace-${request.traceId}.json`, json);
    }
    case 'importTraces': {
      const result = importTraces(store, request.content);
      if (result.accepted === 0 && result.rejected > 0) throw new ViewRequestError(`Nothing could be imported from ${request.fileName}: ${result.message}`);
      return result;
    }
    case 'pinTrace':
      if (!store.setPinned(request.traceId, request.pinned)) throw new ViewRequestError('This trace is no longer in the inspector.');
      return null;
    case 'deleteTraces':
      if (request.traceIds === undefined) store.clear();
      else for (const traceId of request.traceIds) store.delete(traceId);
      return null;
    case 'forwardTrace':
      return services.forwardTrace(request.traceId);
  }
}
