// The floor for bench/extension-stall.ts: an idle Node process measuring its
// own event-loop stalls exactly as the extension host measures its own, run at
// the same time under the same load. What it sees is the machine (the
// scheduler handing two cores to the load, the inspector, code-server and the
// browser), not work of its own; the extension host's figure beside it says
// what the host adds. Runs until its stdin closes, then prints one JSON line.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
let last = performance.now();
let timerMaxLagMs = 0;
const timer = setInterval(() => {
  const now = performance.now();
  timerMaxLagMs = Math.max(timerMaxLagMs, now - last - 10);
  last = now;
}, 10);

process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  histogram.disable();
  process.stdout.write(`${JSON.stringify({ maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, timerMaxLagMs })}\n`);
});
