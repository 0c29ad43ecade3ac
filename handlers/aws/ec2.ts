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
import { toIpPermissions, type Rule } from '../policy/rules';
import { AwsCallError, errorCode, errorMessage } from '../shared/errors';
import { clientSettings, type ClientTimeouts } from './clients';

/** Timeouts and retries as every client (./clients); the SDK reads AWS_ENDPOINT_URL_EC2. */
export function createEc2Client(options: ClientTimeouts = {}): EC2Client {
  return new EC2Client(clientSettings(options));
}

export type GroupRead =
  { readonly found: true; readonly group: SecurityGroup } | { readonly found: false };

const GONE_CODES = new Set(['InvalidGroup.NotFound', 'InvalidGroupId.NotFound']);
/** "Already there", "already gone": perhaps our own earlier attempt, whose answer was lost. */
const ALREADY = new Set([
  'InvalidPermission.Duplicate',
  'InvalidPermission.NotFound',
  'InvalidSecurityGroupRuleId.NotFound',
]);

/**
 * The group with its tags and its rules (IpPermissions) in one read: all the reverter needs,
 * since it revokes by content, not by rule ID. `signal` aborts the call at a deadline.
 */
export async function describeGroup(
  ec2: EC2Client,
  groupId: string,
  signal?: AbortSignal,
): Promise<GroupRead> {
  try {
    const out = await ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }),
      signal ? { abortSignal: signal } : {},
    );
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

/** The group's rules with their IDs (restore and the tripwire show and wait on rules by ID). */
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

/**
 * What one write did, as far as the client can know:
 * - `done`: EC2 confirmed the whole call;
 * - `unknown`: it may or may not have been applied: a lost, held or truncated response, a
 *   timeout, a 5xx, "already there" or "already gone" (perhaps our own earlier attempt), rules
 *   EC2 did not recognise. Only a read can tell;
 * - `refused`: EC2 refused the one and only attempt: nothing was applied;
 * - `gone`: the group no longer exists.
 */
export type WriteResult =
  | { readonly kind: 'done' }
  | { readonly kind: 'unknown'; readonly error: AwsCallError }
  | { readonly kind: 'refused'; readonly error: AwsCallError }
  | { readonly kind: 'gone' };

function attempts(err: unknown): number {
  const meta = (err as { $metadata?: { attempts?: number } } | undefined)?.$metadata;
  return meta?.attempts ?? 1;
}

/** A client error on the first and only attempt was decided before anything was applied. */
function classify(operation: string, err: unknown): WriteResult {
  const code = errorCode(err) ?? '';
  if (GONE_CODES.has(code)) return { kind: 'gone' };
  const error = new AwsCallError(operation, errorMessage(err), { cause: err });
  const fault = (err as { $fault?: string } | undefined)?.$fault;
  const definite = fault === 'client' && attempts(err) <= 1 && !ALREADY.has(code);
  return definite ? { kind: 'refused', error } : { kind: 'unknown', error };
}

async function write(operation: string, send: () => Promise<unknown>): Promise<WriteResult> {
  try {
    const out = (await send()) as { UnknownIpPermissions?: readonly unknown[] };
    // In a default VPC, EC2 answers a revoke of rules it does not have with success and a list.
    if (out.UnknownIpPermissions?.length)
      return {
        kind: 'unknown',
        error: new AwsCallError(operation, 'EC2 did not recognise some of the rules'),
      };
    return { kind: 'done' };
  } catch (err) {
    return classify(operation, err);
  }
}

export function authorizeIngress(
  ec2: EC2Client,
  groupId: string,
  rules: readonly Rule[],
  signal?: AbortSignal,
): Promise<WriteResult> {
  return write('AuthorizeSecurityGroupIngress', () =>
    ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: toIpPermissions(rules),
      }),
      signal ? { abortSignal: signal } : {},
    ),
  );
}

/**
 * By content (protocol, ports, source as EC2 stores it), never by rule ID: a rule replaced since
 * the read (same content, new ID) is still revoked, and no stale ID can make the call fail.
 */
export function revokeIngress(
  ec2: EC2Client,
  groupId: string,
  rules: readonly Rule[],
  signal?: AbortSignal,
): Promise<WriteResult> {
  return write('RevokeSecurityGroupIngress', () =>
    ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        // EC2 matches a revoke without the description; leave it out so that none can mismatch.
        IpPermissions: toIpPermissions(rules.map(({ description: _d, ...rule }) => rule)),
      }),
      signal ? { abortSignal: signal } : {},
    ),
  );
}

export interface ApplyOutcome {
  /** `done` when every write was confirmed; otherwise how the first unconfirmed one ended. */
  readonly result: WriteResult;
  /** Confirmed by EC2's answers. */
  readonly authorized: readonly Rule[];
  readonly revoked: readonly Rule[];
  /** Writes sent. */
  readonly calls: number;
}

/**
 * Applies a plan: one authorize call, then one revoke call, so that the group never allows less
 * than the plan's result. Stops at the first write that is not confirmed: after an unknown
 * outcome the caller reads the group, since only EC2 knows what happened.
 */
export async function applyPlan(
  ec2: EC2Client,
  plan: Plan,
  signal?: AbortSignal,
): Promise<ApplyOutcome> {
  const authorize = plan.authorize.map((c) => c.rule);
  const revoke = plan.revoke.map((c) => c.rule);
  let calls = 0;
  const outcome = (result: WriteResult, authorized: readonly Rule[], revoked: readonly Rule[]) => ({
    result,
    authorized,
    revoked,
    calls,
  });
  if (authorize.length > 0) {
    calls++;
    const result = await authorizeIngress(ec2, plan.groupId, authorize, signal);
    if (result.kind !== 'done') return outcome(result, [], []);
  }
  if (revoke.length > 0) {
    calls++;
    const result = await revokeIngress(ec2, plan.groupId, revoke, signal);
    if (result.kind !== 'done') return outcome(result, authorize, []);
  }
  return outcome({ kind: 'done' }, authorize, revoke);
}
