/**
 * The host side of the panel's requests: service requests go to the
 * inspector process by name, parameters and answer carried unread (so a new
 * request needs nothing here, and the process, not the host, refuses a type
 * it does not know); editor requests (open a file, the clipboard, a save
 * dialog) go to {@link EditorServices}. No `vscode` import: tested outside
 * VS Code.
 */

import { isServiceError } from '../core/service/errors';
import type { ServiceRelay } from './inspectorClient';
import type { EditorRequest, EditorRequestResults, HostCapabilities, ReplyMessage, ReplyPieceMessage, ServiceRequestMessage, SourceTarget } from '../protocol/messages';

/** What only the editor can do for the panel. */
export interface EditorServices {
  openSource(target: SourceTarget): Promise<boolean>;
  copy(text: string): Promise<void>;
  /** Offers to save `content` (a trace export) under `fileName`; false when the user cancelled. */
  saveExport(fileName: string, content: string): Promise<boolean>;
}

/** What the panel offers the view; forwarding when the service has a forwarder to use. */
export async function panelCapabilities(relay: ServiceRelay): Promise<HostCapabilities> {
  const forward = await relay('forwardingStatus', {}, () => undefined).then(
    () => true,
    () => false,
  );
  return { openSource: true, copy: true, exportToFile: true, import: true, pin: true, delete: true, forward };
}

async function answerEditorRequest(request: EditorRequest, editor: EditorServices): Promise<EditorRequestResults[EditorRequest['type']]> {
  switch (request.type) {
    case 'openSource':
      return editor.openSource(request.target);
    case 'copy':
      await editor.copy(request.text);
      return null;
    case 'saveExport':
      return editor.saveExport(request.fileName, request.content);
  }
}

/**
 * Answers one request of the view: the result's pieces go to `post` as they
 * come (the next one once the view took the last, when `post` says when),
 * then the reply; a refusal carries the service's reason.
 */
export async function answerViewRequest(
  request: ServiceRequestMessage | EditorRequest,
  relay: ServiceRelay,
  editor: EditorServices,
  post: (message: ReplyPieceMessage | ReplyMessage) => PromiseLike<unknown> | void,
): Promise<void> {
  const requestId = request.id;
  const onPiece = (piece: Uint8Array) => post({ kind: 'replyPiece', requestId, piece });
  try {
    let binary = false;
    if (request.kind === 'service') ({ binary } = await relay(request.type, request.params, onPiece));
    else onPiece(new TextEncoder().encode(JSON.stringify(await answerEditorRequest(request, editor))));
    void post(binary ? { kind: 'reply', requestId, ok: true, binary } : { kind: 'reply', requestId, ok: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void post({ kind: 'reply', requestId, ok: false, error: message, ...(isServiceError(error) ? { reason: error.reason } : {}) });
  }
}
