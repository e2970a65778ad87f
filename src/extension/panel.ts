/**
 * The inspector panel: the shared UI (dist/webview) in a webview panel,
 * speaking the typed protocol of src/protocol/messages.ts. Its service
 * requests and live events are relayed between the view and the inspector
 * process unread (a result travels in pieces, as the process sent it); only
 * editor requests are answered here. One panel at a time; a serializer brings
 * it back after a window reload.
 */

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { EditorRequest, HostToViewMessage, ListenerEndpoints, ServiceRequestMessage, ViewToHostMessage } from '../protocol/messages';
import { PROTOCOL_VERSION, isViewToHostMessage } from '../protocol/messages';
import { renderInspectorHtml } from '../protocol/html';
import type { ServiceEvent } from '../protocol/service';
import type { SpanRef } from './commands';
import type { ServiceRelay } from './inspectorClient';
import { answerViewRequest, panelCapabilities, type EditorServices } from './viewRequests';

/** The panel's view type (also its serializer's and its activation event's). */
export const PANEL_VIEW_TYPE = 'respanInspector.inspector';

/** Options of {@link InspectorPanel}. */
export interface InspectorPanelOptions {
  extensionUri: vscode.Uri;
  /** Carries the view's service requests to the inspector process unread. */
  relay: ServiceRelay;
  /** Subscribes to the process's live events, which the view is sent as they come. */
  subscribe(listener: (event: ServiceEvent) => void): { dispose(): void };
  editor: EditorServices;
  /** The listener's endpoints now (null while it is down). */
  endpoints(): ListenerEndpoints | null;
}

/** Keep the webview alive while hidden? Measured not to be needed (README, "Inspector panel"): the view restores from its state. */
const RETAIN_CONTEXT_WHEN_HIDDEN = false;

/** Owns the inspector webview panel and answers its messages. */
export class InspectorPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  /** True between the view's `ready` and the panel being hidden or closed: messages reach it. */
  private viewReady = false;
  /** A reveal to deliver with the next `init`. */
  private pendingReveal: SpanRef | undefined;
  /** The view's last selection, restored when the view reloads (hidden → shown). */
  private lastSelection: SpanRef | undefined;
  private readonly selectionEmitter = new vscode.EventEmitter<SpanRef | undefined>();
  private readonly messageEmitter = new vscode.EventEmitter<ViewToHostMessage>();
  /** The user selected a span in the panel (undefined: no trace open). */
  readonly onDidChangeSelection = this.selectionEmitter.event;
  /** Every valid message from the view, for tests and diagnostics. */
  readonly onDidReceiveMessage = this.messageEmitter.event;
  /** Times (ms since the panel was revealed) from show to the view's `ready`, newest last; for measuring reloads. */
  readonly readyTimings: number[] = [];
  private shownAt = 0;
  private readonly subscription: { dispose(): void };

  constructor(private readonly options: InspectorPanelOptions) {
    this.subscription = options.subscribe((event) => {
      if (this.viewReady) void this.post({ kind: 'event', event });
    });
  }

  /** The panel, while one is open. */
  get webviewPanel(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  /** True when the view has said it is ready and can take messages. */
  get isReady(): boolean {
    return this.viewReady;
  }

  /** The span selected in the panel, as last reported by the view. */
  get selection(): SpanRef | undefined {
    return this.lastSelection;
  }

  /** Opens (or reveals) the panel, and shows `reveal` in it when given. */
  show(reveal?: SpanRef, options: { preserveFocus?: boolean; viewColumn?: vscode.ViewColumn } = {}): void {
    if (reveal) this.reveal(reveal);
    if (this.panel) {
      this.markShown();
      this.panel.reveal(options.viewColumn ?? this.panel.viewColumn, options.preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Respan Traces',
      { viewColumn: options.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: options.preserveFocus },
      this.webviewOptions(),
    );
    this.attach(panel);
  }

  /** Adopts a panel VS Code restored after a reload (from the serializer). */
  restore(panel: vscode.WebviewPanel): void {
    if (this.panel && this.panel !== panel) this.panel.dispose();
    panel.webview.options = this.webviewOptions();
    this.attach(panel);
  }

  /** Shows a trace/span: at once when the view is live, else with its next `init`. */
  reveal(target: SpanRef): void {
    this.lastSelection = target;
    if (this.viewReady) {
      void this.post({ kind: 'revealSpan', traceId: target.traceId, ...(target.spanId ? { spanId: target.spanId } : {}) });
      this.pendingReveal = undefined;
    } else {
      this.pendingReveal = target;
    }
  }

  /** Tells the live view where the listener now is. */
  notifyEndpoints(endpoints: ListenerEndpoints | null): void {
    if (this.viewReady) void this.post({ kind: 'endpointsChanged', endpoints });
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      retainContextWhenHidden: RETAIN_CONTEXT_WHEN_HIDDEN,
      // The bundle, its stylesheet and the codicon font it references, nothing else.
      localResourceRoots: [vscode.Uri.joinPath(this.options.extensionUri, 'dist', 'webview')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.detach();
    this.panel = panel;
    this.viewReady = false;
    this.markShown();
    panel.iconPath = {
      light: vscode.Uri.joinPath(this.options.extensionUri, 'media', 'panel-icon-light.svg'),
      dark: vscode.Uri.joinPath(this.options.extensionUri, 'media', 'panel-icon-dark.svg'),
    };
    panel.webview.html = this.html(panel.webview);
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidChangeViewState(({ webviewPanel }) => {
        // Without retained context a hidden webview is torn down: it will send `ready` again when shown.
        if (!webviewPanel.visible && !RETAIN_CONTEXT_WHEN_HIDDEN) this.viewReady = false;
        if (webviewPanel.visible && !this.viewReady) this.markShown();
      }),
      panel.onDidDispose(() => {
        this.detach();
        this.panel = undefined;
      }),
    );
  }

  private detach(): void {
    for (const disposable of this.panelDisposables) disposable.dispose();
    this.panelDisposables = [];
    this.viewReady = false;
  }

  private markShown(): void {
    this.shownAt = Date.now();
  }

  private html(webview: vscode.Webview): string {
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.options.extensionUri, 'dist', 'webview', name)).toString();
    return renderInspectorHtml({
      scriptUri: asset('webview.js'),
      styleUri: asset('webview.css'),
      nonce: randomBytes(18).toString('base64url'),
      cspSource: webview.cspSource,
      // Data arrives by message only: the view may not fetch anything.
      connectSrc: "'none'",
    });
  }

  private receive(raw: unknown): void {
    if (!isViewToHostMessage(raw)) return;
    this.messageEmitter.fire(raw);
    switch (raw.kind) {
      case 'ready':
        void this.onReady(raw.version);
        break;
      case 'selectionChanged': {
        const selection = raw.traceId === null ? undefined : { traceId: raw.traceId, ...(raw.spanId ? { spanId: raw.spanId } : {}) };
        this.lastSelection = selection;
        this.selectionEmitter.fire(selection);
        break;
      }
      case 'service':
      case 'request':
        void this.answer(raw);
        break;
    }
  }

  private async onReady(version: number): Promise<void> {
    this.readyTimings.push(Date.now() - this.shownAt);
    if (version !== PROTOCOL_VERSION) {
      void vscode.window.showWarningMessage(`Respan Trace Inspector: the panel speaks protocol ${version}, the extension ${PROTOCOL_VERSION}. Reload the window.`);
    }
    const panel = this.panel;
    const capabilities = await panelCapabilities(this.options.relay);
    // Closed or replaced meanwhile: the new view sends its own `ready`.
    if (this.panel !== panel) return;
    this.viewReady = true;
    const reveal = this.pendingReveal ?? this.lastSelection;
    this.pendingReveal = undefined;
    void this.post({
      kind: 'init',
      version: PROTOCOL_VERSION,
      capabilities,
      endpoints: this.options.endpoints(),
      // The Traces view in the side bar is the list: the panel's width goes to the waterfall.
      hostListsTraces: true,
      ...(reveal ? { reveal } : {}),
    });
  }

  private async answer(request: ServiceRequestMessage | EditorRequest): Promise<void> {
    await answerViewRequest(request, this.options.relay, this.options.editor, (message) => this.post(message));
  }

  /** Posts to the view; settles once VS Code took the message (never rejects). */
  private post(message: HostToViewMessage): PromiseLike<unknown> | undefined {
    // A panel closed while a request was answered: nobody to tell.
    return this.panel?.webview.postMessage(message).then(undefined, () => undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.detach();
    this.panel?.dispose();
    this.panel = undefined;
    this.selectionEmitter.dispose();
    this.messageEmitter.dispose();
  }
}

/** Restores the panel after a window reload. */
export class InspectorPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly panel: InspectorPanel) {}

  async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel): Promise<void> {
    this.panel.restore(webviewPanel);
  }
}
