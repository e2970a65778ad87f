/**
 * Stands in for DNS in a child process (load it with `--import` after tsx):
 * each `name=address` pair of `FAKE_DNS` (comma-separated) resolves to that
 * address, as a resolver pointing the name there would answer; other names
 * resolve as usual. Lets a test bind to a name that only DNS knows.
 */
import dns from 'node:dns';

const table = new Map(
  (process.env.FAKE_DNS ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => pair.split('=', 2) as [string, string]),
);

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

const realLookup = dns.lookup;
dns.lookup = function lookup(hostname: string, options: unknown, callback?: LookupCallback): void {
  const done = (typeof options === 'function' ? options : callback) as LookupCallback;
  const address = table.get(hostname.toLowerCase());
  if (address === undefined) return (realLookup as (...args: unknown[]) => void)(hostname, options, callback);
  const family = address.includes(':') ? 6 : 4;
  const all = typeof options === 'object' && options !== null && (options as dns.LookupOptions).all === true;
  process.nextTick(() => (all ? done(null, [{ address, family }]) : done(null, address, family)));
} as typeof dns.lookup;
