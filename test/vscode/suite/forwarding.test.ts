// Forwarding to Respan from VS Code, against a fake Respan endpoint on
// loopback: the key goes to SecretStorage through the command, a trace is
// forwarded from the tree's command and through the service (the panel's
// request path), the tree shows its state, and a refused key is reported
// plainly.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { FakeRespan } from '../../support/fakeRespan';
import type { TracesNode } from '../../../src/extension/tree';
import { inspector, sendTrace, waitFor } from './support';

const forwardingConfig = () => vscode.workspace.getConfiguration('respanInspector.forwarding');

describe('Forwarding to Respan', () => {
  const fake = new FakeRespan(['good-key-0123456789']);

  before(async () => {
    await fake.start();
    await forwardingConfig().update('baseUrl', fake.baseUrl, vscode.ConfigurationTarget.Workspace);
    const ext = await inspector();
    await ext.keyLoaded;
    await waitFor('the forwarder to use the fake', () => ext.forwarding?.forwarder?.baseUrl === fake.baseUrl);
  });

  after(async () => {
    await vscode.commands.executeCommand('respanInspector.clearApiKey');
    await forwardingConfig().update('baseUrl', undefined, vscode.ConfigurationTarget.Workspace);
    await fake.stop();
  });

  it('refuses to forward without a key, saying how to set one', async () => {
    const ext = await inspector();
    await vscode.commands.executeCommand('respanInspector.clearApiKey');
    const sent = await sendTrace({ name: 'no_key_trace' });
    await assert.rejects(ext.service.handle('forwardTrace', { traceId: sent.traceId, waitMs: 15_000 }), (error: Error & { reason?: string }) => {
      assert.equal(error.reason, 'unavailable');
      assert.match(error.message, /Set Respan API Key/);
      return true;
    });
    assert.equal(fake.requests.length, 0);
  });

  it('stores the key in SecretStorage and forwards a trace from the tree command; the tree shows it sent', async () => {
    const ext = await inspector();
    assert.equal(await vscode.commands.executeCommand('respanInspector.setApiKey', 'good-key-0123456789'), true);
    assert.equal(ext.forwarding!.hasApiKey, true);
    const sent = await sendTrace({ name: 'forwarded_trace', children: [{ name: 'forwarded_child' }] });
    const result = await vscode.commands.executeCommand<{ ok: boolean; message: string }>('respanInspector.forwardTrace', { traceId: sent.traceId });
    assert.deepEqual(result, { ok: true, message: 'Sent 2 spans to Respan.' });
    const request = fake.accepted.at(-1)!;
    assert.equal(request.path, '/api/v2/traces');
    assert.equal(request.headers.authorization, 'Bearer good-key-0123456789');
    assert.match(request.body, /forwarded_child/);
    const node = await waitFor('the trace in the tree', async () => (await ext.tree.getChildren()).find((n: TracesNode) => n.kind === 'trace' && n.traceId === sent.traceId));
    await waitFor('the tree to say it was sent', () => /sent to Respan/.test(String(ext.tree.getTreeItem(node).description)));
    assert.match(String(ext.tree.getTreeItem(node).contextValue), /\bforwardable\b/);
  });

  it('reports a key Respan refuses, without showing the key', async () => {
    const ext = await inspector();
    await vscode.commands.executeCommand('respanInspector.setApiKey', 'wrong-key-9876543210');
    const sent = await sendTrace({ name: 'refused_trace' });
    const result = await ext.service.handle('forwardTrace', { traceId: sent.traceId, waitMs: 15_000 });
    assert.equal(result.ok, false);
    assert.match(result.message, /key/i);
    assert.doesNotMatch(result.message, /wrong-key-9876543210/);
    await waitFor('the status bar to flag forwarding', () => /\$\(warning\)/.test(ext.statusBar.text));
  });
});
