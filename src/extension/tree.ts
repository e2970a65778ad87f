/**
 * The Traces view: traces (newest first, live) → spans as a tree, read from
 * the inspector process (`listTraces`, and `getTrace` when a trace is
 * expanded). Live change events refresh only what changed, a few times a
 * second at most: the root list when traces arrive or leave, otherwise just
 * the updated traces.
 */

import * as vscode from 'vscode';
import { jumpTargetsOf } from '../core/source/jump';
import type { StoreChangeJson, TraceForwardingJson, TraceSummaryJson } from '../protocol/api';
import type { TraceQuery } from '../protocol/query';
import type { ServiceCall } from '../protocol/service';
import { formatCount, kindIcon, spanDescription, spanFacts, traceDescription, traceFacts } from './presentation';
import { OUTLINE_SPAN_LIMIT, TraceOutline } from './traceOutline';

/** URI scheme of tree items, for error decorations. */
export const DECORATION_SCHEME = 'respan-inspector';

/** A trace in the view. */
export class TraceNode {
  readonly kind = 'trace';
  /** The trace's spans, fetched on first expansion and dropped when the trace changes. */
  outline: TraceOutline | undefined;
  /** Span nodes handed out since the last change, by span id. */
  readonly spans = new Map<string, SpanNode>();
  constructor(readonly traceId: string) {}
}

/** A span in the view. */
export class SpanNode {
  readonly kind = 'span';
  constructor(
    readonly trace: TraceNode,
    readonly spanId: string,
    readonly parent: TraceNode | SpanNode,
    readonly depth: number,
  ) {}

  get traceId(): string {
    return this.trace.traceId;
  }
}

/** The row after the newest traces when more are stored than the view lists, or under a trace too large to list. */
export class MoreNode {
  readonly kind = 'more';
  constructor(
    readonly hidden: number,
    readonly what: 'traces' | 'spans',
  ) {}
}

/** Any element of the Traces view. */
export type TracesNode = TraceNode | SpanNode | MoreNode;

/** Traces listed at most; older ones are in the panel. Enough for a working session, cheap to list. */
const LIST_LIMIT = 200;

/** Minimum time between two refreshes, so a flood of spans costs a few refreshes a second. */
const REFRESH_INTERVAL_MS = 250;

/** A span's tree item URI, for the decoration provider. */
export function spanUri(traceId: string, spanId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DECORATION_SCHEME, path: `/span/${traceId}/${spanId}` });
}

function markdownFacts(title: string, facts: Array<[string, string]>): vscode.MarkdownString {
  const escape = (text: string) => text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
  const markdown = new vscode.MarkdownString(`**${escape(title)}**\n\n`);
  markdown.appendMarkdown(facts.map(([label, value]) => `${escape(label)}: ${escape(value)}`).join('  \n'));
  return markdown;
}

/** Statistics about refreshes, for tests and for measuring that refreshes stay small. */
export interface RefreshStats {
  /** Refreshes of the whole root list. */
  root: number;
  /** Refreshes of single traces. */
  traces: number;
}

/** Short words for a trace's forwarding state, shown in the tree. */
export const FORWARD_STATE_LABELS: Record<TraceForwardingJson['state'], string | undefined> = {
  none: undefined,
  pending: 'queued for Respan',
  sending: 'sending to Respan',
  sent: 'sent to Respan',
  failed: 'forward failed',
  skipped: 'not forwarded (filtered)',
};

/** The Traces view's data provider. */
export class TracesTreeProvider implements vscode.TreeDataProvider<TracesNode>, vscode.FileDecorationProvider, vscode.Disposable {
  private readonly treeChanged = new vscode.EventEmitter<TracesNode | TracesNode[] | undefined>();
  private readonly decorationsChanged = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  /** Fired with the elements to refresh; `undefined` refreshes the root list. */
  readonly onDidChangeTreeData = this.treeChanged.event;
  /** Fired when error decorations may have changed. */
  readonly onDidChangeFileDecorations = this.decorationsChanged.event;
  private readonly traceNodes = new Map<string, TraceNode>();
  /** The listed traces' summaries, as last fetched. */
  private readonly summaries = new Map<string, TraceSummaryJson>();
  private query: TraceQuery = {};
  private filterLabel: string | undefined;
  private pending: { root: boolean; traces: Set<string> } = { root: false, traces: new Set() };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastRefreshAt = 0;
  private readonly flushWaiters: Array<() => void> = [];
  /** A root refresh was fired and VS Code has not fetched the new root list yet. */
  private rootFetchPending = false;
  /** Counts of refreshes since creation. */
  readonly stats: RefreshStats = { root: 0, traces: 0 };
  /** Whether trace items offer "Forward to Respan". */
  forwardingAvailable = false;
  /** Each trace's forwarding state, as the forwarder last told. */
  forwardStates: Readonly<Record<string, TraceForwardingJson['state']>> = {};

  /** @param call the inspector's service, or undefined while no process is attached. */
  constructor(private readonly call: () => ServiceCall | undefined) {}

  /** The current text filter's label, or undefined when unfiltered. */
  get filter(): string | undefined {
    return this.filterLabel;
  }

  /**
   * Filters the list: free text matched against names, ids and attribute
   * values; `is:error` and `is:pinned` narrow further. Empty clears it.
   */
  setFilter(text: string | undefined): void {
    const tokens = (text ?? '').trim().split(/\s+/).filter((token) => token !== '');
    const query: TraceQuery = {};
    const words: string[] = [];
    for (const token of tokens) {
      if (token.toLowerCase() === 'is:error') query.errors = true;
      else if (token.toLowerCase() === 'is:pinned') query.pinned = true;
      else words.push(token);
    }
    if (words.length > 0) query.q = words.join(' ');
    this.query = query;
    this.filterLabel = tokens.length > 0 ? tokens.join(' ') : undefined;
    this.refreshRoot();
  }

  /** The listed traces, newest first (for a quick pick). */
  listed(): TraceSummaryJson[] {
    return [...this.summaries.values()];
  }

  /**
   * Resolves once no refresh is pending and VS Code has fetched the root list
   * of the last one, so a `reveal` finds what was just added (at most 2 s).
   */
  whenRefreshed(): Promise<void> {
    if (this.timer === undefined && !this.rootFetchPending) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve);
      // A hidden view never fetches: do not wait for it forever.
      setTimeout(resolve, 2000);
    });
  }

  private settle(): void {
    if (this.timer !== undefined || this.rootFetchPending || this.flushWaiters.length === 0) return;
    const waiters = this.flushWaiters.splice(0);
    // Let the answer to VS Code's fetch go out before anyone reveals.
    setTimeout(() => {
      for (const resolve of waiters) resolve();
    }, 50);
  }

  /** Takes one live change of the store. */
  storeChanged(change: StoreChangeJson): void {
    const pending = this.pending;
    if (change.cleared || change.evicted.length > 0 || change.added.length > 0) pending.root = true;
    for (const id of change.updated) pending.traces.add(id);
    for (const id of change.evicted) this.traceNodes.delete(id);
    this.schedule();
  }

  /** Refreshes the given traces' items soon (their forwarding state changed). */
  refreshTraces(traceIds: readonly string[]): void {
    for (const id of traceIds) this.pending.traces.add(id);
    this.schedule();
  }

  /** Refreshes the whole list now (filter changes, clearing, another process). */
  refreshRoot(): void {
    this.pending.root = true;
    void this.flush();
  }

  /** The node of a trace, created when needed (for reveal). */
  traceNode(traceId: string): TraceNode {
    let node = this.traceNodes.get(traceId);
    if (node === undefined) this.traceNodes.set(traceId, (node = new TraceNode(traceId)));
    return node;
  }

  /**
   * The node of a span with its ancestors, for `TreeView.reveal`; undefined
   * when the span is unknown, or its trace is too large for the view to list
   * its spans (then it is not fetched either).
   */
  async spanNode(traceId: string, spanId: string): Promise<SpanNode | undefined> {
    const summary = this.summaries.get(traceId) ?? (await this.call()?.('listTraces', { query: { traceIds: [traceId] } }).catch(() => undefined))?.traces[0];
    if (!summary || summary.spanCount > OUTLINE_SPAN_LIMIT) return undefined;
    const trace = this.traceNode(traceId);
    const outline = await this.outlineOf(trace);
    const path = outline?.pathTo(spanId) ?? [];
    if (path.length === 0) return undefined;
    let parent: TraceNode | SpanNode = trace;
    for (const id of path) parent = this.childNode(trace, id, parent);
    return parent as SpanNode;
  }

  getTreeItem(node: TracesNode): vscode.TreeItem {
    if (node.kind === 'more') {
      const label = node.what === 'traces' ? `${formatCount(node.hidden)} older trace${node.hidden === 1 ? '' : 's'}…` : `${formatCount(node.hidden)} spans…`;
      const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
      item.description = node.what === 'traces' ? 'open the inspector' : 'too many to list here: open the inspector';
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: 'respanInspector.showInspector', title: 'Show Inspector' };
      item.contextValue = 'more';
      return item;
    }
    if (node.kind === 'trace') return this.traceItem(node);
    return this.spanItem(node);
  }

  /**
   * Tooltips are built when VS Code is about to show one, not with every
   * item: a markdown tooltip costs this host its text and VS Code its parse,
   * and while spans flood in the list is refreshed four times a second.
   */
  resolveTreeItem(item: vscode.TreeItem, node: TracesNode): vscode.TreeItem {
    item.tooltip = this.tooltipOf(node);
    return item;
  }

  /** A trace's forwarding state in words, shown after its description and in its tooltip (undefined: nothing to say). */
  private forwardLabel(traceId: string): string | undefined {
    return FORWARD_STATE_LABELS[this.forwardStates[traceId] ?? 'none'];
  }

  private tooltipOf(node: TracesNode): vscode.MarkdownString | undefined {
    if (node.kind === 'trace') {
      const summary = this.summaries.get(node.traceId);
      if (!summary) return undefined;
      const forwarded = this.forwardLabel(node.traceId);
      return markdownFacts(summary.name || 'Trace', forwarded ? [...traceFacts(summary), ['Respan', forwarded]] : traceFacts(summary));
    }
    if (node.kind === 'span') {
      const span = node.trace.outline?.spans.get(node.spanId);
      return span && markdownFacts(span.name, spanFacts(span));
    }
    return undefined;
  }

  private traceItem(node: TraceNode): vscode.TreeItem {
    const summary = this.summaries.get(node.traceId);
    if (!summary) {
      const gone = new vscode.TreeItem('(evicted)', vscode.TreeItemCollapsibleState.None);
      gone.id = `t:${node.traceId}`;
      return gone;
    }
    const item = new vscode.TreeItem(summary.name || node.traceId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `t:${node.traceId}`;
    // No error decoration on traces: a red label would say the whole trace failed. The icon turns red and the description counts errors.
    const forwarded = this.forwardLabel(node.traceId);
    item.description = forwarded ? `${traceDescription(summary)} · ${forwarded}` : traceDescription(summary);
    const kind = kindIcon(summary.kind);
    item.iconPath = summary.pinned ? new vscode.ThemeIcon('pinned') : new vscode.ThemeIcon(kind.icon, summary.errorCount > 0 ? new vscode.ThemeColor('errorForeground') : undefined);
    item.contextValue = ['trace', summary.pinned ? 'pinned' : 'unpinned', ...(this.forwardingAvailable ? ['forwardable'] : [])].join(' ');
    item.command = { command: 'respanInspector.openInInspector', title: 'Open in Inspector', arguments: [node] };
    item.accessibilityInformation = { label: `Trace ${summary.name || node.traceId}, ${item.description}` };
    return item;
  }

  private spanItem(node: SpanNode): vscode.TreeItem {
    const outline = node.trace.outline;
    const span = outline?.spans.get(node.spanId);
    if (!outline || !span) return new vscode.TreeItem('(gone)', vscode.TreeItemCollapsibleState.None);
    const children = outline.childrenOf(node.spanId).length;
    const state =
      children === 0
        ? vscode.TreeItemCollapsibleState.None
        : node.depth === 0 && children <= 50
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(span.name || '(unnamed span)', state);
    item.id = `s:${node.traceId}:${node.spanId}`;
    item.description = spanDescription(span);
    item.resourceUri = spanUri(node.traceId, node.spanId);
    const kind = kindIcon(span.displayKind);
    item.iconPath = new vscode.ThemeIcon(kind.icon, span.isError ? new vscode.ThemeColor('errorForeground') : undefined);
    const tags = ['span'];
    if (jumpTargetsOf(span).length > 0) tags.push('source');
    if (span.isError) tags.push('error');
    item.contextValue = tags.join(' ');
    item.command = { command: 'respanInspector.openInInspector', title: 'Open in Inspector', arguments: [node] };
    item.accessibilityInformation = { label: `${kind.label} span ${span.name}, ${item.description}${span.isError ? ', error' : ''}` };
    return item;
  }

  async getChildren(node?: TracesNode): Promise<TracesNode[]> {
    if (node === undefined) return this.rootNodes();
    if (node.kind === 'more') return [];
    const trace = node.kind === 'trace' ? node : node.trace;
    const summary = this.summaries.get(trace.traceId);
    if (node.kind === 'trace' && summary && summary.spanCount > OUTLINE_SPAN_LIMIT) return [new MoreNode(summary.spanCount, 'spans')];
    const outline = await this.outlineOf(trace);
    if (!outline) return [];
    if (node.kind === 'trace') return outline.roots.map((id) => this.childNode(node, id, node));
    return outline.childrenOf(node.spanId).map((id) => this.childNode(node.trace, id, node));
  }

  getParent(node: TracesNode): TracesNode | undefined {
    return node.kind === 'span' ? node.parent : undefined;
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DECORATION_SCHEME) return undefined;
    const [, what, traceId, spanId] = uri.path.split('/');
    if (what === 'span' && spanId !== undefined && this.traceNodes.get(traceId)?.outline?.spans.get(spanId)?.isError) {
      return new vscode.FileDecoration('!', 'This span failed', new vscode.ThemeColor('list.errorForeground'));
    }
    return undefined;
  }

  private async rootNodes(): Promise<TracesNode[]> {
    const call = this.call();
    let list;
    try {
      list = call ? await call('listTraces', { query: { ...this.query, limit: LIST_LIMIT } }) : { traces: [], total: 0 };
    } catch {
      // The process went away: the connection reconnects and refreshes the list.
      list = { traces: [], total: 0 };
    }
    this.summaries.clear();
    const nodes: TracesNode[] = list.traces.map((summary) => {
      this.summaries.set(summary.traceId, summary);
      return this.traceNode(summary.traceId);
    });
    // Forget nodes of traces no longer listed, so the map stays as small as the view.
    for (const id of this.traceNodes.keys()) if (!this.summaries.has(id)) this.traceNodes.delete(id);
    if (list.total > list.traces.length) nodes.push(new MoreNode(list.total - list.traces.length, 'traces'));
    this.rootFetchPending = false;
    this.settle();
    return nodes;
  }

  private async outlineOf(node: TraceNode): Promise<TraceOutline | undefined> {
    if (node.outline) return node.outline;
    const call = this.call();
    if (!call) return undefined;
    try {
      node.outline = new TraceOutline(await call('getTrace', { traceId: node.traceId }));
    } catch {
      // Deleted or evicted meanwhile, or the process went away: nothing to list.
      return undefined;
    }
    return node.outline;
  }

  private childNode(trace: TraceNode, spanId: string, parent: TraceNode | SpanNode): SpanNode {
    let node = trace.spans.get(spanId);
    if (node === undefined || node.parent !== parent) {
      node = new SpanNode(trace, spanId, parent, parent.kind === 'trace' ? 0 : parent.depth + 1);
      trace.spans.set(spanId, node);
    }
    return node;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastRefreshAt + REFRESH_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    // Holds the timer slot while the updated summaries are fetched, so refreshes do not overlap.
    this.timer = setTimeout(() => undefined, 0);
    const { root, traces } = this.pending;
    this.pending = { root: false, traces: new Set() };
    this.lastRefreshAt = Date.now();
    const listed = [...traces].filter((id) => this.traceNodes.has(id) && this.summaries.has(id));
    let moved = false;
    if (!root && listed.length > 0) {
      const call = this.call();
      const fresh = call ? await call('listTraces', { query: { traceIds: listed } }).catch(() => undefined) : undefined;
      for (const summary of fresh?.traces ?? []) {
        if (summary.startTimeMs !== this.summaries.get(summary.traceId)?.startTimeMs) moved = true;
        this.summaries.set(summary.traceId, summary);
      }
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const changed: TraceNode[] = [];
    const spanUris: vscode.Uri[] = [];
    for (const id of listed) {
      const node = this.traceNodes.get(id)!;
      node.outline = undefined;
      for (const spanId of node.spans.keys()) spanUris.push(spanUri(id, spanId));
      node.spans.clear();
      changed.push(node);
    }
    // A filtered list may gain or lose an updated trace; a trace whose start moved changes place.
    if (root || moved || (traces.size > 0 && this.filterLabel !== undefined)) {
      this.stats.root++;
      this.rootFetchPending = true;
      for (const node of this.traceNodes.values()) node.outline = undefined;
      this.treeChanged.fire(undefined);
      this.decorationsChanged.fire(undefined);
    } else if (changed.length > 0) {
      this.stats.traces += changed.length;
      this.treeChanged.fire(changed);
      // A replaced span may have changed its status.
      if (spanUris.length > 0) this.decorationsChanged.fire(spanUris);
    }
    this.settle();
    // Changes that arrived while the summaries were fetched.
    if (this.pending.root || this.pending.traces.size > 0) this.schedule();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const resolve of this.flushWaiters.splice(0)) resolve();
    this.treeChanged.dispose();
    this.decorationsChanged.dispose();
  }
}
