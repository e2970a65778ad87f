// Placeholder extension: just enough surface (activation, one command, disposal)
// for the real-VS Code test harness to prove itself. The real extension replaces it.
import * as vscode from 'vscode';

/** Command that tells which build of the extension runs in which VS Code. */
export const SHOW_VERSION_COMMAND = 'respanInspector.showVersion';

/** Registers the placeholder command; VS Code disposes `context.subscriptions` on deactivation. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(SHOW_VERSION_COMMAND, (): string => {
      const { version } = context.extension.packageJSON as { version?: string };
      const message = `Respan Trace Inspector ${version ?? 'unknown'} running in VS Code ${vscode.version}`;
      // Not awaited: the promise settles only when the message is dismissed.
      void vscode.window.showInformationMessage(message);
      // Returned so that tests can check what was shown without scraping the UI.
      return message;
    }),
  );
}

/** Nothing to release beyond `context.subscriptions`. */
export function deactivate(): void {}
