/**
 * CIDR arithmetic for IPv4 and IPv6 on bigint, so both families share one code path.
 * Non-canonical blocks such as 192.168.0.1/31 are normalised to their network (192.168.0.0/31),
 * which is how EC2 and AWS Config evaluate them.
 */

export type IpFamily = 4 | 6;

export interface Cidr {
  readonly family: IpFamily;
  /** Network address with host bits cleared. */
  readonly network: bigint;
  readonly prefix: number;
}

const V4_BITS = 32;
const V6_BITS = 128;

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  // Plain numbers first (one BigInt at the end): this runs for every rule of every group.
  let value = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return undefined;
    let octet = 0;
    for (let i = 0; i < part.length; i++) {
      const d = part.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      octet = octet * 10 + d;
    }
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return BigInt(value);
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => {
    if (s === '') return [];
    const out: string[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        out.push(((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
        out.push(part);
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function bits(family: IpFamily): number {
  return family === 4 ? V4_BITS : V6_BITS;
}

function computeMask(total: number, prefix: number): bigint {
  return ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - prefix)) - 1n);
}
// Masks are asked for on every containment test: build the 33 + 129 of them once.
const MASKS: Record<IpFamily, readonly bigint[]> = {
  4: Array.from({ length: V4_BITS + 1 }, (_, p) => computeMask(V4_BITS, p)),
  6: Array.from({ length: V6_BITS + 1 }, (_, p) => computeMask(V6_BITS, p)),
};

function mask(family: IpFamily, prefix: number): bigint {
  return MASKS[family][prefix]!;
}

/** Parses "a.b.c.d/n" or an IPv6 block; undefined when it is not a CIDR block. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const family: IpFamily = addr.includes(':') ? 6 : 4;
  const value = family === 4 ? parseIpv4(addr) : parseIpv6(addr);
  if (value === undefined || prefix > bits(family)) return undefined;
  return { family, network: value & mask(family, prefix), prefix };
}

export function formatCidr(c: Cidr): string {
  if (c.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((s) => ((c.network >> s) & 0xffn).toString());
    return `${octets.join('.')}/${c.prefix}`;
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((c.network >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return `${groups.join(':')}/${c.prefix}`;
  const head = groups.slice(0, bestStart).join(':');
  const tail = groups.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}/${c.prefix}`;
}

/** The network of `c` at a shorter prefix: the block of that size that contains it. */
export function networkAt(c: Cidr, prefix: number): bigint {
  return c.network & mask(c.family, prefix);
}

/** True when every address of `inner` is in `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    outer.prefix <= inner.prefix &&
    (inner.network & mask(outer.family, outer.prefix)) === outer.network
  );
}

/** Two prefixes either nest or are disjoint, so the intersection is the smaller one or nothing. */
export function cidrIntersect(a: Cidr, b: Cidr): Cidr | undefined {
  if (cidrContains(a, b)) return b;
  if (cidrContains(b, a)) return a;
  return undefined;
}
