/** Command ids of the extension; package.json contributes the same ids with titles and menus. */

/** Every command the extension registers. */
export const COMMANDS = {
  showInspector: 'respanInspector.showInspector',
  openInBrowser: 'respanInspector.openInBrowser',
  clearTraces: 'respanInspector.clearTraces',
  pauseCapture: 'respanInspector.pauseCapture',
  resumeCapture: 'respanInspector.resumeCapture',
  filterTraces: 'respanInspector.filterTraces',
  clearFilter: 'respanInspector.clearFilter',
  exportTrace: 'respanInspector.exportTrace',
  importTraceFile: 'respanInspector.importTraceFile',
  copyEnvironment: 'respanInspector.copyEnvironment',
  restartListener: 'respanInspector.restartListener',
  startListener: 'respanInspector.startListener',
  stopListener: 'respanInspector.stopListener',
  pickPort: 'respanInspector.pickPort',
  openInInspector: 'respanInspector.openInInspector',
  jumpToSource: 'respanInspector.jumpToSource',
  copyTraceId: 'respanInspector.copyTraceId',
  copySpanId: 'respanInspector.copySpanId',
  pinTrace: 'respanInspector.pinTrace',
  unpinTrace: 'respanInspector.unpinTrace',
  deleteTrace: 'respanInspector.deleteTrace',
  runDemo: 'respanInspector.runDemo',
  showVersion: 'respanInspector.showVersion',
  setApiKey: 'respanInspector.setApiKey',
  clearApiKey: 'respanInspector.clearApiKey',
  forwardTrace: 'respanInspector.forwardTrace',
} as const;

/** Context keys the manifest's `when` clauses read. */
export const CONTEXT_KEYS = {
  /** `running`, `starting`, `stopped` or `error`. */
  listenerState: 'respanInspector.listenerState',
  paused: 'respanInspector.paused',
  filtered: 'respanInspector.filtered',
  hasTraces: 'respanInspector.hasTraces',
  /** The panel has a span or trace selected. */
  hasSelection: 'respanInspector.hasSelection',
  /** A Respan API key is stored. */
  hasApiKey: 'respanInspector.hasApiKey',
} as const;
