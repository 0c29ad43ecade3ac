/**
 * Organization mode: the stack every watched account holds. The StackSets deploy it as two
 * template bodies (the forwarders in every region; the roles in the home region only, because a
 * global IAM role in a per-region template fails in the second region); the management account,
 * which service-managed StackSets skip, deploys it as `<stackName>-Management-<region>`.
 *
 * What differs between accounts is only the account itself (AWS::AccountId); what comes from the
 * security account (the central bus, the central functions' roles) is a parameter whose default is
 * this deployment's value, so the template deploys as it is and a StackSet can still pass them.
 */
import { CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { DETECTION_IDS, type DetectionId, type EventPattern } from '../../patterns';
import type { FirstResponderConfig } from '../config';
import { detectionPatterns } from '../detection-patterns';
import {
  centralBusNameOf,
  forwarderRoleNameOf,
  MEMBER_FORWARDED_DETECTIONS,
  trustedRoleNamesOf,
} from '../organization';
import { applyTags } from '../tags';
import { MemberForwarders, MemberRoles } from '../constructs/member';

/** The partition of a region, e.g. "aws-cn" for cn-north-1 (parameter defaults take no intrinsic). */
export function partitionOf(region: string): string {
  return RegionInfo.get(region).partition ?? 'aws';
}

/** Where the security account's central pieces are, as literal ARNs. */
export interface CentralArns {
  readonly centralBusArn: string;
  readonly trustedRoleArns: string[];
}

export function centralArnsOf(config: FirstResponderConfig, securityAccount: string): CentralArns {
  const org = config.organization!;
  const partition = partitionOf(org.homeRegion);
  return {
    centralBusArn: `arn:${partition}:events:${org.homeRegion}:${securityAccount}:event-bus/${centralBusNameOf(config.app.prefix)}`,
    trustedRoleArns: trustedRoleNamesOf(config.app.prefix).map(
      (name) => `arn:${partition}:iam::${securityAccount}:role/${name}`,
    ),
  };
}

/** The template parameters, by name. */
export const MEMBER_PARAMETERS = {
  centralBusArn: 'CentralBusArn',
  trustedRoleArns: 'TrustedRoleArns',
} as const;

export interface MemberStackProps extends StackProps {
  readonly config: FirstResponderConfig;
  readonly securityAccount: string;
  readonly memberRoleName: string;
  /** Hold the forwarding rules (every region). */
  readonly forwarders: boolean;
  /** Hold the member role and the forwarder role (once per account: the home region). */
  readonly roles: boolean;
}

export class MemberStack extends Stack {
  readonly forwarders?: MemberForwarders;
  readonly roles?: MemberRoles;
  /** The forwarded detections' patterns, as deployed (CDK tokens for this account's ARNs). */
  readonly patterns = new Map<DetectionId, EventPattern>();
  /** The values the parameters default to, which a StackSet passes explicitly. */
  readonly parameterValues: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, props);
    const { config } = props;
    const org = config.organization!;
    const prefix = config.app.prefix;
    const central = centralArnsOf(config, props.securityAccount);

    const busArn = new CfnParameter(this, MEMBER_PARAMETERS.centralBusArn, {
      type: 'String',
      description: 'The first-responder central event bus, in the security account.',
      default: central.centralBusArn,
      allowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/[\\w.-]+$',
    }).valueAsString;
    this.parameterValues[MEMBER_PARAMETERS.centralBusArn] = central.centralBusArn;
    const roleArn = (name: string) =>
      this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: name });

    if (props.forwarders) {
      // The member role's own changes (a revert) are no new signal: the catalogue's pattern
      // leaves them out, as it leaves out the functions' roles in single-account mode.
      const all = detectionPatterns(config, [roleArn(props.memberRoleName)]);
      for (const d of DETECTION_IDS)
        if (MEMBER_FORWARDED_DETECTIONS.includes(d)) this.patterns.set(d, all.get(d)!);
      this.forwarders = new MemberForwarders(this, 'Forwarders', {
        prefix,
        homeRegion: org.homeRegion,
        centralBusArn: busArn,
        forwarderRoleArn: roleArn(forwarderRoleNameOf(prefix)),
        patterns: this.patterns,
      });
    }
    if (props.roles) {
      const trusted = new CfnParameter(this, MEMBER_PARAMETERS.trustedRoleArns, {
        type: 'CommaDelimitedList',
        description:
          "The central functions' roles in the security account, which may assume the member role.",
        default: central.trustedRoleArns.join(','),
      }).valueAsList;
      this.parameterValues[MEMBER_PARAMETERS.trustedRoleArns] = central.trustedRoleArns.join(',');
      this.roles = new MemberRoles(this, 'Roles', {
        prefix,
        memberRoleName: props.memberRoleName,
        securityAccount: props.securityAccount,
        trustedRoleArns: trusted,
        organizationId: org.organizationId,
        centralBusArn: busArn,
        exempt: config.policy.exempt,
      });
    }
    // In one stack, the rules must not start before their role exists.
    if (this.forwarders && this.roles) this.forwarders.node.addDependency(this.roles);
    applyTags(this, config.app.tags);
  }
}
