/**
 * One Incident Manager response plan per detection: the incident template, the engagements and
 * an SSM Automation action that starts the plan's runbook with the incident's parameters.
 */
import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import * as ssmincidents from 'aws-cdk-lib/aws-ssmincidents';
import { Construct } from 'constructs';
import type { DetectionId } from '../../patterns';
import type { ResponsePlanConfig, RunbookId } from '../config';
import {
  ASSUME_ROLE_PARAMETER,
  INCIDENT_PARAMETER,
  INVOLVED_RESOURCES_PARAMETER,
  loadRunbook,
} from '../runbooks';

/** Incident Manager's dynamic parameters, and the runbook parameter each one fills. */
export const DYNAMIC_PARAMETERS = [
  // Incident Manager only assigns the incident ARN to a String parameter...
  { key: INCIDENT_PARAMETER, variable: 'INCIDENT_RECORD_ARN', type: 'String' },
  // ...and the involved resources only to a StringList parameter.
  { key: INVOLVED_RESOURCES_PARAMETER, variable: 'INVOLVED_RESOURCES', type: 'StringList' },
] as const;

export interface ResponsePlansProps {
  readonly plans: readonly ResponsePlanConfig[];
  /** Resolves an engagement (alias or ARN) to a contact ARN. */
  readonly engagementArn: (aliasOrArn: string) => string;
  readonly documents: Record<RunbookId, ssm.CfnDocument>;
  /** The role Incident Manager uses to start the runbook. */
  readonly incidentManagerRole: iam.IRole;
  /** The role the runbook assumes. */
  readonly automationRole: iam.IRole;
  /**
   * Passed to runbooks that declare a DryRun parameter.
   * @default false
   */
  readonly dryRun?: boolean;
}

/** The ARN EventBridge targets: response plans carry no region in their ARN. */
export function responsePlanArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'ssm-incidents',
    region: '',
    resource: 'response-plan',
    resourceName: name,
  });
}

/**
 * What the timeline actions (and GetIncidentRecord) act on for these plans: the Service
 * Authorization Reference lists both incident-record and response-plan as required resource
 * types, so a statement naming only the record is refused. A response plan's ARN carries no
 * region; an incident record's carries none today either, and "*" also matches one, should that
 * change.
 */
export function incidentResourceArns(scope: Construct, plans: readonly string[]): string[] {
  const stack = Stack.of(scope);
  return plans.flatMap((name) => [
    responsePlanArn(scope, name),
    stack.formatArn({
      service: 'ssm-incidents',
      region: '*',
      resource: 'incident-record',
      resourceName: `${name}/*`,
    }),
  ]);
}

export class ResponsePlans extends Construct {
  readonly plans = new Map<DetectionId, ssmincidents.CfnResponsePlan>();

  constructor(scope: Construct, id: string, props: ResponsePlansProps) {
    super(scope, id);
    for (const plan of props.plans) {
      const runbook = loadRunbook(plan.runbook);
      // Fail at synth, not at the first incident, if a runbook cannot take what is passed to it.
      for (const p of DYNAMIC_PARAMETERS) {
        const declared = runbook.parameters[p.key];
        if (declared?.type !== p.type)
          throw new Error(
            `runbooks/${plan.runbook}.yaml: parameter ${p.key} must be declared with type ${p.type} (Incident Manager passes ${p.variable} into it); got ${declared ? declared.type : 'no such parameter'}`,
          );
      }
      const parameters = [{ key: ASSUME_ROLE_PARAMETER, values: [props.automationRole.roleArn] }];
      if (runbook.parameters.DryRun)
        parameters.push({ key: 'DryRun', values: [String(props.dryRun ?? false)] });

      this.plans.set(
        plan.detection,
        new ssmincidents.CfnResponsePlan(this, plan.detection, {
          name: plan.name,
          displayName: plan.displayName,
          incidentTemplate: {
            title: plan.title,
            impact: plan.impact,
            summary: plan.summary,
            ...(plan.notificationTopicArn
              ? { notificationTargets: [{ snsTopicArn: plan.notificationTopicArn }] }
              : {}),
          },
          ...(plan.chatChannelTopicArns?.length
            ? { chatChannel: { chatbotSns: [...plan.chatChannelTopicArns] } }
            : {}),
          ...(plan.engagements.length
            ? { engagements: plan.engagements.map(props.engagementArn) }
            : {}),
          actions: [
            {
              ssmAutomation: {
                documentName: props.documents[plan.runbook].ref,
                roleArn: props.incidentManagerRole.roleArn,
                targetAccount: 'RESPONSE_PLAN_OWNER_ACCOUNT',
                parameters,
                dynamicParameters: DYNAMIC_PARAMETERS.map((p) => ({
                  key: p.key,
                  value: { variable: p.variable },
                })),
              },
            },
          ],
        }),
      );
    }
  }
}
