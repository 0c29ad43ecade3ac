/** Security groups in moto's EC2, built and read the same way by every moto test. */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { formatRule, rulesFromSecurityGroupRules } from '../../handlers/policy/rules';

export interface GroupOptions {
  /** @default a unique name */
  readonly name?: string;
  /** @default no tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A new VPC with a group holding these permissions; returns the group ID. */
export async function createGroup(
  ec2: EC2Client,
  permissions: readonly IpPermission[],
  options: GroupOptions = {},
): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const tags = Object.entries(options.tags ?? {});
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: options.name ?? `g-${Math.random().toString(36).slice(2)}`,
      Description: options.name ?? 'test',
      VpcId: vpc.Vpc!.VpcId,
      ...(tags.length
        ? {
            TagSpecifications: [
              {
                ResourceType: 'security-group',
                Tags: tags.map(([Key, Value]) => ({ Key, Value })),
              },
            ],
          }
        : {}),
    }),
  );
  // moto wants ports on every permission; EC2 ignores them where they do not apply.
  const withPorts = permissions.map((p) => ({ FromPort: -1, ToPort: -1, ...p }));
  if (withPorts.length)
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: withPorts }));
  return GroupId!;
}

/** The group's ingress, one sorted line per rule ("tcp 22 from 10.0.0.0/8"). */
export async function ingressOf(
  ec2: EC2Client,
  groupId: string,
  options: { readonly descriptions?: boolean } = {},
): Promise<string[]> {
  const out = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return rulesFromSecurityGroupRules(out.SecurityGroupRules ?? [])
    .map((r) =>
      options.descriptions && r.description ? `${formatRule(r)} "${r.description}"` : formatRule(r),
    )
    .sort();
}
