/**
 * Soak of the listener: several concurrent real OpenTelemetry exporters
 * (OTLP/HTTP JSON and protobuf, OTLP/gRPC, with and without gzip, on OTel and
 * Respan paths) for a bounded time. Prints spans delivered and accepted, lost
 * and duplicated spans, the store against its retention bound, and heap.
 *
 *   node --import tsx bench/soak.ts [--seconds 120] [--apps 6] [--max-spans 20000] [--traces-per-tick 4]
 *
 * Exits 1 when a span was lost, duplicated or unexpected.
 */

import { formatSoakReport, runSoak } from '../test/support/soak';

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

async function main(): Promise<number> {
  const seconds = flag('--seconds', 120);
  const report = await runSoak({
    seconds,
    apps: flag('--apps', 6),
    maxSpans: flag('--max-spans', 20_000),
    tracesPerTick: flag('--traces-per-tick', 4),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatSoakReport(report)}\n`);
  return report.lost + report.duplicates + report.unexpected + report.missingFromStore > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  },
);
