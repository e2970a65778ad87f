/**
 * Runs: each process that sends spans. A resource's `service.instance.id`
 * names its run; without one, the service name and `process.pid` do, with the
 * start time of the first span seen from them (a pid is reused by later
 * processes). Spans without either (the Respan ingest API sends no resource)
 * belong to no run.
 */

import type { Attributes, RunInfo } from './model';
import { asString } from './llm/values';

/** Runs remembered at most; beyond, the earliest seen are forgotten (their spans keep their run). */
const MAX_RUNS = 10_000;
/** Characters of a service name or instance id kept in a run's id and label, so remembered runs stay small. */
const MAX_NAME = 256;

function name(value: unknown): string | undefined {
  const text = asString(value);
  return text === undefined || text.length <= MAX_NAME ? text : `${text.slice(0, MAX_NAME)}…`;
}

/** Assigns runs to spans by their resource. One per store. */
export class RunRegistry {
  /** By what tells runs apart (instance id, or service and pid). */
  private readonly runs = new Map<string, RunInfo>();
  private readonly byId = new Map<string, RunInfo>();
  /** The run of each resource object (spans of one request share theirs). */
  private readonly byResource = new WeakMap<Attributes, RunInfo | null>();

  /** The run of a span with this resource whose start is `startTimeMs`, or undefined. */
  runOf(resource: Attributes, startTimeMs: number): RunInfo | undefined {
    const cached = this.byResource.get(resource);
    if (cached !== undefined) return cached ?? undefined;
    const run = this.lookUp(resource, startTimeMs);
    this.byResource.set(resource, run ?? null);
    return run;
  }

  /** A run by id, while remembered. */
  get(id: string): RunInfo | undefined {
    return this.byId.get(id);
  }

  private lookUp(resource: Attributes, startTimeMs: number): RunInfo | undefined {
    const service = name(resource['service.name']) ?? 'unknown service';
    const instance = name(resource['service.instance.id']);
    const pid = name(resource['process.pid']);
    if (instance === undefined && pid === undefined) return undefined;
    const key = instance !== undefined ? `instance\n${instance}` : `pid\n${service}\n${pid}`;
    let run = this.runs.get(key);
    if (run === undefined) {
      run = {
        id: instance ?? `${service}:${pid}:${Math.floor(startTimeMs)}`,
        label: instance !== undefined ? `${service} · ${instance}` : `${service} · pid ${pid}`,
        firstSeenMs: startTimeMs,
      };
      if (this.runs.size >= MAX_RUNS) {
        const [oldestKey, oldest] = this.runs.entries().next().value!;
        this.runs.delete(oldestKey);
        this.byId.delete(oldest.id);
      }
      this.runs.set(key, run);
      this.byId.set(run.id, run);
    }
    return run;
  }
}
