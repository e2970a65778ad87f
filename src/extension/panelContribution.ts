/**
 * The inspector panel in this window: opened from commands and the Traces
 * view, restored after a reload, its requests relayed to the inspector
 * process, and its selection followed in the Traces view.
 */

import * as vscode from 'vscode';
import { CONTEXT_KEYS, refOf, registerCommands, type ItemArgument, type SpanRef } from './commands';
import type { InspectorConnection } from './connection';
import { DisposableStore } from './disposables';
import { InspectorPanel, InspectorPanelSerializer, PANEL_VIEW_TYPE } from './panel';
import type { TracesContribution } from './tracesContribution';
import type { TracesNode } from './tree';
import type { EditorServices } from './viewRequests';

/** Times a panel selection is revealed in the tree before giving up (a refresh can replace the nodes meanwhile), and the wait before a retry, ms (times the attempt). */
const REVEAL_ATTEMPTS = 4;
const REVEAL_RETRY_MS = 150;

/** The panel and its commands. */
export class PanelContribution implements vscode.Disposable {
  readonly panel: InspectorPanel;
  private readonly disposables = new DisposableStore();

  constructor(
    context: vscode.ExtensionContext,
    connection: InspectorConnection,
    private readonly traces: TracesContribution,
    editor: EditorServices,
    private readonly output: vscode.LogOutputChannel,
  ) {
    const d = this.disposables;
    this.panel = d.add(
      new InspectorPanel({
        extensionUri: context.extensionUri,
        relay: async (type, params, onPiece) => {
          const client = await connection.attachedClient();
          if (!client) throw new Error('The inspector is not running: start the listener.');
          return client.relay(type, params, onPiece);
        },
        subscribe: (listener) =>
          connection.onEvent((event) => {
            if (event.type === 'change' || event.type === 'forwarding') listener(event);
          }),
        editor,
        endpoints: () => connection.endpoints,
      }),
    );
    d.add(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new InspectorPanelSerializer(this.panel)));
    d.add(connection.onDidChangeState(() => this.panel.notifyEndpoints(connection.endpoints)));
    d.add(this.panel.onDidChangeSelection((selection) => void this.followSelection(selection)));
    d.add(
      registerCommands({
        showInspector: () => this.panel.show(),
        openInInspector: (item) => this.openInInspector(item),
      }),
    );
  }

  /** Where source files open: beside the panel when it is showing, else the active editor group. */
  sourceColumn(): vscode.ViewColumn {
    const panel = this.panel.webviewPanel;
    if (!panel || !panel.visible || panel.viewColumn === undefined) return vscode.ViewColumn.Active;
    const other = vscode.window.visibleTextEditors.find((editor) => editor.viewColumn !== undefined && editor.viewColumn !== panel.viewColumn);
    return other?.viewColumn ?? vscode.ViewColumn.Beside;
  }

  private async openInInspector(argument: ItemArgument): Promise<void> {
    let ref = refOf(argument);
    if (ref && ref.spanId === undefined) {
      // A trace clicked in the tree shows from the top, whatever was selected in it before.
      const head = this.traces.tree.traceNode(ref.traceId).outline?.roots[0];
      if (head) ref = { traceId: ref.traceId, spanId: head };
    }
    // Focus stays in the tree so the keyboard keeps walking it; the panel follows.
    this.panel.show(ref, { preserveFocus: true });
  }

  private async followSelection(selection: SpanRef | undefined): Promise<void> {
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasSelection, selection !== undefined);
    const { tree, treeView } = this.traces;
    // Revealing in a hidden view would open the side bar: only follow while the tree is on screen.
    if (!selection || !treeView.visible) return;
    for (let attempt = 0; attempt < REVEAL_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, REVEAL_RETRY_MS * attempt));
      // A refresh landing during reveal would drop the selection: let pending ones land first.
      await tree.whenRefreshed();
      if (this.panel.selection !== selection) return;
      // Asked for afresh each time: a refresh of the trace (more of its spans arrived) replaces its nodes, and the view knows only the new ones.
      const node = selection.spanId ? await tree.spanNode(selection.traceId, selection.spanId) : tree.traceNode(selection.traceId);
      if (!node || this.panel.selection !== selection) return;
      const current = treeView.selection[0];
      if (current && current.kind !== 'more' && current.traceId === selection.traceId && (current.kind === 'span' ? current.spanId : undefined) === selection.spanId) return;
      if (await this.revealInTree(node)) return;
    }
  }

  /** Selects `node` in the tree; whether the tree now shows it selected (a node a refresh replaced is silently not). */
  private async revealInTree(node: TracesNode): Promise<boolean> {
    const { treeView } = this.traces;
    try {
      await treeView.reveal(node, { select: true, focus: false, expand: false });
    } catch (error) {
      this.output.debug(`could not reveal the panel's selection in the tree: ${(error as Error).message}`);
      return false;
    }
    return treeView.selection.includes(node);
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
