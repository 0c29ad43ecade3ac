/**
 * The EC2 shapes the project reads, against EC2's own API model (shipped in @aws-sdk/client-ec2
 * as schemas: [type, namespace, name, traits, member names, member schemas]).
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { EC2Client } from '@aws-sdk/client-ec2';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { remediateGroup } from '../../handlers/respond/remediate';
import {
  describeSecurityGroupsSchema,
  ipPermissionsSchema,
  securityGroupRuleSchema,
  securityGroupSchema,
} from '../../handlers/policy/ec2-shapes';
import { rulesFromSecurityGroupRules, snapshotFromDescribe } from '../../handlers/policy/rules';
import { ValidationError } from '../../handlers/shared/validation';
import { EXAMPLE_POLICY } from '../support/groups';

type ModelSchema = readonly [number, string, string, number, readonly string[], readonly unknown[]];
const model = (name: string) => (ec2 as unknown as Record<string, ModelSchema>)[`${name}$`]!;

/** The keys of a zod object, however it is wrapped (pipes, refinements). */
function keysOf(schema: z.ZodType): string[] {
  const def = (
    schema as unknown as { def: { shape?: object; in?: z.ZodType; element?: z.ZodType } }
  ).def;
  if (def.shape) return Object.keys(def.shape).sort();
  if (def.element) return keysOf(def.element);
  if (def.in) return keysOf(def.in);
  throw new Error('not an object schema');
}
const shapeOf = (schema: z.ZodType, key: string): z.ZodType => {
  let s = schema as unknown as { def: { shape?: Record<string, z.ZodType>; in?: z.ZodType } };
  while (!s.def.shape) s = s.def.in as unknown as typeof s;
  let member = s.def.shape[key] as unknown as {
    def: { innerType?: unknown; element?: unknown; type: string };
  };
  while (member.def.innerType || member.def.element)
    member = (member.def.innerType ?? member.def.element) as typeof member;
  return member as unknown as z.ZodType;
};

describe("EC2's security-group shapes", () => {
  const permission = shapeOf(securityGroupSchema, 'IpPermissions');
  it.each<[string, z.ZodType]>([
    ['SecurityGroup', securityGroupSchema],
    ['IpPermission', permission],
    ['IpRange', shapeOf(permission, 'IpRanges')],
    ['Ipv6Range', shapeOf(permission, 'Ipv6Ranges')],
    ['PrefixListId', shapeOf(permission, 'PrefixListIds')],
    ['UserIdGroupPair', shapeOf(permission, 'UserIdGroupPairs')],
    ['Tag', shapeOf(securityGroupSchema, 'Tags')],
    ['SecurityGroupRule', securityGroupRuleSchema],
    ['ReferencedSecurityGroup', shapeOf(securityGroupRuleSchema, 'ReferencedGroupInfo')],
    ['DescribeSecurityGroupsResult', describeSecurityGroupsSchema],
  ])('%s has every member of the API model, and no other', (name, schema) => {
    expect(keysOf(schema)).toEqual([...model(name)[4]].sort());
  });

  it.each<[string, unknown, RegExp]>([
    [
      'IpRanges as strings (AWS Config spells them so)',
      { IpRanges: ['0.0.0.0/0'] },
      /^P\[0\]\.IpRanges\[0\]: got "0.0.0.0\/0"; an IpRange is an object \{CidrIp, Description\?\}$/,
    ],
    [
      'IpRanges as one string',
      { IpRanges: '0.0.0.0/0' },
      /^P\[0\]\.IpRanges: got "0.0.0.0\/0"; a list of IpRange objects/,
    ],
    [
      'a port as text',
      { FromPort: 'abc' },
      /^P\[0\]\.FromPort: got "abc"; a whole number from -1 to 65535$/,
    ],
    ['a port as true', { FromPort: true }, /^P\[0\]\.FromPort: got true; a whole number/],
    ['a port past 65535', { ToPort: 70000 }, /^P\[0\]\.ToPort: got 70000/],
    [
      'ports backwards',
      { FromPort: 80, ToPort: 22 },
      /^P\[0\]\.ToPort: got 22; a tcp rule's ToPort is a port from FromPort \(80\)/,
    ],
    [
      'an unknown protocol',
      { IpProtocol: 'sctp-ish' },
      /^P\[0\]\.IpProtocol: got "sctp-ish"; valid: tcp/,
    ],
    [
      'a CIDR that is not one',
      { IpRanges: [{ CidrIp: '10.0.0.0/33' }] },
      /^P\[0\]\.IpRanges\[0\]\.CidrIp: got "10.0.0.0\/33"; an IPv4 CIDR block/,
    ],
    [
      'an IPv6 block in IpRanges',
      { IpRanges: [{ CidrIp: '::/0' }] },
      /IpRanges\[0\]\.CidrIp: got "::\/0"; an IPv4 CIDR block/,
    ],
    [
      'a group pair with no GroupId',
      { IpRanges: [], UserIdGroupPairs: [{ UserId: '111122223333' }] },
      /^P\[0\]\.UserIdGroupPairs\[0\]\.GroupId: got nothing/,
    ],
    [
      'an unknown kind of source',
      { IpRanges: [], VpcEndpointServiceIds: [{ ServiceId: 'vpce-svc-1' }] },
      /^P\[0\]\.VpcEndpointServiceIds: not a field here; an IpPermission is an object/,
    ],
    [
      'no source at all',
      { IpRanges: [] },
      /^P\[0\]: a permission with no source this version reads/,
    ],
  ])('refuses %s, naming the field', (_name, change, message) => {
    const p = {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '0.0.0.0/0' }],
      ...(change as object),
    };
    const result = ipPermissionsSchema.safeParse([p]);
    expect(result.success).toBe(false);
    try {
      snapshotFromDescribe({ GroupId: 'sg-0123456789abcdef0', IpPermissions: [p] });
    } catch (err) {
      const problems = (err as ValidationError).problems.map((x) =>
        x.replace(/^SecurityGroup\.IpPermissions/, 'P'),
      );
      expect(problems.some((x) => message.test(x))).toBe(true);
      return;
    }
    throw new Error('expected a refusal');
  });

  it('refuses a SecurityGroupRule with no source, or two', () => {
    const base = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, GroupId: 'sg-0123456789abcdef0' };
    expect(() => rulesFromSecurityGroupRules([base])).toThrow(
      /SecurityGroupRules\[0\]: a rule with no source this version reads/,
    );
    expect(() =>
      rulesFromSecurityGroupRules([
        { ...base, CidrIpv4: '10.0.0.0/8', PrefixListId: 'pl-12345678' },
      ]),
    ).toThrow(/a rule names CidrIpv4 and PrefixListId; EC2 gives each rule exactly one source/);
  });

  it('reads every source of every permission as a rule', () => {
    const snapshot = snapshotFromDescribe({
      GroupId: 'sg-0123456789abcdef0',
      IpPermissions: [
        {
          IpProtocol: '6',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '0.0.0.0/0', Description: 'x' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
          PrefixListIds: [{ PrefixListId: 'pl-12345678' }],
          UserIdGroupPairs: [{ GroupId: 'sg-0123456789abcdef0', UserId: '111122223333' }],
        },
      ],
    });
    expect(snapshot.ingress.map((r) => [r.protocol, r.source.value])).toEqual([
      ['tcp', '10.0.0.0/8'],
      ['tcp', '0.0.0.0/0'],
      ['tcp', '::/0'],
      ['tcp', 'pl-12345678'],
      ['tcp', 'sg-0123456789abcdef0'],
    ]);
  });

  it('the reverter refuses a group whose rule has a kind of source the SDK does not know, and writes nothing', async () => {
    // GIVEN EC2 answers with a source element this SDK's model lacks (the SDK drops it silently)
    const SG = 'sg-0123456789abcdef0';
    const actions: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        actions.push(/Action=(\w+)/.exec(body)?.[1] ?? '?');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r1</requestId><securityGroupInfo><item><groupId>${SG}</groupId><groupName>web</groupName><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><groups/><ipRanges/><ipv6Ranges/><prefixListIds/><vpcEndpointServiceIds><item><serviceId>vpce-svc-0123456789abcdef0</serviceId></item></vpcEndpointServiceIds></item></ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>`,
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = new EC2Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      // WHEN the reverter reads and plans it
      const result = await remediateGroup(client, SG, { policy: EXAMPLE_POLICY });
      // THEN the group is refused, saying why, and nothing but the read was sent
      expect(result.status).toBe('refused');
      expect(result.reason).toMatch(
        /^EC2 described the group in a shape this version does not read, .*nothing was changed: SecurityGroup\.IpPermissions\[0\]: a permission with no source this version reads/,
      );
      expect(actions).toEqual(['DescribeSecurityGroups']);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
