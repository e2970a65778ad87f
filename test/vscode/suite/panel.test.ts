// The inspector panel: the real webview loads the shared UI, completes the
// ready handshake, asks for the trace and selects the span the tree asked for
// (it says so with a selectionChanged message); the selection survives
// hide/show; and the tree follows a selection made in the panel.
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ViewToHostMessage } from '../../../src/protocol/messages';
import type { SpanNode } from '../../../src/extension/tree';
import { EXTENSION_ID, closeEditors, inspector, sendTrace, waitFor } from './support';

/** Collects the panel's messages from now on. */
async function recordMessages(): Promise<{ messages: ViewToHostMessage[]; dispose(): void }> {
  const ext = await inspector();
  const messages: ViewToHostMessage[] = [];
  const subscription = ext.panel.onDidReceiveMessage((message) => messages.push(message));
  return { messages, dispose: () => subscription.dispose() };
}

describe('Inspector panel', () => {
  before(closeEditors);
  after(closeEditors);

  it('opens from a span, completes the handshake, loads the trace and selects that span', async () => {
    const ext = await inspector();
    const sent = await sendTrace({ name: 'panel_root', children: [{ name: 'panel_child', children: [{ name: 'panel_selected' }] }] });
    const spanId = sent.spanIds.get('panel_selected')!;
    const recorder = await recordMessages();
    try {
      await vscode.commands.executeCommand('respanInspector.openInInspector', { traceId: sent.traceId, spanId });
      await waitFor('the view to select the span', () => recorder.messages.some((m) => m.kind === 'selectionChanged' && m.spanId === spanId), 20_000);
      const kinds = recorder.messages.map((m) => (m.kind === 'request' || m.kind === 'service' ? `${m.kind}:${m.type}` : m.kind));
      assert.equal(kinds[0], 'ready', 'the view speaks first');
      assert.ok(kinds.includes('service:getTrace'), `the view fetched the trace: ${kinds.join(', ')}`);
      assert.ok(recorder.messages.some((m) => m.kind === 'service' && m.type === 'getTrace' && m.params.traceId === sent.traceId));
      assert.deepEqual(ext.panel.selection, { traceId: sent.traceId, spanId });
      const panel = ext.panel.webviewPanel!;
      assert.equal(panel.viewType, 'respanInspector.inspector');
      assert.equal(panel.webview.options.enableScripts, true);
      assert.deepEqual(
        panel.webview.options.localResourceRoots?.map((uri) => uri.path.slice(uri.path.lastIndexOf('/dist/'))),
        ['/dist/webview'],
      );
      const csp = /Content-Security-Policy" content="([^"]+)"/.exec(panel.webview.html)?.[1].replace(/&#39;/g, "'");
      assert.match(csp ?? '', /^default-src 'none'; script-src 'nonce-[^']+';/);
      assert.match(csp ?? '', /connect-src 'none'/);
    } finally {
      recorder.dispose();
    }
  });

  it('reveals another span in the live view without reloading it', async () => {
    const ext = await inspector();
    const sent = await sendTrace({ name: 'second_root', children: [{ name: 'second_leaf' }] });
    const spanId = sent.spanIds.get('second_leaf')!;
    const recorder = await recordMessages();
    try {
      await vscode.commands.executeCommand('respanInspector.openInInspector', { traceId: sent.traceId, spanId });
      await waitFor('the view to select the span', () => recorder.messages.some((m) => m.kind === 'selectionChanged' && m.spanId === spanId), 20_000);
      assert.ok(!recorder.messages.some((m) => m.kind === 'ready'), 'a visible view is not reloaded');
      assert.equal(ext.panel.isReady, true);
    } finally {
      recorder.dispose();
    }
  });

  it('keeps the selected span across hide and show (the view reloads and is told its selection)', async () => {
    const ext = await inspector();
    const selected = ext.panel.selection;
    assert.ok(selected?.spanId);
    const panel = ext.panel.webviewPanel!;
    // Another editor in the panel's group hides the panel.
    const document = await vscode.workspace.openTextDocument({ content: 'hide the panel', language: 'plaintext' });
    await vscode.window.showTextDocument(document, { viewColumn: panel.viewColumn, preview: false });
    await waitFor('the panel to be hidden', () => !panel.visible);
    const recorder = await recordMessages();
    try {
      const shownAt = Date.now();
      await vscode.commands.executeCommand('respanInspector.showInspector');
      await waitFor('the view to restore its selection', () => recorder.messages.some((m) => m.kind === 'selectionChanged' && m.spanId === selected.spanId), 20_000);
      const restoredMs = Date.now() - shownAt;
      assert.equal(recorder.messages[0]?.kind, 'ready', 'without retained context the view reloads');
      assert.deepEqual(ext.panel.selection, selected);
      // Recorded for the README's retainContextWhenHidden decision.
      const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
      mkdirSync(join(root, 'test-results'), { recursive: true });
      writeFileSync(join(root, 'test-results', 'panel-reload.json'), JSON.stringify({ restoredMs, readyTimingsMs: ext.panel.readyTimings }, null, 2));
    } finally {
      recorder.dispose();
    }
  });

  it('the tree follows a selection made in the panel', async () => {
    const ext = await inspector();
    await vscode.commands.executeCommand('respanInspector.traces.focus');
    const sent = await sendTrace({ name: 'follow_root', children: [{ name: 'follow_leaf' }] });
    const spanId = sent.spanIds.get('follow_leaf')!;
    await waitFor('the tree to list the trace', async () => (await ext.tree.getChildren()).some((node) => node.kind === 'trace' && node.traceId === sent.traceId));
    await vscode.commands.executeCommand('respanInspector.openInInspector', { traceId: sent.traceId, spanId });
    await waitFor('the Traces view on screen', () => ext.treeView.visible);
    // The view reports its selection; the host reveals it in the tree.
    await waitFor('the tree to select the span', () => {
      const selected = ext.treeView.selection[0];
      return selected?.kind === 'span' && (selected as SpanNode).spanId === spanId;
    }, 10_000).catch((error: Error) => {
      const selected = ext.treeView.selection.map((node) => (node.kind === 'span' ? node.spanId : node.kind));
      throw new Error(`${error.message}; tree visible ${ext.treeView.visible}, panel selection ${JSON.stringify(ext.panel.selection)}, tree selection ${JSON.stringify(selected)}, wanted ${spanId}`);
    });
  });

  it('relays the service’s live events to the view, which refetches its list', async () => {
    const ext = await inspector();
    const sent = await sendTrace({ name: 'request_root' });
    const recorder = await recordMessages();
    try {
      // A store change reaches the live view as a service event, and the view refetches its list.
      await ext.service.handle('pinTrace', { traceId: sent.traceId, pinned: true });
      await waitFor('the view to refetch the list', () => recorder.messages.some((m) => m.kind === 'service' && m.type === 'listTraces'), 20_000);
    } finally {
      recorder.dispose();
      await ext.service.handle('pinTrace', { traceId: sent.traceId, pinned: false });
    }
  });
});
