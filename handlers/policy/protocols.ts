/** IP protocols as EC2 names them, and which of them have ports. */

const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  '1': 'icmp',
  '6': 'tcp',
  '17': 'udp',
  '58': 'icmpv6',
  all: '-1',
};

/** EC2 accepts "6" or "tcp", and "-1" or "all"; compare them as EC2 names them. */
export function normalizeProtocol(p: string | number): string {
  const text = String(p).trim().toLowerCase();
  // "06" is protocol 6 (tcp), as EC2 reads it.
  const canonical = /^\d+$/.test(text) ? String(Number(text)) : text;
  return PROTOCOL_NAMES[canonical] ?? canonical;
}

export const PROTOCOL_HELP =
  'valid: tcp, udp, icmp, icmpv6, -1 (all traffic) or an IP protocol number from 0 to 255';

/** A protocol as EC2 names it, or undefined when it is none. */
export function parseProtocol(raw: string | number): string | undefined {
  const p = normalizeProtocol(raw);
  if (['tcp', 'udp', 'icmp', 'icmpv6', '-1'].includes(p)) return p;
  if (/^\d{1,3}$/.test(p) && Number(p) <= 255) return p;
  return undefined;
}

/** Protocols whose port fields are ports; ICMP's carry type and code; others have none. */
export function hasPortRange(protocol: string): boolean {
  return protocol === 'tcp' || protocol === 'udp';
}

export function isIcmp(protocol: string): boolean {
  return protocol === 'icmp' || protocol === 'icmpv6';
}
