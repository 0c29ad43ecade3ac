import fc from 'fast-check';
import type { IpPermission } from '@aws-sdk/client-ec2';
import { parsePolicy, type SecurityGroupPolicy } from '../../handlers/policy/policy';
import { judge, planGroup, ruleCovers, type Plan } from '../../handlers/policy/planner';
import {
  formatRule,
  makeRule,
  snapshotFromDescribe,
  type GroupSnapshot,
  type Rule,
} from '../../handlers/policy/rules';
import { group, recordedGroups } from '../support/groups';
import { boundaryPackets, policyAdmits, ruleAdmits } from '../support/packets';

const SG = 'sg-0123456789abcdef0';

const EXAMPLE = parsePolicy({
  mode: 'restrict',
  ingress: [
    { protocol: 'tcp', ports: [80, 443], from: ['0.0.0.0/0', '::/0'] },
    { protocol: 'tcp', ports: ['22'], from: ['10.0.0.0/8'] },
    { protocol: '-1', from: ['self'] },
  ],
});

const show = (rules: readonly Rule[]) => rules.map(formatRule).sort();
const revoked = (p: Plan) => show(p.revoke.map((c) => c.rule));
const authorized = (p: Plan) => show(p.authorize.map((c) => c.rule));

describe('planner, restrict mode', () => {
  it.each<[string, IpPermission[], string[], string[]]>([
    [
      'tcp 0-65535 from 0.0.0.0/0 narrows to what the policy allows of it',
      [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      ['tcp 0-65535 from 0.0.0.0/0'],
      ['tcp 22 from 10.0.0.0/8', 'tcp 443 from 0.0.0.0/0', 'tcp 80 from 0.0.0.0/0'],
    ],
    [
      'tcp 22 from 0.0.0.0/0 becomes tcp 22 from 10.0.0.0/8',
      [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      ['tcp 22 from 0.0.0.0/0'],
      ['tcp 22 from 10.0.0.0/8'],
    ],
    [
      'protocol -1 without ports from the world keeps only the allowed tcp ports',
      [
        {
          IpProtocol: '-1',
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        },
      ],
      ['all traffic from 0.0.0.0/0', 'all traffic from ::/0'],
      [
        'tcp 22 from 10.0.0.0/8',
        'tcp 443 from 0.0.0.0/0',
        'tcp 443 from ::/0',
        'tcp 80 from 0.0.0.0/0',
        'tcp 80 from ::/0',
      ],
    ],
    [
      'several source kinds in one permission are judged one by one',
      [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'partner' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }],
          PrefixListIds: [{ PrefixListId: 'pl-0123456789abcdef0' }],
          UserIdGroupPairs: [{ GroupId: 'sg-0fedcba9876543210', UserId: '111122223333' }],
        },
      ],
      ['tcp 443 from pl-0123456789abcdef0', 'tcp 443 from sg-0fedcba9876543210'],
      [],
    ],
    [
      'udp 0-65535 is not tcp, and goes',
      [{ IpProtocol: 'udp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      ['udp 0-65535 from 0.0.0.0/0'],
      [],
    ],
    [
      'protocols given as numbers are compared by name (6 is tcp)',
      [{ IpProtocol: '6', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      [],
      [],
    ],
    [
      'a non-canonical CIDR inside an allowed block is kept as it is spelled',
      [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.1.2.3/31' }] }],
      [],
      [],
    ],
    [
      'a non-canonical CIDR is revoked with its own spelling, keeping the web ports',
      [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '192.168.0.1/31' }] }],
      ['all traffic from 192.168.0.1/31'],
      ['tcp 443 from 192.168.0.1/31', 'tcp 80 from 192.168.0.1/31'],
    ],
    [
      'ICMP echo from anywhere is not allowed by a tcp-only policy',
      [{ IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      ['icmp type 8 from 0.0.0.0/0'],
      [],
    ],
    [
      'self reference with all traffic is allowed',
      [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: SG, UserId: '111122223333' }] }],
      [],
      [],
    ],
    [
      'a port range partly allowed narrows to the allowed ports',
      [
        {
          IpProtocol: 'tcp',
          FromPort: 20,
          ToPort: 100,
          IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'ops' }],
        },
      ],
      ['tcp 20-100 from 10.0.0.0/16'],
      ['tcp 22 from 10.0.0.0/16', 'tcp 80 from 10.0.0.0/16'],
    ],
  ])('%s', (_name, permissions, expectRevoked, expectAuthorized) => {
    // GIVEN a group with these permissions WHEN planned under the example policy
    const plan = planGroup(group(permissions, SG), EXAMPLE);
    // THEN exactly these rules change
    expect(revoked(plan)).toEqual([...expectRevoked].sort());
    expect(authorized(plan)).toEqual([...expectAuthorized].sort());
    expect(plan.compliant).toBe(expectRevoked.length === 0 && expectAuthorized.length === 0);
  });

  it('keeps descriptions on narrowed rules and revokes by rule ID when known', () => {
    // GIVEN a world-open ssh rule read with its rule ID and a description
    const snapshot: GroupSnapshot = {
      groupId: SG,
      tags: {},
      ingress: [
        makeRule(
          'tcp',
          22,
          22,
          { kind: 'cidrIpv4', value: '0.0.0.0/0' },
          {
            description: 'ssh for ops',
            ruleId: 'sgr-0123456789abcdef0',
          },
        ),
      ],
    };
    // WHEN planned
    const plan = planGroup(snapshot, EXAMPLE);
    // THEN the revoke names the rule ID and the narrowed rule keeps the description
    expect(plan.revoke[0]?.rule.ruleId).toBe('sgr-0123456789abcdef0');
    expect(plan.authorize[0]?.rule).toMatchObject({
      description: 'ssh for ops',
      source: { value: '10.0.0.0/8' },
    });
    expect(plan.revoke[0]?.reason).toMatch(
      /allows more than the policy; narrowed to tcp 22 from 10.0.0.0\/8/,
    );
  });

  it('does not authorize a narrowed piece a kept rule already grants', () => {
    // GIVEN tcp 80 from the world already present beside tcp 0-65535 from the world
    const plan = planGroup(
      group([
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ]),
      EXAMPLE,
    );
    // THEN tcp 80 is not authorized again (EC2 would answer Duplicate)
    expect(authorized(plan)).toEqual(['tcp 22 from 10.0.0.0/8', 'tcp 443 from 0.0.0.0/0']);
  });

  it('recognises a rule allowed by two entries together as wholly allowed', () => {
    const policy = parsePolicy({
      ingress: [
        { protocol: 'tcp', ports: ['8000-8099'], from: ['10.0.0.0/8'] },
        { protocol: 'tcp', ports: ['8100-8199'], from: ['10.0.0.0/8'] },
      ],
    });
    const plan = planGroup(
      group([
        { IpProtocol: 'tcp', FromPort: 8000, ToPort: 8199, IpRanges: [{ CidrIp: '10.2.0.0/16' }] },
      ]),
      policy,
    );
    expect(plan.compliant).toBe(true);
  });

  it.each<[string, IpPermission, string[]]>([
    [
      'all ICMP types narrow to the allowed types',
      { IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ['icmp type 0 from 10.0.0.0/8', 'icmp type 3 from 10.0.0.0/8', 'icmp type 8 from 10.0.0.0/8'],
    ],
    [
      'echo with a code is kept whole',
      { IpProtocol: 'icmp', FromPort: 8, ToPort: 0, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      [],
    ],
    [
      'ICMPv6 is not ICMP',
      { IpProtocol: 'icmpv6', FromPort: -1, ToPort: -1, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
      [],
    ],
  ])('ICMP: %s', (_name, permission, expectAuthorized) => {
    const policy = parsePolicy({
      ingress: [{ protocol: 'icmp', ports: [0, '3', 8], from: ['10.0.0.0/8'] }],
    });
    const plan = planGroup(group([permission]), policy);
    expect(authorized(plan)).toEqual(expectAuthorized);
  });

  it('IPv6: a world-open v6 rule narrows to the allowed v6 block, never to a v4 one', () => {
    const policy = parsePolicy({
      ingress: [{ protocol: 'tcp', ports: [22], from: ['10.0.0.0/8', '2001:db8:1::/48'] }],
    });
    const plan = planGroup(
      group([{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }]),
      policy,
    );
    expect(authorized(plan)).toEqual(['tcp 22 from 2001:db8:1::/48']);
  });

  it('IPv6: a non-canonical v6 block inside the policy is kept', () => {
    const policy = parsePolicy({ ingress: [{ protocol: 'tcp', from: ['2001:db8::/32'] }] });
    const plan = planGroup(
      group([
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          Ipv6Ranges: [{ CidrIpv6: '2001:DB8:0:0::1/64' }],
        },
      ]),
      policy,
    );
    expect(plan.compliant).toBe(true);
  });

  it('group references across peered VPCs keep their peering details when narrowed', () => {
    const policy = parsePolicy({
      ingress: [{ protocol: 'tcp', ports: [5432], from: ['sg-0fedcba9876543210'] }],
    });
    const plan = planGroup(
      group([
        {
          IpProtocol: '-1',
          UserIdGroupPairs: [
            {
              GroupId: 'sg-0fedcba9876543210',
              UserId: '444455556666',
              VpcPeeringConnectionId: 'pcx-0123456789abcdef0',
            },
          ],
        },
      ]),
      policy,
    );
    expect(plan.authorize[0]?.rule.source).toEqual({
      kind: 'referencedGroupId',
      value: 'sg-0fedcba9876543210',
      userId: '444455556666',
      vpcPeeringConnectionId: 'pcx-0123456789abcdef0',
    });
  });
});

describe('planner, exact mode', () => {
  const REQUIRED = parsePolicy({
    mode: 'exact',
    ingress: [
      { protocol: 'tcp', ports: [80, 443], from: ['0.0.0.0/0', '::/0'], description: 'web' },
    ],
  });

  it('adds what is missing and revokes the rest (the Config lab REQUIRED_PERMISSIONS)', () => {
    const plan = planGroup(
      group([
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ]),
      REQUIRED,
    );
    expect(revoked(plan)).toEqual(['tcp 22 from 0.0.0.0/0']);
    expect(authorized(plan)).toEqual([
      'tcp 443 from 0.0.0.0/0',
      'tcp 443 from ::/0',
      'tcp 80 from ::/0',
    ]);
    expect(plan.authorize.every((c) => c.rule.description === 'web')).toBe(true);
  });

  it('a group that is exactly the policy gives an empty plan', () => {
    const plan = planGroup(
      group([
        {
          IpProtocol: 'tcp',
          FromPort: 80,
          ToPort: 80,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        },
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        },
      ]),
      REQUIRED,
    );
    expect(plan).toMatchObject({ compliant: true, revoke: [], authorize: [] });
  });
});

describe('judge: exemption first, then the plan', () => {
  const open22: IpPermission[] = [
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  ];
  const tagged = (tags: Record<string, string>): GroupSnapshot => ({ ...group(open22), tags });
  const { tag, value } = EXAMPLE.exempt;

  it.each<[string, Record<string, string>, boolean]>([
    ['the exemption tag exempts', { [tag]: value }, true],
    [
      'its value compares ignoring case, as the IAM Deny does',
      { [tag]: value.toUpperCase() },
      true,
    ],
    ['another value does not exempt', { [tag]: `${value}-not` }, false],
    ['no tags: the policy applies', {}, false],
  ])('%s', (_name, tags, exempt) => {
    // GIVEN a group open to the world on 22 with these tags WHEN it is judged
    const judgement = judge(tagged(tags), EXAMPLE);
    // THEN it is exempt (saying why) or gets exactly the planner's plan
    if (exempt) expect(judgement).toEqual({ exempt: true, reason: `tagged ${tag}=${value}` });
    else expect(judgement).toEqual({ exempt: false, plan: planGroup(tagged(tags), EXAMPLE) });
  });

  it.each(['valueOf', 'toString', '__proto__', 'constructor'])(
    'an exemption tag named %s is an ordinary key (found by the property test, seed 902965664)',
    (name) => {
      const policy = { ...EXAMPLE, exempt: { tag: name, value: '' } };
      // GIVEN an untagged group, and one tagged with that key, read as EC2 describes them
      const untagged = snapshotFromDescribe({
        GroupId: 'sg-0123456789abcdef0',
        IpPermissions: open22,
      });
      const withTag = snapshotFromDescribe({
        GroupId: 'sg-0123456789abcdef0',
        IpPermissions: open22,
        Tags: [{ Key: name, Value: '' }],
      });
      // THEN only the tagged one is exempt, and the tag is an own key of the snapshot
      expect(judge(untagged, policy).exempt).toBe(false);
      expect(judge(withTag, policy).exempt).toBe(true);
      expect(Object.keys(withTag.tags)).toEqual([name]);
    },
  );
});

describe('planner on recorded groups from real accounts', () => {
  const recorded = recordedGroups();

  it('has fixtures to read', () => {
    expect(recorded.length).toBeGreaterThan(10);
  });

  it.each(recorded)(
    '%s: result is compliant, grants nothing new, and replans to nothing',
    (_name, sg) => {
      const before = snapshotFromDescribe(sg);
      const plan = planGroup(before, EXAMPLE);
      assertPlanProperties(before, plan, EXAMPLE);
    },
  );
});

/** The invariants every restrict-mode plan must satisfy. */
function assertPlanProperties(before: GroupSnapshot, plan: Plan, policy: SecurityGroupPolicy) {
  const after: GroupSnapshot = { ...before, ingress: plan.after };
  // Compliant: planning the result again changes nothing.
  const again = planGroup(after, policy);
  expect(again.revoke).toEqual([]);
  expect(again.authorize).toEqual([]);
  // Every rule is one EC2 would accept.
  for (const r of plan.after)
    if (r.protocol === 'tcp' || r.protocol === 'udp')
      expect(r.fromPort).toBeLessThanOrEqual(r.toPort);
  // Grants nothing new: every rule after lies within some rule before.
  for (const r of plan.after) expect(before.ingress.some((b) => ruleCovers(b, r))).toBe(true);
  // Exactly the allowed part of the old access: at every boundary packet, the result admits a
  // packet if and only if the old group and the policy both admit it.
  for (const pkt of boundaryPackets(before.ingress, policy)) {
    const expected =
      before.ingress.some((r) => ruleAdmits(r, pkt)) && policyAdmits(policy, before.groupId, pkt);
    const actual = plan.after.some((r) => ruleAdmits(r, pkt));
    if (actual !== expected)
      throw new Error(
        `packet ${JSON.stringify(pkt, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}: expected ${expected}, got ${actual}`,
      );
  }
  // Keeps all allowed access: every rule before that was allowed in full is still there.
  for (const b of before.ingress) {
    const allowedWhole = planGroup({ ...before, ingress: [b] }, policy).compliant;
    if (allowedWhole) expect(plan.after).toContainEqual(b);
  }
}

describe('planner properties (fast-check)', () => {
  const cidr4 = fc
    .tuple(fc.constantFrom(0, 8, 16, 24, 31, 32), fc.integer({ min: 0, max: 0xffffffff }))
    .map(
      ([prefix, n]) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${prefix}`,
    );
  const cidr6 = fc.constantFrom('::/0', '2001:db8::/32', '2001:db8:1::/48', 'fe80::1/64');
  const source = fc.oneof(
    cidr4.map((c) => ({ IpRanges: [{ CidrIp: c }] })),
    cidr6.map((c) => ({ Ipv6Ranges: [{ CidrIpv6: c }] })),
    fc
      .constantFrom('pl-0123456789abcdef0', 'pl-0aaaaaaaaaaaaaaaa')
      .map((p) => ({ PrefixListIds: [{ PrefixListId: p }] })),
    fc
      .constantFrom(SG, 'sg-0fedcba9876543210')
      .map((g) => ({ UserIdGroupPairs: [{ GroupId: g }] })),
  );
  const ports = fc
    .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 2000 }))
    .map(([a, w]) => [a, Math.min(65535, a + w)] as const);
  const permission: fc.Arbitrary<IpPermission> = fc.oneof(
    fc
      .tuple(fc.constantFrom('tcp', 'udp', '6', '17'), ports, source)
      .map(([p, [f, t], s]) => ({ IpProtocol: p, FromPort: f, ToPort: t, ...s })),
    fc.tuple(fc.constantFrom('-1', '50'), source).map(([p, s]) => ({ IpProtocol: p, ...s })),
    fc
      .tuple(fc.constantFrom(-1, 0, 3, 8), source)
      .map(([t, s]) => ({ IpProtocol: 'icmp', FromPort: t, ToPort: -1, ...s })),
  );
  const entry = fc.record({
    protocol: fc.constantFrom('tcp', 'udp', 'icmp', '-1', '50'),
    ports: fc.option(
      ports.map(([f, t]) => [`${f}-${t}`]),
      { nil: undefined },
    ),
    from: fc.array(
      fc.oneof(
        cidr4,
        cidr6,
        fc.constantFrom('self', 'pl-0123456789abcdef0', 'sg-0fedcba9876543210'),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  });
  const policy = fc.array(entry, { minLength: 1, maxLength: 4 }).map((ingress) =>
    parsePolicy({
      ingress: ingress.map((e) =>
        e.ports && ['tcp', 'udp'].includes(e.protocol) ? e : { protocol: e.protocol, from: e.from },
      ),
    }),
  );

  it('result is compliant, grants nothing new, keeps allowed access, and replans to nothing', () => {
    fc.assert(
      fc.property(fc.array(permission, { maxLength: 12 }), policy, (perms, pol) => {
        const before = group(perms, SG);
        assertPlanProperties(before, planGroup(before, pol), pol);
      }),
      { numRuns: 300 },
    );
  });

  it('the same input gives the same plan', () => {
    fc.assert(
      fc.property(fc.array(permission, { maxLength: 8 }), policy, (perms, pol) => {
        expect(planGroup(group(perms, SG), pol)).toEqual(planGroup(group(perms, SG), pol));
      }),
      { numRuns: 100 },
    );
  });
});
