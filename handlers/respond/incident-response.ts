/**
 * From an incident to reverted groups, with everything recorded on the incident: resolve the
 * targets, revert them, and write one timeline record per group plus notes for the rest.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { resolveTargets, type Targets } from '../incident/targets';
import { remediationRecord, type LogPointer } from '../incident/timeline';
import type { IncidentTrigger } from '../incident/trigger';
import { logger } from '../shared/logger';
import { instanceGroupIds } from '../aws/ec2';
import {
  addNote,
  addRelatedResource,
  addTimelineEvent,
  clientToken,
  incidentArnParts,
  readTrigger,
} from '../aws/incidents';
import { DEFAULT_LIMITS, isIncomplete, type GroupResult } from '../policy/results';
import { remediateGroups, type RemediationOptions } from './remediate';

export interface IncidentClients {
  readonly ec2: EC2Client;
  readonly incidents: SSMIncidentsClient;
}

export interface IncidentRequest {
  readonly incidentRecordArn: string;
  readonly involvedResources: readonly string[];
  /** A responder's explicit list; overrides what the trigger names. */
  readonly groupIds: readonly string[];
  /** Where this invocation logs, for records too large for the timeline. */
  readonly pointer: LogPointer;
  readonly region: string;
}

/** Where this Lambda invocation runs and logs, as the Lambda runtime tells it. */
export function invocationContext(
  requestId: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Pick<IncidentRequest, 'region' | 'pointer'> {
  return {
    region: env.AWS_REGION ?? '',
    pointer: {
      logGroup: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStream: env.AWS_LAMBDA_LOG_STREAM_NAME,
      requestId,
    },
  };
}

export interface IncidentOutcome {
  readonly ok: boolean;
  readonly targets: Targets;
  readonly results: readonly GroupResult[];
  /** What was written as notes, in order. */
  readonly notes: readonly string[];
}

/** `trigger`: pass it when the caller has read it already, to save the two reads. */
export async function revertForIncident(
  clients: IncidentClients,
  req: IncidentRequest,
  options: RemediationOptions,
  known?: IncidentTrigger,
): Promise<IncidentOutcome> {
  const arn = req.incidentRecordArn;
  const parts = incidentArnParts(arn);
  const groupArn = (id: string) =>
    parts
      ? `arn:${parts.partition}:ec2:${req.region}:${parts.account}:security-group/${id}`
      : undefined;
  const notes: string[] = [];
  const note = async (summary: string, details: Record<string, unknown> = {}) => {
    notes.push(summary);
    await addNote(clients.incidents, arn, summary, { details, requestId: req.pointer.requestId });
  };

  const trigger = req.groupIds.length
    ? undefined
    : (known ?? (await readTrigger(clients.incidents, arn)));
  const targets = resolveTargets({
    ...(trigger ? { trigger } : {}),
    involvedResources: req.involvedResources,
    explicitGroupIds: req.groupIds,
  });
  const groupIds = [
    ...new Set([
      ...targets.groupIds,
      ...(await instanceGroupIds(clients.ec2, targets.instanceIds)),
    ]),
  ];
  logger.info('incident targets', { incidentRecordArn: arn, targets, groupIds });

  if (targets.sample) {
    await note(
      'GuardDuty sample finding received: detection, incident and runbook work end to end. Nothing was changed.',
    );
    return { ok: true, targets, results: [], notes };
  }
  if (groupIds.length === 0) {
    if (!targets.complete) {
      await note(
        `Could not tell which security groups to revert: ${targets.notes.join('; ')}. Nothing was changed. Run the runbook again with SecurityGroupIds.`,
      );
      return { ok: false, targets, results: [], notes };
    }
    await note(
      `Nothing to revert: ${targets.notes.join('; ') || 'the incident names no security group'}.`,
    );
    return { ok: true, targets, results: [], notes };
  }
  const limit = options.limits?.maxGroupsPerCall ?? DEFAULT_LIMITS.maxGroupsPerCall;
  if (groupIds.length > limit) {
    await note(
      `REFUSED: the incident names ${groupIds.length} security groups, above the blast-radius limit of ${limit}. Nothing was changed.`,
      { groupIds },
    );
    return { ok: false, targets, results: [], notes };
  }

  const results = await remediateGroups(clients.ec2, groupIds, options);
  for (const result of results) {
    const resource = groupArn(result.groupId);
    await addTimelineEvent(clients.incidents, arn, {
      eventData: remediationRecord(result, req.pointer),
      ...(resource ? { references: [resource] } : {}),
      clientToken: clientToken(arn, result.groupId, result.status, req.pointer.requestId),
    });
    if (resource && result.status !== 'gone')
      await addRelatedResource(
        clients.incidents,
        arn,
        resource,
        `Security group ${result.groupId}`,
      );
  }
  const ok = !results.some(isIncomplete);
  return { ok, targets, results, notes };
}

/** Why an outcome is not ok, in one line for the error that fails the runbook step. */
export function incompleteReason(outcome: IncidentOutcome): string {
  const failed = outcome.results
    .filter(isIncomplete)
    .map((r) => `${r.groupId} ${r.status}: ${r.reason ?? ''}`);
  return [...outcome.notes, ...failed].join('; ');
}
