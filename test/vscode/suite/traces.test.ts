// The Traces view fed by a real OpenTelemetry SDK: the tree shows the trace
// and its span tree, refreshes only what changed, filters, pauses, and a
// program started in an integrated terminal reaches the listener unaided.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SpanNode, TraceNode, TracesNode } from '../../../src/extension/tree';
import { EXTENSION_ID, inspector, listenerUrl, processClient, sendTrace, traceSummary, waitFor, workspaceRoot } from './support';

async function rootNodes(): Promise<TracesNode[]> {
  const ext = await inspector();
  return ext.traces.tree.getChildren();
}

describe('Traces view', () => {
  before(async () => {
    await vscode.commands.executeCommand('respanInspector.clearTraces');
    await vscode.commands.executeCommand('respanInspector.traces.focus');
  });

  it('shows a trace sent by the OpenTelemetry SDK, newest first, with its span tree', async () => {
    const ext = await inspector();
    const first = await sendTrace({ name: 'older_trace' });
    const sent = await sendTrace({
      name: 'joke_workflow.workflow',
      attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'joke_workflow' },
      children: [
        { name: 'joke_creation.task', attributes: { 'traceloop.span.kind': 'task' }, children: [{ name: 'openai.chat', attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 30 } }] },
        { name: 'translate.task', attributes: { 'traceloop.span.kind': 'task' }, error: 'unsupported language' },
      ],
    });
    const roots = await waitFor('both traces listed', async () => {
      const nodes = await rootNodes();
      return nodes.length >= 2 ? nodes : undefined;
    });
    assert.deepEqual(
      roots.slice(0, 2).map((node) => (node as TraceNode).traceId),
      [sent.traceId, first.traceId],
    );

    const traceItem = ext.traces.tree.getTreeItem(roots[0]);
    assert.equal(traceItem.label, 'joke_workflow.workflow');
    assert.match(String(traceItem.description), /^1 error · .* · 4 spans · /);
    assert.equal((traceItem.iconPath as vscode.ThemeIcon).id, 'type-hierarchy');
    assert.deepEqual((traceItem.iconPath as vscode.ThemeIcon).color, new vscode.ThemeColor('errorForeground'));
    assert.match(String(traceItem.contextValue), /^trace unpinned/);

    const [workflow] = (await ext.traces.tree.getChildren(roots[0])) as SpanNode[];
    assert.equal(workflow.spanId, sent.spanIds.get('joke_workflow.workflow'));
    const tasks = (await ext.traces.tree.getChildren(workflow)) as SpanNode[];
    assert.deepEqual(tasks.map((node) => ext.traces.tree.getTreeItem(node).label), ['joke_creation.task', 'translate.task']);
    const failed = ext.traces.tree.getTreeItem(tasks[1]);
    assert.match(String(failed.contextValue), /\berror\b/);
    assert.equal(ext.traces.tree.provideFileDecoration(failed.resourceUri!)?.badge, '!');
    const [chat] = (await ext.traces.tree.getChildren(tasks[0])) as SpanNode[];
    const chatItem = ext.traces.tree.getTreeItem(chat);
    assert.equal((chatItem.iconPath as vscode.ThemeIcon).id, 'sparkle');
    assert.match(String(chatItem.description), /gpt-4o-mini · 42 tok/);
    assert.equal(chatItem.tooltip, undefined, 'built when shown, not with every refresh');
    const resolved = ext.traces.tree.resolveTreeItem(chatItem, chat);
    assert.match((resolved.tooltip as vscode.MarkdownString).value, /Model: gpt\\-4o\\-mini/);
    const traceTip = ext.traces.tree.resolveTreeItem(ext.traces.tree.getTreeItem(roots[0]), roots[0]).tooltip as vscode.MarkdownString;
    assert.match(traceTip.value, /^\*\*joke\\_workflow/);
  });

  it('reveals the span in the real tree view (VS Code resolved the elements)', async () => {
    const ext = await inspector();
    const sent = await sendTrace({ name: 'reveal_root', children: [{ name: 'reveal_child', children: [{ name: 'reveal_leaf' }] }] });
    const leaf = await ext.traces.tree.spanNode(sent.traceId, sent.spanIds.get('reveal_leaf')!);
    assert.ok(leaf);
    await waitFor('the view to list the trace', async () => (await rootNodes()).some((node) => node.kind === 'trace' && node.traceId === sent.traceId));
    await waitFor('the Traces view on screen', () => ext.traces.treeView.visible);
    // Let the throttled refresh for the new trace reach the workbench first, as the extension does before it reveals.
    await ext.traces.tree.whenRefreshed();
    await ext.traces.treeView.reveal(leaf, { select: true, focus: false, expand: true });
    // The selection comes back from the workbench as an event, after reveal settles. A refresh for
    // spans of earlier tests can land in between and drop it in the workbench: reveal again then.
    let revealedAt = Date.now();
    const selected = await waitFor('the revealed span to be selected', async () => {
      if (ext.traces.treeView.selection[0]) return ext.traces.treeView.selection[0];
      if (Date.now() - revealedAt > 2_000) {
        revealedAt = Date.now();
        await ext.traces.tree.whenRefreshed();
        await ext.traces.treeView.reveal(leaf, { select: true, focus: false, expand: true });
      }
      return undefined;
    });
    assert.equal(selected.kind, 'span');
    assert.equal((selected as SpanNode).spanId, sent.spanIds.get('reveal_leaf'));
  });

  it('refreshes only the trace that received spans, and the root list only for new traces', async () => {
    const ext = await inspector();
    const sent = await sendTrace({ name: 'growing_trace' });
    await waitFor('the view to list the trace', async () => (await rootNodes()).some((node) => node.kind === 'trace' && node.traceId === sent.traceId));
    // Let pending refreshes drain, then send one more span of the existing trace to the process.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = { ...ext.traces.tree.stats };
    const refreshed: Array<TracesNode | TracesNode[] | undefined> = [];
    const subscription = ext.traces.tree.onDidChangeTreeData((element) => refreshed.push(element));
    try {
      // Inside the trace's time span: a span that moved the trace's start would move it in the list.
      const at = BigInt(Date.now() - 600) * 1_000_000n;
      const late = { traceId: sent.traceId, spanId: 'aaaaaaaaaaaaaaaa', parentSpanId: sent.spanIds.get('growing_trace'), name: 'late_child', startTimeUnixNano: String(at), endTimeUnixNano: String(at + 1_000_000n) };
      const response = await fetch(`${await listenerUrl()}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [late] }] }] }),
      });
      assert.equal(response.status, 200);
      await waitFor('a refresh', () => refreshed.length > 0);
      assert.equal(ext.traces.tree.stats.root, before.root, 'no root refresh for an update');
      assert.equal(ext.traces.tree.stats.traces, before.traces + 1);
      const elements = refreshed[0] as TracesNode[];
      assert.ok(Array.isArray(elements) && elements.length === 1 && elements[0].kind === 'trace' && elements[0].traceId === sent.traceId);
    } finally {
      subscription.dispose();
    }
  });

  it('filters by text and by is:error, and clears the filter', async () => {
    const ext = await inspector();
    await sendTrace({ name: 'filter_ok_trace' });
    const bad = await sendTrace({ name: 'filter_bad_trace', error: 'boom' });
    await vscode.commands.executeCommand('respanInspector.filterTraces', 'filter_ is:error');
    try {
      const nodes = await rootNodes();
      assert.deepEqual(nodes.map((node) => (node as TraceNode).traceId), [bad.traceId]);
      assert.equal(ext.traces.treeView.message, 'Filtered by "filter_ is:error"');
    } finally {
      await vscode.commands.executeCommand('respanInspector.clearFilter');
    }
    assert.ok((await rootNodes()).length > 1);
    assert.equal(ext.traces.treeView.message, undefined);
  });

  it('pauses capture (spans dropped and counted) and resumes it', async () => {
    const ext = await inspector();
    await vscode.commands.executeCommand('respanInspector.pauseCapture');
    try {
      const url = await listenerUrl();
      const response = await fetch(`${url}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5'.repeat(32), spanId: '6'.repeat(16), name: 'paused', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] }),
      });
      assert.equal(response.status, 200, 'senders are still answered while paused');
      assert.equal(await traceSummary('5'.repeat(32)), undefined);
      assert.equal((await (await processClient()).call('status', {})).droppedSpans, 1);
      assert.match(ext.traces.treeView.description ?? '', /paused/);
      assert.match(ext.listener.statusBar.text, /paused/);
    } finally {
      await vscode.commands.executeCommand('respanInspector.resumeCapture');
    }
    assert.doesNotMatch(ext.traces.treeView.description ?? '', /paused/);
    await sendTrace({ name: 'after_resume' });
  });

  it('gives new integrated terminals the listener’s variables: a program run there sends its trace here', async function () {
    this.timeout(60_000);
    const ext = await inspector();
    const url = await listenerUrl();
    assert.deepEqual(ext.listener.terminal.current(), {
      OTEL_EXPORTER_OTLP_ENDPOINT: url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      RESPAN_BASE_URL: `${url}/api`,
    });
    const envFile = join(tmpdir(), `respan-terminal-env-${process.pid}-${Date.now()}.txt`);
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const script = vscode.Uri.joinPath(workspaceRoot(), 'tools', 'send-trace.cjs').fsPath;
    const name = `terminal_app_${Date.now()}`;
    // The shell records what it was given, then runs an OTel app that reads only the environment.
    const terminal = vscode.window.createTerminal({
      name: 'respan-suite',
      shellPath: '/bin/sh',
      shellArgs: ['-c', `printf '%s\\n%s\\n%s\\n' "$OTEL_EXPORTER_OTLP_ENDPOINT" "$OTEL_EXPORTER_OTLP_PROTOCOL" "$RESPAN_BASE_URL" > '${envFile}'; node '${script}' '${name}'`],
      env: { NODE_PATH: join(extensionPath, 'node_modules') },
      cwd: workspaceRoot(),
    });
    try {
      await waitFor('the terminal to write its environment', () => existsSync(envFile) && readFileSync(envFile, 'utf8').split('\n').length >= 3, 20_000);
      assert.deepEqual(readFileSync(envFile, 'utf8').trim().split('\n'), [url, 'http/protobuf', `${url}/api`]);
      const client = await processClient();
      const entry = await waitFor('the terminal app’s trace', async () => (await client.call('listTraces', { query: { name } })).traces[0], 30_000);
      assert.equal(entry.spanCount, 2);
    } finally {
      terminal.dispose();
      rmSync(envFile, { force: true });
    }
  });

  it('stops giving terminals the variables when the setting is off, and gives them again when on', async () => {
    const ext = await inspector();
    const config = vscode.workspace.getConfiguration('respanInspector');
    await config.update('terminal.injectEnvironment', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('the variables to be removed', () => Object.keys(ext.listener.terminal.current()).length === 0);
    } finally {
      await config.update('terminal.injectEnvironment', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('the variables to be back', () => ext.listener.terminal.current().OTEL_EXPORTER_OTLP_ENDPOINT !== undefined);
  });

  it('copies the environment variables for other shells', async () => {
    const url = await listenerUrl();
    const text = await vscode.commands.executeCommand<string>('respanInspector.copyEnvironment', 'posix');
    assert.equal(text, `export OTEL_EXPORTER_OTLP_ENDPOINT=${url}\nexport OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\nexport RESPAN_BASE_URL=${url}/api`);
    assert.equal(await vscode.env.clipboard.readText(), text);
  });
});
