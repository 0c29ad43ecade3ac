/**
 * The thin layer that talks to EC2 about security groups: read a group, apply a plan.
 * Every decision is the planner's; this file only makes the calls, as few as possible.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeSecurityGroups,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import type { Plan } from '../policy/planner';
import { rulesFromSecurityGroupRules, ruleKey, toIpPermissions, type Rule } from '../policy/rules';
import { AwsCallError, errorCode, errorMessage } from '../shared/errors';

/** Adaptive retry rides out throttling; the SDK reads AWS_ENDPOINT_URL(_EC2) for emulators. */
export function createEc2Client(): EC2Client {
  return new EC2Client({ retryMode: 'adaptive', maxAttempts: 5 });
}

export type GroupRead =
  { readonly found: true; readonly group: SecurityGroup } | { readonly found: false };

const GONE_CODES = new Set(['InvalidGroup.NotFound', 'InvalidGroupId.NotFound']);
const ALREADY_REVOKED = new Set([
  'InvalidPermission.NotFound',
  'InvalidSecurityGroupRuleId.NotFound',
]);
const ALREADY_AUTHORIZED = new Set(['InvalidPermission.Duplicate']);

/** Read 1 of at most 2: the group with its tags (needed before anything else, for exemption). */
export async function describeGroup(ec2: EC2Client, groupId: string): Promise<GroupRead> {
  try {
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    const group = out.SecurityGroups?.find((g) => g.GroupId === groupId);
    return group ? { found: true, group } : { found: false };
  } catch (err) {
    if (GONE_CODES.has(errorCode(err) ?? '')) return { found: false };
    throw new AwsCallError('DescribeSecurityGroups', errorMessage(err), { cause: err });
  }
}

/** Every group in the account and region, page by page (the Config rule's periodic run). */
export async function describeAllGroups(ec2: EC2Client): Promise<SecurityGroup[]> {
  const groups: SecurityGroup[] = [];
  try {
    for await (const page of paginateDescribeSecurityGroups({ client: ec2 }, { MaxResults: 1000 }))
      groups.push(...(page.SecurityGroups ?? []));
  } catch (err) {
    throw new AwsCallError('DescribeSecurityGroups', errorMessage(err), { cause: err });
  }
  return groups;
}

/** Read 2 of at most 2: the group's rules with their IDs, so revokes can name rules exactly. */
export async function describeRules(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  const rules: SecurityGroupRule[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await ec2.send(
        new DescribeSecurityGroupRulesCommand({
          Filters: [{ Name: 'group-id', Values: [groupId] }],
          MaxResults: 1000,
          NextToken: token,
        }),
      );
      rules.push(...(out.SecurityGroupRules ?? []));
      token = out.NextToken;
    } while (token);
  } catch (err) {
    throw new AwsCallError('DescribeSecurityGroupRules', errorMessage(err), { cause: err });
  }
  return rules;
}

/** The security groups of instances' network interfaces (GuardDuty names instances). */
export async function instanceGroupIds(
  ec2: EC2Client,
  instanceIds: readonly string[],
): Promise<string[]> {
  if (instanceIds.length === 0) return [];
  const ids = new Set<string>();
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [...instanceIds] }));
    for (const r of out.Reservations ?? [])
      for (const i of r.Instances ?? []) {
        for (const eni of i.NetworkInterfaces ?? [])
          for (const g of eni.Groups ?? []) if (g.GroupId) ids.add(g.GroupId);
        for (const g of i.SecurityGroups ?? []) if (g.GroupId) ids.add(g.GroupId);
      }
  } catch (err) {
    if (errorCode(err) === 'InvalidInstanceID.NotFound') return [];
    throw new AwsCallError('DescribeInstances', errorMessage(err), { cause: err });
  }
  return [...ids];
}

export interface ApplyOutcome {
  readonly authorized: readonly Rule[];
  readonly revoked: readonly Rule[];
  /** EC2 calls made, reads included, for the audit log and the benchmark. */
  readonly calls: number;
}

/** A step failed after others succeeded: says what was done, so the record stays true. */
export class ApplyError extends AwsCallError {
  constructor(
    cause: AwsCallError,
    readonly done: ApplyOutcome,
  ) {
    super(cause.operation, cause.message.slice(cause.operation.length + 2), { cause });
  }
}

async function authorize(ec2: EC2Client, groupId: string, rules: readonly Rule[]) {
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: toIpPermissions(rules),
    }),
  );
}

async function revoke(ec2: EC2Client, groupId: string, rules: readonly Rule[]) {
  const ids = rules.map((r) => r.ruleId);
  // By ID when every rule has one: exact, and immune to how a CIDR was spelled.
  const input = ids.every((id): id is string => id !== undefined)
    ? { GroupId: groupId, SecurityGroupRuleIds: ids }
    : { GroupId: groupId, IpPermissions: toIpPermissions(rules) };
  await ec2.send(new RevokeSecurityGroupIngressCommand(input));
}

/**
 * Applies a plan: one authorize call, then one revoke call, so that the group never allows less
 * than the plan's result. "Already there" and "already gone" answers count as done: a whole call
 * fails on one such rule, so the rest is re-read and sent once more (the only extra calls).
 */
export async function applyPlan(ec2: EC2Client, plan: Plan): Promise<ApplyOutcome> {
  const done: Progress = { authorized: [], revoked: [], calls: 0 };
  try {
    await applySteps(ec2, plan, done);
  } catch (err) {
    if (err instanceof AwsCallError) throw new ApplyError(err, done);
    throw err;
  }
  return done;
}

interface Progress {
  authorized: Rule[];
  revoked: Rule[];
  calls: number;
}

/**
 * One write. EC2 rejects a whole call when one rule is already there (or already gone), so on
 * that answer the group's rules are read again and only what is still needed is sent once more.
 */
async function write(
  ec2: EC2Client,
  groupId: string,
  step: {
    readonly operation: string;
    readonly alreadyDone: ReadonlySet<string>;
    readonly send: (rules: readonly Rule[]) => Promise<unknown>;
    /** Given the keys of the rules present now, whether a rule still needs this write. */
    readonly stillNeeded: (present: ReadonlySet<string>, rule: Rule) => boolean;
  },
  rules: readonly Rule[],
  progress: Progress,
): Promise<void> {
  const attempt = async (batch: readonly Rule[], tolerate: boolean) => {
    progress.calls++;
    try {
      await step.send(batch);
      return true;
    } catch (err) {
      if (tolerate && step.alreadyDone.has(errorCode(err) ?? '')) return false;
      throw new AwsCallError(step.operation, errorMessage(err), { cause: err });
    }
  };
  if (await attempt(rules, true)) return;
  progress.calls++;
  const present = new Set(
    rulesFromSecurityGroupRules(await describeRules(ec2, groupId)).map(ruleKey),
  );
  const needed = rules.filter((r) => step.stillNeeded(present, r));
  if (needed.length > 0) await attempt(needed, false);
}

async function applySteps(ec2: EC2Client, plan: Plan, progress: Progress): Promise<void> {
  const groupId = plan.groupId;
  // Authorize first: at no moment may the group allow less than the plan's result.
  const steps = [
    {
      operation: 'AuthorizeSecurityGroupIngress',
      alreadyDone: ALREADY_AUTHORIZED,
      rules: plan.authorize.map((c) => c.rule),
      send: (rules: readonly Rule[]) => authorize(ec2, groupId, rules),
      stillNeeded: (present: ReadonlySet<string>, r: Rule) => !present.has(ruleKey(r)),
      done: progress.authorized,
    },
    {
      operation: 'RevokeSecurityGroupIngress',
      alreadyDone: ALREADY_REVOKED,
      rules: plan.revoke.map((c) => c.rule),
      send: (rules: readonly Rule[]) => revoke(ec2, groupId, rules),
      stillNeeded: (present: ReadonlySet<string>, r: Rule) => present.has(ruleKey(r)),
      done: progress.revoked,
    },
  ];
  for (const step of steps) {
    if (step.rules.length === 0) continue;
    await write(ec2, groupId, step, step.rules, progress);
    step.done.push(...step.rules);
  }
}
