/**
 * What every function of the app builds alike: an execution role that only Lambda, acting for
 * this account, may assume, and the statement that lets the function write to its own log group;
 * and the statements shared by the roles that act on security groups (the functions' own, and
 * the member role of organization mode).
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ExemptTag } from '../../handlers/policy/policy';
import type { Acknowledgement } from '../nag';

/**
 * A function's execution role; aws:SourceAccount keeps the confused deputy out.
 * @param roleName a fixed name (organization mode: member roles trust it by ARN); default generated.
 */
export function executionRole(
  scope: Construct,
  id: string,
  functionName: string,
  roleName?: string,
): iam.Role {
  return new iam.Role(scope, id, {
    ...(roleName ? { roleName } : {}),
    description: `Execution role of ${functionName}.`,
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  });
}

/** Lets a function write to its own log group, and to no other. */
export function writeOwnLogs(logGroup: logs.ILogGroup): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  });
}

/** The only EC2 writes in the app. */
export const EC2_WRITES = ['ec2:RevokeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupIngress'];

/**
 * Revoke and authorize ingress on security groups, and the Deny that keeps every group carrying
 * the policy's exempt tag out of reach: the functions' roles and the member role share them.
 * @param region where the groups are: the stack's region unless given ("*" for a global role).
 */
export function changeIngressStatements(
  scope: Construct,
  exempt: ExemptTag,
  region?: string,
): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const at = region === undefined ? {} : { region };
  const groupArn = stack.formatArn({
    service: 'ec2',
    resource: 'security-group',
    resourceName: '*',
    ...at,
  });
  const ruleArn = stack.formatArn({
    service: 'ec2',
    resource: 'security-group-rule',
    resourceName: '*',
    ...at,
  });
  return [
    new iam.PolicyStatement({
      sid: 'ChangeIngress',
      actions: EC2_WRITES,
      resources: [groupArn, ruleArn],
    }),
    // The exempt tag is enforced here, not only in code: an explicit Deny wins over any Allow.
    // IgnoreCase so that "True" or "TRUE" on a group protects it too. On the group only: a
    // security-group-rule never carries its group's tags, so a rule entry would never match.
    new iam.PolicyStatement({
      sid: 'NeverChangeExemptGroups',
      effect: iam.Effect.DENY,
      actions: EC2_WRITES,
      resources: [groupArn],
      conditions: {
        StringEqualsIgnoreCase: { [`aws:ResourceTag/${exempt.tag}`]: exempt.value },
      },
    }),
  ];
}

/** Organization mode: which role a central function assumes in member accounts. */
export interface MemberAccessProps {
  /** The organization (o-…): the role assumed must belong to one of its accounts. */
  readonly organizationId: string;
  /** The member role's name, the same in every account. */
  readonly memberRoleName: string;
}

/** The member role in any account, as IAM policies name it. */
function memberRoleArns(props: MemberAccessProps): string {
  return `arn:${Aws.PARTITION}:iam::*:role/${props.memberRoleName}`;
}

/** Accounts and OUs of the organization, as Organizations ARNs name them (any management account). */
function organizationArns(props: MemberAccessProps): string[] {
  return [
    `arn:${Aws.PARTITION}:organizations::*:account/${props.organizationId}/*`,
    `arn:${Aws.PARTITION}:organizations::*:ou/${props.organizationId}/ou-*`,
  ];
}

/**
 * Assume the member role, with a source identity, in accounts of the organization only
 * (aws:ResourceOrgID); and find an account's OU (ListParents, on an account or an OU), which
 * places it in a target and so gives its mode.
 */
export function memberAccessStatements(props: MemberAccessProps): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'AssumeMemberRole',
      actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      resources: [memberRoleArns(props)],
      conditions: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
    }),
    new iam.PolicyStatement({
      sid: 'PlaceAccounts',
      actions: ['organizations:ListParents'],
      resources: organizationArns(props),
    }),
  ];
}

/** Why memberAccessStatements' wildcards are acceptable, finding by finding (cdk-nag ids). */
export function memberAccessAcknowledgements(props: MemberAccessProps): Acknowledgement[] {
  const nagArn = (arn: string) => arn.replace(Aws.PARTITION, '<AWS::Partition>');
  return [
    {
      id: `AwsSolutions-IAM5[Resource::${nagArn(memberRoleArns(props))}]`,
      reason:
        'The member role exists in every account of the organization, including accounts that join later; the account is only known when an event names it, and aws:ResourceOrgID keeps the role within the organization.',
    },
    ...organizationArns(props).map((arn) => ({
      id: `AwsSolutions-IAM5[Resource::${nagArn(arn)}]`,
      reason:
        "Placing an account in its OU reads the parents of any account or OU of the organization, which are only known when an event names the account; ListParents only reads the organization's structure.",
    })),
  ];
}
