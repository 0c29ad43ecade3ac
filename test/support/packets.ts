/**
 * An independent oracle for the planner: packets, and whether a rule or a policy admits one.
 * Written from EC2's documented semantics, sharing no code with the planner's box arithmetic.
 */
import { parseCidr } from '../../handlers/policy/cidr';
import type { SecurityGroupPolicy } from '../../handlers/policy/policy';
import type { Rule } from '../../handlers/policy/rules';

export interface Packet {
  readonly protocol: string;
  /** Port, or ICMP type. */
  readonly port: number;
  /** ICMP code. */
  readonly code: number;
  readonly from: { readonly family: 4 | 6; readonly addr: bigint } | { readonly id: string };
}

function inCidr(text: string, from: Packet['from']): boolean {
  if (!('addr' in from)) return false;
  const c = parseCidr(text);
  if (!c || c.family !== from.family) return false;
  const width = c.family === 4 ? 32 : 128;
  return from.addr >> BigInt(width - c.prefix) === c.network >> BigInt(width - c.prefix);
}

export function ruleAdmits(rule: Rule, p: Packet): boolean {
  if (rule.protocol !== '-1' && rule.protocol !== p.protocol) return false;
  if (rule.protocol === 'tcp' || rule.protocol === 'udp') {
    if (p.port < rule.fromPort || p.port > rule.toPort) return false;
  } else if (rule.protocol === 'icmp' || rule.protocol === 'icmpv6') {
    if (rule.fromPort !== -1 && rule.fromPort !== p.port) return false;
    if (rule.fromPort !== -1 && rule.toPort !== -1 && rule.toPort !== p.code) return false;
  }
  const s = rule.source;
  if (s.kind === 'cidrIpv4' || s.kind === 'cidrIpv6') return inCidr(s.value, p.from);
  return 'id' in p.from && p.from.id === s.value;
}

export function policyAdmits(policy: SecurityGroupPolicy, groupId: string, p: Packet): boolean {
  return policy.ingress.some((e) => {
    if (e.protocol !== '-1' && e.protocol !== p.protocol) return false;
    if (e.ports && !e.ports.some((r) => r.from <= p.port && p.port <= r.to)) return false;
    return e.from.some((f) => {
      if (f.kind === 'cidr') return inCidr(f.text, p.from);
      const id = f.kind === 'self' ? groupId : f.value;
      return 'id' in p.from && p.from.id === id;
    });
  });
}

/** Packets at every boundary the rules and the policy draw, where a wrong plan would show. */
export function boundaryPackets(rules: readonly Rule[], policy: SecurityGroupPolicy): Packet[] {
  const ports = new Set<number>([0, 22, 80, 443, 65535]);
  const froms: Packet['from'][] = [];
  const addCidr = (text: string) => {
    const c = parseCidr(text);
    if (!c) return;
    const width = c.family === 4 ? 32 : 128;
    const last = c.network | ((1n << BigInt(width - c.prefix)) - 1n);
    froms.push({ family: c.family, addr: c.network }, { family: c.family, addr: last });
    if (c.network > 0n) froms.push({ family: c.family, addr: c.network - 1n });
  };
  for (const r of rules) {
    for (const v of [r.fromPort, r.toPort, r.fromPort - 1, r.toPort + 1])
      if (v >= 0 && v <= 65535) ports.add(v);
    if (r.source.kind === 'cidrIpv4' || r.source.kind === 'cidrIpv6') addCidr(r.source.value);
    else froms.push({ id: r.source.value });
  }
  for (const e of policy.ingress) {
    for (const r of e.ports ?? [])
      for (const v of [r.from, r.to, r.from - 1, r.to + 1]) if (v >= 0 && v <= 65535) ports.add(v);
    for (const f of e.from) {
      if (f.kind === 'cidr') addCidr(f.text);
      else if (f.kind !== 'self') froms.push({ id: f.value });
    }
  }
  const out: Packet[] = [];
  for (const protocol of ['tcp', 'udp', 'icmp', 'icmpv6', '50'])
    for (const port of protocol === 'tcp' || protocol === 'udp' ? ports : [0, 3, 8])
      for (const from of froms) out.push({ protocol, port, code: 0, from });
  return out;
}
