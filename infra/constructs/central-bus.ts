/**
 * Organization mode: the central event bus in the security account's home region, where the
 * detection rules are. Every account of the organization forwards its signals here; the bus
 * admits events from the organization only, and only from its forwarder roles.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { detectionById, type EventPattern } from '../../patterns';
import { centralBusNameOf, forwardRuleNameOf, forwarderRoleNameOf } from '../organization';
import { DetectionRule } from './detection';

export interface CentralBusProps {
  /** Prefix of names: the bus is `<prefix>-central`. */
  readonly prefix: string;
  /** The organization (o-…) whose accounts may put events (aws:PrincipalOrgID). */
  readonly organizationId: string;
}

export class CentralBus extends Construct {
  readonly bus: events.CfnEventBus;
  readonly eventBusName: string;
  readonly eventBusArn: string;

  constructor(scope: Construct, id: string, props: CentralBusProps) {
    super(scope, id);
    const name = centralBusNameOf(props.prefix);
    const arn = Stack.of(this).formatArn({
      service: 'events',
      resource: 'event-bus',
      resourceName: name,
    });
    this.bus = new events.CfnEventBus(this, 'Bus', {
      name,
      description:
        'first-responder: the signals of every account and region of the organization, forwarded for the detection rules.',
      // Members' rules send with their forwarder role (EventBridge requires a role for a bus
      // target granted through an organization): the bus admits those roles, from the
      // organization only. The security account's own forwarding needs no grant (same account).
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OrganizationForwarders',
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: arn,
            Condition: {
              StringEquals: { 'aws:PrincipalOrgID': props.organizationId },
              ArnLike: {
                'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::*:role/${forwarderRoleNameOf(props.prefix)}`,
              },
            },
          },
        ],
      },
    });
    // Referenced through the resource, so that rules on the bus wait for it.
    this.eventBusName = this.bus.ref;
    this.eventBusArn = this.bus.attrArn;
  }
}

/**
 * A rule on this account's default bus that forwards GuardDuty findings (the delegated
 * administrator's, which include every member's) to the central bus, with a role that may only
 * put events there: EventBridge requires a role for a bus in another region.
 */
export function guardDutyForwarder(
  scope: Construct,
  props: { prefix: string; homeRegion: string; centralBusArn: string; pattern: EventPattern },
): DetectionRule {
  const d = detectionById('guardDutyFinding');
  return new DetectionRule(scope, 'ForwardGuardDutyFindings', {
    ruleName: forwardRuleNameOf(props.prefix, d.name),
    description: `Forwards GuardDuty findings (every member's, as delegated administrator) to the first-responder central bus in ${props.homeRegion}.`,
    eventPattern: props.pattern,
    targetArn: props.centralBusArn,
    targetId: 'CentralBus',
    action: 'events:PutEvents',
    state: d.ruleState,
  });
}
