/**
 * The shapes EC2 describes security groups in, as its API model defines them: every member of
 * SecurityGroup, IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair, Tag,
 * SecurityGroupRule and ReferencedSecurityGroup, with its type (the model ships in
 * @aws-sdk/client-ec2; test/policy/ec2-shapes.test.ts compares the two member by member).
 *
 * One parser for `plan`'s groups file, the reverter's reads and the Config evaluator's live reads.
 * Anything else is refused with its field path, so that a rule is never dropped because it was
 * not understood. A permission with no source we know (EC2 may one day add a new kind, which an
 * older SDK silently leaves out) is refused too: planning without that rule could revoke it or
 * call the group compliant.
 */
import type { SecurityGroup, SecurityGroupRule } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { show } from '../shared/validation';
import { parseCidr } from './cidr';
import { hasPortRange, isIcmp, parseProtocol, PROTOCOL_HELP } from './protocols';

const GROUP_ID = /^sg-[0-9a-f]{1,17}$/;
const PREFIX_LIST_ID = /^pl-[0-9a-f]{1,17}$/;

const text = (what: string) => z.string({ error: what });
const cidr = (family: 4 | 6, example: string) => {
  const help = `an IPv${family} CIDR block such as ${example}`;
  return z.string({ error: help }).superRefine((s, ctx) => {
    if (parseCidr(s)?.family !== family)
      ctx.addIssue({ code: 'custom', message: `got ${show(s)}; ${help}` });
  });
};
const groupId = z
  .string({ error: 'a security-group ID (sg-…)' })
  .regex(GROUP_ID, { error: 'a security-group ID (sg-…)' });
/** EC2 sends -1 where ports do not apply; the model's type is an integer. */
const portField = z
  .number({ error: 'a whole number from -1 to 65535' })
  .int({ error: 'a whole number from -1 to 65535' })
  .min(-1, { error: 'a whole number from -1 to 65535' })
  .max(65535, { error: 'a whole number from -1 to 65535' });
const description = text('a string').optional();
const list = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `a list of ${what}` }).optional();

const ipRangeSchema = z.strictObject(
  { CidrIp: cidr(4, '10.0.0.0/8'), Description: description },
  { error: 'an IpRange is an object {CidrIp, Description?}' },
);
const ipv6RangeSchema = z.strictObject(
  { CidrIpv6: cidr(6, '2001:db8::/32'), Description: description },
  { error: 'an Ipv6Range is an object {CidrIpv6, Description?}' },
);
const prefixListIdSchema = z.strictObject(
  {
    PrefixListId: z
      .string({ error: 'a prefix-list ID (pl-…)' })
      .regex(PREFIX_LIST_ID, { error: 'a prefix-list ID (pl-…)' }),
    Description: description,
  },
  { error: 'a PrefixListId is an object {PrefixListId, Description?}' },
);
const userIdGroupPairSchema = z.strictObject(
  {
    // Optional in the model (EC2-Classic named groups); a rule we cannot name is not judged.
    GroupId: groupId,
    Description: description,
    UserId: text('an AWS account ID').optional(),
    GroupName: text('a group name').optional(),
    VpcId: text('a VPC ID').optional(),
    VpcPeeringConnectionId: text('a VPC peering connection ID').optional(),
    PeeringStatus: text('a peering status').optional(),
  },
  {
    error:
      'a UserIdGroupPair is an object {GroupId, UserId?, GroupName?, VpcId?, VpcPeeringConnectionId?, PeeringStatus?, Description?}',
  },
);
const tagSchema = z.strictObject(
  { Key: text('a tag key'), Value: text('a tag value').optional() },
  { error: 'a Tag is an object {Key, Value}' },
);

interface Ports {
  readonly protocol: string;
  readonly from: number | undefined;
  readonly to: number | undefined;
}

/** Ports as EC2 gives them for a protocol; returns what is wrong, or undefined. */
function portProblem({
  protocol,
  from,
  to,
}: Ports): { field: 'FromPort' | 'ToPort'; message: string } | undefined {
  if (hasPortRange(protocol)) {
    const all = (from === undefined || from === -1) && (to === undefined || to === -1);
    if (all) return undefined;
    if (from === undefined || from < 0)
      return {
        field: 'FromPort',
        message: `got ${from ?? 'nothing'}; a ${protocol} rule's FromPort is a port from 0 to 65535 when ToPort is ${to}`,
      };
    if (to === undefined || to < from)
      return {
        field: 'ToPort',
        message: `got ${to ?? 'nothing'}; a ${protocol} rule's ToPort is a port from FromPort (${from}) to 65535`,
      };
    return undefined;
  }
  if (isIcmp(protocol)) {
    if (from !== undefined && from > 255)
      return {
        field: 'FromPort',
        message: `got ${from}; an ICMP rule's FromPort is a type from 0 to 255, or -1 for every type`,
      };
    if (to !== undefined && to > 255)
      return {
        field: 'ToPort',
        message: `got ${to}; an ICMP rule's ToPort is a code from 0 to 255, or -1 for every code`,
      };
  }
  return undefined;
}

/** Protocol and ports, as both EC2 shapes carry them; false when the protocol is unknown. */
function checkProtocolAndPorts(
  r: { IpProtocol: string; FromPort?: number | undefined; ToPort?: number | undefined },
  ctx: z.RefinementCtx,
): boolean {
  const protocol = parseProtocol(r.IpProtocol);
  if (protocol === undefined) {
    const message = `got ${show(r.IpProtocol)}; ${PROTOCOL_HELP}`;
    ctx.addIssue({ code: 'custom', path: ['IpProtocol'], message });
    return false;
  }
  const problem = portProblem({ protocol, from: r.FromPort, to: r.ToPort });
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  return true;
}

const SOURCE_LISTS = ['IpRanges', 'Ipv6Ranges', 'PrefixListIds', 'UserIdGroupPairs'] as const;

const ipPermissionSchema = z
  .strictObject(
    {
      IpProtocol: z.string({ error: `a protocol; ${PROTOCOL_HELP}` }),
      FromPort: portField.optional(),
      ToPort: portField.optional(),
      UserIdGroupPairs: list(userIdGroupPairSchema, 'UserIdGroupPair objects'),
      IpRanges: list(ipRangeSchema, 'IpRange objects {CidrIp, Description?}'),
      Ipv6Ranges: list(ipv6RangeSchema, 'Ipv6Range objects {CidrIpv6, Description?}'),
      PrefixListIds: list(prefixListIdSchema, 'PrefixListId objects {PrefixListId, Description?}'),
    },
    {
      error:
        'an IpPermission is an object {IpProtocol, FromPort?, ToPort?, IpRanges?, Ipv6Ranges?, PrefixListIds?, UserIdGroupPairs?}',
    },
  )
  .superRefine((p, ctx) => {
    if (!checkProtocolAndPorts(p, ctx)) return;
    if (SOURCE_LISTS.every((k) => (p[k]?.length ?? 0) === 0))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `a permission with no source this version reads (${SOURCE_LISTS.join(', ')} are all empty or missing); EC2 may have returned a new kind of source, so the group is not judged without it`,
      });
  });

export const ipPermissionsSchema = z.array(ipPermissionSchema, {
  error: 'a list of IpPermission objects',
});

export const securityGroupSchema = z.strictObject(
  {
    GroupId: groupId,
    GroupName: text('a group name').optional(),
    Description: description,
    OwnerId: text('an AWS account ID').optional(),
    VpcId: text('a VPC ID').optional(),
    SecurityGroupArn: text('a security-group ARN').optional(),
    Tags: list(tagSchema, 'Tag objects {Key, Value}'),
    IpPermissions: list(ipPermissionSchema, 'IpPermission objects'),
    IpPermissionsEgress: list(ipPermissionSchema, 'IpPermission objects'),
  },
  { error: 'a SecurityGroup object, as DescribeSecurityGroups returns it' },
);

/** `aws ec2 describe-security-groups --output json`, or one page of the API's answer. */
export const describeSecurityGroupsSchema = z.strictObject(
  {
    SecurityGroups: z.array(securityGroupSchema, {
      error: 'the list from `aws ec2 describe-security-groups --output json`',
    }),
    NextToken: text('a paging token').optional(),
  },
  {
    error:
      'the output of `aws ec2 describe-security-groups --output json`: {"SecurityGroups": [...]}',
  },
);

const referencedGroupSchema = z.strictObject({
  GroupId: groupId,
  PeeringStatus: text('a peering status').optional(),
  UserId: text('an AWS account ID').optional(),
  VpcId: text('a VPC ID').optional(),
  VpcPeeringConnectionId: text('a VPC peering connection ID').optional(),
});

const RULE_SOURCES = ['CidrIpv4', 'CidrIpv6', 'PrefixListId', 'ReferencedGroupInfo'] as const;

export const securityGroupRuleSchema = z
  .strictObject(
    {
      SecurityGroupRuleId: text('a rule ID (sgr-…)').optional(),
      GroupId: groupId.optional(),
      GroupOwnerId: text('an AWS account ID').optional(),
      IsEgress: z.boolean({ error: 'true or false' }).optional(),
      IpProtocol: z.string({ error: `a protocol; ${PROTOCOL_HELP}` }),
      FromPort: portField.optional(),
      ToPort: portField.optional(),
      CidrIpv4: cidr(4, '10.0.0.0/8').optional(),
      CidrIpv6: cidr(6, '2001:db8::/32').optional(),
      PrefixListId: z
        .string()
        .regex(PREFIX_LIST_ID, { error: 'a prefix-list ID (pl-…)' })
        .optional(),
      ReferencedGroupInfo: referencedGroupSchema.optional(),
      Description: description,
      Tags: list(tagSchema, 'Tag objects {Key, Value}'),
      SecurityGroupRuleArn: text('a rule ARN').optional(),
    },
    { error: 'a SecurityGroupRule object, as DescribeSecurityGroupRules returns it' },
  )
  .superRefine((r, ctx) => {
    if (!checkProtocolAndPorts(r, ctx)) return;
    const sources = RULE_SOURCES.filter((k) => r[k] !== undefined);
    if (sources.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          sources.length === 0
            ? `a rule with no source this version reads (none of ${RULE_SOURCES.join(', ')}); EC2 may have returned a new kind of source, so the group is not judged without it`
            : `a rule names ${sources.join(' and ')}; EC2 gives each rule exactly one source`,
      });
  });

export const securityGroupRulesSchema = z.array(securityGroupRuleSchema, {
  error: 'the list of SecurityGroupRules from DescribeSecurityGroupRules',
});

/** The parsed shapes are the SDK's own types, checked. */
export type DescribedGroup = SecurityGroup & z.output<typeof securityGroupSchema>;
export type DescribedRule = SecurityGroupRule & z.output<typeof securityGroupRuleSchema>;
