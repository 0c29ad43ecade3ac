/**
 * Incident Manager contacts: personal contacts with EMAIL, SMS and VOICE channels, their
 * engagement plans, escalation plans and optional on-call rotations.
 *
 * A personal contact's engagement plan is a separate AWS::SSMContacts::Plan: the channels need
 * the contact's ARN and the plan needs the channels' ARNs, so an inline plan would be a cycle.
 * Escalation plans only reference other contacts, so their stages stay inline.
 */
import type { CfnResource } from 'aws-cdk-lib';
import * as ssmcontacts from 'aws-cdk-lib/aws-ssmcontacts';
import { Construct } from 'constructs';
import type { ContactConfig, EscalationPlanConfig, RotationConfig } from '../config';

export interface OnCallProps {
  readonly contacts: readonly ContactConfig[];
  readonly escalationPlans: readonly EscalationPlanConfig[];
  readonly rotations: readonly RotationConfig[];
  /**
   * Create channels without sending activation codes.
   * @default false
   */
  readonly deferChannelActivation?: boolean;
}

/** The rotation's name: Incident Manager allows only letters, digits and "_". */
export function rotationName(alias: string): string {
  return alias.replace(/[^a-zA-Z0-9_]/g, '_');
}

export class OnCall extends Construct {
  /** Every created contact (personal, escalation, on-call schedule) by alias. */
  readonly contacts = new Map<string, ssmcontacts.CfnContact>();
  readonly channels = new Map<string, ssmcontacts.CfnContactChannel>();
  readonly plans = new Map<string, ssmcontacts.CfnPlan>();
  readonly rotations = new Map<string, ssmcontacts.CfnRotation>();

  constructor(scope: Construct, id: string, props: OnCallProps) {
    super(scope, id);

    for (const c of props.contacts) {
      const contact = new ssmcontacts.CfnContact(this, `Contact-${c.alias}`, {
        alias: c.alias,
        displayName: c.displayName,
        type: 'PERSONAL',
      });
      this.contacts.set(c.alias, contact);

      const byName = new Map<string, ssmcontacts.CfnContactChannel>();
      for (const ch of c.channels) {
        const channel = new ssmcontacts.CfnContactChannel(this, `Channel-${c.alias}-${ch.name}`, {
          contactId: contact.attrArn,
          channelName: ch.name,
          channelType: ch.type,
          channelAddress: ch.address,
          deferActivation: props.deferChannelActivation ?? false,
        });
        byName.set(ch.name, channel);
        this.channels.set(`${c.alias}/${ch.name}`, channel);
      }

      const stages = c.engagementPlan ?? [
        { channels: c.channels.map((ch) => ch.name), durationMinutes: 0, retryIntervalMinutes: 5 },
      ];
      this.plans.set(
        c.alias,
        new ssmcontacts.CfnPlan(this, `Plan-${c.alias}`, {
          contactId: contact.attrArn,
          stages: stages.map((s) => ({
            durationInMinutes: s.durationMinutes,
            targets: s.channels.map((name) => ({
              channelTargetInfo: {
                channelId: byName.get(name)!.attrArn,
                retryIntervalInMinutes: s.retryIntervalMinutes,
              },
            })),
          })),
        }),
      );
    }

    for (const r of props.rotations) {
      const rotation = new ssmcontacts.CfnRotation(this, `Rotation-${r.alias}`, {
        name: rotationName(r.alias),
        contactIds: r.contacts.map((a) => this.contacts.get(a)!.attrArn),
        startTime: r.startTime,
        timeZoneId: r.timeZone,
        recurrence: {
          numberOfOnCalls: r.onCallAtOnce,
          recurrenceMultiplier: r.shiftLength,
          ...(r.recurrence === 'daily'
            ? { dailySettings: [r.handOffTime] }
            : { weeklySettings: [{ dayOfWeek: r.handOffDay, handOffTime: r.handOffTime }] }),
        },
      });
      this.rotations.set(r.alias, rotation);
      // Escalation stages and engagements reach a rotation through its on-call schedule contact.
      this.contacts.set(
        r.alias,
        new ssmcontacts.CfnContact(this, `Schedule-${r.alias}`, {
          alias: r.alias,
          displayName: r.displayName,
          type: 'ONCALL_SCHEDULE',
          plan: [{ rotationIds: [rotation.attrArn] }],
        }),
      );
    }

    for (const e of props.escalationPlans) {
      this.contacts.set(
        e.alias,
        new ssmcontacts.CfnContact(this, `Escalation-${e.alias}`, {
          alias: e.alias,
          displayName: e.displayName,
          type: 'ESCALATION',
          plan: e.stages.map((s) => ({
            durationInMinutes: s.durationMinutes,
            targets: s.contacts.map((a) => ({
              contactTargetInfo: {
                contactId: this.contacts.get(a)!.attrArn,
                isEssential: s.essential,
              },
            })),
          })),
        }),
      );
    }
  }

  /** The ARN of a configured alias, or the string itself (an existing contact's ARN). */
  arnOf(aliasOrArn: string): string {
    return this.contacts.get(aliasOrArn)?.attrArn ?? aliasOrArn;
  }

  /** Every Incident Manager resource here, so they can wait for a replication set. */
  get resources(): CfnResource[] {
    return [
      ...this.contacts.values(),
      ...this.channels.values(),
      ...this.plans.values(),
      ...this.rotations.values(),
    ];
  }
}
