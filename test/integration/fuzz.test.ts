/**
 * A short fuzz run in the suite (the long one is bench/fuzz.ts): mutated real
 * payloads through the decoders, every HTTP receiver path and OTLP/gRPC. The
 * seed and the number of inputs are fixed, so every run tries the same inputs;
 * set FUZZ_SEED to try others, FUZZ_INPUTS to try more.
 */
import * as assert from 'node:assert/strict';
import { formatReport, runFuzz } from '../fuzz/harness';

describe('fuzzing the receivers', function () {
  this.timeout(120_000);

  it('finds no crash, no hang and no unbounded memory in a few hundred mutated payloads', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20_240_611);
    const inputs = Number(process.env.FUZZ_INPUTS ?? 800);
    const report = await runFuzz({ seed, budget: { inputs } });
    console.log(formatReport(report).replace(/^/gm, '      '));
    assert.deepEqual(report.crashes, [], 'crashes');
    assert.deepEqual(report.hangs, [], 'hangs');
    assert.equal(report.inputs, inputs);
    assert.ok(report.statuses['200'] > 0 && report.statuses['400'] > 0, 'the mutations reach both the accepting and the refusing paths');
    assert.ok(report.maxHeapMb - report.baselineHeapMb < 600, `heap grew by ${(report.maxHeapMb - report.baselineHeapMb).toFixed(0)} MB`);
  });
});
