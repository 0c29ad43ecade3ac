/** Small builders for tests: a group from EC2-shaped permissions, and the recorded fixtures. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IpPermission, SecurityGroup, SecurityGroupRule } from '@aws-sdk/client-ec2';
import { loadPolicyFile } from '../../handlers/policy/policy-file';
import { snapshotFromDescribe, type GroupSnapshot } from '../../handlers/policy/rules';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const SG_FIXTURES = join(FIXTURES, 'security-groups');

export function group(
  ipPermissions: IpPermission[],
  groupId = 'sg-0123456789abcdef0',
): GroupSnapshot {
  return snapshotFromDescribe({ GroupId: groupId, IpPermissions: ipPermissions });
}

/** Every recorded DescribeSecurityGroups response, as [file, group]. */
export function recordedGroups(): [string, SecurityGroup][] {
  const out: [string, SecurityGroup][] = [];
  for (const file of readdirSync(SG_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const doc = JSON.parse(readFileSync(join(SG_FIXTURES, file), 'utf8')) as {
      data: { SecurityGroups: SecurityGroup[] };
    };
    for (const g of doc.data.SecurityGroups) out.push([`${file}:${g.GroupId}`, g]);
  }
  return out;
}

/** examples/policy.json, the policy `npm start`, the drill and most tests use. */
export const EXAMPLE_POLICY_PATH = join(__dirname, '..', '..', 'examples', 'policy.json');
export const EXAMPLE_POLICY = loadPolicyFile(EXAMPLE_POLICY_PATH);

/** DescribeSecurityGroupRules-shaped ingress rules as DescribeSecurityGroups' IpPermissions. */
export function permissionsOf(rules: readonly SecurityGroupRule[]): IpPermission[] {
  return rules
    .filter((r) => !r.IsEgress)
    .map((r) => {
      const d = r.Description ? { Description: r.Description } : {};
      const g = r.ReferencedGroupInfo;
      return {
        IpProtocol: r.IpProtocol,
        FromPort: r.FromPort,
        ToPort: r.ToPort,
        ...(r.CidrIpv4 ? { IpRanges: [{ CidrIp: r.CidrIpv4, ...d }] } : {}),
        ...(r.CidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6, ...d }] } : {}),
        ...(r.PrefixListId ? { PrefixListIds: [{ PrefixListId: r.PrefixListId, ...d }] } : {}),
        ...(g?.GroupId
          ? { UserIdGroupPairs: [{ GroupId: g.GroupId, UserId: g.UserId, ...d }] }
          : {}),
      };
    });
}

/** A DescribeSecurityGroups answer for one group holding these rules. */
export function described(
  groupId: string,
  rules: readonly SecurityGroupRule[],
  extra: Partial<SecurityGroup> = {},
): { SecurityGroups: SecurityGroup[] } {
  return { SecurityGroups: [{ GroupId: groupId, ...extra, IpPermissions: permissionsOf(rules) }] };
}

/** One DescribeSecurityGroupRules-shaped inbound TCP rule on one port; `n` makes its rule id. */
export function ingressRule(
  groupId: string,
  n: number,
  port: number,
  cidr: string,
  extra: Partial<SecurityGroupRule> = {},
): SecurityGroupRule {
  return {
    SecurityGroupRuleId: `sgr-${n.toString(16).padStart(17, '0')}`,
    GroupId: groupId,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    CidrIpv4: cidr,
    ...extra,
  };
}
