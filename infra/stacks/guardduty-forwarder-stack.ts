/**
 * Organization mode: GuardDuty delivers every member's findings to the delegated administrator
 * (the security account) in the region where they happen. This small stack, one per non-home
 * region in the security account, forwards them to the central bus in the home region, where the
 * detection rule starts the incident. The home region forwards from the main stack.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EventPattern } from '../../patterns';
import { guardDutyForwarder } from '../constructs/central-bus';
import type { DetectionRule } from '../constructs/detection';
import { applyTags } from '../tags';

export interface GuardDutyForwarderStackProps extends StackProps {
  /** Prefix of names, e.g. "first-responder". */
  readonly prefix: string;
  /** The home region, where the central bus is. */
  readonly homeRegion: string;
  /** The central bus (in the home region: a cross-region target, sent with the rule's role). */
  readonly centralBusArn: string;
  /** The GuardDuty detection's pattern, from the catalogue. */
  readonly pattern: EventPattern;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

export class GuardDutyForwarderStack extends Stack {
  readonly forwarder: DetectionRule;
  readonly pattern: EventPattern;

  constructor(scope: Construct, id: string, props: GuardDutyForwarderStackProps) {
    super(scope, id, props);
    this.pattern = props.pattern;
    this.forwarder = guardDutyForwarder(this, props);
    applyTags(this, props.tags ?? {});
  }
}
