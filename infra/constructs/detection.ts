/**
 * Detection: one EventBridge rule per pattern from patterns/, each targeting its response plan
 * with a role that may only start an incident from that plan and that only EventBridge rules of
 * this account can assume. The pattern is passed to EventBridge verbatim, so what is deployed is
 * exactly what patterns/ tests prove.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/**
 * EventBridge's service principal, trusted only for rules of this account (and this rule).
 * @param ruleName may end in "*" for a family of rules; `anyRegion` trusts them in every region.
 */
export function eventsPrincipal(
  scope: IConstruct,
  ruleName: string,
  options: { readonly anyRegion?: boolean } = {},
): iam.IPrincipal {
  const ruleArn = Stack.of(scope).formatArn({
    service: 'events',
    resource: 'rule',
    resourceName: ruleName,
    ...(options.anyRegion ? { region: '*' } : {}),
  });
  const wildcard = options.anyRegion || ruleName.includes('*');
  return new iam.ServicePrincipal('events.amazonaws.com', {
    conditions: {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      [wildcard ? 'ArnLike' : 'ArnEquals']: { 'aws:SourceArn': ruleArn },
    },
  });
}

export interface DetectionRuleProps {
  /** Rule name (also scopes the role's trust policy). */
  readonly ruleName: string;
  readonly description: string;
  /** The event pattern, exactly as EventBridge receives it. */
  readonly eventPattern: Record<string, unknown>;
  /** ARN of the target. */
  readonly targetArn: string;
  /** Id of the target within the rule. */
  readonly targetId: string;
  /** What the role may do on the target, e.g. ssm-incidents:StartIncident. */
  readonly action: string;
  /**
   * Rule state; read-only CloudTrail events only reach ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
   * @default "ENABLED"
   */
  readonly state?: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
}

/** An EventBridge rule with one target and a role that may do one thing on that target. */
export class DetectionRule extends Construct {
  readonly rule: events.CfnRule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DetectionRuleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      description: `Lets rule ${props.ruleName} call ${props.action} on its target only.`,
      assumedBy: eventsPrincipal(this, props.ruleName),
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `${props.action} on the target of rule ${props.ruleName}, nothing else.`,
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: [props.action],
          resources: [props.targetArn],
        }),
      ],
    });
    this.rule = new events.CfnRule(this, 'Rule', {
      name: props.ruleName,
      description: props.description,
      state: props.state ?? 'ENABLED',
      eventPattern: props.eventPattern,
      targets: [{ id: props.targetId, arn: props.targetArn, roleArn: this.role.roleArn }],
    });
    // The role must be usable before the first event arrives.
    this.rule.node.addDependency(policy);
  }
}
