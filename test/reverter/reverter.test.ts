import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEc2Client, describeGroup } from '../../handlers/aws/ec2';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { makeHandler } from '../../handlers/reverter';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { InputError } from '../../handlers/shared/errors';
import { logger } from '../../handlers/shared/logger';
import { described, EXAMPLE_POLICY } from '../support/groups';

const POLICY = EXAMPLE_POLICY;
const SG = 'sg-0123456789abcdef0';

function awsError(code: string, message = code) {
  return new EC2ServiceException({ name: code, $fault: 'client', $metadata: {}, message });
}

const ec2Mock = mockClient(EC2Client);
const handler = makeHandler({
  ec2: new EC2Client({}),
  incidents: new SSMIncidentsClient({}),
  policy: () => POLICY,
  // The 1,000-rule group below peaks at 1,001 while its one narrowing is authorized: that test is
  // about reading, so the rule quota is set just above it.
  limits: () => ({ ...DEFAULT_LIMITS, maxInboundRulesPerGroup: 1_001 }),
});

let nextId = 0;
function rule(partial: Partial<SecurityGroupRule>): SecurityGroupRule {
  return {
    SecurityGroupRuleId: `sgr-${(nextId++).toString(16).padStart(17, '0')}`,
    GroupId: SG,
    IsEgress: false,
    ...partial,
  };
}
const SSH_WORLD = rule({
  IpProtocol: 'tcp',
  FromPort: 22,
  ToPort: 22,
  CidrIpv4: '0.0.0.0/0',
  Description: 'ssh',
});
const HTTPS_WORLD = rule({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' });
const EGRESS = rule({
  IsEgress: true,
  IpProtocol: '-1',
  FromPort: -1,
  ToPort: -1,
  CidrIpv4: '0.0.0.0/0',
});

const GROUP = { GroupName: 'web', VpcId: 'vpc-0123456789abcdef0' };

/** One read gives the tags and the rules: DescribeSecurityGroups. */
function givenGroup(rules: SecurityGroupRule[], tags: { Key: string; Value: string }[] = []) {
  ec2Mock
    .on(DescribeSecurityGroupsCommand)
    .resolves(described(SG, rules, { ...GROUP, Tags: tags }));
}

const writes = () =>
  ec2Mock.commandCalls(AuthorizeSecurityGroupIngressCommand).length +
  ec2Mock.commandCalls(RevokeSecurityGroupIngressCommand).length;

beforeEach(() => {
  ec2Mock.reset();
  ec2Mock.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  ec2Mock.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
});

describe('reverter handler', () => {
  it('leaves a compliant group alone after one read and no write', async () => {
    // GIVEN a group that only serves https to the world
    givenGroup([HTTPS_WORLD, EGRESS]);
    // WHEN the reverter runs
    const res = await handler({ groupIds: [SG] });
    // THEN it is compliant, read once, written never
    expect(res.results[0]).toMatchObject({ groupId: SG, status: 'compliant', calls: 1 });
    expect(ec2Mock.calls()).toHaveLength(1);
    expect(writes()).toBe(0);
    expect(res.ok).toBe(true);
  });

  it('narrows world-open ssh: authorizes 10.0.0.0/8 first, then revokes by content', async () => {
    givenGroup([SSH_WORLD, HTTPS_WORLD, EGRESS]);
    const info = jest.spyOn(logger, 'info');

    const res = await handler({ groupIds: [SG] });

    expect(ec2Mock).toReceiveCommandWith(AuthorizeSecurityGroupIngressCommand, {
      GroupId: SG,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh' }],
        },
      ],
    });
    // By content, without the description: a rule replaced since the read is still revoked.
    expect(ec2Mock).toReceiveCommandWith(RevokeSecurityGroupIngressCommand, {
      GroupId: SG,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ],
    });
    // Authorize before revoke: the group never allows less than the result.
    const names = ec2Mock.calls().map((c) => c.args[0].constructor.name);
    expect(names.indexOf('AuthorizeSecurityGroupIngressCommand')).toBeLessThan(
      names.indexOf('RevokeSecurityGroupIngressCommand'),
    );
    expect(res.results[0]).toMatchObject({
      status: 'remediated',
      revoked: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }],
      authorized: [
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '10.0.0.0/8', description: 'ssh' },
      ],
      calls: 3,
    });
    expect(res.results[0]?.before).toHaveLength(2);
    // The audit line with the complete before-state.
    expect(info).toHaveBeenCalledWith(
      `revoking for ${SG}`,
      expect.objectContaining({ groupId: SG, before: res.results[0]?.before }),
    );
    info.mockRestore();
  });

  it('dryRun plans and changes nothing', async () => {
    givenGroup([SSH_WORLD]);
    const res = await handler({ groupIds: [SG], dryRun: true });
    expect(res.results[0]).toMatchObject({
      status: 'planned',
      revoked: [{ cidrIpv4: '0.0.0.0/0' }],
    });
    expect(writes()).toBe(0);
  });

  it('leaves an exempt group alone', async () => {
    givenGroup([SSH_WORLD], [{ Key: 'first-responder:exempt', Value: 'true' }]);
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({
      status: 'exempt',
      reason: 'tagged first-responder:exempt=true',
    });
    expect(writes()).toBe(0);
  });

  it('an exempt tag value in another case exempts, as the IAM Deny does', async () => {
    givenGroup([SSH_WORLD], [{ Key: 'first-responder:exempt', Value: 'TRUE' }]);
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]?.status).toBe('exempt');
    expect(writes()).toBe(0);
  });

  it('an exempt tag with another value does not exempt', async () => {
    givenGroup([SSH_WORLD], [{ Key: 'first-responder:exempt', Value: 'false' }]);
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]?.status).toBe('remediated');
  });

  it('refuses, changing nothing, when the tags cannot be read', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).rejects(awsError('UnauthorizedOperation'));
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/exemption is unknown/),
    });
    expect(writes()).toBe(0);
    expect(res.ok).toBe(false);
  });

  it('reports a group that no longer exists as gone', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).rejects(awsError('InvalidGroup.NotFound'));
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({ status: 'gone' });
    expect(res.ok).toBe(true);
  });

  it('refuses a plan above the blast-radius limit and changes nothing', async () => {
    const many = Array.from({ length: 51 }, (_, i) =>
      rule({ IpProtocol: 'udp', FromPort: 1000 + i, ToPort: 1000 + i, CidrIpv4: '0.0.0.0/0' }),
    );
    givenGroup(many);
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/51 rules.*limit of 50/),
    });
    expect(writes()).toBe(0);
  });

  it('after InvalidPermission.Duplicate, reads the group back and sends only what is missing', async () => {
    // GIVEN tcp 0-65535 from the world, and tcp 80 appearing concurrently
    const ALL_WORLD = rule({
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
      CidrIpv4: '0.0.0.0/0',
    });
    const HTTP_WORLD = rule({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIpv4: '0.0.0.0/0' });
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolvesOnce(described(SG, [ALL_WORLD], GROUP))
      .resolves(described(SG, [ALL_WORLD, HTTP_WORLD], GROUP));
    ec2Mock
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejectsOnce(awsError('InvalidPermission.Duplicate'))
      .resolves({ Return: true });
    // WHEN
    const res = await handler({ groupIds: [SG] });
    // THEN the re-planned authorize leaves out tcp 80, and the revoke follows
    const second = ec2Mock.commandCalls(AuthorizeSecurityGroupIngressCommand)[1]!.args[0].input;
    const sent = JSON.stringify(second.IpPermissions);
    expect(sent).not.toContain('"FromPort":80');
    expect(sent).toContain('"FromPort":443');
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(2);
    // read, authorize (Duplicate), verification read, authorize, revoke
    expect(res.results[0]).toMatchObject({ status: 'remediated', verified: true, calls: 5 });
    // and the result is the planned change the group went through, whoever made it (tcp 80 too)
    expect(res.results[0]?.authorized.map((r) => r.fromPort).sort((a, b) => a - b)).toEqual([
      22, 80, 443,
    ]);
    expect(res.results[0]?.revoked).toEqual([
      { protocol: 'tcp', fromPort: 0, toPort: 65535, cidrIpv4: '0.0.0.0/0' },
    ]);
  });

  it.each<[string, Error]>([
    ['InvalidPermission.NotFound', awsError('InvalidPermission.NotFound')],
    [
      'a timeout on every attempt (the answer lost, the revoke applied)',
      Object.assign(new Error('socket hang up'), {
        name: 'TimeoutError',
        $metadata: { attempts: 3 },
      }),
    ],
  ])('after %s on the revoke, the verification read decides what is reported', async (_n, err) => {
    // GIVEN the revoke fails, but a read shows the group at the plan
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolvesOnce(described(SG, [SSH_WORLD], GROUP))
      .resolves(
        described(
          SG,
          [{ ...SSH_WORLD, CidrIpv4: '10.0.0.0/8', SecurityGroupRuleId: 'sgr-1' }],
          GROUP,
        ),
      );
    ec2Mock.on(RevokeSecurityGroupIngressCommand).rejects(err);
    // WHEN
    const res = await handler({ groupIds: [SG] });
    // THEN remediated, with what EC2 shows, and the revoke was not sent again
    expect(res.results[0]).toMatchObject({
      status: 'remediated',
      verified: true,
      revoked: [{ cidrIpv4: '0.0.0.0/0' }],
      authorized: [{ cidrIpv4: '10.0.0.0/8' }],
      calls: 4,
    });
    expect(ec2Mock.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
    expect(res.ok).toBe(true);
  });

  it('a group tagged exempt while its write was in doubt: stops there, and fails visibly', async () => {
    const EXEMPT = [{ Key: 'first-responder:exempt', Value: 'true' }];
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolvesOnce(described(SG, [SSH_WORLD], GROUP))
      .resolves(described(SG, [SSH_WORLD], { ...GROUP, Tags: EXEMPT }));
    ec2Mock
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejects(awsError('InvalidPermission.Duplicate'));
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({
      status: 'failed',
      reason: 'tagged first-responder:exempt=true during the remediation: stopped there',
      authorized: [],
      revoked: [],
    });
    expect(ec2Mock).not.toReceiveCommand(RevokeSecurityGroupIngressCommand);
    expect(res.ok).toBe(false);
  });

  it.each<[string, string, { status: string; reason?: RegExp }, boolean]>([
    [
      'the group deleted between the read and the write: gone, not failed',
      'InvalidGroup.NotFound',
      { status: 'gone' },
      true,
    ],
    [
      'EC2 refusing the authorize: failed, and nothing revoked (never locks out allowed traffic)',
      'RulesPerSecurityGroupLimitExceeded',
      {
        status: 'failed',
        reason: /AuthorizeSecurityGroupIngress: RulesPerSecurityGroupLimitExceeded/,
      },
      false,
    ],
  ])('authorize answered %s', async (_name, code, expected, ok) => {
    givenGroup([SSH_WORLD]);
    ec2Mock.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError(code));
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({ ...expected, authorized: [], revoked: [] });
    expect(ec2Mock).not.toReceiveCommand(RevokeSecurityGroupIngressCommand);
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
    expect(res.ok).toBe(ok);
  });

  it('when revoke fails after authorize, the result says what was authorized', async () => {
    givenGroup([SSH_WORLD]);
    ec2Mock.on(RevokeSecurityGroupIngressCommand).rejects(awsError('UnauthorizedOperation'));
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({
      status: 'failed',
      revoked: [],
      authorized: [{ cidrIpv4: '10.0.0.0/8' }],
    });
  });

  it('one group failing does not stop the next', async () => {
    const OTHER = 'sg-0fedcba9876543210';
    ec2Mock
      .on(DescribeSecurityGroupsCommand, { GroupIds: [SG] })
      .rejects(awsError('InvalidGroup.NotFound'));
    ec2Mock
      .on(DescribeSecurityGroupsCommand, { GroupIds: [OTHER] })
      .resolves({ SecurityGroups: [{ GroupId: OTHER }] });
    const res = await handler({ groupIds: [SG, OTHER] });
    expect(res.results.map((r) => r.status)).toEqual(['gone', 'compliant']);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'no groupIds and no incident',
      {},
      /give groupIds \(at least one security-group ID\) or an incidentRecordArn/,
    ],
    ['an empty list and no incident', { groupIds: [] }, /give groupIds/],
    [
      'a malformed incident ARN',
      { incidentRecordArn: 'arn:aws:s3:::bucket' },
      /request.incidentRecordArn: .*an incident record ARN/,
    ],
    ['a list parameter that is not JSON', { groupIds: '[sg-1' }, /not valid JSON/],
    [
      'a malformed ID',
      { groupIds: ['sg-xyz'] },
      /request.groupIds\[0\]: got "sg-xyz"; a security-group ID looks like sg-/,
    ],
    ['a number for an ID', { groupIds: [42] }, /request.groupIds\[0\]: got 42/],
    [
      'dryRun as a string',
      { groupIds: [SG], dryRun: 'yes' },
      /request.dryRun: got "yes"; true or false/,
    ],
    ['an unknown field', { groupIds: [SG], force: true }, /force/],
    ['not an object', 'sg-0123456789abcdef0', /request: got "sg-0123456789abcdef0"/],
    [
      'more groups than the blast-radius limit',
      { groupIds: Array.from({ length: 21 }, (_, i) => `sg-${i.toString(16).padStart(17, '0')}`) },
      /got 21 groups, above the blast-radius limit of 20 per call/,
    ],
  ])('rejects %s with a clear error and no AWS call', async (_name, event, message) => {
    await expect(handler(event)).rejects.toThrow(InputError);
    await expect(handler(event)).rejects.toThrow(message);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('retries throttling, through the endpoint named by AWS_ENDPOINT_URL_EC2', async () => {
    // GIVEN an EC2 endpoint on loopback that throttles the first request
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        if (bodies.length === 1) {
          res.writeHead(503, { 'content-type': 'text/xml' });
          res.end(
            '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r1</RequestID></Response>',
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r2</requestId><securityGroupInfo><item><groupId>${SG}</groupId><groupName>web</groupName></item></securityGroupInfo></DescribeSecurityGroupsResponse>`,
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    ec2Mock.restore();
    process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${port}`;
    try {
      // WHEN the handler's own client reads the group
      const read = await describeGroup(createEc2Client(), SG);
      // THEN it was retried and succeeded
      expect(read).toMatchObject({ found: true, group: { GroupId: SG } });
      expect(bodies).toHaveLength(2);
      expect(bodies[0]).toContain('Action=DescribeSecurityGroups');
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2;
      server.close();
    }
  });
});

describe('the deadline and the read budget', () => {
  it('a group the deadline leaves no time for is not attempted, and the call is not ok', async () => {
    // GIVEN two groups and a Lambda context with 40 s left (the budget keeps 30 s in reserve)
    givenGroup([SSH_WORLD]);
    let remaining = 60_000;
    const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => remaining };
    ec2Mock.on(RevokeSecurityGroupIngressCommand).callsFake(() => {
      remaining = 40_000; // the first group used 20 s
      return { Return: true };
    });
    // WHEN the reverter runs
    const res = await handler({ groupIds: [SG, 'sg-0fedcba9876543210'] }, context);
    // THEN the first is done, the second not attempted (nothing read), and the call is not ok
    expect(res.results.map((r) => r.status)).toEqual(['remediated', 'not-attempted']);
    expect(res.results[1]).toMatchObject({
      reason: expect.stringMatching(/^deadline: the invocation had 40 s left/),
      calls: 0,
      authorized: [],
      revoked: [],
    });
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
    expect(res.ok).toBe(false);
  });

  it("every EC2 call carries the group's abort signal", async () => {
    givenGroup([SSH_WORLD]);
    await handler({ groupIds: [SG] });
    for (const call of ec2Mock.calls()) {
      const options = (call.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
      expect(options?.abortSignal).toBeDefined();
    }
  });

  it('reads a 1,000-rule group in one DescribeSecurityGroups call (no rule paging)', async () => {
    const many = Array.from({ length: 1_000 }, (_, i) =>
      rule({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        CidrIpv4: `10.${i >> 8}.${i & 255}.0/24`,
      }),
    );
    many[999] = SSH_WORLD;
    givenGroup(many);
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({ status: 'remediated', calls: 3 });
    expect(res.results[0]?.before).toHaveLength(1_000);
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
  });
});
