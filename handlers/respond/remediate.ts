/**
 * Reads, plans and applies, group by group: the one path every response ends in.
 * Refusals (exempt, blast radius, unreadable tags) are decided before any write. One read on the
 * normal path; a second (the verification read) only after a write whose outcome is unknown.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { judge, type Plan } from '../policy/planner';
import { quotaProblem } from '../policy/quota';
import type { SecurityGroupPolicy } from '../policy/policy';
import {
  DEFAULT_LIMITS,
  type GroupResult,
  type GroupStatus,
  type RemediationLimits,
} from '../policy/results';
import {
  formatRule,
  ruleKey,
  ruleToJson,
  snapshotFromDescribe,
  type GroupSnapshot,
  type Rule,
} from '../policy/rules';
import { errorMessage } from '../shared/errors';
import { logger } from '../shared/logger';
import { ValidationError } from '../shared/validation';
import { applyPlan, describeGroup } from '../aws/ec2';

/** How much time the invocation has left (Lambda: context.getRemainingTimeInMillis). */
export interface Deadline {
  remainingMs(): number;
}

/** The Lambda invocation's deadline, when there is a Lambda context. */
export function deadlineOf(context?: {
  readonly getRemainingTimeInMillis?: () => number;
}): Deadline | undefined {
  const remaining = context?.getRemainingTimeInMillis;
  return remaining ? { remainingMs: () => remaining.call(context) } : undefined;
}

export interface TimeBudget {
  /** Kept free at the end of the invocation, to record the results and return. */
  readonly reserveMs: number;
  /** The longest one group may take; its calls are aborted then. */
  readonly groupMs: number;
  /** Of a group's time, kept for the verification read after an unknown write. */
  readonly verifyMs: number;
}

/**
 * Sized for the reverter's 4-minute timeout: a group takes well under a second normally and a
 * few seconds fully throttled (3 attempts a call); held responses are cut by the client's
 * request timeout, and an in-flight group by `groupMs`.
 */
export const DEFAULT_BUDGET: TimeBudget = { reserveMs: 30_000, groupMs: 60_000, verifyMs: 10_000 };

/** After an unknown write and its verification read, the group is planned once more at most. */
export const MAX_REPLANS = 1;

export interface RemediationOptions {
  readonly policy: SecurityGroupPolicy;
  /** Plan only. @default false */
  readonly dryRun?: boolean;
  /** @default DEFAULT_LIMITS */
  readonly limits?: RemediationLimits;
  /** @default no deadline (the CLI and tests); each group still has `budget.groupMs` */
  readonly deadline?: Deadline | undefined;
  /** @default DEFAULT_BUDGET */
  readonly budget?: TimeBudget;
}

/** A group's own deadline: the calls stop at `main`, leaving time for one verification read. */
interface GroupClock {
  readonly main: AbortSignal;
  verify(): AbortSignal;
}

function groupClock(ms: number, verifyMs: number): GroupClock {
  const end = Date.now() + ms;
  return {
    main: AbortSignal.timeout(Math.max(1, Math.floor(ms - verifyMs))),
    verify: () => AbortSignal.timeout(Math.max(1, Math.floor(end - Date.now()))),
  };
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
  clock?: GroupClock,
): Promise<GroupResult> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const budget = options.budget ?? DEFAULT_BUDGET;
  const time = clock ?? groupClock(budget.groupMs, budget.verifyMs);
  const empty = { revoked: [], authorized: [] };
  let read;
  try {
    // The only read on the normal path: tags (for exemption) and rules together.
    read = await describeGroup(ec2, groupId, time.main);
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

  const calls = 1;
  let snapshot: GroupSnapshot;
  let plan: Plan;
  try {
    snapshot = snapshotFromDescribe(read.group);
    const judgement = judge(snapshot, options.policy);
    if (judgement.exempt)
      return { groupId, status: 'exempt', reason: judgement.reason, ...empty, calls };
    plan = judgement.plan;
  } catch (err) {
    const refused = err instanceof ValidationError;
    const reason = refused ? unreadable(err) : errorMessage(err);
    return { groupId, status: refused ? 'refused' : 'failed', reason, ...empty, calls };
  }
  const before = snapshot.ingress.map(ruleToJson);
  const p = json(plan);
  if (plan.compliant)
    return { groupId, status: 'compliant', before, ...empty, after: p.after, calls };
  const refusal = blastRadius(plan, limits);
  if (refusal)
    return {
      groupId,
      status: 'refused',
      reason: `${refusal}; nothing was changed`,
      before,
      ...empty,
      reasons: p.reasons,
      calls,
    };
  const quota = quotaProblem(snapshot.ingress, plan, limits.maxInboundRulesPerGroup);
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
  if (options.dryRun)
    return {
      groupId,
      status: 'planned',
      before,
      revoked: p.revoke,
      authorized: p.authorize,
      after: p.after,
      reasons: p.reasons,
      calls,
    };
  return converge(ec2, snapshot, plan, { ...options, limits }, time);
}

function blastRadius(plan: Plan, limits: RemediationLimits): string | undefined {
  return plan.revoke.length > limits.maxRevokesPerGroup
    ? `the plan revokes ${plan.revoke.length} rules, above the blast-radius limit of ${limits.maxRevokesPerGroup} per group`
    : undefined;
}

/** The audit line: the complete before-state, so that any revert can be undone later. */
function auditLine(groupId: string, ingress: readonly Rule[], plan: Plan, replan: boolean) {
  const p = json(plan);
  logger.info(`revoking for ${groupId}`, {
    groupId,
    before: ingress.map(ruleToJson),
    revoke: p.revoke,
    authorize: p.authorize,
    reasons: p.reasons,
    ...(replan ? { replan: true } : {}),
  });
}

/**
 * Applies the plan. When a write's outcome is unknown, reads the group back (the verification
 * read), plans again against what is there and applies that, once at most. The result is what
 * EC2 shows: `authorized` and `revoked` are the planned changes the group actually went through.
 */
async function converge(
  ec2: EC2Client,
  initial: GroupSnapshot,
  first: Plan,
  options: RemediationOptions & { readonly limits: RemediationLimits },
  clock: GroupClock,
): Promise<GroupResult> {
  const groupId = initial.groupId;
  const beforeKeys = new Set(initial.ingress.map(ruleKey));
  /** The group's ingress as far as we know: the last read, with confirmed writes applied. */
  let known = new Map(initial.ingress.map((r) => [ruleKey(r), r]));
  const asked = { authorize: new Map<string, Rule>(), revoke: new Map<string, Rule>() };
  let calls = 1;
  let verified = false;
  const reasons = json(first).reasons;
  const result = (status: GroupStatus, reason?: string): GroupResult => ({
    groupId,
    status,
    ...(reason ? { reason } : {}),
    before: initial.ingress.map(ruleToJson),
    authorized: [...asked.authorize]
      .filter(([k]) => known.has(k) && !beforeKeys.has(k))
      .map(([, r]) => ruleToJson(r)),
    revoked: [...asked.revoke]
      .filter(([k]) => beforeKeys.has(k) && !known.has(k))
      .map(([, r]) => ruleToJson(r)),
    after: [...known.values()].map(ruleToJson),
    reasons,
    calls,
    ...(verified ? { verified } : {}),
  });

  auditLine(groupId, initial.ingress, first, false);
  let plan = first;
  for (let replans = 0; ; replans++) {
    for (const c of plan.authorize) asked.authorize.set(ruleKey(c.rule), c.rule);
    for (const c of plan.revoke) asked.revoke.set(ruleKey(c.rule), c.rule);
    const applied = await applyPlan(ec2, plan, clock.main);
    calls += applied.calls;
    for (const r of applied.authorized) known.set(ruleKey(r), r);
    for (const r of applied.revoked) known.delete(ruleKey(r));
    const outcome = applied.result;
    if (outcome.kind === 'done') return result('remediated');
    if (outcome.kind === 'gone')
      return result('gone', 'the group was deleted during the remediation');
    if (outcome.kind === 'refused') {
      logger.error(`remediation failed for ${groupId}`, { groupId, error: outcome.error });
      return result('failed', outcome.error.message);
    }

    // Unknown outcome: only EC2 knows what happened. Read, and report and plan from that.
    logger.warn(`verifying ${groupId}: a write's outcome is unknown`, {
      groupId,
      error: outcome.error.message,
    });
    calls++;
    let read;
    try {
      read = await describeGroup(ec2, groupId, clock.verify());
    } catch (err) {
      return result(
        'failed',
        `${outcome.error.message}; the group could not be read back (${errorMessage(err)}), so that write may or may not have been applied: check the group`,
      );
    }
    if (!read.found) return result('gone', 'the group was deleted during the remediation');
    let now;
    try {
      now = snapshotFromDescribe(read.group);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      // Writes may have happened: a person looks (failed), as for any stop after a write.
      return result(
        'failed',
        `${outcome.error.message}; read back, EC2 described the group in a shape this version does not read, so it was not planned again: ${err.summary}`,
      );
    }
    known = new Map(now.ingress.map((r) => [ruleKey(r), r]));
    verified = true;
    // Our writes may have changed the group: a stop here is `failed` (a person looks).
    const judgement = judge(now, options.policy);
    if (judgement.exempt)
      return result('failed', `${judgement.reason} during the remediation: stopped there`);
    const next = judgement.plan;
    if (next.compliant) return result('remediated');
    const refusal = blastRadius(next, options.limits);
    if (refusal) return result('failed', `re-planned after a verification read: ${refusal}`);
    if (replans >= MAX_REPLANS)
      return result(
        'failed',
        `${outcome.error.message}; the group still differs from the plan (${[
          ...next.authorize.map((c) => `lacks ${formatRule(c.rule)}`),
          ...next.revoke.map((c) => `still has ${formatRule(c.rule)}`),
        ].join(', ')}): run it again`,
      );
    auditLine(groupId, now.ingress, next, true);
    plan = next;
  }
}

/** Groups one at a time: a failure on one never stops the others; the deadline stops them all. */
export async function remediateGroups(
  ec2: EC2Client,
  groupIds: readonly string[],
  options: RemediationOptions,
): Promise<GroupResult[]> {
  const budget = options.budget ?? DEFAULT_BUDGET;
  const results: GroupResult[] = [];
  for (const [i, id] of groupIds.entries()) {
    const left = options.deadline
      ? options.deadline.remainingMs() - budget.reserveMs
      : Number.POSITIVE_INFINITY;
    // A group needs room for its calls and a verification read, or it is not started at all.
    if (left < 2 * budget.verifyMs) {
      const rest = groupIds.slice(i);
      logger.warn('deadline: groups not attempted', { groupIds: rest, remainingMs: left });
      for (const groupId of rest)
        results.push({
          groupId,
          status: 'not-attempted',
          reason: `deadline: the invocation had ${Math.max(0, Math.round((left + budget.reserveMs) / 1000))} s left, too little to start another group; nothing was read or changed: run it again for this group`,
          revoked: [],
          authorized: [],
          calls: 0,
        });
      break;
    }
    const clock = groupClock(Math.min(budget.groupMs, left), budget.verifyMs);
    results.push(await remediateGroup(ec2, id, options, clock));
  }
  return results;
}
