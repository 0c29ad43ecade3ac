/**
 * The reverter against moto's EC2 (an independent emulator): real SDK calls, the group read
 * back with DescribeSecurityGroupRules (not a call the reverter makes).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { makeHandler } from '../../handlers/reverter';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { startMoto, type MotoServer } from '../support/moto';
import { createGroup as createGroup_, ingressOf } from '../support/moto-ec2';
import { EXAMPLE_POLICY } from '../support/groups';

const POLICY = EXAMPLE_POLICY;

let moto: MotoServer;
let ec2: EC2Client;
/** Commands the handler sent, counted by the client itself, not by the handler. */
let sent: string[];

beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  sent = [];
  ec2 = new EC2Client(moto.clientConfig);
  ec2.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
});

const handler = () =>
  makeHandler({
    ec2,
    incidents: new SSMIncidentsClient({}),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
  });

const createGroup = (permissions: IpPermission[], tags: Record<string, string> = {}) =>
  createGroup_(new EC2Client(moto.clientConfig), permissions, { tags });
const ingressNow = (groupId: string) => ingressOf(new EC2Client(moto.clientConfig), groupId);

describe('reverter against moto EC2', () => {
  it('narrows a group with mixed sources to exactly the plan, in 1 read and 2 writes', async () => {
    // GIVEN a group with world-open ports, IPv6, a prefix list and group references
    const setup = new EC2Client(moto.clientConfig);
    const pl = await setup.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: 'corp',
        MaxEntries: 5,
        AddressFamily: 'IPv4',
        Entries: [{ Cidr: '10.1.0.0/16' }],
      }),
    );
    const plId = pl.PrefixList!.PrefixListId!;
    const peer = await createGroup([]);
    const groupId = await createGroup([
      {
        IpProtocol: 'tcp',
        FromPort: 0,
        ToPort: 65535,
        IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'everything' }],
        Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        PrefixListIds: [{ PrefixListId: plId }],
        UserIdGroupPairs: [{ GroupId: peer }],
      },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    ]);
    // self reference, added once the group ID exists
    await setup.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: '-1', FromPort: -1, ToPort: -1, UserIdGroupPairs: [{ GroupId: groupId }] },
        ],
      }),
    );

    // WHEN the reverter runs through the real SDK
    const res = await handler()({ groupIds: [groupId] });

    // THEN the group holds exactly the allowed part of what it had
    expect(res.results[0]?.status).toBe('remediated');
    expect(await ingressNow(groupId)).toEqual(
      [
        'tcp 22 from 10.0.0.0/8',
        'tcp 443 from 0.0.0.0/0',
        'tcp 443 from ::/0',
        'tcp 80 from 0.0.0.0/0',
        'tcp 80 from ::/0',
        `all traffic from ${groupId}`,
      ].sort(),
    );
    // and the client saw 1 read and 2 writes
    expect(sent).toEqual([
      'DescribeSecurityGroupsCommand',
      'AuthorizeSecurityGroupIngressCommand',
      'RevokeSecurityGroupIngressCommand',
    ]);
    expect(res.results[0]?.calls).toBe(3);
  });

  it('is idempotent: a second run finds the group compliant and writes nothing', async () => {
    const groupId = await createGroup([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ]);
    await handler()({ groupIds: [groupId] });
    sent = [];
    const second = await handler()({ groupIds: [groupId] });
    expect(second.results[0]?.status).toBe('compliant');
    expect(sent).toEqual(['DescribeSecurityGroupsCommand']);
    expect(await ingressNow(groupId)).toEqual(['tcp 22 from 10.0.0.0/8']);
  });

  it('leaves an exempt group untouched', async () => {
    const groupId = await createGroup(
      [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      { 'first-responder:exempt': 'true' },
    );
    const res = await handler()({ groupIds: [groupId] });
    expect(res.results[0]?.status).toBe('exempt');
    expect(await ingressNow(groupId)).toEqual(['tcp 22 from 0.0.0.0/0']);
  });

  it('reports a group that does not exist as gone', async () => {
    const res = await handler()({ groupIds: ['sg-0123456789abcdef0'] });
    expect(res.results[0]?.status).toBe('gone');
  });

  it('dryRun leaves the group as it was', async () => {
    const groupId = await createGroup([
      { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ]);
    const res = await handler()({ groupIds: [groupId], dryRun: true });
    expect(res.results[0]).toMatchObject({ status: 'planned', revoked: [{ fromPort: 3389 }] });
    expect(await ingressNow(groupId)).toEqual(['tcp 3389 from 0.0.0.0/0']);
  });

  it('the deployed handler reaches the emulator through AWS_ENDPOINT_URL_EC2', async () => {
    const groupId = await createGroup([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ]);
    process.env.AWS_ENDPOINT_URL_EC2 = moto.endpoint;
    process.env.FIRST_RESPONDER_POLICY = JSON.stringify({
      ingress: [{ protocol: 'tcp', ports: [22], from: ['10.0.0.0/8'] }],
    });
    try {
      jest.resetModules();
      const { handler: deployed } = await import('../../handlers/reverter');
      const res = await deployed({ groupIds: [groupId] });
      expect(res.results[0]?.status).toBe('remediated');
      expect(await ingressNow(groupId)).toEqual(['tcp 22 from 10.0.0.0/8']);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2;
      delete process.env.FIRST_RESPONDER_POLICY;
    }
  });
});
