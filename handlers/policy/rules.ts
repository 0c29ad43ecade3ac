/**
 * One model of a security-group rule, whatever shape AWS described it in.
 *
 * EC2 packs several sources into one IpPermission; DescribeSecurityGroupRules and AWS Config use
 * other shapes again. Everything is flattened to `Rule`: one protocol, one port range, one source.
 * That is also the unit EC2 gives a rule ID to, so plans can revoke by ID.
 */
import type { IpPermission, SecurityGroup, SecurityGroupRule } from '@aws-sdk/client-ec2';
import { parseOrThrow } from '../shared/validation';
import { parseCidr } from './cidr';
import { hasPortRange, isIcmp, normalizeProtocol } from './protocols';
import {
  ipPermissionsSchema,
  securityGroupRulesSchema,
  securityGroupSchema,
  type DescribedGroup,
  type DescribedRule,
} from './ec2-shapes';

export { hasPortRange, isIcmp, normalizeProtocol, parseProtocol, PROTOCOL_HELP } from './protocols';

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

type DescribedPermission = NonNullable<DescribedGroup['IpPermissions']>[number];

/**
 * Flattens IpPermissions (one source a rule), checked first: every source becomes a rule, and
 * what cannot be read is refused with its path under `root`.
 */
export function rulesFromIpPermissions(
  permissions: readonly IpPermission[] | undefined,
  root = 'IpPermissions',
): Rule[] {
  if (permissions === undefined) return [];
  return rulesFromPermissions(parseOrThrow(ipPermissionsSchema, permissions, 'permissions', root));
}

function rulesFromPermissions(permissions: readonly DescribedPermission[] | undefined): Rule[] {
  const out: Rule[] = [];
  for (const p of permissions ?? []) {
    const add = (source: Source, description: string | undefined) =>
      out.push(makeRule(p.IpProtocol, p.FromPort, p.ToPort, source, { description }));
    for (const r of p.IpRanges ?? []) add({ kind: 'cidrIpv4', value: r.CidrIp }, r.Description);
    for (const r of p.Ipv6Ranges ?? []) add({ kind: 'cidrIpv6', value: r.CidrIpv6 }, r.Description);
    for (const r of p.PrefixListIds ?? [])
      add({ kind: 'prefixListId', value: r.PrefixListId }, r.Description);
    for (const r of p.UserIdGroupPairs ?? []) add(groupSource(r), r.Description);
  }
  return out;
}

function groupSource(g: {
  GroupId: string;
  UserId?: string | undefined;
  VpcId?: string | undefined;
  VpcPeeringConnectionId?: string | undefined;
}): Source {
  return {
    kind: 'referencedGroupId',
    value: g.GroupId,
    ...(g.UserId ? { userId: g.UserId } : {}),
    ...(g.VpcId ? { vpcId: g.VpcId } : {}),
    ...(g.VpcPeeringConnectionId ? { vpcPeeringConnectionId: g.VpcPeeringConnectionId } : {}),
  };
}

/**
 * Checks what EC2 returned for one group against the API's shape (see ec2-shapes.ts). Throws a
 * ValidationError naming each field it cannot read, so no rule is judged by a guess.
 */
export function parseSecurityGroup(group: unknown, root = 'SecurityGroup'): DescribedGroup {
  return parseOrThrow(securityGroupSchema, group, 'security group', root);
}

/** The same for DescribeSecurityGroupRules' answer. */
export function parseSecurityGroupRules(
  rules: unknown,
  root = 'SecurityGroupRules',
): DescribedRule[] {
  return parseOrThrow(securityGroupRulesSchema, rules, 'security group rules', root);
}

/** Reads DescribeSecurityGroupRules' ingress rules, which carry rule IDs; checked first. */
export function rulesFromSecurityGroupRules(rules: readonly SecurityGroupRule[]): Rule[] {
  return rulesFromDescribed(parseSecurityGroupRules(rules));
}

function rulesFromDescribed(rules: readonly DescribedRule[]): Rule[] {
  const out: Rule[] = [];
  for (const r of rules) {
    if (r.IsEgress) continue;
    // The schema lets exactly one source through.
    const source: Source = r.CidrIpv4
      ? { kind: 'cidrIpv4', value: r.CidrIpv4 }
      : r.CidrIpv6
        ? { kind: 'cidrIpv6', value: r.CidrIpv6 }
        : r.PrefixListId
          ? { kind: 'prefixListId', value: r.PrefixListId }
          : groupSource(r.ReferencedGroupInfo!);
    out.push(
      makeRule(r.IpProtocol, r.FromPort, r.ToPort, source, {
        description: r.Description,
        ruleId: r.SecurityGroupRuleId,
      }),
    );
  }
  return out;
}

/**
 * A group as EC2 describes it, checked first (parseSecurityGroup). With DescribeSecurityGroupRules
 * output the rules carry their IDs; the group's own permissions still supply peering details the
 * rules may lack.
 */
export function snapshotFromDescribe(
  described: SecurityGroup,
  rules?: readonly SecurityGroupRule[],
): GroupSnapshot {
  const group = parseSecurityGroup(described);
  const fromGroup = rulesFromPermissions(group.IpPermissions);
  let ingress = fromGroup;
  if (rules) {
    const byKey = new Map(fromGroup.map((r) => [ruleKey(r), r]));
    const own = parseSecurityGroupRules(rules).filter((r) => r.GroupId === group.GroupId);
    ingress = rulesFromDescribed(own).map((r) => {
      const g = byKey.get(ruleKey(r));
      return g ? { ...r, source: { ...g.source, ...r.source } } : r;
    });
  }
  // Tag keys are the account's data: "__proto__" or "valueOf" must be plain own keys.
  const tags: Record<string, string> = {};
  for (const t of group.Tags ?? [])
    Object.defineProperty(tags, t.Key, {
      value: t.Value ?? '',
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return {
    groupId: group.GroupId,
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
