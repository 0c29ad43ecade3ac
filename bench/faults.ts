/**
 * The reverter under faults (issue 10), through the fault proxy the test suite uses
 * (test/support/fault-proxy.ts), with the production client settings (handlers/aws/clients.ts)
 * and time budget: reads per group after an unknown write, and 20 groups under throttling
 * returning every status inside the Lambda timeout, with a fake Lambda context.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { join } from 'node:path';
import { clientSettings } from '../handlers/aws/clients';
import { DEFAULT_LIMITS } from '../handlers/policy/results';
import { DEFAULT_BUDGET, type TimeBudget } from '../handlers/respond/remediate';
import { loadPolicyFile } from '../handlers/policy/policy-file';
import { FUNCTIONS } from '../infra/functions';
import { makeHandler } from '../handlers/reverter';
import { startFaultProxy, type FaultProxy } from '../test/support/fault-proxy';
import { startMoto, type MotoServer } from '../test/support/moto';
import { check, type Figure } from './report';

/** The reverter's Lambda timeout, from the function catalogue. */
export const LAMBDA_TIMEOUT_MS = FUNCTIONS.reverter.limits.timeout.toMilliseconds();
const GROUPS = 20;
const POLICY = loadPolicyFile(join(__dirname, '..', 'examples', 'policy.json'));
const ACTIONS = [
  'DescribeSecurityGroups',
  'AuthorizeSecurityGroupIngress',
  'RevokeSecurityGroupIngress',
];
const section = 'faults';

export async function benchFaults(): Promise<Figure[]> {
  let moto: MotoServer | undefined;
  let proxy: FaultProxy | undefined;
  try {
    moto = await startMoto();
    proxy = await startFaultProxy(moto);
    return await measure(moto, proxy);
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return [{ section, name: 'could not run', value: message, target: '', verdict: 'ERROR' }];
  } finally {
    await proxy?.stop();
    await moto?.stop();
  }
}

async function worldOpenGroups(moto: MotoServer, n: number): Promise<string[]> {
  const ec2 = new EC2Client(moto.clientConfig);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `bench-${i}-${Date.now()}`,
        Description: 'first-responder bench',
        VpcId: vpc.Vpc!.VpcId,
      }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [22, 3389, 443].map((port) => ({
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        })),
      }),
    );
    ids.push(GroupId!);
  }
  ec2.destroy();
  return ids;
}

/** The handler as deployed, its EC2 client pointed at the proxy, with a fake Lambda deadline. */
async function run(
  moto: MotoServer,
  proxy: FaultProxy,
  groupIds: readonly string[],
  deadlineMs: number,
  budget: TimeBudget = DEFAULT_BUDGET,
) {
  const ec2 = new EC2Client({
    ...clientSettings(),
    ...moto.clientConfig,
    endpoint: proxy.endpoint,
  });
  const handler = makeHandler({
    ec2,
    incidents: new SSMIncidentsClient(moto.clientConfig),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
    budget,
  });
  const started = performance.now();
  const context = {
    awsRequestId: 'bench',
    getRemainingTimeInMillis: () => deadlineMs - (performance.now() - started),
  };
  const res = await handler({ groupIds: [...groupIds] }, context);
  const elapsed = performance.now() - started;
  ec2.destroy();
  const counts: Record<string, number> = {};
  for (const r of res.results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return {
    elapsed,
    statuses: Object.entries(counts)
      .map(([s, n]) => `${n} ${s}`)
      .join(', '),
    all: res.results.length === groupIds.length,
    reads: proxy.requests('DescribeSecurityGroups').length,
  };
}

async function measure(moto: MotoServer, proxy: FaultProxy): Promise<Figure[]> {
  const figures: Figure[] = [];
  const reads = async (label: string, faults: () => void) => {
    const [g] = await worldOpenGroups(moto, 1);
    proxy.reset();
    faults();
    const r = await run(moto, proxy, [g!], LAMBDA_TIMEOUT_MS);
    figures.push({
      section,
      name: `reads per group, ${label}`,
      value: `${r.reads} (${r.statuses})`,
      target: label.startsWith('normal') ? '1' : '<= 2',
      verdict: check(r.reads <= (label.startsWith('normal') ? 1 : 2)),
    });
  };
  await reads('normal path', () => undefined);
  await reads('after an unknown write (authorize answer lost on every attempt)', () =>
    proxy.inject('AuthorizeSecurityGroupIngress', 'every', { kind: 'drop' }),
  );

  /** `sample` groups run; with fewer than 20, the 20-group time is projected from them. */
  const timed = async (
    label: string,
    deadlineMs: number,
    budget: TimeBudget,
    faults: () => void,
    sample = GROUPS,
  ) => {
    const groups = await worldOpenGroups(moto, sample);
    proxy.reset();
    faults();
    const r = await run(moto, proxy, groups, deadlineMs, budget);
    const projected = (r.elapsed * GROUPS) / sample;
    const measured =
      sample === GROUPS ? '' : `${sample} in ${(r.elapsed / 1000).toFixed(1)} s, so 20 in `;
    figures.push({
      section,
      name: `${GROUPS} groups, ${label}`,
      value: `${measured}${(projected / 1000).toFixed(1)} s = ${(projected / deadlineMs).toFixed(2)} x deadline; ${r.statuses}`,
      target: `every status, < 1.00 x ${deadlineMs / 1000} s`,
      verdict: check(r.all && projected < deadlineMs),
    });
  };
  const throttleEvery = () => {
    for (const a of ACTIONS) proxy.inject(a, 'every', { kind: 'throttle' });
  };
  // Each command's first attempt is throttled, its retry goes through (two requests a command).
  const throttleOnce = () => {
    const odd = Array.from({ length: 500 }, (_, i) => 2 * i + 1);
    for (const a of ACTIONS) proxy.inject(a, odd, { kind: 'throttle' });
  };
  await timed(
    `every request throttled, ${LAMBDA_TIMEOUT_MS / 1000} s deadline`,
    LAMBDA_TIMEOUT_MS,
    DEFAULT_BUDGET,
    throttleEvery,
  );
  await timed(
    `throttled once per call, ${LAMBDA_TIMEOUT_MS / 1000} s deadline`,
    LAMBDA_TIMEOUT_MS,
    DEFAULT_BUDGET,
    throttleOnce,
    5,
  );
  // The deadline at work: everything scaled down 1:40 but the SDK's own backoff.
  const scale = 40;
  await timed(
    `every request throttled, deadline scaled 1:${scale}`,
    LAMBDA_TIMEOUT_MS / scale,
    {
      reserveMs: DEFAULT_BUDGET.reserveMs / scale,
      groupMs: DEFAULT_BUDGET.groupMs / scale,
      verifyMs: DEFAULT_BUDGET.verifyMs / scale,
    },
    throttleEvery,
  );
  return figures;
}
