/**
 * Reads, plans and applies, group by group: the one path every response ends in.
 * Refusals (exempt, blast radius, unreadable tags) are decided before any write.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { exemptReason, judge, type Judgement, type Plan } from '../policy/planner';
import { quotaProblem } from '../policy/quota';
import type { SecurityGroupPolicy } from '../policy/policy';
import { ruleToJson, snapshotFromDescribe, type RuleJson } from '../policy/rules';
import { DEFAULT_LIMITS, type GroupResult, type RemediationLimits } from '../policy/results';
import { errorMessage } from '../shared/errors';
import { logger } from '../shared/logger';
import { ValidationError } from '../shared/validation';
import { ApplyError, applyPlan, describeGroup, describeRules } from '../aws/ec2';

export interface RemediationOptions {
  readonly policy: SecurityGroupPolicy;
  /** Plan only. @default false */
  readonly dryRun?: boolean;
  /** @default DEFAULT_LIMITS */
  readonly limits?: RemediationLimits;
}

function json(plan: Plan) {
  return {
    revoke: plan.revoke.map((c) => ruleToJson(c.rule)),
    authorize: plan.authorize.map((c) => ruleToJson(c.rule)),
    after: plan.after.map(ruleToJson),
    reasons: [...plan.authorize, ...plan.revoke].map((c) => c.reason),
  };
}

/** A group EC2 described with a rule this version cannot read is not planned without it. */
function unreadable(err: ValidationError): string {
  return `EC2 described the group in a shape this version does not read, so it was not planned (a rule could be missed); nothing was changed: ${err.summary}`;
}

export async function remediateGroup(
  ec2: EC2Client,
  groupId: string,
  options: RemediationOptions,
): Promise<GroupResult> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const empty = { revoked: [], authorized: [] };
  let read;
  try {
    read = await describeGroup(ec2, groupId);
  } catch (err) {
    // Without the tags we cannot tell whether the group is exempt, so we must not touch it.
    return {
      groupId,
      status: 'refused',
      reason: `could not read the group and its tags, so its exemption is unknown: ${errorMessage(err)}`,
      ...empty,
      calls: 1,
    };
  }
  if (!read.found)
    return { groupId, status: 'gone', reason: 'the group no longer exists', ...empty, calls: 1 };

  const exempt = (reason: string, calls: number): GroupResult => ({
    groupId,
    status: 'exempt',
    reason,
    ...empty,
    calls,
  });
  // Exemption needs the tags only: asked first, it spares an exempt group the second read.
  let tagged: string | undefined;
  try {
    tagged = exemptReason(snapshotFromDescribe(read.group), options.policy);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { groupId, status: 'refused', reason: unreadable(err), ...empty, calls: 1 };
  }
  if (tagged !== undefined) return exempt(tagged, 1);

  let calls = 2;
  let judgement: Judgement;
  let before: RuleJson[];
  let quota: string | undefined;
  try {
    const snapshot = snapshotFromDescribe(read.group, await describeRules(ec2, groupId));
    before = snapshot.ingress.map(ruleToJson);
    judgement = judge(snapshot, options.policy);
    quota = judgement.exempt
      ? undefined
      : quotaProblem(snapshot.ingress, judgement.plan, limits.maxInboundRulesPerGroup);
  } catch (err) {
    const refused = err instanceof ValidationError;
    const reason = refused ? unreadable(err) : errorMessage(err);
    return { groupId, status: refused ? 'refused' : 'failed', reason, ...empty, calls };
  }
  if (judgement.exempt) return exempt(judgement.reason, calls);
  const plan = judgement.plan;
  const p = json(plan);
  if (plan.compliant)
    return { groupId, status: 'compliant', before, ...empty, after: p.after, calls };
  if (plan.revoke.length > limits.maxRevokesPerGroup)
    return {
      groupId,
      status: 'refused',
      reason: `the plan revokes ${plan.revoke.length} rules, above the blast-radius limit of ${limits.maxRevokesPerGroup} per group; nothing was changed`,
      before,
      ...empty,
      reasons: p.reasons,
      calls,
    };
  if (quota)
    return {
      groupId,
      status: 'refused',
      reason: quota,
      before,
      ...empty,
      reasons: p.reasons,
      calls,
    };
  const changes = {
    before,
    revoked: p.revoke,
    authorized: p.authorize,
    after: p.after,
    reasons: p.reasons,
  };
  if (options.dryRun) return { groupId, status: 'planned', ...changes, calls };

  // The audit line: the complete before-state, so that any revert can be undone later.
  logger.info(`revoking for ${groupId}`, {
    groupId,
    before,
    revoke: p.revoke,
    authorize: p.authorize,
    reasons: p.reasons,
  });
  try {
    const outcome = await applyPlan(ec2, plan);
    calls += outcome.calls;
  } catch (err) {
    logger.error(`remediation failed for ${groupId}`, { groupId, error: err as Error });
    const done = err instanceof ApplyError ? err.done : { authorized: [], revoked: [], calls: 0 };
    return {
      groupId,
      status: 'failed',
      reason: errorMessage(err),
      before,
      revoked: done.revoked.map(ruleToJson),
      authorized: done.authorized.map(ruleToJson),
      reasons: p.reasons,
      calls: calls + done.calls,
    };
  }
  return { groupId, status: 'remediated', ...changes, calls };
}

/** Groups one at a time: a failure on one never stops the others. */
export async function remediateGroups(
  ec2: EC2Client,
  groupIds: readonly string[],
  options: RemediationOptions,
): Promise<GroupResult[]> {
  const results: GroupResult[] = [];
  for (const id of groupIds) results.push(await remediateGroup(ec2, id, options));
  return results;
}
