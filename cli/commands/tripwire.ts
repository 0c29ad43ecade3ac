/**
 * `first-responder validate --tripwire`: proves the security-group path end to end in the user's
 * own account. Creates a temporary, tagged group in a VPC the user names, opens tcp 22 and 3389
 * to 0.0.0.0/0 (the CloudTrail event the project's pattern matches), waits until the reverter has
 * taken both rules away, and reports how long that took. The group is deleted in every case:
 * success, failure, timeout and interrupt (SIGINT/SIGTERM).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { describeRules } from '../../handlers/aws/ec2';
import {
  formatRule,
  makeRule,
  ruleKey,
  rulesFromSecurityGroupRules,
  toIpPermissions,
  type Rule,
} from '../../handlers/policy/rules';
import { errorCode, errorMessage, InputError } from '../../handlers/shared/errors';
import { call, type AwsClients } from '../aws';
import { formatDuration, stderrProgress, systemClock, waitFor, type Clock } from '../wait';

/** One reported step of a live command. */
export interface Step {
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly detail: string;
  /** When the step ended, from the start of the command. */
  readonly atMs?: number;
}

/** Marks the group as the tripwire's. Not the exempt tag: the reverter must treat it as any group. */
export const TRIPWIRE_TAG = 'first-responder:tripwire';
export const TRIPWIRE_DESCRIPTION = 'first-responder tripwire, safe to delete';
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;

/** What the tripwire opens: tcp 22 and 3389 from anywhere. */
export const TRIPWIRE_RULES: readonly Rule[] = [22, 3389].map((port) =>
  makeRule(
    'tcp',
    port,
    port,
    { kind: 'cidrIpv4', value: '0.0.0.0/0' },
    { description: 'first-responder tripwire: world-open on purpose, to be reverted' },
  ),
);

/** Where interrupts come from; `process` in the CLI, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface TripwireOptions {
  readonly clients: AwsClients;
  readonly vpcId: string;
  /** The policy's exempt tag key, which the tripwire must not carry. */
  readonly exemptTag?: string;
  /** @default 600_000 */
  readonly timeoutMs?: number;
  /** @default 5_000 */
  readonly intervalMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default stderr */
  readonly progress?: (line: string) => void;
  /** @default process */
  readonly signals?: SignalSource;
  /** Offset of the command's start, for the steps' times. @default the tripwire's own start */
  readonly startedAtMs?: number;
}

export interface TripwireReport {
  readonly ok: boolean;
  readonly vpcId: string;
  readonly groupId?: string;
  readonly groupName?: string;
  readonly steps: readonly Step[];
  /** From the authorize call's return to the poll that found each rule gone. */
  readonly reverted: readonly { readonly rule: string; readonly afterMs?: number }[];
  /** Until both rules were gone; absent when they were not. */
  readonly timeToRevertMs?: number;
  /** The group's ingress once reverted: what the reverter left (e.g. ssh narrowed to 10.0.0.0/8). */
  readonly remaining: readonly string[];
  readonly interrupted: boolean;
  readonly deleted: boolean;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export async function runTripwire(options: TripwireOptions): Promise<TripwireReport> {
  const { clients, vpcId } = options;
  if (!VPC_ID.test(vpcId))
    throw new InputError(
      `--vpc-id: got ${JSON.stringify(vpcId)}; a VPC ID looks like vpc-0123456789abcdef0 (aws ec2 describe-vpcs)`,
    );
  if (options.exemptTag === TRIPWIRE_TAG)
    throw new InputError(
      `the policy's exempt tag is ${TRIPWIRE_TAG}, which the tripwire group carries: the reverter would skip it; change exempt.tag in the policy`,
    );
  const clock = options.clock ?? systemClock;
  const progress = options.progress ?? stderrProgress;
  const signals = options.signals ?? process;
  const base = clock.now() - (options.startedAtMs ?? 0);
  const at = () => clock.now() - base;
  const ec2 = clients.ec2();
  const steps: Step[] = [];
  const reverted = TRIPWIRE_RULES.map((r) => ({ rule: formatRule(r), key: ruleKey(r) })).map(
    (r) => ({ ...r, afterMs: undefined as number | undefined }),
  );
  let remaining: string[] = [];
  let groupId: string | undefined;
  let deleted = false;
  let timeToRevertMs: number | undefined;

  const abort = new AbortController();
  const onSignal = () => {
    if (!abort.signal.aborted)
      progress(
        `interrupted: deleting the tripwire group${groupId ? ` ${groupId}` : ''} before exiting`,
      );
    abort.abort();
  };
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);
  const groupName = `first-responder-tripwire-${stamp(new Date(clock.now()))}`;
  try {
    await body();
  } finally {
    if (groupId) await cleanup(groupId);
    signals.off('SIGINT', onSignal);
    signals.off('SIGTERM', onSignal);
  }
  const interrupted = abort.signal.aborted;
  if (interrupted)
    steps.splice(steps.length - (groupId ? 1 : 0), 0, {
      name: 'interrupted',
      status: 'fail',
      detail: 'stopped by an interrupt before the group was reverted',
      atMs: at(),
    });
  return {
    ok: steps.every((s) => s.status !== 'fail'),
    vpcId,
    ...(groupId ? { groupId, groupName } : {}),
    steps,
    reverted: reverted.map((r) => ({
      rule: r.rule,
      ...(r.afterMs !== undefined ? { afterMs: r.afterMs } : {}),
    })),
    ...(timeToRevertMs !== undefined ? { timeToRevertMs } : {}),
    remaining,
    interrupted,
    deleted,
  };

  async function body(): Promise<void> {
    await checkVpc();
    try {
      const created = await call(
        ec2,
        new CreateSecurityGroupCommand({
          GroupName: groupName,
          Description: TRIPWIRE_DESCRIPTION,
          VpcId: vpcId,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: [
                { Key: TRIPWIRE_TAG, Value: new Date(clock.now()).toISOString() },
                { Key: 'Name', Value: TRIPWIRE_DESCRIPTION },
              ],
            },
          ],
        }),
      );
      groupId = created.GroupId;
    } catch (err) {
      if (/^InvalidVpcI[Dd]/.test(rootCode(err)))
        throw new InputError(
          `--vpc-id: VPC ${vpcId} does not exist in this region; pick one from 'aws ec2 describe-vpcs' (and check --region)`,
          { cause: err },
        );
      throw err;
    }
    const id = groupId!;
    steps.push({
      name: 'create tripwire group',
      status: 'pass',
      detail: `${id} (${groupName}) in ${vpcId}, tagged ${TRIPWIRE_TAG}`,
      atMs: at(),
    });
    progress(`created tripwire group ${id} in ${vpcId}`);
    if (abort.signal.aborted) return;

    await call(
      ec2,
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: toIpPermissions(TRIPWIRE_RULES),
      }),
    );
    const openedAt = clock.now();
    steps.push({
      name: 'open tcp 22 and 3389 to the world',
      status: 'pass',
      detail: `authorized ${TRIPWIRE_RULES.map(formatRule).join(' and ')} on ${id}`,
      atMs: at(),
    });

    const result = await waitFor(
      `the reverter to revert ${id} (${reverted.map((r) => r.rule).join(', ')})`,
      async () => {
        const rules = rulesFromSecurityGroupRules(await describeRules(ec2, id));
        const present = new Set(rules.map(ruleKey));
        const now = clock.now() - openedAt;
        for (const r of reverted)
          if (r.afterMs === undefined && !present.has(r.key)) r.afterMs = now;
        if (reverted.some((r) => r.afterMs === undefined)) return undefined;
        remaining = rules.map(formatRule);
        return now;
      },
      {
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
        clock,
        progress,
        signal: abort.signal,
      },
    );
    if (result.status === 'done') {
      timeToRevertMs = result.value;
      steps.push({
        name: 'reverted',
        status: 'pass',
        detail: `both rules gone ${formatDuration(result.value)} after they were opened (${reverted.map((r) => `${r.rule}: ${formatDuration(r.afterMs!)}`).join(', ')}); left: ${remaining.join(', ') || 'no ingress'}`,
        atMs: at(),
      });
    } else if (result.status === 'timeout') {
      const left = reverted.filter((r) => r.afterMs === undefined).map((r) => r.rule);
      steps.push({
        name: 'reverted',
        status: 'fail',
        detail: `still open after ${formatDuration(result.elapsedMs)}: ${left.join(', ')}. Check the incident from the security-group-opened response plan and its runbook; if the policy allows these rules, nothing is reverted by design`,
        atMs: at(),
      });
    }
  }

  /** Asked first: a clear refusal before anything is created (and emulators accept any ID). */
  async function checkVpc(): Promise<void> {
    let found = false;
    try {
      const out = await call(ec2, new DescribeVpcsCommand({ VpcIds: [vpcId] }));
      found = (out.Vpcs ?? []).some((v) => v.VpcId === vpcId);
    } catch (err) {
      if (!/^InvalidVpcI[Dd]/.test(rootCode(err))) throw err;
    }
    if (!found)
      throw new InputError(
        `--vpc-id: VPC ${vpcId} does not exist in this region; pick one from 'aws ec2 describe-vpcs' (and check --region)`,
      );
  }

  async function cleanup(id: string) {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await call(ec2, new DeleteSecurityGroupCommand({ GroupId: id }));
        deleted = true;
      } catch (err) {
        const code = rootCode(err);
        if (code === 'InvalidGroup.NotFound' || code === 'InvalidGroupId.NotFound') deleted = true;
        else if (code === 'DependencyViolation' && attempt < 3) {
          await clock.sleep(2000);
          continue;
        } else {
          progress(
            `could not delete the tripwire group ${id}: ${errorMessage(err)}; delete it with: aws ec2 delete-security-group --group-id ${id}`,
          );
        }
      }
      break;
    }
    if (deleted) progress(`deleted tripwire group ${id}`);
    steps.push({
      name: 'delete tripwire group',
      status: deleted ? 'pass' : 'fail',
      detail: deleted
        ? `${id} deleted`
        : `${id} is still there: aws ec2 delete-security-group --group-id ${id}`,
      atMs: at(),
    });
  }
}

/** The AWS error code under an AwsCallError. */
function rootCode(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error && e.cause !== undefined; i++) e = e.cause;
  return errorCode(e) ?? '';
}
