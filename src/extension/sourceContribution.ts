/** Jump to source: a span's details from the inspector process, resolved to a workspace file. */

import * as vscode from 'vscode';
import type { SourceTarget } from '../protocol/messages';
import { refOf, registerCommands, type ItemArgument, type SpanRef } from './commands';
import type { InspectorConnection } from './connection';
import { DisposableStore } from './disposables';
import { SourceNavigator, type JumpResult } from './source';
import { notAttached, unlessGone } from './tracesContribution';

/** The jump-to-source command and the panel's "open source" requests. */
export class SourceContribution implements vscode.Disposable {
  readonly navigator: SourceNavigator;
  private readonly disposables = new DisposableStore();

  constructor(
    private readonly connection: InspectorConnection,
    private readonly selection: () => SpanRef | undefined,
    column: () => vscode.ViewColumn,
  ) {
    this.navigator = this.disposables.add(new SourceNavigator(column));
    this.disposables.add(registerCommands({ jumpToSource: (item) => this.jumpToSource(item) }));
  }

  /** Opens a location the panel names. */
  async openTarget(target: SourceTarget): Promise<boolean> {
    return (await this.navigator.openTarget(target)) !== undefined;
  }

  private async jumpToSource(argument: ItemArgument): Promise<JumpResult | undefined> {
    const ref = refOf(argument) ?? this.selection();
    if (!ref?.spanId) {
      void vscode.window.showInformationMessage('Respan Trace Inspector: select a span first (in the Traces view or the inspector panel).');
      return undefined;
    }
    const client = this.connection.client;
    if (!client) return notAttached();
    const span = await client.call('getSpan', { traceId: ref.traceId, spanId: ref.spanId }).catch(unlessGone);
    if (!span) {
      void vscode.window.showWarningMessage('Respan Trace Inspector: that span is no longer in the inspector.');
      return undefined;
    }
    return this.navigator.jumpToSpan(span);
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
