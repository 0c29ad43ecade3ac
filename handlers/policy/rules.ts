/**
 * One model of a security-group rule, whatever shape AWS described it in.
 *
 * EC2 packs several sources into one IpPermission; DescribeSecurityGroupRules and AWS Config use
 * other shapes again. Everything is flattened to `Rule`: one protocol, one port range, one source.
 * That is also the unit EC2 gives a rule ID to, so plans can revoke by ID.
 */
import type { IpPermission, SecurityGroup, SecurityGroupRule } from '@aws-sdk/client-ec2';
import { parseCidr } from './cidr';

export type SourceKind = 'cidrIpv4' | 'cidrIpv6' | 'prefixListId' | 'referencedGroupId';

export interface Source {
  readonly kind: SourceKind;
  /** As AWS stores it: non-canonical CIDRs are kept verbatim so that a revoke matches them. */
  readonly value: string;
  /** Group references across accounts or peered VPCs. */
  readonly userId?: string;
  readonly vpcId?: string;
  readonly vpcPeeringConnectionId?: string;
}

export interface Rule {
  /** As EC2 names it: tcp, udp, icmp, icmpv6, -1, or a protocol number such as "50". */
  readonly protocol: string;
  /** -1 when the protocol has no ports (all traffic, or all ICMP types/codes). */
  readonly fromPort: number;
  readonly toPort: number;
  readonly source: Source;
  readonly description?: string;
  /** sgr-…, when the rule was read with DescribeSecurityGroupRules. */
  readonly ruleId?: string;
}

/** The JSON shape of a rule in plans and in the CLI's --json output. */
export interface RuleJson {
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly description?: string;
  readonly cidrIpv4?: string;
  readonly cidrIpv6?: string;
  readonly prefixListId?: string;
  readonly referencedGroupId?: string;
  readonly ruleId?: string;
}

export interface GroupSnapshot {
  readonly groupId: string;
  readonly groupName?: string;
  readonly vpcId?: string;
  readonly ownerId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly ingress: readonly Rule[];
}

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
  return PROTOCOL_NAMES[text] ?? text;
}

/** Protocols whose port fields are ports; ICMP's carry type and code; others have none. */
export function hasPortRange(protocol: string): boolean {
  return protocol === 'tcp' || protocol === 'udp';
}

export function isIcmp(protocol: string): boolean {
  return protocol === 'icmp' || protocol === 'icmpv6';
}

function portOf(value: number | null | undefined): number {
  // Config items carry floats (22.0) or null; EC2 omits the fields for protocol -1.
  return value === null || value === undefined ? -1 : Math.trunc(value);
}

/** Port fields as they mean something: -1/-1 for protocols whose ports do not matter. */
export function makeRule(
  protocol: string | number,
  fromPort: number | null | undefined,
  toPort: number | null | undefined,
  source: Source,
  extra: { description?: string | undefined; ruleId?: string | undefined } = {},
): Rule {
  const proto = normalizeProtocol(protocol);
  let from = portOf(fromPort);
  let to = portOf(toPort);
  if (!hasPortRange(proto) && !isIcmp(proto)) {
    from = -1;
    to = -1;
  } else if (hasPortRange(proto) && from === -1 && to === -1) {
    // EC2 reports tcp with no ports as all ports.
    from = 0;
    to = 65535;
  } else if (isIcmp(proto) && from === -1) {
    to = -1; // all types means all codes
  }
  const rule: Rule = { protocol: proto, fromPort: from, toPort: to, source };
  return {
    ...rule,
    ...(extra.description ? { description: extra.description } : {}),
    ...(extra.ruleId ? { ruleId: extra.ruleId } : {}),
  };
}

/** The canonical form of a source, for comparing (not for sending back to AWS). */
export function canonicalSource(source: Source): string {
  if (source.kind === 'cidrIpv4' || source.kind === 'cidrIpv6') {
    const c = parseCidr(source.value);
    // The network as a number: equal for every spelling of the block, and cheap to build.
    return c
      ? `${source.kind}:${c.network.toString(36)}/${c.prefix}`
      : `${source.kind}:${source.value}`;
  }
  return `${source.kind}:${source.value}`;
}

/** Identity of a rule as EC2 sees it: description and ID do not count. */
export function ruleKey(rule: Rule): string {
  return `${rule.protocol}|${rule.fromPort}|${rule.toPort}|${canonicalSource(rule.source)}`;
}

/** Flattens DescribeSecurityGroups' IpPermissions (one source a rule). */
export function rulesFromIpPermissions(permissions: readonly IpPermission[] | undefined): Rule[] {
  const out: Rule[] = [];
  for (const p of permissions ?? []) {
    const proto = p.IpProtocol ?? '-1';
    const add = (source: Source, description: string | undefined) =>
      out.push(makeRule(proto, p.FromPort, p.ToPort, source, { description }));
    for (const r of p.IpRanges ?? [])
      if (r.CidrIp) add({ kind: 'cidrIpv4', value: r.CidrIp }, r.Description);
    for (const r of p.Ipv6Ranges ?? [])
      if (r.CidrIpv6) add({ kind: 'cidrIpv6', value: r.CidrIpv6 }, r.Description);
    for (const r of p.PrefixListIds ?? [])
      if (r.PrefixListId) add({ kind: 'prefixListId', value: r.PrefixListId }, r.Description);
    for (const r of p.UserIdGroupPairs ?? []) {
      if (!r.GroupId) continue;
      add(
        {
          kind: 'referencedGroupId',
          value: r.GroupId,
          ...(r.UserId ? { userId: r.UserId } : {}),
          ...(r.VpcId ? { vpcId: r.VpcId } : {}),
          ...(r.VpcPeeringConnectionId ? { vpcPeeringConnectionId: r.VpcPeeringConnectionId } : {}),
        },
        r.Description,
      );
    }
  }
  return out;
}

/** Reads DescribeSecurityGroupRules' ingress rules, which carry rule IDs. */
export function rulesFromSecurityGroupRules(rules: readonly SecurityGroupRule[]): Rule[] {
  const out: Rule[] = [];
  for (const r of rules) {
    if (r.IsEgress) continue;
    let source: Source | undefined;
    if (r.CidrIpv4) source = { kind: 'cidrIpv4', value: r.CidrIpv4 };
    else if (r.CidrIpv6) source = { kind: 'cidrIpv6', value: r.CidrIpv6 };
    else if (r.PrefixListId) source = { kind: 'prefixListId', value: r.PrefixListId };
    else if (r.ReferencedGroupInfo?.GroupId) {
      const g = r.ReferencedGroupInfo;
      source = {
        kind: 'referencedGroupId',
        value: g.GroupId!,
        ...(g.UserId ? { userId: g.UserId } : {}),
        ...(g.VpcId ? { vpcId: g.VpcId } : {}),
        ...(g.VpcPeeringConnectionId ? { vpcPeeringConnectionId: g.VpcPeeringConnectionId } : {}),
      };
    }
    if (!source) continue;
    out.push(
      makeRule(r.IpProtocol ?? '-1', r.FromPort, r.ToPort, source, {
        description: r.Description,
        ruleId: r.SecurityGroupRuleId,
      }),
    );
  }
  return out;
}

/**
 * A group as EC2 describes it. With DescribeSecurityGroupRules output the rules carry their IDs;
 * the group's own permissions still supply peering details the rules may lack.
 */
export function snapshotFromDescribe(
  group: SecurityGroup,
  rules?: readonly SecurityGroupRule[],
): GroupSnapshot {
  const fromGroup = rulesFromIpPermissions(group.IpPermissions);
  let ingress = fromGroup;
  if (rules) {
    const byKey = new Map(fromGroup.map((r) => [ruleKey(r), r]));
    ingress = rulesFromSecurityGroupRules(rules.filter((r) => r.GroupId === group.GroupId)).map(
      (r) => {
        const g = byKey.get(ruleKey(r));
        return g ? { ...r, source: { ...g.source, ...r.source } } : r;
      },
    );
  }
  const tags: Record<string, string> = {};
  for (const t of group.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return {
    groupId: group.GroupId ?? '',
    ...(group.GroupName ? { groupName: group.GroupName } : {}),
    ...(group.VpcId ? { vpcId: group.VpcId } : {}),
    ...(group.OwnerId ? { ownerId: group.OwnerId } : {}),
    tags,
    ingress,
  };
}

export function ruleToJson(rule: Rule): RuleJson {
  return {
    protocol: rule.protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    ...(rule.description ? { description: rule.description } : {}),
    [rule.source.kind]: rule.source.value,
    ...(rule.ruleId ? { ruleId: rule.ruleId } : {}),
  };
}

/** Reads a rule back from its JSON form (restore records, CLI output). */
export function ruleFromJson(json: RuleJson): Rule {
  const kinds: SourceKind[] = ['cidrIpv4', 'cidrIpv6', 'prefixListId', 'referencedGroupId'];
  const kind = kinds.find((k) => json[k] !== undefined);
  if (!kind) throw new Error(`rule has no source: ${JSON.stringify(json)}`);
  return makeRule(
    json.protocol,
    json.fromPort,
    json.toPort,
    { kind, value: json[kind]! },
    {
      description: json.description,
      ruleId: json.ruleId,
    },
  );
}

/** A short human form: "tcp 22 from 0.0.0.0/0". */
export function formatRule(rule: Rule): string {
  let what: string;
  if (rule.protocol === '-1') what = 'all traffic';
  else if (hasPortRange(rule.protocol))
    what =
      rule.fromPort === rule.toPort
        ? `${rule.protocol} ${rule.fromPort}`
        : `${rule.protocol} ${rule.fromPort}-${rule.toPort}`;
  else if (isIcmp(rule.protocol))
    what =
      rule.fromPort === -1
        ? `${rule.protocol} all`
        : `${rule.protocol} type ${rule.fromPort}${rule.toPort === -1 ? '' : ` code ${rule.toPort}`}`;
  else what = `protocol ${rule.protocol}`;
  return `${what} from ${rule.source.value}`;
}

/**
 * Groups rules into as few IpPermissions as EC2 accepts, for one authorize or revoke call.
 * Ports are always sent (-1 where they do not apply), which EC2 accepts for every protocol.
 */
export function toIpPermissions(rules: readonly Rule[]): IpPermission[] {
  const byPorts = new Map<string, IpPermission>();
  for (const r of rules) {
    const key = `${r.protocol}|${r.fromPort}|${r.toPort}`;
    let perm = byPorts.get(key);
    if (!perm) {
      perm = { IpProtocol: r.protocol, FromPort: r.fromPort, ToPort: r.toPort };
      byPorts.set(key, perm);
    }
    const d = r.description ? { Description: r.description } : {};
    const s = r.source;
    if (s.kind === 'cidrIpv4') (perm.IpRanges ??= []).push({ CidrIp: s.value, ...d });
    else if (s.kind === 'cidrIpv6') (perm.Ipv6Ranges ??= []).push({ CidrIpv6: s.value, ...d });
    else if (s.kind === 'prefixListId')
      (perm.PrefixListIds ??= []).push({ PrefixListId: s.value, ...d });
    else
      (perm.UserIdGroupPairs ??= []).push({
        GroupId: s.value,
        ...(s.userId ? { UserId: s.userId } : {}),
        ...(s.vpcPeeringConnectionId ? { VpcPeeringConnectionId: s.vpcPeeringConnectionId } : {}),
        ...d,
      });
  }
  return [...byPorts.values()];
}
