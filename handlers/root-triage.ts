/**
 * Lambda: root-activity triage. Records on the incident who acted as root, what, from where,
 * with or without MFA, and whether it worked. Changes nothing in the account.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import type { Context } from 'aws-lambda';
import { createIncidentsClient } from './aws/incidents';
import { createSsmClient } from './aws/opsitems';
import { addNote, recordsFor } from './respond/incident-response';
import {
  rootActivityFacts,
  summarizeRootActivity,
  type RootActivity,
} from './incident/root-activity';
import { logger } from './shared/logger';
import { incidentRequestSchema, parseRequestOrThrow } from './shared/requests';

export interface RootTriageDeps {
  readonly incidents: SSMIncidentsClient;
  /**
   * OpsItems, for an OpsItem ID in place of the incident ARN.
   * @default none: an OpsItem ID is refused
   */
  readonly ssm?: SSMClient;
}

export interface RootTriageResponse {
  readonly summary: string;
  readonly activity: RootActivity;
}

/** The trigger could not be read: the note is written, and the runbook must not say success. */
export class TriageIncompleteError extends Error {
  override readonly name = 'TriageIncompleteError';
}

export function makeHandler(deps: RootTriageDeps) {
  return async (
    event: unknown,
    context?: Pick<Context, 'awsRequestId'>,
  ): Promise<RootTriageResponse> => {
    const req = parseRequestOrThrow(incidentRequestSchema, event);
    const arn = req.incidentRecordArn;
    const requestId = context?.awsRequestId;
    const records = recordsFor(deps, arn);
    const trigger = await records.readTrigger();
    if (trigger.status !== 'event') {
      const summary = `Root activity triage could not read the event that opened this ${records.noun}: ${trigger.reason}. Look it up in CloudTrail event history.`;
      await addNote(records, summary, { requestId });
      throw new TriageIncompleteError(summary);
    }
    const activity = rootActivityFacts(trigger.event);
    const summary = summarizeRootActivity(activity);
    await addNote(records, summary, { details: { activity }, requestId });
    logger.info('root activity triaged', { incidentRecordArn: arn, activity });
    return { summary, activity };
  };
}

export const handler = makeHandler({
  incidents: createIncidentsClient(),
  ssm: createSsmClient(),
});
