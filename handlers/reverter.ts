/**
 * Lambda: revert security groups to the policy.
 * Parse (zod, before any AWS call) -> decide (planner) -> act (one authorize, one revoke).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { createEc2Client } from './aws/ec2';
import { remediateGroups, type GroupResult, type RemediationLimits } from './aws/remediate';
import type { SecurityGroupPolicy } from './policy/policy';
import { limitsFromEnv, policyFromEnv } from './shared/config';
import { InputError } from './shared/errors';
import { logger } from './shared/logger';
import { parseOrThrow, ValidationError } from './shared/validation';

export const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

const requestSchema = z
  .object({
    groupIds: z
      .array(
        z
          .string()
          .regex(GROUP_ID, { error: 'a security-group ID looks like sg-0123456789abcdef0' }),
        { error: 'a list of security-group IDs' },
      )
      .min(1, { error: 'list at least one security-group ID' }),
    dryRun: z.boolean({ error: 'true or false' }).default(false),
  })
  .strict();

export type ReverterRequest = z.input<typeof requestSchema>;

export interface ReverterResponse {
  readonly dryRun: boolean;
  /** False when any group was refused or failed: the caller must not report success. */
  readonly ok: boolean;
  readonly results: readonly GroupResult[];
}

export interface ReverterDeps {
  readonly ec2: EC2Client;
  readonly policy: () => SecurityGroupPolicy;
  readonly limits: () => RemediationLimits;
}

export function parseRequest(event: unknown, limits: RemediationLimits) {
  let req;
  try {
    req = parseOrThrow(requestSchema, event, 'request');
  } catch (err) {
    if (err instanceof ValidationError) throw new InputError(err.message, { cause: err });
    throw err;
  }
  const ids = [...new Set(req.groupIds)];
  if (ids.length > limits.maxGroupsPerCall)
    throw new InputError(
      `request.groupIds: got ${ids.length} groups, above the blast-radius limit of ${limits.maxGroupsPerCall} per call; nothing was changed. Split the request or raise MAX_GROUPS_PER_CALL`,
    );
  return { groupIds: ids, dryRun: req.dryRun };
}

export function makeHandler(deps: ReverterDeps) {
  return async (event: unknown): Promise<ReverterResponse> => {
    const policy = deps.policy();
    const limits = deps.limits();
    const req = parseRequest(event, limits);
    const results = await remediateGroups(deps.ec2, req.groupIds, {
      policy,
      limits,
      dryRun: req.dryRun,
    });
    const ok = results.every((r) => r.status !== 'refused' && r.status !== 'failed');
    logger.info('reverter finished', {
      dryRun: req.dryRun,
      ok,
      statuses: Object.fromEntries(results.map((r) => [r.groupId, r.status])),
    });
    return { dryRun: req.dryRun, ok, results };
  };
}

// Module scope: one client per container, reused across invocations.
const ec2 = createEc2Client();
export const handler = makeHandler({
  ec2,
  policy: () => policyFromEnv(),
  limits: () => limitsFromEnv(),
});
