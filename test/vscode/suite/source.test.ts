// Jump to source in the fixture workspace, one test per resolution path: code
// attributes, a Python stack trace, a Node stack trace through a source map,
// decorator and wrapper names; and what happens when nothing resolves.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { JumpResult } from '../../../src/extension/source';
import { closeEditors, sendTrace, waitFor, workspaceRoot, type SpanPlan } from './support';

/** Sends a one-span trace and runs "Jump to Source" on it, as the tree's context menu does. */
async function jump(plan: SpanPlan, resource?: Record<string, string>): Promise<JumpResult | undefined> {
  const sent = await sendTrace(plan, resource);
  return vscode.commands.executeCommand<JumpResult | undefined>('respanInspector.jumpToSource', { traceId: sent.traceId, spanId: sent.spanIds.get(plan.name)! });
}

/** Asserts the active editor shows `relativePath` with the cursor on `line` (1-based). */
async function assertEditorAt(relativePath: string, line: number): Promise<void> {
  const expected = vscode.Uri.joinPath(workspaceRoot(), relativePath).fsPath;
  const editor = await waitFor(`an editor on ${relativePath}`, () => {
    const active = vscode.window.activeTextEditor;
    return active && active.document.uri.fsPath === expected ? active : undefined;
  });
  assert.equal(editor.selection.active.line + 1, line, `cursor line in ${relativePath}`);
  const visible = editor.visibleRanges.some((range) => range.start.line <= line - 1 && range.end.line >= line - 1);
  assert.ok(visible, `line ${line} is scrolled into view`);
}

const PYTHON_TRACE = `Traceback (most recent call last):
  File "/app/agent/joke.py", line 20, in joke_workflow
    return translate(joke, language)
  File "/app/agent/joke.py", line 13, in translate
    raise ValueError(f"unsupported language: {language}")
ValueError: unsupported language: klingon`;

const NODE_TRACE = `Error: order without id
    at Object.parseOrder (/srv/app/build/handler.js:27:11)
    at handle (/srv/app/build/server.js:14:22)
    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;

describe('Jump to source', () => {
  beforeEach(closeEditors);

  it('opens code.file.path at code.line.number, mapping a path recorded on another machine', async () => {
    const result = await jump({
      name: 'generate_signature',
      attributes: { 'code.file.path': '/home/runner/work/jokes/agent/joke.py', 'code.line.number': 23, 'code.function.name': 'generate_signature' },
    });
    assert.equal(result?.origin, 'code');
    await assertEditorAt('agent/joke.py', 23);
  });

  it('opens the old code.filepath / code.lineno names relative to the workspace', async () => {
    const result = await jump({ name: 'create_joke', attributes: { 'code.filepath': 'agent/joke.py', 'code.lineno': 7 } });
    assert.equal(result?.origin, 'code');
    await assertEditorAt('agent/joke.py', 7);
  });

  it('opens the innermost workspace frame of a Python exception stack trace', async () => {
    const result = await jump(
      {
        name: 'translate.task',
        error: 'unsupported language',
        events: [{ name: 'exception', attributes: { 'exception.type': 'ValueError', 'exception.message': 'unsupported language: klingon', 'exception.stacktrace': PYTHON_TRACE } }],
      },
      { 'service.name': 'jokes', 'telemetry.sdk.language': 'python' },
    );
    assert.equal(result?.origin, 'exception');
    await assertEditorAt('agent/joke.py', 13);
  });

  it('opens a Node stack frame through the source map beside the compiled file', async () => {
    const result = await jump(
      {
        name: 'POST /orders',
        error: 'order without id',
        events: [{ name: 'exception', attributes: { 'exception.type': 'Error', 'exception.message': 'order without id', 'exception.stacktrace': NODE_TRACE } }],
      },
      { 'service.name': 'orders', 'telemetry.sdk.language': 'nodejs' },
    );
    assert.equal(result?.origin, 'exception');
    assert.equal(result?.sourceMapped, true);
    await assertEditorAt('src/handler.ts', 12);
  });

  it('finds a decorated Python function by its workflow name (@workflow(name="joke_workflow"))', async () => {
    const result = await jump({ name: 'joke_workflow.workflow', attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'joke_workflow' } });
    assert.equal(result?.origin, 'entity');
    // The decorator line, not the test file that calls joke_workflow().
    await assertEditorAt('agent/joke.py', 17);
  });

  it('finds a JS wrapper by its task name (withTask({ name: "summarize_text" }))', async () => {
    const result = await jump({ name: 'summarize_text.task', attributes: { 'traceloop.span.kind': 'task' } });
    assert.equal(result?.origin, 'entity');
    await assertEditorAt('src/pipeline.ts', 5);
  });

  it('prefers the recorded exception frame over the entity search', async () => {
    const result = await jump(
      {
        name: 'joke_workflow.workflow',
        attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'joke_workflow' },
        events: [{ name: 'exception', attributes: { 'exception.type': 'ValueError', 'exception.stacktrace': PYTHON_TRACE } }],
      },
      { 'telemetry.sdk.language': 'python' },
    );
    assert.equal(result?.origin, 'exception');
    await assertEditorAt('agent/joke.py', 13);
  });

  it('opens nothing when nothing resolves (and offers a search instead)', async () => {
    const result = await jump({ name: 'no_such_entity_anywhere.task', attributes: { 'traceloop.span.kind': 'task' } });
    assert.equal(result, undefined);
    assert.equal(vscode.window.activeTextEditor, undefined);
  });

  it('opens a frame the panel names (its open-source request)', async () => {
    const { SourceNavigator } = await import('../../../src/extension/source');
    const navigator = new SourceNavigator();
    try {
      const result = await navigator.openTarget({ filePath: 'C:\\Users\\dev\\jokes\\agent\\joke.py', line: 8 });
      assert.equal(result?.origin, 'target');
      await assertEditorAt('agent/joke.py', 8);
    } finally {
      navigator.dispose();
    }
  });
});
