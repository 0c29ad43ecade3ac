/**
 * The tripwire's failure and cleanup paths against aws-sdk-client-mock, with fake timers for
 * the waiting: whatever goes wrong after the group exists, the group is deleted.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { EventEmitter } from 'node:events';
import { createAwsClients, explainAccess } from '../../cli/aws';
import { runTripwire, TRIPWIRE_TAG, type TripwireOptions } from '../../cli/commands/tripwire';
import { InputError } from '../../handlers/shared/errors';
import { awsError, drive } from './support';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const SG = 'sg-0123456789abcdef0';
const WORLD = (port: number, id: string) => ({
  SecurityGroupRuleId: id,
  GroupId: SG,
  IsEgress: false,
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  CidrIpv4: '0.0.0.0/0',
});

let ec2: AwsClientStub<EC2Client>;
let lines: string[];
let signals: EventEmitter;

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-11-23T09:00:00Z') });
  ec2 = mockClient(EC2Client);
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: VPC }] });
  ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: SG });
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  ec2.on(DeleteSecurityGroupCommand).resolves({ Return: true });
  lines = [];
  signals = new EventEmitter();
});
afterEach(() => {
  ec2.restore();
  jest.useRealTimers();
});

const tripwire = (options: Partial<TripwireOptions> = {}) =>
  runTripwire({
    clients: createAwsClients({ region: 'eu-west-1' }),
    vpcId: VPC,
    progress: (l) => lines.push(l),
    signals,
    ...options,
  });

it('says what it waits for and for how long, and times the revert from the poll results', async () => {
  // GIVEN polls every 5 s: rdp is gone at the third, ssh at the fifth
  ec2
    .on(DescribeSecurityGroupRulesCommand)
    .resolvesOnce({ SecurityGroupRules: [WORLD(22, 'sgr-1'), WORLD(3389, 'sgr-2')] })
    .resolvesOnce({ SecurityGroupRules: [WORLD(22, 'sgr-1'), WORLD(3389, 'sgr-2')] })
    .resolvesOnce({ SecurityGroupRules: [WORLD(22, 'sgr-1')] })
    .resolvesOnce({ SecurityGroupRules: [WORLD(22, 'sgr-1')] })
    .resolves({ SecurityGroupRules: [] });
  // WHEN the tripwire runs with the default bound
  const report = await drive(tripwire());
  // THEN progress names the group, the rules and the bound
  expect(lines).toContain(
    `waiting for the reverter to revert ${SG} (tcp 22 from 0.0.0.0/0, tcp 3389 from 0.0.0.0/0) (0 s of 600 s)`,
  );
  expect(lines).toContain(
    `waiting for the reverter to revert ${SG} (tcp 22 from 0.0.0.0/0, tcp 3389 from 0.0.0.0/0) (15 s of 600 s)`,
  );
  // and each rule's time is when a poll first found it gone
  expect(report.reverted).toEqual([
    { rule: 'tcp 22 from 0.0.0.0/0', afterMs: 20_000 },
    { rule: 'tcp 3389 from 0.0.0.0/0', afterMs: 10_000 },
  ]);
  expect(report.timeToRevertMs).toBe(20_000);
  // and the group was created tagged and named as the tripwire, then deleted
  expect(ec2).toReceiveCommandWith(CreateSecurityGroupCommand, {
    VpcId: VPC,
    Description: 'first-responder tripwire, safe to delete',
    GroupName: 'first-responder-tripwire-20261123-090000',
    TagSpecifications: [
      expect.objectContaining({
        Tags: expect.arrayContaining([{ Key: TRIPWIRE_TAG, Value: '2026-11-23T09:00:00.000Z' }]),
      }),
    ],
  });
  expect(ec2).toReceiveCommandWith(DeleteSecurityGroupCommand, { GroupId: SG });
});

it('deletes the group when opening the rules fails, and says what was missing', async () => {
  // GIVEN a role that may create groups but not open them
  ec2
    .on(AuthorizeSecurityGroupIngressCommand)
    .rejects(
      awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
    );
  // WHEN the tripwire runs THEN the error names the action
  const err = await drive(tripwire()).catch((e: unknown) => e);
  expect(explainAccess(err)).toMatch(
    /^not allowed to call ec2:AuthorizeSecurityGroupIngress \(UnauthorizedOperation\)/,
  );
  // and the group was deleted all the same, and the handlers removed
  expect(ec2).toReceiveCommandWith(DeleteSecurityGroupCommand, { GroupId: SG });
  expect(signals.listenerCount('SIGINT')).toBe(0);
});

it('when the group cannot be deleted, prints the command that deletes it', async () => {
  // GIVEN a revert, and a delete that keeps failing
  ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
  ec2.on(DeleteSecurityGroupCommand).rejects(awsError('UnauthorizedOperation'));
  // WHEN the tripwire runs
  const report = await drive(tripwire());
  // THEN it fails, with the command to run
  expect(report.ok).toBe(false);
  expect(report.deleted).toBe(false);
  expect(report.steps.at(-1)).toEqual({
    name: 'delete tripwire group',
    status: 'fail',
    detail: `${SG} is still there: aws ec2 delete-security-group --group-id ${SG}`,
    atMs: 0,
  });
});

it('an interrupt while the group is being created still deletes it', async () => {
  // GIVEN a Ctrl-C while CreateSecurityGroup is on its way
  ec2.on(CreateSecurityGroupCommand).callsFake(() => {
    signals.emit('SIGTERM');
    return { GroupId: SG };
  });
  // WHEN the tripwire runs
  const report = await drive(tripwire());
  // THEN no rule was opened, the group was deleted, and the report says interrupted
  expect(ec2).not.toReceiveCommand(AuthorizeSecurityGroupIngressCommand);
  expect(ec2).toReceiveCommandWith(DeleteSecurityGroupCommand, { GroupId: SG });
  expect(report).toMatchObject({ ok: false, interrupted: true, deleted: true });
});

it('refuses a malformed VPC ID and the exempt tag before any call', async () => {
  await expect(tripwire({ vpcId: 'my-vpc' })).rejects.toThrow(InputError);
  await expect(tripwire({ exemptTag: TRIPWIRE_TAG })).rejects.toThrow(/the reverter would skip it/);
  expect(ec2.calls()).toHaveLength(0);
});
