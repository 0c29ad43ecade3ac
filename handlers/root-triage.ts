/**
 * Lambda: root-activity triage. Records on the incident who acted as root, what, from where,
 * with or without MFA, and whether it worked. Changes nothing in the account.
 */
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import type { Context } from 'aws-lambda';
import { addNote, createIncidentsClient, readTrigger } from './aws/incidents';
import {
  rootActivityFacts,
  summarizeRootActivity,
  type RootActivity,
} from './incident/root-activity';
import { logger } from './shared/logger';
import { incidentRequestSchema, parseRequestOrThrow } from './shared/requests';

export interface RootTriageDeps {
  readonly incidents: SSMIncidentsClient;
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
    const trigger = await readTrigger(deps.incidents, arn);
    if (trigger.status !== 'event') {
      const summary = `Root activity triage could not read the event that opened this incident: ${trigger.reason}. Look it up in CloudTrail event history.`;
      await addNote(deps.incidents, arn, summary, { requestId });
      throw new TriageIncompleteError(summary);
    }
    const activity = rootActivityFacts(trigger.event);
    const summary = summarizeRootActivity(activity);
    await addNote(deps.incidents, arn, summary, { details: { activity }, requestId });
    logger.info('root activity triaged', { incidentRecordArn: arn, activity });
    return { summary, activity };
  };
}

export const handler = makeHandler({ incidents: createIncidentsClient() });
