/**
 * From an incident to reverted groups, with everything recorded on the incident: resolve the
 * targets, revert them, and write one record per group plus notes for the rest, on the incident's
 * timeline (Incident Manager) or its OpsItem (OpsCenter), through one interface.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import type { IncidentRecords } from '../incident/records';
import { resolveTargets, type Targets } from '../incident/targets';
import { noteRecord, remediationRecord, type LogPointer } from '../incident/timeline';
import type { IncidentTrigger } from '../incident/trigger';
import { InputError } from '../shared/errors';
import { logger } from '../shared/logger';
import { OPS_ITEM_ID } from '../shared/requests';
import { instanceGroupIds } from '../aws/ec2';
import { clientToken, incidentRecords } from '../aws/incidents';
import { opsItemRecords } from '../aws/opsitems';
import { DEFAULT_LIMITS, isIncomplete, type GroupResult } from '../policy/results';
import { remediateGroups, type RemediationOptions } from './remediate';

export interface IncidentClients {
  readonly ec2: EC2Client;
  readonly incidents: SSMIncidentsClient;
  /**
   * OpsItems (incidents.backend "opscenter").
   * @default none: an OpsItem ID is refused
   */
  readonly ssm?: SSMClient;
}

/** The record store of an incident ARN or an OpsItem ID (the runbook passes either). */
export function recordsFor(
  clients: Pick<IncidentClients, 'incidents' | 'ssm'>,
  id: string,
): IncidentRecords {
  if (!OPS_ITEM_ID.test(id)) return incidentRecords(clients.incidents, id);
  if (!clients.ssm)
    throw new InputError(`${id} is an OpsItem ID, but this function was given no SSM client`);
  return opsItemRecords(clients.ssm, id);
}

/** A note: a summary a person reads, with details for scripts; written once per invocation. */
export async function addNote(
  records: IncidentRecords,
  summary: string,
  options: { readonly details?: Record<string, unknown>; readonly requestId?: string } = {},
): Promise<void> {
  await records.addRecord({
    eventData: noteRecord(summary, options.details, records.fits),
    token: clientToken(records.id, summary, options.requestId),
  });
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
  const records = recordsFor(clients, arn);
  const parts = await records.owner();
  const groupArn = (id: string) =>
    parts
      ? `arn:${parts.partition}:ec2:${req.region}:${parts.account}:security-group/${id}`
      : undefined;
  const notes: string[] = [];
  const note = async (summary: string, details: Record<string, unknown> = {}) => {
    notes.push(summary);
    await addNote(records, summary, { details, requestId: req.pointer.requestId });
  };

  const trigger = req.groupIds.length ? undefined : (known ?? (await records.readTrigger()));
  const named = req.groupIds.length ? [] : await records.involvedResources();
  const targets = resolveTargets({
    ...(trigger ? { trigger } : {}),
    involvedResources: [...new Set([...req.involvedResources, ...named])],
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
    await records.addRecord({
      eventData: remediationRecord(result, req.pointer, records.fits),
      ...(resource ? { references: [resource] } : {}),
      token: clientToken(arn, result.groupId, result.status, req.pointer.requestId),
    });
    if (resource && result.status !== 'gone')
      await records.addRelatedResource(resource, `Security group ${result.groupId}`);
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
