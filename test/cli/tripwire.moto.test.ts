/**
 * The tripwire end to end against moto's EC2. The test plays the deployed reverter: after a few
 * of the tripwire's polls it runs the real reverter handler on the group. The group must be
 * reverted, timed and deleted; and deleted as well when nobody reverts it (timeout) or when the
 * user interrupts.
 */
import {
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { EventEmitter } from 'node:events';
import { createAwsClients, type AwsClients } from '../../cli/aws';
import { runTripwire, TRIPWIRE_DESCRIPTION, TRIPWIRE_TAG } from '../../cli/commands/tripwire';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { makeHandler } from '../../handlers/reverter';
import { startMoto, type MotoServer } from '../support/moto';
import { EXAMPLE_POLICY } from '../support/groups';

const POLICY = EXAMPLE_POLICY;

let moto: MotoServer;
let ec2: EC2Client;
let clients: AwsClients;
let vpcId: string;
/** DescribeSecurityGroupRules calls the tripwire made: its polls. */
let polls: number;
let lines: string[];

beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  ec2 = new EC2Client(moto.clientConfig);
  vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  clients = createAwsClients({ region: 'us-east-1', clientConfig: moto.clientConfig });
  polls = 0;
  lines = [];
  clients.ec2().middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'DescribeSecurityGroupRulesCommand') polls++;
      return next(args);
    },
    { step: 'initialize', name: 'countPolls' },
  );
});

/** The tripwire's group, found by its tag as an operator would. */
async function tripwireGroups(): Promise<SecurityGroup[]> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag-key', Values: [TRIPWIRE_TAG] }] }),
  );
  return out.SecurityGroups ?? [];
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
};

/** The deployed reverter, played by the test: reverts the group once it has seen `afterPolls`. */
async function reverterAfter(afterPolls: number): Promise<SecurityGroup> {
  await until(() => polls >= afterPolls);
  const [group] = await tripwireGroups();
  const reverter = makeHandler({
    ec2,
    incidents: new SSMIncidentsClient({ region: 'us-east-1' }),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
  });
  await reverter({ groupIds: [group!.GroupId!] });
  return group!;
}

it('opens tcp 22 and 3389 to the world, times the revert, and deletes the group', async () => {
  // GIVEN a reverter that acts after the tripwire's third poll
  const reverted = reverterAfter(3);
  // WHEN the tripwire runs
  const report = await runTripwire({
    clients,
    vpcId,
    intervalMs: 100,
    timeoutMs: 30_000,
    progress: (l) => lines.push(l),
  });
  const group = await reverted;

  // THEN the group it made was an ordinary, tagged, world-open group (not exempt)
  expect(group.Description).toBe(TRIPWIRE_DESCRIPTION);
  expect(group.Tags?.map((t) => t.Key)).toContain(TRIPWIRE_TAG);
  expect(group.Tags?.map((t) => t.Key)).not.toContain(POLICY.exempt.tag);
  // and it reports the revert with its time, and what the reverter left
  expect(report).toMatchObject({ ok: true, interrupted: false, deleted: true });
  expect(report.timeToRevertMs).toBeGreaterThanOrEqual(200);
  expect(report.reverted.map((r) => r.rule)).toEqual([
    'tcp 22 from 0.0.0.0/0',
    'tcp 3389 from 0.0.0.0/0',
  ]);
  expect(report.remaining).toEqual(['tcp 22 from 10.0.0.0/8']);
  expect(report.steps.map((s) => [s.name, s.status])).toEqual([
    ['create tripwire group', 'pass'],
    ['open tcp 22 and 3389 to the world', 'pass'],
    ['reverted', 'pass'],
    ['delete tripwire group', 'pass'],
  ]);
  // and the group is gone from EC2
  expect(await tripwireGroups()).toEqual([]);
  expect(lines[0]).toBe(`created tripwire group ${report.groupId} in ${vpcId}`);
  expect(lines).toContain(`deleted tripwire group ${report.groupId}`);
});

it('deletes the group when nobody reverts it in time', async () => {
  // GIVEN no reverter at all
  // WHEN the tripwire waits with a short bound
  const report = await runTripwire({
    clients,
    vpcId,
    intervalMs: 100,
    timeoutMs: 500,
    progress: (l) => lines.push(l),
  });
  // THEN it fails, says what is still open, and the group is deleted anyway
  expect(report.ok).toBe(false);
  expect(report.steps.find((s) => s.name === 'reverted')).toMatchObject({
    status: 'fail',
    detail: expect.stringContaining('still open after'),
  });
  expect(report.deleted).toBe(true);
  expect(await tripwireGroups()).toEqual([]);
});

it('deletes the group when interrupted, and removes its signal handlers', async () => {
  // GIVEN a user who presses Ctrl-C while the tripwire waits
  const signals = new EventEmitter();
  const interrupt = until(() => polls >= 2).then(() => signals.emit('SIGINT'));
  // WHEN the tripwire runs
  const report = await runTripwire({
    clients,
    vpcId,
    intervalMs: 100,
    timeoutMs: 30_000,
    progress: (l) => lines.push(l),
    signals,
  });
  await interrupt;
  // THEN it stops waiting, deletes the group, and says so
  expect(report).toMatchObject({ ok: false, interrupted: true, deleted: true });
  expect(await tripwireGroups()).toEqual([]);
  expect(lines).toContain(
    `interrupted: deleting the tripwire group ${report.groupId} before exiting`,
  );
  expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
});

it('refuses a VPC that does not exist, creating nothing', async () => {
  await expect(runTripwire({ clients, vpcId: 'vpc-0123456789abcdef0' })).rejects.toThrow(
    '--vpc-id: VPC vpc-0123456789abcdef0 does not exist in this region',
  );
  expect(await tripwireGroups()).toEqual([]);
});
