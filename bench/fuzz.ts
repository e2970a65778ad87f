/**
 * Long fuzz run of the receivers: mutated OTLP JSON, protobuf and Respan ingest
 * payloads, plain and gzipped, over HTTP (every receiver path) and OTLP/gRPC,
 * plus the decoders directly. Prints inputs tried, crashes, hangs and heap.
 *
 *   node --expose-gc --import tsx bench/fuzz.ts [--seconds 300] [--seed 1234]
 *
 * Without --seed a random seed is drawn and printed; a finding replays with the
 * same seed (its iteration number is in the report). Exits 1 on any finding.
 */

import { formatReport, runFuzz } from '../test/fuzz/harness';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<number> {
  const seconds = Number(flag('--seconds') ?? 120);
  const seed = flag('--seed') !== undefined ? Number(flag('--seed')) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
    process.stderr.write('usage: bench/fuzz.ts [--seconds <n>] [--seed <integer>]\n');
    return 2;
  }
  process.stdout.write(`fuzzing for ${seconds} s with seed ${seed}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc to also report retained heap)'}\n`);
  const report = await runFuzz({ seed, seconds, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${formatReport(report)}\n`);
  return report.crashes.length + report.hangs.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  },
);
