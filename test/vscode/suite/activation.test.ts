// Runs inside the extension host against the extension under development.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const extensionId = 'respan.respan-trace-inspector';
const commandId = 'respanInspector.showVersion';
/** Both runners pin the VS Code build and say which; 1.139 is what they pin today. */
const expectedVersion = process.env.RESPAN_EXPECTED_VSCODE_VERSION ?? '1.139';

function extension(): vscode.Extension<unknown> {
  const found = vscode.extensions.getExtension(extensionId);
  assert.ok(found, `${extensionId} is not among the loaded extensions`);
  return found;
}

describe('extension', () => {
  it('is loaded from the development path and activates', async () => {
    const loaded = extension();
    await loaded.activate();
    assert.equal(loaded.isActive, true);
  });

  it('registers the command that its manifest contributes', async () => {
    const contributed = (extension().packageJSON.contributes?.commands ?? []) as { command: string }[];
    assert.ok(contributed.some((entry) => entry.command === commandId), `package.json does not contribute ${commandId}`);
    const registered = await vscode.commands.getCommands(true);
    assert.ok(registered.includes(commandId), `${commandId} is not registered`);
  });

  it('runs its command, which reports the extension and VS Code versions', async () => {
    const message = await vscode.commands.executeCommand<string>(commandId);
    const { version } = extension().packageJSON as { version: string };
    assert.equal(message, `Respan Trace Inspector ${version} running in VS Code ${vscode.version}`);
  });

  it(`runs in VS Code ${expectedVersion}`, () => {
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
    const [major, minor] = vscode.version.split('.');
    const [expectedMajor, expectedMinor] = expectedVersion.split('.');
    assert.equal(`${major}.${minor}`, `${expectedMajor}.${expectedMinor}`, `vscode.version is ${vscode.version}`);
  });
});
