/**
 * The one answer to "is this host loopback?", shared by every place that
 * decides it (the listener's token and Host check, the CLI's warning, the
 * forwarding destination, the extension's browser link).
 *
 * Only names that reach this machine without asking DNS count: `localhost`
 * (which the system resolves from its hosts file), 127.0.0.0/8 and ::1 as
 * literal addresses, and IPv4-mapped ::ffff:127.x.y.z. Names under
 * `.localhost` and `localhost.` are resolved through DNS by Node, so they go
 * wherever DNS points; numbers in other spellings (`127.1`, `0x7f.1`,
 * leading zeros) are not counted either, which errs on the safe side.
 */

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const IPV6_GROUP = /^[0-9a-f]{1,4}$/;

/** The four octets of a dotted-decimal IPv4 address in canonical form, or undefined. */
function ipv4Octets(text: string): number[] | undefined {
  return IPV4.test(text) ? text.split('.').map(Number) : undefined;
}

function ipv6GroupsOf(part: string): number[] | undefined {
  if (part === '') return [];
  const groups: number[] = [];
  for (const group of part.split(':')) {
    if (!IPV6_GROUP.test(group)) return undefined;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/** The eight 16-bit groups of a textual IPv6 address (RFC 4291 §2.2, no zone), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  let hex = text;
  let embedded: number[] | undefined;
  if (text.includes('.')) {
    // A dotted IPv4 address may stand for the last two groups.
    const lastColon = text.lastIndexOf(':');
    embedded = ipv4Octets(text.slice(lastColon + 1));
    if (lastColon < 0 || embedded === undefined) return undefined;
    hex = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const left = ipv6GroupsOf(halves[0]);
  const right = halves.length === 2 ? ipv6GroupsOf(halves[1]) : [];
  if (left === undefined || right === undefined) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  if (embedded !== undefined) {
    groups[6] = (embedded[0] << 8) | embedded[1];
    groups[7] = (embedded[2] << 8) | embedded[3];
  }
  return groups;
}

/**
 * True when `host` (a name, an IPv4 address, or an IPv6 address with or
 * without brackets; any case) reaches this machine without asking DNS.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === 'localhost') return true;
  const bracketed = name.startsWith('[') && name.endsWith(']');
  if (!bracketed) {
    const octets = ipv4Octets(name);
    if (octets !== undefined) return octets[0] === 127;
  }
  const groups = ipv6Groups(bracketed ? name.slice(1, -1) : name);
  if (groups === undefined) return false;
  const zerosBefore = (count: number) => groups.slice(0, count).every((group) => group === 0);
  if (zerosBefore(7) && groups[7] === 1) return true;
  return zerosBefore(5) && groups[5] === 0xffff && groups[6] >> 8 === 127;
}
