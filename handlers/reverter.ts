/**
 * Lambda: revert security groups to the policy, for a list of groups or for an incident.
 * Parse (zod, before any AWS call) -> decide (planner) -> act (one authorize, one revoke),
 * and with an incident, record every step on its timeline.
 *
 * Organization mode (FIRST_RESPONDER_ORGANIZATION set; docs/organization.md, "Modes"): only for
 * an incident, and only in its event's member account and region, through the member role. The
 * account's mode decides: `enforce` reverts; `observe` records the dry-run plan and changes
 * nothing; `approve` reverts only with `approved: true`, else behaves as observe. Resources the
 * request names in another account or region are refused.
 *
 * The runbook's two requests in organization mode:
 * - scope check, before its approval step (changes and writes nothing):
 *     request  {"incidentRecordArn": "<ARN or OpsItem ID>", "scopeOnly": true,
 *               "involvedResources": [...] (optional)}
 *     response {"ok": true, "dryRun": true, "results": [],
 *               "mode": "enforce" | "approve" | "observe", "reason": "<one line>",
 *               "accounts": [{"account", "region", "mode", "reason"}]}
 *   `mode` is observe (fail closed) when the account cannot be placed or the incident's
 *   place cannot be told (then `accounts` is empty).
 * - the revert: {"incidentRecordArn", "involvedResources", "groupIds", "dryRun",
 *               "approved": true | false | "true" | "false" (default false; true only after the
 *               runbook's aws:approve step approved)}
 *   response as in a single account, plus "mode", "account", "region".
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { createEc2Client } from './aws/ec2';
import {
  checkScope,
  clientsOf,
  incompleteReason,
  type ResponseDeps,
  invocationContext,
  revertForIncident,
} from './respond/incident-response';
import { createIncidentsClient } from './aws/incidents';
import { createSsmClient } from './aws/opsitems';
import { isIncomplete, type GroupResult, type RemediationLimits } from './policy/results';
import { deadlineOf, remediateGroups, type TimeBudget } from './respond/remediate';
import { GROUP_ID } from './incident/targets';
import type { SecurityGroupPolicy } from './policy/policy';
import { ENV, limitsFromEnv, organizationFromEnv, policyFromEnv } from './env';
import { responderFromSettings } from './respond/organization';
import type { ResponseMode } from './policy/scope';
import { InputError } from './shared/errors';
import { logger } from './shared/logger';
import { booleanText, incidentOrOpsItem, parseRequestOrThrow, stringList } from './shared/requests';

const requestSchema = z
  .object({
    groupIds: stringList(
      z.string().regex(GROUP_ID, { error: 'a security-group ID looks like sg-0123456789abcdef0' }),
      'a list of security-group IDs',
    ).default([]),
    dryRun: booleanText.default(false),
    // An incident record ARN, or an OpsItem ID under incidents.backend "opscenter".
    incidentRecordArn: z.union([z.literal(''), incidentOrOpsItem]).default(''),
    involvedResources: stringList(z.string(), 'a list of resource ARNs').default([]),
    /** Organization mode, approve: the runbook's approval step approved. */
    approved: booleanText.default(false),
    /** Organization mode: answer the incident's mode only, change nothing. */
    scopeOnly: booleanText.default(false),
  })
  .strict()
  .refine((r) => r.incidentRecordArn !== '' || r.groupIds.length > 0, {
    error: 'give groupIds (at least one security-group ID) or an incidentRecordArn',
    path: ['groupIds'],
  })
  .refine((r) => !r.scopeOnly || r.incidentRecordArn !== '', {
    error: 'a scope check (scopeOnly) is for an incident: give its incidentRecordArn',
    path: ['incidentRecordArn'],
  });

export type ReverterRequest = z.input<typeof requestSchema>;

export interface ReverterResponse {
  readonly dryRun: boolean;
  /** False when any group was refused, failed or not attempted: the caller must not report success. */
  readonly ok: boolean;
  readonly results: readonly GroupResult[];
  /** With an incident: the notes written on its timeline. */
  readonly notes?: readonly string[];
  /** Organization mode (and every scope check): the mode the incident is handled in. */
  readonly mode?: ResponseMode;
  /** Organization mode: the event's member account and region, where it acted. */
  readonly account?: string;
  readonly region?: string;
  /** A scope check: why that mode, and each account with its mode. */
  readonly reason?: string;
  readonly accounts?: readonly {
    readonly account: string;
    readonly region: string;
    readonly mode: ResponseMode;
    readonly reason: string;
  }[];
}

export interface ReverterDeps extends ResponseDeps {
  readonly ec2: EC2Client;
  readonly incidents: SSMIncidentsClient;
  /**
   * OpsItems, for an OpsItem ID in place of the incident ARN.
   * @default none: an OpsItem ID is refused
   */
  readonly ssm?: SSMClient;
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
    const clients = clientsOf(deps);
    const organization = clients.organization;
    if (req.scopeOnly) {
      const check = await checkScope(clients, req);
      logger.info('scope check', { incidentRecordArn: req.incidentRecordArn, ...check });
      return { dryRun: true, ok: true, results: [], ...check };
    }
    const options = {
      policy,
      limits,
      dryRun: req.dryRun,
      deadline: deadlineOf(context),
      ...(deps.budget ? { budget: deps.budget } : {}),
    };

    if (req.incidentRecordArn === '') {
      if (organization)
        throw new InputError(
          'request.incidentRecordArn: in organization mode the reverter acts for an incident only, whose event names the account and region; nothing was changed',
        );
      const results = await remediateGroups(deps.ec2, req.groupIds, options);
      const ok = !results.some(isIncomplete);
      logger.info('reverter finished', { dryRun: req.dryRun, ok, statuses: statuses(results) });
      return { dryRun: req.dryRun, ok, results };
    }

    const outcome = await revertForIncident(
      clients,
      {
        incidentRecordArn: req.incidentRecordArn,
        involvedResources: req.involvedResources,
        groupIds: req.groupIds,
        approved: req.approved,
        ...invocationContext(context?.awsRequestId),
      },
      options,
    );
    const scope = outcome.scope;
    const where = scope
      ? { mode: scope.decision.mode, account: scope.place.account, region: scope.place.region }
      : {};
    logger.info('reverter finished', {
      incidentRecordArn: req.incidentRecordArn,
      dryRun: req.dryRun,
      ok: outcome.ok,
      statuses: statuses(outcome.results),
      notes: outcome.notes,
      ...where,
    });
    if (!outcome.ok) throw new RemediationIncompleteError(incompleteReason(outcome));
    return {
      dryRun: req.dryRun || (scope !== undefined && !scope.changes),
      ok: true,
      results: outcome.results,
      notes: outcome.notes,
      ...where,
    };
  };
}

const statuses = (results: readonly GroupResult[]) =>
  Object.fromEntries(results.map((r) => [r.groupId, r.status]));

// Module scope: one client per container, reused across invocations.
export const handler = makeHandler({
  ec2: createEc2Client(),
  incidents: createIncidentsClient(),
  ssm: createSsmClient(),
  policy: () => policyFromEnv(),
  limits: () => limitsFromEnv(),
  organization: responderFromSettings(
    () => organizationFromEnv(),
    process.env[ENV.serviceName] || 'first-responder-reverter',
  ),
});
