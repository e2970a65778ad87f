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

/** A run and what tells it apart from others (its instance id, or its service and pid), as kept across restarts. */
export interface RememberedRun {
  key: string;
  run: RunInfo;
}

/** Assigns runs to spans by their resource. One per store. */
export class RunRegistry {
  /** By what tells runs apart (instance id, or service and pid). */
  private readonly runs = new Map<string, RunInfo>();
  private readonly byId = new Map<string, RememberedRun>();
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
    return this.byId.get(id)?.run;
  }

  /** A run by id with what tells it apart, while remembered. */
  remembered(id: string): RememberedRun | undefined {
    return this.byId.get(id);
  }

  /**
   * Remembers runs kept from an earlier process, so spans that come from them
   * again join them (their ids, labels and first-seen times stay). A run
   * already known keeps what it has.
   */
  restore(runs: readonly RememberedRun[]): void {
    for (const { key, run } of runs) if (!this.runs.has(key) && !this.byId.has(run.id)) this.remember(key, { ...run });
  }

  private lookUp(resource: Attributes, startTimeMs: number): RunInfo | undefined {
    const service = name(resource['service.name']) ?? 'unknown service';
    const instance = name(resource['service.instance.id']);
    const pid = name(resource['process.pid']);
    if (instance === undefined && pid === undefined) return undefined;
    const key = instance !== undefined ? `instance\n${instance}` : `pid\n${service}\n${pid}`;
    return (
      this.runs.get(key) ??
      this.remember(key, {
        id: instance ?? `${service}:${pid}:${Math.floor(startTimeMs)}`,
        label: instance !== undefined ? `${service} · ${instance}` : `${service} · pid ${pid}`,
        service,
        firstSeenMs: startTimeMs,
      })
    );
  }

  private remember(key: string, run: RunInfo): RunInfo {
    if (this.runs.size >= MAX_RUNS) {
      const [oldestKey, oldest] = this.runs.entries().next().value!;
      this.runs.delete(oldestKey);
      this.byId.delete(oldest.id);
    }
    this.runs.set(key, run);
    this.byId.set(run.id, { key, run });
    return run;
  }
}
