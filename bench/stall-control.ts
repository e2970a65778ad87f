// The floor for bench/extension-stall.ts: an idle Node process measuring its
// own event-loop stalls exactly as the extension host measures its own, run at
// the same time under the same load. What it sees is the machine (the
// scheduler handing two cores to the load, the inspector, code-server and the
// browser), not work of its own; the extension host's figure beside it says
// what the host adds. Prints `ready` once measuring, runs until its stdin
// closes, then prints one JSON line.
import { monitorStalls } from './stallMonitor';

const monitor = monitorStalls();
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => process.stdout.write(`${JSON.stringify(monitor.stop())}\n`));
