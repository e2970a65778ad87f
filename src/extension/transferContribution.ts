/** Import and export of trace files: the file through the editor, the spans through the inspector process. */

import * as vscode from 'vscode';
import { refOf, registerCommands, type ItemArgument, type SpanRef } from './commands';
import type { InspectorConnection } from './connection';
import { DisposableStore } from './disposables';
import { notAttached } from './tracesContribution';
import type { TracesTreeProvider } from './tree';

/** Offers to save a trace export under `suggestedName`; false when the user cancelled. */
export async function saveExport(suggestedName: string, content: string): Promise<boolean> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: 'Export Trace as OTLP JSON',
    defaultUri: folder ? vscode.Uri.joinPath(folder, suggestedName) : undefined,
    filters: { 'OTLP JSON': ['json'] },
  });
  if (!target) return false;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(content));
  return true;
}

/** A trace from the argument, the panel's selection, or a quick pick of the listed traces. */
export async function chooseTrace(argument: ItemArgument, selection: SpanRef | undefined, tree: TracesTreeProvider, purpose: string): Promise<string | undefined> {
  const ref = refOf(argument) ?? selection;
  if (ref) return ref.traceId;
  const traces = tree.listed();
  if (traces.length === 0) {
    void vscode.window.showInformationMessage('Respan Trace Inspector: no traces yet.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    traces.map((trace) => ({ label: trace.name || trace.traceId, description: `${trace.spanCount} spans`, detail: trace.traceId, traceId: trace.traceId })),
    { title: purpose, matchOnDetail: true },
  );
  return picked?.traceId;
}

/** The import and export commands. */
export class TransferContribution implements vscode.Disposable {
  private readonly disposables = new DisposableStore();

  constructor(
    private readonly connection: InspectorConnection,
    private readonly tree: TracesTreeProvider,
    private readonly selection: () => SpanRef | undefined,
    private readonly show: (ref: SpanRef) => void,
  ) {
    this.disposables.add(
      registerCommands({
        exportTrace: (item) => this.exportTrace(item),
        importTraceFile: (file) => this.importTraceFile(file),
      }),
    );
  }

  private async exportTrace(argument: ItemArgument): Promise<boolean> {
    const traceId = await chooseTrace(argument, this.selection(), this.tree, 'Export which trace?');
    if (!traceId) return false;
    const client = this.connection.client;
    if (!client) return notAttached() ?? false;
    let file;
    try {
      file = await client.call('exportTrace', { traceId });
    } catch (error) {
      void vscode.window.showWarningMessage(`Respan Trace Inspector: ${(error as Error).message}`);
      return false;
    }
    return saveExport(file.fileName, file.content);
  }

  private async importTraceFile(file?: vscode.Uri): Promise<number> {
    const client = this.connection.client;
    if (!client) return notAttached() ?? 0;
    const uri =
      file ??
      (
        await vscode.window.showOpenDialog({
          title: 'Import Trace File',
          canSelectMany: false,
          filters: { 'OTLP JSON or Respan ingest JSON': ['json'] },
        })
      )?.[0];
    if (!uri) return 0;
    const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
    let content: string;
    try {
      content = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch (error) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: could not import ${uri.fsPath}: ${(error as Error).message}`);
      return 0;
    }
    try {
      const result = await client.call('importTraces', { content, fileName: name });
      if (result.imported === 0) {
        void vscode.window.showErrorMessage(`Respan Trace Inspector: ${name} holds no spans.`);
        return 0;
      }
      const note = result.rejected > 0 ? `; ${result.message}` : '';
      void vscode.window.showInformationMessage(`Respan Trace Inspector: imported ${result.imported} spans from ${name}${note}`);
      this.show({ traceId: result.traceIds[0] });
      return result.imported;
    } catch (error) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: ${(error as Error).message}`);
      return 0;
    }
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
