// Each default is defined once (src/core/defaults.ts). package.json cannot
// import it, so its contributed setting defaults are checked against it here,
// and the command line's against it too.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../../src/cli/main';
import {
  DEFAULT_GRPC_PORT,
  DEFAULT_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_MAX_DISK_MB,
  DEFAULT_MAX_MEMORY_MB,
  DEFAULT_MAX_SPANS,
  DEFAULT_MAX_TRACES,
  DEFAULT_RESPAN_BASE_URL,
  MIN_MAX_MEMORY_MB,
} from '../../src/core/defaults';
import { DEFAULT_FORWARD_SETTINGS } from '../../src/core/forward/payload';

interface Setting {
  default?: unknown;
  minimum?: number;
}

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Setting> } };
};
const setting = (key: string): Setting => {
  const found = manifest.contributes.configuration.properties[`respanInspector.${key}`];
  assert.ok(found, `package.json contributes respanInspector.${key}`);
  return found;
};

describe('defaults, defined once', () => {
  it('are the defaults package.json contributes for the extension’s settings', () => {
    assert.equal(setting('host').default, DEFAULT_HOST);
    assert.equal(setting('httpPort').default, DEFAULT_HTTP_PORT);
    assert.equal(setting('grpcPort').default, DEFAULT_GRPC_PORT);
    assert.equal(setting('maxSpans').default, DEFAULT_MAX_SPANS);
    assert.equal(setting('maxTraces').default, DEFAULT_MAX_TRACES);
    assert.equal(setting('maxMemoryMB').default, DEFAULT_MAX_MEMORY_MB);
    assert.equal(setting('maxMemoryMB').minimum, MIN_MAX_MEMORY_MB);
    assert.equal(setting('forwarding.baseUrl').default, DEFAULT_RESPAN_BASE_URL);
    assert.equal(setting('forwarding.api').default, DEFAULT_FORWARD_SETTINGS.api);
    assert.equal(setting('forwarding.filter').default, DEFAULT_FORWARD_SETTINGS.filter);
  });

  it('are the standalone command’s defaults', () => {
    const options = parseArgs([]);
    assert.deepEqual(
      { host: options.host, port: options.port, grpcPort: options.grpcPort, maxSpans: options.maxSpans, maxTraces: options.maxTraces, maxMemoryMb: options.maxMemoryMb },
      { host: DEFAULT_HOST, port: DEFAULT_HTTP_PORT, grpcPort: DEFAULT_GRPC_PORT, maxSpans: DEFAULT_MAX_SPANS, maxTraces: DEFAULT_MAX_TRACES, maxMemoryMb: DEFAULT_MAX_MEMORY_MB },
    );
    assert.equal(options.maxDiskMb, DEFAULT_MAX_DISK_MB);
    assert.equal(options.forwardApi, DEFAULT_FORWARD_SETTINGS.api);
    assert.equal(options.forwardFilter, DEFAULT_FORWARD_SETTINGS.filter);
  });
});
