/**
 * Root console sign-ins are delivered to EventBridge in us-east-1 only. When the app lives in
 * another region, this small us-east-1 stack forwards root activity to the default event bus of
 * the app's region, where the main stack's rule starts the incident. Forwarding (rather than
 * starting the incident from us-east-1) keeps the incident, its runbook and its functions in one
 * region.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { applyTags } from '../tags';
import {
  detectionById,
  ROOT_CONSOLE_SIGN_IN_REGION,
  rootActivityPattern,
  type EventPattern,
} from '../../patterns';
import { DetectionRule } from '../constructs/detection';

/** Where root console sign-ins are delivered, whatever region the console showed. */
export const ROOT_EVENTS_REGION = ROOT_CONSOLE_SIGN_IN_REGION;

export interface RootActivityForwarderStackProps extends StackProps {
  /** Prefix of names, e.g. "first-responder". */
  readonly prefix: string;
  /** The app's region, whose default event bus receives the events. */
  readonly homeRegion: string;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

export class RootActivityForwarderStack extends Stack {
  readonly forwarder: DetectionRule;
  readonly pattern: EventPattern;
  readonly targetBusArn: string;

  constructor(scope: Construct, id: string, props: RootActivityForwarderStackProps) {
    super(scope, id, props);
    this.pattern = rootActivityPattern();
    this.targetBusArn = this.formatArn({
      service: 'events',
      region: props.homeRegion,
      resource: 'event-bus',
      resourceName: 'default',
    });
    this.forwarder = new DetectionRule(this, 'ForwardRootActivity', {
      ruleName: `${props.prefix}-root-activity-forwarder`,
      description: `Forwards root-user activity to the default event bus in ${props.homeRegion}.`,
      eventPattern: this.pattern,
      targetArn: this.targetBusArn,
      targetId: 'HomeRegionBus',
      action: 'events:PutEvents',
      state: detectionById('rootActivity').ruleState,
    });
    applyTags(this, props.tags ?? {});
  }
}
