/**
 * From an incident to reverted groups, with everything recorded on the incident: resolve the
 * targets, revert them, and write one record per group plus notes for the rest, on the incident's
 * timeline (Incident Manager) or its OpsItem (OpsCenter), through one interface.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { arnPlace, placeName, samePlace } from '../incident/place';
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
import {
  memberEc2,
  memberScope,
  scopeCheckOf,
  scopeNote,
  type MemberScope,
  type OrganizationResponder,
  type ScopeCheck,
} from './organization';
import { remediateGroups, type RemediationOptions } from './remediate';

export interface IncidentClients {
  readonly ec2: EC2Client;
  readonly incidents: SSMIncidentsClient;
  /**
   * OpsItems (incidents.backend "opscenter").
   * @default none: an OpsItem ID is refused
   */
  readonly ssm?: SSMClient;
  /**
   * Organization mode: act in the event's member account and region, in its mode.
   * @default none: a single-account deployment, acting with `ec2` in the function's own account
   */
  readonly organization?: OrganizationResponder;
}

/** What a response function is given: organization mode's responder read per invocation. */
export interface ResponseDeps extends Omit<IncidentClients, 'organization'> {
  /**
   * Organization mode's responder; undefined in a single-account deployment.
   * @default none: a single-account deployment
   */
  readonly organization?: () => OrganizationResponder | undefined;
}

/** The clients for one invocation: with the responder when in organization mode. */
export function clientsOf(deps: ResponseDeps): IncidentClients {
  const organization = deps.organization?.();
  return {
    ec2: deps.ec2,
    incidents: deps.incidents,
    ...(deps.ssm ? { ssm: deps.ssm } : {}),
    ...(organization ? { organization } : {}),
  };
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
  /**
   * Organization mode: the runbook's approval step passed (read in approve mode only).
   * @default false
   */
  readonly approved?: boolean;
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
  /** Organization mode: where it was handled and in which mode. */
  readonly scope?: MemberScope;
}

/** Where an incident's groups are acted on: the function's own account, or a member's. */
interface Acting {
  readonly ec2: EC2Client;
  readonly scope?: MemberScope;
  /** Involved resources left, once those elsewhere than the event were refused. */
  readonly involved: readonly string[];
  /** A request named resources elsewhere than the event: it was refused there (not ok). */
  readonly refused: boolean;
}

/**
 * Organization mode: the event's account, region and mode, and a session there. Resources the
 * request names in another account or region are refused: only the event's place is acted on.
 */
async function actInMember(
  org: OrganizationResponder,
  req: IncidentRequest,
  trigger: IncidentTrigger | undefined,
  involved: readonly string[],
  note: (summary: string, details?: Record<string, unknown>) => Promise<void>,
): Promise<Acting | { readonly unplaced: string }> {
  const found = await memberScope(org, trigger, involved, req.approved ?? false);
  if (!found.found) return { unplaced: found.reason };
  const scope = found.scope;
  const elsewhere = involved.filter((r) => {
    const p = arnPlace(r);
    return p !== undefined && !samePlace(p, scope.place);
  });
  if (elsewhere.length)
    await note(
      `REFUSED: ${elsewhere.join(', ')} ${elsewhere.length === 1 ? 'is' : 'are'} not in the event's account and region (${placeName(scope.place)}); nothing was changed there.`,
      { refused: elsewhere },
    );
  return {
    ec2: memberEc2(org, scope.place, req.incidentRecordArn),
    scope,
    involved: involved.filter((r) => !elsewhere.includes(r)),
    refused: elsewhere.length > 0,
  };
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
  const org = clients.organization;
  const parts = await records.owner();
  const notes: string[] = [];
  const note = async (summary: string, details: Record<string, unknown> = {}) => {
    notes.push(summary);
    await addNote(records, summary, { details, requestId: req.pointer.requestId });
  };

  // Organization mode reads the trigger also for an explicit list: it says where to act.
  const trigger =
    req.groupIds.length && !org ? undefined : (known ?? (await records.readTrigger()));
  const named = req.groupIds.length && !org ? [] : await records.involvedResources();
  const involved = [...new Set([...req.involvedResources, ...named])];
  const acting = org
    ? await actInMember(org, req, trigger, involved, note)
    : { ec2: clients.ec2, involved, refused: false };
  if ('unplaced' in acting) {
    await note(
      `Could not tell which account and region this incident is in: ${acting.unplaced}. Nothing was changed.`,
    );
    return { ok: false, targets: resolveTargets({}), results: [], notes };
  }
  const { ec2, scope } = acting;
  const done = (ok: boolean, targets: Targets, results: readonly GroupResult[] = []) => ({
    ok: ok && !acting.refused,
    targets,
    results,
    notes,
    ...(scope ? { scope } : {}),
  });
  const account = scope?.place.account ?? parts?.account;
  const region = scope?.place.region ?? req.region;
  const groupArn = (id: string) =>
    parts ? `arn:${parts.partition}:ec2:${region}:${account}:security-group/${id}` : undefined;

  const targets = resolveTargets({
    ...(trigger ? { trigger } : {}),
    involvedResources: acting.involved,
    explicitGroupIds: req.groupIds,
  });
  const groupIds = [
    ...new Set([...targets.groupIds, ...(await instanceGroupIds(ec2, targets.instanceIds))]),
  ];
  logger.info('incident targets', {
    incidentRecordArn: arn,
    targets,
    groupIds,
    ...(scope ? { scope } : {}),
  });

  if (targets.sample) {
    await note(
      'GuardDuty sample finding received: detection, incident and runbook work end to end. Nothing was changed.',
    );
    return done(true, targets);
  }
  if (groupIds.length === 0) {
    if (!targets.complete) {
      await note(
        `Could not tell which security groups to revert: ${targets.notes.join('; ')}. Nothing was changed. Run the runbook again with SecurityGroupIds.`,
      );
      return done(false, targets);
    }
    await note(
      `Nothing to revert: ${targets.notes.join('; ') || 'the incident names no security group'}.`,
    );
    return done(true, targets);
  }
  const limit = options.limits?.maxGroupsPerCall ?? DEFAULT_LIMITS.maxGroupsPerCall;
  if (groupIds.length > limit) {
    await note(
      `REFUSED: the incident names ${groupIds.length} security groups, above the blast-radius limit of ${limit}. Nothing was changed.`,
      { groupIds },
    );
    return done(false, targets);
  }

  if (scope) await note(scopeNote(scope), { ...scope.place, mode: scope.decision.mode });
  const results = await remediateGroups(ec2, groupIds, {
    ...options,
    // Observe, or approve without the approval: the same planner, as a dry run.
    ...(scope && !scope.changes ? { dryRun: true } : {}),
  });
  const recordScope = scope && {
    ...scope.place,
    mode: scope.decision.mode,
    ...(scope.held ? { held: scope.held } : {}),
  };
  for (const result of results) {
    const resource = groupArn(result.groupId);
    await records.addRecord({
      eventData: remediationRecord(result, req.pointer, records.fits, recordScope),
      ...(resource ? { references: [resource] } : {}),
      token: clientToken(arn, result.groupId, result.status, req.pointer.requestId),
    });
    if (resource && result.status !== 'gone')
      await records.addRelatedResource(resource, `Security group ${result.groupId}`);
  }
  return done(!results.some(isIncomplete), targets, results);
}

/**
 * The scope check the runbook runs before its approval step: the incident's account, region and
 * mode, read from its trigger (and involved resources); nothing is written anywhere.
 */
export async function checkScope(
  clients: IncidentClients,
  req: Pick<IncidentRequest, 'incidentRecordArn' | 'involvedResources'>,
): Promise<ScopeCheck> {
  const org = clients.organization;
  if (!org)
    return {
      mode: 'enforce',
      reason: 'a single-account deployment: the policy is enforced in its own account',
      accounts: [],
    };
  const records = recordsFor(clients, req.incidentRecordArn);
  const trigger = await records.readTrigger();
  const involved = [...new Set([...req.involvedResources, ...(await records.involvedResources())])];
  return scopeCheckOf(await memberScope(org, trigger, involved, false));
}

/** Why an outcome is not ok, in one line for the error that fails the runbook step. */
export function incompleteReason(outcome: IncidentOutcome): string {
  const failed = outcome.results
    .filter(isIncomplete)
    .map((r) => `${r.groupId} ${r.status}: ${r.reason ?? ''}`);
  return [...outcome.notes, ...failed].join('; ');
}
