/**
 * Lambda: GuardDuty finding response. Records the finding's type, severity, resource and a
 * console link on the incident; reverts the instance's security groups under the policy when
 * the finding concerns an EC2 instance at or above the configured severity (Critical by default).
 *
 * Organization mode: the finding reaches the delegated administrator; it is handled in the
 * member account and region the finding names (detail.accountId, detail.region), through the
 * member role, in that account's mode (see ./reverter.ts: `approved` as there).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import type { Context } from 'aws-lambda';
import { createEc2Client } from './aws/ec2';
import {
  addNote,
  clientsOf,
  incompleteReason,
  type ResponseDeps,
  invocationContext,
  recordsFor,
  revertForIncident,
} from './respond/incident-response';
import { createIncidentsClient } from './aws/incidents';
import { createSsmClient } from './aws/opsitems';
import type { GroupResult, RemediationLimits } from './policy/results';
import { deadlineOf } from './respond/remediate';
import { findingFacts, revertDecision, summarizeFinding, type Finding } from './incident/guardduty';
import type { SecurityGroupPolicy } from './policy/policy';
import type { ResponseMode } from './policy/scope';
import {
  ENV,
  limitsFromEnv,
  organizationFromEnv,
  policyFromEnv,
  revertMinSeverityFromEnv,
} from './env';
import { responderFromSettings } from './respond/organization';
import { logger } from './shared/logger';
import { booleanText, incidentRequestSchema, parseRequestOrThrow } from './shared/requests';

const requestSchema = incidentRequestSchema.extend({
  /** Organization mode, approve: the runbook's approval step approved. */
  approved: booleanText.default(false),
});

export interface GuardDutyResponseDeps extends ResponseDeps {
  readonly ec2: EC2Client;
  readonly incidents: SSMIncidentsClient;
  /**
   * OpsItems, for an OpsItem ID in place of the incident ARN.
   * @default none: an OpsItem ID is refused
   */
  readonly ssm?: SSMClient;
  readonly policy: () => SecurityGroupPolicy;
  readonly limits: () => RemediationLimits;
  readonly revertMinSeverity: () => number | undefined;
}

export interface GuardDutyResponse {
  readonly finding: Finding;
  /** True when the groups were reverted; false in observe mode (only planned) or when not asked. */
  readonly reverted: boolean;
  readonly results: readonly GroupResult[];
  /** Organization mode: where and in which mode the groups were handled. */
  readonly mode?: ResponseMode;
  readonly account?: string;
  readonly region?: string;
}

export class ResponseIncompleteError extends Error {
  override readonly name = 'ResponseIncompleteError';
}

export function makeHandler(deps: GuardDutyResponseDeps) {
  return async (
    event: unknown,
    context?: Pick<Context, 'awsRequestId'> & Partial<Pick<Context, 'getRemainingTimeInMillis'>>,
  ): Promise<GuardDutyResponse> => {
    const req = parseRequestOrThrow(requestSchema, event);
    const minSeverity = deps.revertMinSeverity();
    const arn = req.incidentRecordArn;
    const requestId = context?.awsRequestId;
    const clients = clientsOf(deps);
    const organization = clients.organization;
    const records = recordsFor(clients, arn);
    const trigger = await records.readTrigger();
    if (trigger.status !== 'event') {
      const summary = `GuardDuty response could not read the finding that opened this ${records.noun}: ${trigger.reason}. Open the finding in the GuardDuty console.`;
      await addNote(records, summary, { requestId });
      throw new ResponseIncompleteError(summary);
    }
    const finding = findingFacts(trigger.event);
    const decision = revertDecision(finding, minSeverity);
    const summary = finding.sample
      ? `${summarizeFinding(finding)}. Sample finding received: detection, incident and runbook work end to end. Nothing was changed.`
      : `${summarizeFinding(finding)}. ${decision.revert ? (organization ? `Handling the instance security groups in ${finding.account ?? '?'}/${finding.region ?? '?'}, in that account's mode.` : 'Reverting the instance security groups to the policy.') : `Security groups not reverted: ${decision.reason}.`}`;
    await addNote(records, summary, { details: { finding }, requestId });
    logger.info('guardduty finding recorded', { incidentRecordArn: arn, finding, decision });
    if (!decision.revert) return { finding, reverted: false, results: [] };

    const outcome = await revertForIncident(
      clients,
      {
        incidentRecordArn: arn,
        involvedResources: req.involvedResources,
        groupIds: [],
        approved: req.approved,
        ...invocationContext(requestId),
      },
      { policy: deps.policy(), limits: deps.limits(), deadline: deadlineOf(context) },
      trigger,
    );
    if (!outcome.ok) throw new ResponseIncompleteError(incompleteReason(outcome));
    const scope = outcome.scope;
    return {
      finding,
      reverted: !scope || scope.changes,
      results: outcome.results,
      ...(scope
        ? { mode: scope.decision.mode, account: scope.place.account, region: scope.place.region }
        : {}),
    };
  };
}

export const handler = makeHandler({
  ec2: createEc2Client(),
  incidents: createIncidentsClient(),
  ssm: createSsmClient(),
  policy: () => policyFromEnv(),
  limits: () => limitsFromEnv(),
  revertMinSeverity: () => revertMinSeverityFromEnv(),
  organization: responderFromSettings(
    () => organizationFromEnv(),
    process.env[ENV.serviceName] || 'first-responder-guardduty-response',
  ),
});
