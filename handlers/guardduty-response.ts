/**
 * Lambda: GuardDuty finding response. Records the finding's type, severity, resource and a
 * console link on the incident; reverts the instance's security groups under the policy when
 * the finding concerns an EC2 instance at or above the configured severity (Critical by default).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import type { Context } from 'aws-lambda';
import { createEc2Client } from './aws/ec2';
import {
  incompleteReason,
  invocationContext,
  revertForIncident,
} from './respond/incident-response';
import { addNote, createIncidentsClient, readTrigger } from './aws/incidents';
import type { GroupResult, RemediationLimits } from './policy/results';
import { deadlineOf } from './respond/remediate';
import { findingFacts, revertDecision, summarizeFinding, type Finding } from './incident/guardduty';
import type { SecurityGroupPolicy } from './policy/policy';
import { limitsFromEnv, policyFromEnv, revertMinSeverityFromEnv } from './env';
import { logger } from './shared/logger';
import { incidentRequestSchema, parseRequestOrThrow } from './shared/requests';

export interface GuardDutyResponseDeps {
  readonly ec2: EC2Client;
  readonly incidents: SSMIncidentsClient;
  readonly policy: () => SecurityGroupPolicy;
  readonly limits: () => RemediationLimits;
  readonly revertMinSeverity: () => number | undefined;
}

export interface GuardDutyResponse {
  readonly finding: Finding;
  readonly reverted: boolean;
  readonly results: readonly GroupResult[];
}

export class ResponseIncompleteError extends Error {
  override readonly name = 'ResponseIncompleteError';
}

export function makeHandler(deps: GuardDutyResponseDeps) {
  return async (
    event: unknown,
    context?: Pick<Context, 'awsRequestId'> & Partial<Pick<Context, 'getRemainingTimeInMillis'>>,
  ): Promise<GuardDutyResponse> => {
    const req = parseRequestOrThrow(incidentRequestSchema, event);
    const minSeverity = deps.revertMinSeverity();
    const arn = req.incidentRecordArn;
    const requestId = context?.awsRequestId;
    const trigger = await readTrigger(deps.incidents, arn);
    if (trigger.status !== 'event') {
      const summary = `GuardDuty response could not read the finding that opened this incident: ${trigger.reason}. Open the finding in the GuardDuty console.`;
      await addNote(deps.incidents, arn, summary, { requestId });
      throw new ResponseIncompleteError(summary);
    }
    const finding = findingFacts(trigger.event);
    const decision = revertDecision(finding, minSeverity);
    const summary = finding.sample
      ? `${summarizeFinding(finding)}. Sample finding received: detection, incident and runbook work end to end. Nothing was changed.`
      : `${summarizeFinding(finding)}. ${decision.revert ? 'Reverting the instance security groups to the policy.' : `Security groups not reverted: ${decision.reason}.`}`;
    await addNote(deps.incidents, arn, summary, { details: { finding }, requestId });
    logger.info('guardduty finding recorded', { incidentRecordArn: arn, finding, decision });
    if (!decision.revert) return { finding, reverted: false, results: [] };

    const outcome = await revertForIncident(
      deps,
      {
        incidentRecordArn: arn,
        involvedResources: req.involvedResources,
        groupIds: [],
        ...invocationContext(requestId),
      },
      { policy: deps.policy(), limits: deps.limits(), deadline: deadlineOf(context) },
      trigger,
    );
    if (!outcome.ok) throw new ResponseIncompleteError(incompleteReason(outcome));
    return { finding, reverted: true, results: outcome.results };
  };
}

export const handler = makeHandler({
  ec2: createEc2Client(),
  incidents: createIncidentsClient(),
  policy: () => policyFromEnv(),
  limits: () => limitsFromEnv(),
  revertMinSeverity: () => revertMinSeverityFromEnv(),
});
