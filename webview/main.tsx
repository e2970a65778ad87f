/**
 * Entry point of the inspector UI bundle (`dist/webview/webview.js`). The same
 * bundle runs in a VS Code webview and in a browser page served by the
 * listener; `pickHost` decides which host it talks to.
 */

import '@vscode/codicons/dist/codicon.css';
import './styles.css';
import { render } from 'preact';
import { App } from './app';
import { pickHost } from './host/index';

const root = document.getElementById('app');
if (root) render(<App host={pickHost()} />, root);
