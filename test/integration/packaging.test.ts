/**
 * What the .vsix carries, and that it is enough: the files `vsce` would
 * package (read with `vsce ls`, from the bundles the test run built), laid out
 * as an installed extension in a folder of their own, start the inspector
 * process exactly as the extension starts it, and that process takes traces
 * from the OpenTelemetry SDK's exporters (gRPC and HTTP) and serves the UI
 * without anything else from this repository.
 */
import * as assert from 'node:assert/strict';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HttpInspectorClient } from '../../src/extension/inspectorClient';
import { attachOrStart } from '../../src/extension/inspectorProcess';
import { sendTrace, settingsOnFreePorts } from '../support/processes';

const ROOT = join(__dirname, '..', '..');

function packagedFiles(): string[] {
  const output = execFileSync(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
  return output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

describe('the .vsix', function () {
  this.timeout(60_000);
  let files: string[];
  let pid: number | undefined;

  before(() => {
    files = packagedFiles();
  });

  after(() => {
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  });

  it('carries the extension, the inspector process it starts, the demo and the UI, and no sources or maps', () => {
    for (const needed of ['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/demo.js', 'dist/webview/webview.js', 'dist/webview/webview.css']) assert.ok(files.includes(needed), `${needed} is packaged (${files.join(', ')})`);
    assert.deepEqual(
      files.filter((file) => file.endsWith('.map') || file.endsWith('.ts') || file.startsWith('src/') || file.startsWith('node_modules/')),
      [],
    );
  });

  it('is enough, installed on its own, to start the inspector process the way the extension does', async () => {
    const installed = mkdtempSync(join(tmpdir(), 'installed-extension-'));
    for (const file of files) {
      mkdirSync(dirname(join(installed, file)), { recursive: true });
      cpSync(join(ROOT, file), join(installed, file));
    }
    const settings = await settingsOnFreePorts();
    const found = await attachOrStart({ settings, command: { execPath: process.execPath, args: [join(installed, 'dist', 'cli.js')] }, logFile: join(installed, 'inspector.log') });
    pid = found.status.pid;
    assert.equal(found.started, true);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(found.status.version, version, 'the process finds its version in the installed manifest');

    await sendTrace(found.url, 'from-the-installed-extension');
    // The OpenTelemetry SDK's own exporters, over OTLP/gRPC and OTLP/HTTP protobuf: the bundle carries both receivers.
    const grpcEndpoint = found.status.endpoints.grpc;
    assert.ok(grpcEndpoint, 'the gRPC receiver started');
    for (const [name, exporter] of [
      ['sdk-over-grpc', new GrpcExporter({ url: grpcEndpoint })],
      ['sdk-over-http-protobuf', new ProtoExporter({ url: `${found.url}/v1/traces` })],
    ] as const) {
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      provider.getTracer('packaging-test').startSpan(name).end();
      await provider.forceFlush();
      await provider.shutdown();
    }
    const listed = await new HttpInspectorClient(found.url).call('listTraces', { query: {} });
    assert.deepEqual(listed.traces.map((trace) => trace.name).sort(), ['from-the-installed-extension-root', 'sdk-over-grpc', 'sdk-over-http-protobuf']);

    const page = await fetch(`${found.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /webview\.js/);
    assert.equal((await fetch(`${found.url}/webview/webview.js`)).status, 200);
  });
});
