/**
 * Deterministic 1,000-rule security groups for the plan benchmark, in the shape
 * DescribeSecurityGroupRules returns (so each plan starts from a fresh snapshot, as in Lambda).
 * A fixed-seed PRNG: the same rules on every run and every machine.
 */
import type { SecurityGroup, SecurityGroupRule } from '@aws-sdk/client-ec2';
import { parsePolicy, type SecurityGroupPolicy } from '../handlers/policy/policy';
import {
  makeRule,
  ruleKey,
  snapshotFromDescribe,
  type GroupSnapshot,
} from '../handlers/policy/rules';

export const BENCH_GROUP_ID = 'sg-0be0c0000000000a1';
const OTHER_GROUPS = [
  'sg-0aaaaaaaaaaaaaaaa',
  'sg-0bbbbbbbbbbbbbbbb',
  'sg-0cccccccccccccccc',
] as const;
const PREFIX_LISTS = [
  'pl-0123456789abcdef0',
  'pl-0fedcba9876543210',
  'pl-02c0ffee0000beef0',
] as const;

/**
 * A realistic restrict-mode policy: every source kind (IPv4, IPv6, world-open, prefix list,
 * group reference, self), single ports, lists and ranges, ICMP and all-traffic entries.
 */
export const BENCH_POLICY: SecurityGroupPolicy = parsePolicy({
  mode: 'restrict',
  ingress: [
    { protocol: 'tcp', ports: [80, 443], from: ['0.0.0.0/0', '::/0'] },
    { protocol: 'tcp', ports: [22], from: ['10.0.0.0/8'] },
    { protocol: 'tcp', ports: [5432, 3306], from: ['10.0.0.0/8', '172.16.0.0/12'] },
    { protocol: 'tcp', ports: ['8000-8999'], from: ['10.0.0.0/8', PREFIX_LISTS[0]] },
    { protocol: 'udp', ports: [53, 123], from: ['10.0.0.0/8', 'fd00::/8'] },
    { protocol: 'icmp', from: ['10.0.0.0/8'] },
    { protocol: 'icmpv6', from: ['fd00::/8'] },
    { protocol: '-1', from: ['self', OTHER_GROUPS[0]] },
  ],
});

/** mulberry32: small, fast, and good enough to spread rules over the cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pick = <T>(items: readonly T[]) => T;

interface RawRule {
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly source:
    | { readonly CidrIpv4: string }
    | { readonly CidrIpv6: string }
    | { readonly PrefixListId: string }
    | { readonly ReferencedGroupInfo: { readonly GroupId: string } };
}

function toSecurityGroupRules(rules: readonly RawRule[]): SecurityGroupRule[] {
  return rules.map((r, i) => ({
    SecurityGroupRuleId: `sgr-${(0x0b000000000000000n + BigInt(i)).toString(16).padStart(17, '0')}`,
    GroupId: BENCH_GROUP_ID,
    GroupOwnerId: '123456789012',
    IsEgress: false,
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...r.source,
    Description: `bench rule ${i}`,
  }));
}

/** Distinct by what EC2 compares (a group cannot hold the same rule twice), until `count`. */
function distinct(count: number, next: () => RawRule): RawRule[] {
  const seen = new Set<string>();
  const out: RawRule[] = [];
  for (let guard = 0; out.length < count && guard < count * 100; guard++) {
    const raw = next();
    const s = raw.source;
    const source =
      'CidrIpv4' in s
        ? { kind: 'cidrIpv4' as const, value: s.CidrIpv4 }
        : 'CidrIpv6' in s
          ? { kind: 'cidrIpv6' as const, value: s.CidrIpv6 }
          : 'PrefixListId' in s
            ? { kind: 'prefixListId' as const, value: s.PrefixListId }
            : { kind: 'referencedGroupId' as const, value: s.ReferencedGroupInfo.GroupId };
    const key = ruleKey(makeRule(raw.protocol, raw.fromPort, raw.toPort, source));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(raw);
  }
  if (out.length < count) throw new Error(`generator produced only ${out.length} distinct rules`);
  return out;
}

function weighted<T>(rand: () => number, cases: readonly (readonly [number, () => T])[]): T {
  const total = cases.reduce((n, [w]) => n + w, 0);
  let x = rand() * total;
  for (const [w, make] of cases) {
    if ((x -= w) < 0) return make();
  }
  return cases[cases.length - 1]![1]();
}

type Rand = () => number;

function helpers(rand: Rand) {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick: Pick = (items) => items[int(0, items.length - 1)]!;
  const hex = (hi: number) => int(0, hi).toString(16);
  return { int, pick, hex };
}

/** Rules the policy allows: kept as they are. */
function allowedRule(rand: Rand): () => RawRule {
  const { int, pick, hex } = helpers(rand);
  const ten = () => ({ CidrIpv4: `10.${int(0, 255)}.${int(0, 255)}.${int(0, 255)}/32` });
  const ula = () => ({ CidrIpv6: `fd${hex(0xff).padStart(2, '0')}:${hex(0xffff)}::/64` });
  const anyCidr = (): RawRule['source'] =>
    rand() < 0.5
      ? { CidrIpv4: `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.0/24` }
      : { CidrIpv6: `2001:db8:${hex(0xffff)}::/48` };
  const privateV4 = (): RawRule['source'] =>
    rand() < 0.5 ? ten() : { CidrIpv4: `172.${int(16, 31)}.${int(0, 255)}.0/24` };
  const tcp8k = (): RawRule['source'] => (rand() < 0.9 ? ten() : { PrefixListId: PREFIX_LISTS[0] });
  const groupRef = (): RawRule['source'] => ({
    ReferencedGroupInfo: { GroupId: pick([BENCH_GROUP_ID, OTHER_GROUPS[0]]) },
  });
  return () =>
    weighted<RawRule>(rand, [
      [20, () => ({ protocol: 'tcp', ...single(pick([80, 443])), source: anyCidr() })],
      [20, () => ({ protocol: 'tcp', ...single(22), source: ten() })],
      [15, () => ({ protocol: 'tcp', ...single(pick([5432, 3306])), source: privateV4() })],
      [15, () => ({ protocol: 'tcp', ...range(int(8000, 8900), int(0, 99)), source: tcp8k() })],
      [15, () => ({ protocol: 'udp', ...single(pick([53, 123])), source: pick([ten, ula])() })],
      [8, () => ({ protocol: 'icmp', ...icmp(pick([-1, 0, 3, 8])), source: ten() })],
      [5, () => ({ protocol: 'icmpv6', ...icmp(pick([-1, 128])), source: ula() })],
      [2, () => ({ protocol: '-1', fromPort: -1, toPort: -1, source: groupRef() })],
    ]);
}

/** Rules of every kind, most of which the policy does not allow (or allows only in part). */
function wildRule(rand: Rand): () => RawRule {
  const { int, pick, hex } = helpers(rand);
  const ports = [22, 80, 443, 3389, 5432, 3306, 6379, 8080, 8443, 9200, 27017, 53, 123];
  const source = (): RawRule['source'] =>
    weighted<RawRule['source']>(rand, [
      [5, () => ({ CidrIpv4: '0.0.0.0/0' })],
      [3, () => ({ CidrIpv6: '::/0' })],
      [28, () => ({ CidrIpv4: `10.${int(0, 255)}.${int(0, 255)}.0/${pick([16, 20, 24, 28])}` })],
      [10, () => ({ CidrIpv4: `172.${int(16, 31)}.${int(0, 255)}.0/${pick([20, 24])}` })],
      [8, () => ({ CidrIpv4: `192.168.${int(0, 255)}.0/24` })],
      [14, () => ({ CidrIpv4: `${pick(['203.0.113', '198.51.100'])}.${int(0, 255)}/32` })],
      [7, () => ({ CidrIpv6: `2001:db8:${hex(0xffff)}::/48` })],
      [7, () => ({ CidrIpv6: `fd00:${hex(0xffff)}::/64` })],
      [6, () => ({ PrefixListId: pick(PREFIX_LISTS) })],
      [12, () => ({ ReferencedGroupInfo: { GroupId: pick([BENCH_GROUP_ID, ...OTHER_GROUPS]) } })],
    ]);
  return () =>
    weighted<RawRule>(rand, [
      [45, () => ({ protocol: 'tcp', ...single(pick(ports)), source: source() })],
      [10, () => ({ protocol: 'tcp', ...range(int(1024, 9000), int(0, 2000)), source: source() })],
      [
        12,
        () => ({ protocol: 'udp', ...single(pick([53, 123, 161, 500, 4500])), source: source() }),
      ],
      [5, () => ({ protocol: 'udp', ...range(int(1024, 60000), int(0, 500)), source: source() })],
      [6, () => ({ protocol: 'icmp', ...icmp(pick([-1, 0, 3, 8, 11])), source: source() })],
      [4, () => ({ protocol: 'icmpv6', ...icmp(pick([-1, 1, 128, 135])), source: source() })],
      [12, () => ({ protocol: '-1', fromPort: -1, toPort: -1, source: source() })],
      [6, () => ({ protocol: pick(['50', '47']), fromPort: -1, toPort: -1, source: source() })],
    ]);
}

/**
 * A group as it is found after drift: mostly allowed rules, and a share of rules of every kind
 * (world-open, too wide, other protocols, other groups) that the policy revokes or narrows.
 */
export function mixedGroupRules(
  count = 1000,
  driftShare = 0.3,
  seed = 0x5eed,
): SecurityGroupRule[] {
  const rand = prng(seed);
  const allowed = allowedRule(rand);
  const wild = wildRule(rand);
  return toSecurityGroupRules(distinct(count, () => (rand() < driftShare ? wild() : allowed())));
}

/** A group the policy allows entirely: the plan must be "compliant", with every rule kept. */
export function compliantGroupRules(count = 1000, seed = 0xc0de): SecurityGroupRule[] {
  return toSecurityGroupRules(distinct(count, allowedRule(prng(seed))));
}

function single(port: number) {
  return { fromPort: port, toPort: port };
}

function range(from: number, width: number) {
  return { fromPort: from, toPort: Math.min(65535, from + width) };
}

function icmp(type: number) {
  return { fromPort: type, toPort: -1 };
}

/** A new snapshot each time, as each Lambda invocation builds one from a fresh describe. */
export function snapshotOf(rules: readonly SecurityGroupRule[]): GroupSnapshot {
  const group: SecurityGroup = {
    GroupId: BENCH_GROUP_ID,
    GroupName: 'bench',
    VpcId: 'vpc-0123456789abcdef0',
    OwnerId: '123456789012',
    Tags: [],
  };
  // Fresh Rule and Source objects on every call: no cache keyed on a previous run's objects helps.
  return snapshotFromDescribe(group, rules);
}
