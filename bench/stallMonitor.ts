/**
 * Measures the event-loop stalls of the thread it runs in, the same way in
 * the extension host (test/vscode/suite/stall.bench.ts) and in the idle
 * process beside it (bench/stall-control.ts).
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop stalls of one thread over a while: the delay histogram's max and p99, and the longest extra wait of a 10 ms timer. */
export interface Stall {
  maxMs: number;
  p99Ms: number;
  timerMaxLagMs: number;
}

/** Starts measuring; `stop` ends it and says what it saw. */
export function monitorStalls(): { stop(): Stall } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let last = performance.now();
  let timerMaxLagMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    timerMaxLagMs = Math.max(timerMaxLagMs, now - last - 10);
    last = now;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      return { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, timerMaxLagMs };
    },
  };
}
