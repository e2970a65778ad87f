/**
 * The host side of the panel's requests: service requests are relayed to the
 * service as they came, without being read (so a new request needs nothing
 * here); editor requests (open a file, the clipboard, a save dialog) go to
 * {@link EditorServices}. No `vscode` import: tested outside VS Code.
 */

import { isServiceError } from '../core/service/errors';
import type { EditorRequest, EditorRequestResults, HostCapabilities, ReplyMessage, ServiceRequestMessage, SourceTarget } from '../protocol/messages';
import type { ServiceEndpoint } from '../protocol/service';

/** What only the editor can do for the panel. */
export interface EditorServices {
  openSource(target: SourceTarget): Promise<boolean>;
  copy(text: string): Promise<void>;
  /** Offers to save `content` (a trace export) under `fileName`; false when the user cancelled. */
  saveExport(fileName: string, content: string): Promise<boolean>;
}

/** What the panel offers the view; forwarding when the service has a forwarder to use. */
export async function panelCapabilities(service: ServiceEndpoint): Promise<HostCapabilities> {
  const forward = await service.dispatch('forwardingStatus', {}).then(
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

/** The reply to one request of the view; a refusal carries the service's reason. */
export async function answerViewRequest(request: ServiceRequestMessage | EditorRequest, service: ServiceEndpoint, editor: EditorServices): Promise<ReplyMessage> {
  try {
    const result = request.kind === 'service' ? await service.dispatch(request.type, request.params) : await answerEditorRequest(request, editor);
    return { kind: 'reply', requestId: request.id, ok: true, result };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'reply', requestId: request.id, ok: false, error: message, ...(isServiceError(error) ? { reason: error.reason } : {}) };
  }
}
