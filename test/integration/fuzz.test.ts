/**
 * A short fuzz run in the suite (the long one is bench/fuzz.ts): mutated real
 * payloads through the decoders, every HTTP receiver path and OTLP/gRPC. The
 * seed is fixed for a reproducible suite and printed; set FUZZ_SEED to try
 * another, FUZZ_SECONDS to run longer.
 */
import * as assert from 'node:assert/strict';
import { formatReport, runFuzz } from '../fuzz/harness';

describe('fuzzing the receivers', function () {
  this.timeout(120_000);

  it('finds no crash, no hang and no unbounded memory in a few seconds of mutated payloads', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20_240_611);
    const seconds = Number(process.env.FUZZ_SECONDS ?? 4);
    const report = await runFuzz({ seed, seconds });
    console.log(formatReport(report).replace(/^/gm, '      '));
    assert.deepEqual(report.crashes, [], 'crashes');
    assert.deepEqual(report.hangs, [], 'hangs');
    assert.ok(report.inputs >= 500, `only ${report.inputs} inputs were tried`);
    assert.ok(report.statuses['200'] > 0 && report.statuses['400'] > 0, 'the mutations reach both the accepting and the refusing paths');
    assert.ok(report.maxHeapMb - report.baselineHeapMb < 600, `heap grew by ${(report.maxHeapMb - report.baselineHeapMb).toFixed(0)} MB`);
  });
});
