/**
 * A short soak in the suite (the long one is bench/soak.ts): six concurrent
 * real OpenTelemetry exporters over every transport, a store small enough that
 * retention evicts during the run.
 */
import * as assert from 'node:assert/strict';
import { formatSoakReport, runSoak } from '../support/soak';

describe('soak: concurrent real exporters', function () {
  this.timeout(120_000);

  it('accepts every delivered span exactly once and stays within the retention bound', async () => {
    const maxSpans = 2_000;
    const report = await runSoak({ seconds: Number(process.env.SOAK_SECONDS ?? 5), maxSpans, tracesPerTick: 3, minSpans: 3 * maxSpans });
    console.log(formatSoakReport(report).replace(/^/gm, '      '));
    for (const app of report.apps) {
      assert.ok(app.delivered > 0, `${app.name} delivered nothing`);
      assert.equal(app.failed, 0, `${app.name} had failed exports`);
    }
    assert.ok(report.delivered > maxSpans, 'enough spans to make retention evict');
    assert.equal(report.accepted, report.delivered);
    assert.equal(report.lost, 0, 'lost spans');
    assert.equal(report.duplicates, 0, 'duplicated spans');
    assert.equal(report.unexpected, 0, 'spans nobody sent');
    assert.equal(report.missingFromStore, 0, 'kept traces with missing spans');
    assert.ok(report.storeSpans <= maxSpans && report.storeSpans > maxSpans / 2, `store holds ${report.storeSpans} spans`);
    const perSpanKb = ((report.retainedHeapMb - report.baselineHeapMb) * 1e3) / maxSpans;
    assert.ok(perSpanKb < 20, `retained heap ${perSpanKb.toFixed(1)} KB per retained span`);
  });
});
