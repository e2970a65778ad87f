/**
 * The memory bound holds for every field, in the real process: the standalone
 * command under a 384 MiB V8 heap with `--max-memory-mb 32` receives requests
 * whose spans each carry a 1 MB traceState, or share megabytes of resource or
 * scope attributes. Uncharged, each flood would keep about 480 MB and abort
 * the process ("Reached heap limit"); charged and cut, the process lives, the
 * store stays under its bound, and the heap stays under V8's limit.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { StatusJson, TraceDetailJson } from '../../src/protocol/api';
import { startCli } from '../support/processes';

const ROOT = resolve(__dirname, '../..');
const MB = 1024 * 1024;
const HEAP_LIMIT_MB = 384;
const REQUESTS = 30;
const SPANS_PER_REQUEST = 16;

/** A string of `length` characters that no other call returns (so nothing can share it). */
function unique(label: string, length = 1_000_000): string {
  return `${label}-`.padEnd(length, 'x');
}

interface Flood {
  /** The request body of request `r`. */
  body(r: number): string;
  /** Traces the flood sends. */
  traces: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const text = (key: string, value: string) => ({ key, value: { stringValue: value } });

function spansOf(r: number, options: { traceState: boolean; tracePerSpan: boolean }) {
  return Array.from({ length: SPANS_PER_REQUEST }, (_, s) => {
    const n = r * SPANS_PER_REQUEST + s + 1;
    const traceId = hex(options.tracePerSpan ? n : r + 1, 32);
    return {
      traceId,
      spanId: hex(n, 16),
      name: `span ${n}`,
      startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n)),
      endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) + 1000n),
      ...(options.traceState ? { traceState: `vendor${n}=ok,${unique(`big${n}=state`)}` } : {}),
      ...(options.traceState && s % 4 === 0 ? { links: [{ traceId: hex(9_999, 32), spanId: hex(9_999, 16), traceState: `link${n}=ok,${unique(`big${n}=state`)}` }] } : {}),
      attributes: [text('gen_ai.system', 'openai')],
    };
  });
}

const FLOODS: Record<string, Flood> = {
  'a unique 1 MB traceState on every span (and on some links)': {
    traces: REQUESTS * SPANS_PER_REQUEST,
    body: (r) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [text('service.name', 'flood')] }, scopeSpans: [{ scope: { name: 'flood' }, spans: spansOf(r, { traceState: true, tracePerSpan: true }) }] }] }),
  },
  'a 16 MB resource shared by the spans of each request': {
    traces: REQUESTS * SPANS_PER_REQUEST,
    body: (r) =>
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [text('service.name', 'flood'), ...Array.from({ length: 16 }, (_, k) => text(`host.blob${k}`, unique(`resource${r}.${k}`)))] },
            scopeSpans: [{ scope: { name: 'flood' }, spans: spansOf(r, { traceState: false, tracePerSpan: true }) }],
          },
        ],
      }),
  },
  'a 16 MB scope (name, version, attributes) shared by the spans of each request': {
    traces: REQUESTS,
    body: (r) =>
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [text('service.name', 'flood')] },
            scopeSpans: [
              {
                scope: { name: unique(`scope${r}`), version: unique(`version${r}`), attributes: Array.from({ length: 14 }, (_, k) => text(`scope.blob${k}`, unique(`scope${r}.${k}`))) },
                spans: spansOf(r, { traceState: false, tracePerSpan: false }),
              },
            ],
          },
        ],
      }),
  },
};

describe('memory bound: the real process under a 384 MiB heap with --max-memory-mb 32', function () {
  this.timeout(300_000);
  before(() => execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' }));

  for (const [what, flood] of Object.entries(FLOODS)) {
    it(`lives through 30 requests of 16 spans with ${what}, within its bounds`, async () => {
      const inspector = await startCli(['--no-open', '--no-persist', '--no-grpc', '--port', '0', '--max-memory-mb', '32'], { nodeArgs: [`--max-old-space-size=${HEAP_LIMIT_MB}`] });
      let exit: string | undefined;
      inspector.child.once('exit', (code, signal) => (exit = `exited with ${code ?? signal}`));
      try {
        for (let r = 0; r < REQUESTS; r++) {
          const response = await fetch(`${inspector.url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: flood.body(r) }).catch((error: Error) => {
            throw new Error(`request ${r} failed (${error.message}); the inspector ${exit ?? 'did not answer'}:\n${inspector.output().slice(-2000)}`);
          });
          assert.equal(response.status, 200, await response.text());
        }
        const status = (await (await fetch(`${inspector.url}/api/status`)).json()) as StatusJson;
        assert.equal(status.memory.maxStoreBytes, 32 * MB);
        assert.ok(status.memory.storeBytes <= 32 * MB, `the store charges ${status.memory.storeBytes} bytes`);
        assert.ok(status.memory.heapUsedBytes < (HEAP_LIMIT_MB / 2) * MB, `heap ${status.memory.heapUsedBytes} bytes`);
        if (what.startsWith('a unique 1 MB traceState')) {
          // Cut to the members that fit in 512 characters, the spans are small: all of them fit.
          assert.equal(status.spanCount, REQUESTS * SPANS_PER_REQUEST);
          const trace = (await (await fetch(`${inspector.url}/api/traces/${hex(1, 32)}`)).json()) as TraceDetailJson;
          assert.equal(trace.spans[0].links[0].traceState, 'link1=ok');
        } else {
          assert.ok(status.traceCount < flood.traces, `evicted: ${status.traceCount} of ${flood.traces} traces kept`);
          assert.ok(status.traceCount > 0);
        }
      } finally {
        inspector.child.kill('SIGKILL');
      }
    });
  }
});
