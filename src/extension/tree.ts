/**
 * The Traces view: traces (newest first, live) → spans as a tree. It listens
 * to the store's coalesced change events and refreshes only what changed: the
 * root list when traces arrive or leave, otherwise just the updated traces.
 */

import * as vscode from 'vscode';
import type { Span } from '../core/model';
import { jumpTargetsOf } from '../core/source/jump';
import type { StoreChange, TraceEntry, TraceQuery, TraceStore, TraceTree } from '../core/store';
import { formatCount, headSpan, kindIcon, spanDescription, spanFacts, traceDescription, traceFacts } from './presentation';

/** URI scheme of tree items, for error decorations. */
export const DECORATION_SCHEME = 'respan-inspector';

/** A trace in the view. */
export class TraceNode {
  readonly kind = 'trace';
  /** Start time when last listed: a change means the trace moves in the list. */
  listedStartMs = 0;
  /** The trace's tree, built on first expansion and dropped when the trace changes. */
  tree: TraceTree | undefined;
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

/** The row after the newest traces when more are stored than the view lists. */
export class MoreNode {
  readonly kind = 'more';
  constructor(readonly hidden: number) {}
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

/** The Traces view's data provider. */
export class TracesTreeProvider implements vscode.TreeDataProvider<TracesNode>, vscode.FileDecorationProvider, vscode.Disposable {
  private readonly treeChanged = new vscode.EventEmitter<TracesNode | TracesNode[] | undefined>();
  private readonly decorationsChanged = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  /** Fired with the elements to refresh; `undefined` refreshes the root list. */
  readonly onDidChangeTreeData = this.treeChanged.event;
  /** Fired when error decorations may have changed. */
  readonly onDidChangeFileDecorations = this.decorationsChanged.event;
  private readonly traceNodes = new Map<string, TraceNode>();
  private readonly unsubscribe: () => void;
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
  /** A trace's forwarding state in words, shown after its description (undefined: nothing to say). */
  forwardLabel: (traceId: string) => string | undefined = () => undefined;

  constructor(private readonly store: TraceStore) {
    this.unsubscribe = store.onChange((change) => this.onStoreChange(change));
  }

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
      if (token.toLowerCase() === 'is:error') query.errorsOnly = true;
      else if (token.toLowerCase() === 'is:pinned') query.pinnedOnly = true;
      else words.push(token);
    }
    if (words.length > 0) query.text = words.join(' ');
    this.query = query;
    this.filterLabel = tokens.length > 0 ? tokens.join(' ') : undefined;
    this.refreshRoot();
  }

  /**
   * Resolves once no refresh is pending and VS Code has fetched the root list
   * of the last one, so a `reveal` finds what was just added (at most 2 s).
   */
  whenRefreshed(): Promise<void> {
    // Spans stored but not yet announced (the store batches its events) are part of what must be shown.
    this.store.flush();
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

  /** Refreshes the given traces' items soon (their forwarding state changed). */
  refreshTraces(traceIds: readonly string[]): void {
    for (const id of traceIds) this.pending.traces.add(id);
    this.schedule();
  }

  /** Refreshes the whole list now (filter changes, clearing). */
  refreshRoot(): void {
    this.pending.root = true;
    this.flush();
  }

  /** The node of a trace, created when needed (for reveal). */
  traceNode(traceId: string): TraceNode {
    let node = this.traceNodes.get(traceId);
    if (node === undefined) this.traceNodes.set(traceId, (node = new TraceNode(traceId)));
    return node;
  }

  /** The node of a span with its ancestors, for `TreeView.reveal`; undefined when the span is unknown. */
  spanNode(traceId: string, spanId: string): SpanNode | undefined {
    const trace = this.traceNode(traceId);
    const tree = this.treeOf(trace);
    if (!tree || !tree.entry.spans.has(spanId)) return undefined;
    const chain: string[] = [];
    for (let id: string | undefined = spanId; id !== undefined; ) {
      chain.push(id);
      const span: Span = tree.entry.spans.get(id)!;
      id = span.parentSpanId !== null && !tree.orphans.has(id) && tree.entry.spans.has(span.parentSpanId) && !chain.includes(span.parentSpanId) ? span.parentSpanId : undefined;
    }
    let parent: TraceNode | SpanNode = trace;
    for (const id of chain.reverse()) parent = this.childNode(trace, id, parent);
    return parent as SpanNode;
  }

  /** The stored span behind a node. */
  spanOf(node: SpanNode): Span | undefined {
    return this.store.getSpan(node.traceId, node.spanId);
  }

  getTreeItem(node: TracesNode): vscode.TreeItem {
    if (node.kind === 'more') {
      const item = new vscode.TreeItem(`${formatCount(node.hidden)} older trace${node.hidden === 1 ? '' : 's'}…`, vscode.TreeItemCollapsibleState.None);
      item.description = 'open the inspector';
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: 'respanInspector.showInspector', title: 'Show Inspector' };
      item.contextValue = 'more';
      return item;
    }
    if (node.kind === 'trace') return this.traceItem(node);
    return this.spanItem(node);
  }

  private traceItem(node: TraceNode): vscode.TreeItem {
    const entry = this.store.get(node.traceId);
    if (!entry) {
      const gone = new vscode.TreeItem('(evicted)', vscode.TreeItemCollapsibleState.None);
      gone.id = `t:${node.traceId}`;
      return gone;
    }
    const head = headSpan(entry);
    const item = new vscode.TreeItem(head?.name || node.traceId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `t:${node.traceId}`;
    // No error decoration on traces: a red label would say the whole trace failed. The icon turns red and the description counts errors.
    const forwarded = this.forwardLabel(node.traceId);
    item.description = forwarded ? `${traceDescription(entry)} · ${forwarded}` : traceDescription(entry);
    const kind = kindIcon(head?.derived.displayKind ?? 'span');
    item.iconPath = entry.pinned ? new vscode.ThemeIcon('pinned') : new vscode.ThemeIcon(kind.icon, entry.errorCount > 0 ? new vscode.ThemeColor('errorForeground') : undefined);
    item.tooltip = markdownFacts(head?.name || 'Trace', forwarded ? [...traceFacts(entry), ['Respan', forwarded]] : traceFacts(entry));
    item.contextValue = ['trace', entry.pinned ? 'pinned' : 'unpinned', ...(this.forwardingAvailable ? ['forwardable'] : [])].join(' ');
    item.command = { command: 'respanInspector.openInInspector', title: 'Open in Inspector', arguments: [node] };
    item.accessibilityInformation = { label: `Trace ${head?.name ?? node.traceId}, ${item.description}` };
    return item;
  }

  private spanItem(node: SpanNode): vscode.TreeItem {
    const tree = this.treeOf(node.trace);
    const span = tree?.entry.spans.get(node.spanId);
    if (!tree || !span) return new vscode.TreeItem('(gone)', vscode.TreeItemCollapsibleState.None);
    const children = tree.children.get(node.spanId)?.length ?? 0;
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
    const kind = kindIcon(span.derived.displayKind);
    item.iconPath = new vscode.ThemeIcon(kind.icon, span.derived.isError ? new vscode.ThemeColor('errorForeground') : undefined);
    item.tooltip = markdownFacts(span.name, spanFacts(span));
    const tags = ['span'];
    if (jumpTargetsOf(span).length > 0) tags.push('source');
    if (span.derived.isError) tags.push('error');
    item.contextValue = tags.join(' ');
    item.command = { command: 'respanInspector.openInInspector', title: 'Open in Inspector', arguments: [node] };
    item.accessibilityInformation = { label: `${kind.label} span ${span.name}, ${item.description}${span.derived.isError ? ', error' : ''}` };
    return item;
  }

  getChildren(node?: TracesNode): TracesNode[] {
    if (node === undefined) return this.rootNodes();
    if (node.kind === 'more') return [];
    const tree = this.treeOf(node.kind === 'trace' ? node : node.trace);
    if (!tree) return [];
    if (node.kind === 'trace') return tree.roots.map((id) => this.childNode(node, id, node));
    return (tree.children.get(node.spanId) ?? []).map((id) => this.childNode(node.trace, id, node));
  }

  getParent(node: TracesNode): TracesNode | undefined {
    return node.kind === 'span' ? node.parent : undefined;
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DECORATION_SCHEME) return undefined;
    const [, what, traceId, spanId] = uri.path.split('/');
    if (what === 'span' && spanId !== undefined && this.store.getSpan(traceId, spanId)?.derived.isError) {
      return new vscode.FileDecoration('!', 'This span failed', new vscode.ThemeColor('list.errorForeground'));
    }
    return undefined;
  }

  private rootNodes(): TracesNode[] {
    const { traces, total } = this.store.list({ ...this.query, limit: LIST_LIMIT });
    const nodes: TracesNode[] = traces.map((entry) => {
      const node = this.traceNode(entry.traceId);
      node.listedStartMs = entry.startTimeMs;
      return node;
    });
    // Forget nodes of traces no longer listed, so the map stays as small as the view.
    const listed = new Set(traces.map((entry) => entry.traceId));
    for (const id of this.traceNodes.keys()) if (!listed.has(id)) this.traceNodes.delete(id);
    if (total > traces.length) nodes.push(new MoreNode(total - traces.length));
    this.rootFetchPending = false;
    this.settle();
    return nodes;
  }

  private treeOf(node: TraceNode): TraceTree | undefined {
    node.tree ??= this.store.tree(node.traceId);
    return node.tree;
  }

  private childNode(trace: TraceNode, spanId: string, parent: TraceNode | SpanNode): SpanNode {
    let node = trace.spans.get(spanId);
    if (node === undefined || node.parent !== parent) {
      node = new SpanNode(trace, spanId, parent, parent.kind === 'trace' ? 0 : parent.depth + 1);
      trace.spans.set(spanId, node);
    }
    return node;
  }

  private onStoreChange(change: StoreChange): void {
    const pending = this.pending;
    if (change.cleared || change.evicted.length > 0 || change.added.length > 0) pending.root = true;
    for (const id of change.updated) pending.traces.add(id);
    for (const id of change.evicted) this.traceNodes.delete(id);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastRefreshAt + REFRESH_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { root, traces } = this.pending;
    this.pending = { root: false, traces: new Set() };
    this.lastRefreshAt = Date.now();
    const changed: TraceNode[] = [];
    const spanUris: vscode.Uri[] = [];
    let moved = false;
    for (const id of traces) {
      const node = this.traceNodes.get(id);
      // Traces not listed have nothing on screen to refresh.
      if (node === undefined) continue;
      node.tree = undefined;
      for (const spanId of node.spans.keys()) spanUris.push(spanUri(id, spanId));
      node.spans.clear();
      changed.push(node);
      const entry: TraceEntry | undefined = this.store.get(id);
      if (entry && entry.startTimeMs !== node.listedStartMs) moved = true;
    }
    // A filtered list may gain or lose an updated trace; a trace whose start moved changes place.
    if (root || moved || (traces.size > 0 && this.filterLabel !== undefined)) {
      this.stats.root++;
      this.rootFetchPending = true;
      for (const node of changed) node.tree = undefined;
      this.treeChanged.fire(undefined);
      this.decorationsChanged.fire(undefined);
    } else if (changed.length > 0) {
      this.stats.traces += changed.length;
      this.treeChanged.fire(changed);
      // A replaced span may have changed its status.
      if (spanUris.length > 0) this.decorationsChanged.fire(spanUris);
    }
    this.settle();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const resolve of this.flushWaiters.splice(0)) resolve();
    this.unsubscribe();
    this.treeChanged.dispose();
    this.decorationsChanged.dispose();
  }
}
