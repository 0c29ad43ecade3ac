/** EC2's inbound-rule quota, checked before any write. */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { planGroup } from '../../handlers/policy/planner';
import { parsePolicy } from '../../handlers/policy/policy';
import { inboundRuleCounts, quotaProblem } from '../../handlers/policy/quota';
import { snapshotFromDescribe } from '../../handlers/policy/rules';
import { remediateGroup } from '../../handlers/respond/remediate';
import { ingressRule } from '../support/groups';

const SG = 'sg-0123456789abcdef0';
const POLICY = parsePolicy({
  ingress: [{ protocol: 'tcp', ports: [443], from: ['10.0.0.0/8', '172.16.0.0/12', '::/0'] }],
});
/** `n` allowed IPv4 rules and one world-open 443 rule that narrows into 3 pieces. */
function rules(n: number): SecurityGroupRule[] {
  const allowed = Array.from({ length: n }, (_, i) => `10.${i}.0.0/16`);
  return [...allowed, '0.0.0.0/0'].map((cidr, i) => ingressRule(SG, i, 443, cidr));
}
const planFor = (n: number) => {
  const snapshot = snapshotFromDescribe({ GroupId: SG }, rules(n));
  return { snapshot, plan: planGroup(snapshot, POLICY) };
};

describe('the inbound-rule quota', () => {
  it('counts IPv4 and IPv6 apart, and a group reference in both', () => {
    const s = snapshotFromDescribe({
      GroupId: SG,
      IpPermissions: [
        {
          IpProtocol: '-1',
          IpRanges: [{ CidrIp: '10.0.0.0/8' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
          UserIdGroupPairs: [{ GroupId: SG }],
        },
      ],
    });
    expect(inboundRuleCounts(s.ingress)).toEqual({ ipv4: 2, ipv6: 2 });
  });

  it('Compliance 1: a plan that stays within the quota while it runs', () => {
    const { snapshot, plan } = planFor(57); // 58 + 2 IPv4 pieces = 60
    expect(quotaProblem(snapshot.ingress, plan)).toBeUndefined();
  });

  it('Compliance 2: a plan that only revokes, however full the group', () => {
    const snapshot = snapshotFromDescribe({ GroupId: SG }, rules(100));
    const plan = planGroup(
      snapshot,
      parsePolicy({ ingress: [{ protocol: 'udp', from: ['self'] }] }),
    );
    expect(plan.authorize).toHaveLength(0);
    expect(plan.revoke).toHaveLength(101);
    expect(quotaProblem(snapshot.ingress, plan)).toBeUndefined();
  });

  it('Noncompliance 1: authorizing before revoking would pass 60, unless the limit is raised', () => {
    const { snapshot, plan } = planFor(58); // 59 + 2 = 61
    expect(quotaProblem(snapshot.ingress, plan)).toMatch(
      /^the plan authorizes 2 rules before it revokes 1, so the group would hold 61 IPv4 inbound rules, above the quota of 60 per group; nothing was changed/,
    );
    expect(quotaProblem(snapshot.ingress, plan, 61)).toBeUndefined();
  });

  it('the reverter refuses such a group before any write', async () => {
    // GIVEN a group whose narrowing would pass the quota
    const ec2 = mockClient(EC2Client);
    const cidrs = rules(58).map((r) => ({ CidrIp: r.CidrIpv4! }));
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        {
          GroupId: SG,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: cidrs }],
        },
      ],
    });
    try {
      // WHEN remediated
      const result = await remediateGroup(new EC2Client({}), SG, { policy: POLICY });
      // THEN refused, saying why, and nothing written
      expect(result).toMatchObject({ status: 'refused', authorized: [], revoked: [] });
      expect(result.reason).toMatch(/above the quota of 60 per group; nothing was changed/);
      expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
      expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
    } finally {
      ec2.restore();
    }
  });
});
