/** Picks the host implementation for the page the app runs in. */

import { createHttpHost } from './httpHost';
import type { InspectorHost } from './types';
import { createVsCodeHost, findVsCodeApi } from './vscodeHost';

export type { HostInfo, InspectorHost, PersistedUiState } from './types';

/** Inside a VS Code webview `acquireVsCodeApi` exists; anywhere else the page talks HTTP to its origin. */
export function pickHost(): InspectorHost {
  const acquire = findVsCodeApi();
  return acquire ? createVsCodeHost(acquire()) : createHttpHost();
}
