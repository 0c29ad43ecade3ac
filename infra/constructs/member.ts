/**
 * Organization mode: what every watched account holds, deployed by the StackSets (and by the
 * management account's own stacks, which service-managed StackSets skip).
 *
 * - MemberForwarders, in every region: rules on the default bus that forward the account's
 *   signals to the central bus in the home region, with the patterns of the detection catalogue.
 * - MemberRoles, once per account (IAM is global): the member response role, which only the
 *   central functions' roles may assume, and the forwarder role the rules send with.
 */
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { detectionById, type DetectionId, type EventPattern } from '../../patterns';
import type { ExemptTag } from '../../handlers/policy/policy';
import { acknowledge, nagEnv } from '../nag';
import { forwardRuleNameOf, forwarderRoleNameOf } from '../organization';
import { eventsPrincipal } from './detection';
import { changeIngressStatements } from './function-role';

/** The EC2 reads the member role allows: the groups and their rules, and a finding's instance. */
export const MEMBER_EC2_READS = [
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeInstances',
];

export interface MemberForwardersProps {
  /** Prefix of names. */
  readonly prefix: string;
  /** The home region, named in the rules' descriptions. */
  readonly homeRegion: string;
  /** The central bus. */
  readonly centralBusArn: string;
  /** The forwarder role of this account, which may put events on the central bus. */
  readonly forwarderRoleArn: string;
  /** Each forwarded detection's pattern, from the catalogue (infra/detection-patterns.ts). */
  readonly patterns: ReadonlyMap<DetectionId, EventPattern>;
}

/** One rule per forwarded detection, on this account's default bus in this region. */
export class MemberForwarders extends Construct {
  readonly rules = new Map<DetectionId, events.CfnRule>();

  constructor(scope: Construct, id: string, props: MemberForwardersProps) {
    super(scope, id);
    for (const [detection, pattern] of props.patterns) {
      const d = detectionById(detection);
      this.rules.set(
        detection,
        new events.CfnRule(this, `Forward-${detection}`, {
          name: forwardRuleNameOf(props.prefix, d.name),
          description: `Forwards ${d.title.toLowerCase()} events to the first-responder central bus in ${props.homeRegion}.`,
          // Read-only CloudTrail events (root activity) reach only rules in this state.
          state: d.ruleState,
          eventPattern: pattern,
          targets: [
            { id: 'CentralBus', arn: props.centralBusArn, roleArn: props.forwarderRoleArn },
          ],
        }),
      );
    }
  }
}

export interface MemberRolesProps {
  /** Prefix of names. */
  readonly prefix: string;
  /** The member response role's name (memberRoleNameOf). */
  readonly memberRoleName: string;
  /** The security account, whose central functions assume the member role. */
  readonly securityAccount: string;
  /** The central functions' role ARNs (a CommaDelimitedList parameter's value in a StackSet). */
  readonly trustedRoleArns: string[];
  /** The organization (o-…): aws:PrincipalOrgID of the callers. */
  readonly organizationId: string;
  /** The central bus, where the forwarder role may put events. */
  readonly centralBusArn: string;
  /** The policy's exempt tag: the member role carries the Deny itself. */
  readonly exempt: ExemptTag;
}

export class MemberRoles extends Construct {
  readonly responseRole: iam.Role;
  readonly forwarderRole: iam.Role;

  constructor(scope: Construct, id: string, props: MemberRolesProps) {
    super(scope, id);
    // Only the central functions' roles, from the security account, within the organization.
    const central = new iam.AccountPrincipal(props.securityAccount).withConditions({
      ArnEquals: { 'aws:PrincipalArn': props.trustedRoleArns },
      StringEquals: { 'aws:PrincipalOrgID': props.organizationId },
    });
    this.responseRole = new iam.Role(this, 'ResponseRole', {
      roleName: props.memberRoleName,
      description:
        'first-responder: the central functions read security groups and revert their ingress in this account, in any region.',
      assumedBy: central,
    });
    // The functions name themselves in CloudTrail with a source identity.
    this.responseRole.assumeRolePolicy!.addStatements(
      new iam.PolicyStatement({ actions: ['sts:SetSourceIdentity'], principals: [central] }),
    );
    const responsePolicy = new iam.ManagedPolicy(this, 'ResponsePolicy', {
      description: `Permissions of ${props.memberRoleName}: read EC2, change security-group ingress, never on an exempt group.`,
      roles: [this.responseRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadSecurityGroups',
          actions: MEMBER_EC2_READS,
          resources: ['*'],
        }),
        // A global role: its groups are in every region ("*").
        ...changeIngressStatements(this, props.exempt, '*'),
      ],
    });
    const { account } = nagEnv(Stack.of(this));
    acknowledge(
      responsePolicy,
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'EC2 Describe actions support no resource-level permissions, so they need Resource "*"; the member role only reads there.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*:${account}:security-group/*]`,
        reason:
          'The groups to revert are only known when an incident names them, in any region of the account; the Deny statement keeps every group carrying the exempt tag out of reach.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*:${account}:security-group-rule/*]`,
        reason:
          'Revoking and authorizing ingress also acts on the rules of a group, which are only known when an incident names the group.',
      },
    );

    const forwarderName = forwarderRoleNameOf(props.prefix);
    this.forwarderRole = new iam.Role(this, 'ForwarderRole', {
      roleName: forwarderName,
      description:
        'first-responder: the forwarding rules of this account put events on the central bus.',
      // Only this account's forwarding rules, in any region.
      assumedBy: eventsPrincipal(this, forwardRuleNameOf(props.prefix, '*'), { anyRegion: true }),
    });
    new iam.ManagedPolicy(this, 'ForwarderPolicy', {
      description: `Permissions of ${forwarderName}: events:PutEvents on the central bus, nothing else.`,
      roles: [this.forwarderRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'PutEventsOnCentralBus',
          actions: ['events:PutEvents'],
          resources: [props.centralBusArn],
        }),
      ],
    });
  }
}
