// Drives the real workbench: the placeholder's command through the command palette.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeQuickInput, findCommand, runCommand, screenshot, showNotifications, workbench } from './workbench';

const label = 'Respan Trace Inspector: Show Version';
const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };

describe('command palette', () => {
  // Closes whatever a previous test left open; done before, not after, so a failure screenshot still shows it.
  beforeEach(closeQuickInput);

  it('lists the placeholder command under its category', async () => {
    await findCommand(label);
    const rows = workbench().locator('.quick-input-list .monaco-list-row', { hasText: label });
    assert.equal(await rows.count(), 1, 'the command should be listed exactly once');
    await screenshot('ui-command-palette');
  });

  it('runs the command, whose message appears in the notification center', async () => {
    await runCommand(label);
    const messages = await showNotifications();
    const message = messages.filter({ hasText: 'Respan Trace Inspector' });
    await message.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await message.innerText(), new RegExp(`^Respan Trace Inspector ${version.replace(/\./g, '\\.')} running in VS Code 1\\.139\\.\\d+$`));
    await screenshot('ui-show-version-notification');
  });
});
