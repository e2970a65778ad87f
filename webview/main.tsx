/**
 * Entry point of the inspector UI bundle (`dist/webview/webview.js`). The same
 * bundle runs in a VS Code webview and in a browser page served by the
 * listener; `pickHost` decides which host it talks to.
 */

import '@vscode/codicons/dist/codicon.css';
import './styles.css';
import { render } from 'preact';
import { App } from './app';
import { ErrorBoundary } from './components/ErrorBoundary';
import { pickHost } from './host/index';

const root = document.getElementById('app');
if (root) {
  const host = pickHost();
  // A failure no part caught: show it, and forget the open trace so a reload does not reopen into it.
  const forgetOpenTrace = () => host.saveState({ ...host.loadState(), traceId: undefined });
  render(
    <ErrorBoundary part="inspector" onError={forgetOpenTrace}>
      <App host={host} />
    </ErrorBoundary>,
    root,
  );
}
