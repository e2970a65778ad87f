/**
 * Long fuzz run of the receivers: mutated OTLP JSON, protobuf and Respan ingest
 * payloads, plain and gzipped, over HTTP (every receiver path) and OTLP/gRPC,
 * plus the decoders directly. Prints inputs tried, crashes, hangs and heap.
 *
 *   node --expose-gc --import tsx bench/fuzz.ts [--seconds 300] [--seed 1234]
 *   node --import tsx bench/fuzz.ts --seed 1234 --replay 5678     (one input, decoded here)
 *
 * Without --seed a random seed is drawn and printed; a finding replays with the
 * same seed and its iteration number. Exits 1 on any finding.
 */

import { MalformedPayloadError } from '../src/core/model';
import { decodeDirectly, formatReport, fuzzInput, runFuzz } from '../test/fuzz/harness';
import { buildSeeds } from '../test/fuzz/seeds';

/** Prints one input of a run and what the decoders make of it. */
async function replay(seed: number, iteration: number): Promise<number> {
  const input = fuzzInput(await buildSeeds(), seed, iteration);
  process.stdout.write(`seed ${seed} iteration ${iteration}: ${input.kind} to ${input.path}, Content-Type "${input.contentType}"${input.gzip ? ', gzip' : ''}${input.viaGrpc ? ', also over gRPC' : ''}\n`);
  process.stdout.write(`payload (${input.payload.length} bytes, base64): ${input.payload.toString('base64')}\n`);
  try {
    decodeDirectly(input);
    process.stdout.write('decoded without error\n');
    return 0;
  } catch (error) {
    if (error instanceof MalformedPayloadError) {
      process.stdout.write(`refused as malformed: ${error.message}\n`);
      return 0;
    }
    process.stdout.write(`CRASH: ${(error as Error).stack}\n`);
    return 1;
  }
}

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<number> {
  const seconds = Number(flag('--seconds') ?? 120);
  const seed = flag('--seed') !== undefined ? Number(flag('--seed')) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
    process.stderr.write('usage: bench/fuzz.ts [--seconds <n>] [--seed <integer>] [--replay <iteration>]\n');
    return 2;
  }
  if (flag('--replay') !== undefined) return replay(seed, Number(flag('--replay')));
  process.stdout.write(`fuzzing for ${seconds} s with seed ${seed}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc to also report retained heap)'}\n`);
  const report = await runFuzz({ seed, budget: { seconds }, log: (line) => process.stdout.write(`${line}\n`) });
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
