/**
 * Lambda: revert security groups to the policy, for a list of groups or for an incident.
 * Parse (zod, before any AWS call) -> decide (planner) -> act (one authorize, one revoke),
 * and with an incident, record every step on its timeline.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { createEc2Client } from './aws/ec2';
import {
  incompleteReason,
  invocationContext,
  revertForIncident,
} from './respond/incident-response';
import { createIncidentsClient } from './aws/incidents';
import { isIncomplete, type GroupResult, type RemediationLimits } from './policy/results';
import { deadlineOf, remediateGroups, type TimeBudget } from './respond/remediate';
import { GROUP_ID } from './incident/targets';
import type { SecurityGroupPolicy } from './policy/policy';
import { ENV, limitsFromEnv, policyFromEnv } from './env';
import { InputError } from './shared/errors';
import { logger } from './shared/logger';
import { booleanText, incidentArn, parseRequestOrThrow, stringList } from './shared/requests';

const requestSchema = z
  .object({
    groupIds: stringList(
      z.string().regex(GROUP_ID, { error: 'a security-group ID looks like sg-0123456789abcdef0' }),
      'a list of security-group IDs',
    ).default([]),
    dryRun: booleanText.default(false),
    incidentRecordArn: z.union([z.literal(''), incidentArn]).default(''),
    involvedResources: stringList(z.string(), 'a list of resource ARNs').default([]),
  })
  .strict()
  .refine((r) => r.incidentRecordArn !== '' || r.groupIds.length > 0, {
    error: 'give groupIds (at least one security-group ID) or an incidentRecordArn',
    path: ['groupIds'],
  });

export type ReverterRequest = z.input<typeof requestSchema>;

export interface ReverterResponse {
  readonly dryRun: boolean;
  /** False when any group was refused, failed or not attempted: the caller must not report success. */
  readonly ok: boolean;
  readonly results: readonly GroupResult[];
  /** With an incident: the notes written on its timeline. */
  readonly notes?: readonly string[];
}

export interface ReverterDeps {
  readonly ec2: EC2Client;
  readonly incidents: SSMIncidentsClient;
  readonly policy: () => SecurityGroupPolicy;
  readonly limits: () => RemediationLimits;
  /** @default DEFAULT_BUDGET (tests scale it down with a short fake deadline) */
  readonly budget?: TimeBudget;
}

/** Thrown after everything was recorded, so that the runbook step fails visibly. */
export class RemediationIncompleteError extends Error {
  override readonly name = 'RemediationIncompleteError';
}

export function parseRequest(event: unknown, limits: RemediationLimits) {
  const req = parseRequestOrThrow(requestSchema, event);
  const ids = [...new Set(req.groupIds)];
  if (ids.length > limits.maxGroupsPerCall)
    throw new InputError(
      `request.groupIds: got ${ids.length} groups, above the blast-radius limit of ${limits.maxGroupsPerCall} per call; nothing was changed. Split the request or raise ${ENV.maxGroupsPerCall}`,
    );
  return { ...req, groupIds: ids };
}

export function makeHandler(deps: ReverterDeps) {
  return async (
    event: unknown,
    context?: Pick<Context, 'awsRequestId'> & Partial<Pick<Context, 'getRemainingTimeInMillis'>>,
  ): Promise<ReverterResponse> => {
    const policy = deps.policy();
    const limits = deps.limits();
    const req = parseRequest(event, limits);
    const options = {
      policy,
      limits,
      dryRun: req.dryRun,
      deadline: deadlineOf(context),
      ...(deps.budget ? { budget: deps.budget } : {}),
    };

    if (req.incidentRecordArn === '') {
      const results = await remediateGroups(deps.ec2, req.groupIds, options);
      const ok = !results.some(isIncomplete);
      logger.info('reverter finished', { dryRun: req.dryRun, ok, statuses: statuses(results) });
      return { dryRun: req.dryRun, ok, results };
    }

    const outcome = await revertForIncident(
      deps,
      {
        incidentRecordArn: req.incidentRecordArn,
        involvedResources: req.involvedResources,
        groupIds: req.groupIds,
        ...invocationContext(context?.awsRequestId),
      },
      options,
    );
    logger.info('reverter finished', {
      incidentRecordArn: req.incidentRecordArn,
      dryRun: req.dryRun,
      ok: outcome.ok,
      statuses: statuses(outcome.results),
      notes: outcome.notes,
    });
    if (!outcome.ok) throw new RemediationIncompleteError(incompleteReason(outcome));
    return { dryRun: req.dryRun, ok: true, results: outcome.results, notes: outcome.notes };
  };
}

const statuses = (results: readonly GroupResult[]) =>
  Object.fromEntries(results.map((r) => [r.groupId, r.status]));

// Module scope: one client per container, reused across invocations.
export const handler = makeHandler({
  ec2: createEc2Client(),
  incidents: createIncidentsClient(),
  policy: () => policyFromEnv(),
  limits: () => limitsFromEnv(),
});
