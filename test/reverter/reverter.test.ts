import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
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
import { EXAMPLE_POLICY } from '../support/groups';

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
  limits: () => DEFAULT_LIMITS,
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

function givenGroup(rules: SecurityGroupRule[], tags: { Key: string; Value: string }[] = []) {
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [{ GroupId: SG, GroupName: 'web', VpcId: 'vpc-0123456789abcdef0', Tags: tags }],
  });
  ec2Mock.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: rules });
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
  it('leaves a compliant group alone after two reads and no write', async () => {
    // GIVEN a group that only serves https to the world
    givenGroup([HTTPS_WORLD, EGRESS]);
    // WHEN the reverter runs
    const res = await handler({ groupIds: [SG] });
    // THEN it is compliant, read twice, written never
    expect(res.results[0]).toMatchObject({ groupId: SG, status: 'compliant', calls: 2 });
    expect(ec2Mock.calls()).toHaveLength(2);
    expect(writes()).toBe(0);
    expect(res.ok).toBe(true);
  });

  it('narrows world-open ssh: authorizes 10.0.0.0/8 first, then revokes by rule ID', async () => {
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
    expect(ec2Mock).toReceiveCommandWith(RevokeSecurityGroupIngressCommand, {
      GroupId: SG,
      SecurityGroupRuleIds: [SSH_WORLD.SecurityGroupRuleId!],
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
      calls: 4,
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

  it('leaves an exempt group alone without reading its rules', async () => {
    givenGroup([SSH_WORLD], [{ Key: 'first-responder:exempt', Value: 'true' }]);
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({
      status: 'exempt',
      reason: 'tagged first-responder:exempt=true',
    });
    expect(ec2Mock).not.toReceiveCommand(DescribeSecurityGroupRulesCommand);
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

  it('counts InvalidPermission.Duplicate as done and sends only what is still missing', async () => {
    // GIVEN tcp 0-65535 from the world, and tcp 80 appearing concurrently
    givenGroup([rule({ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, CidrIpv4: '0.0.0.0/0' })]);
    ec2Mock
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejectsOnce(awsError('InvalidPermission.Duplicate'))
      .resolves({ Return: true });
    ec2Mock
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({
        SecurityGroupRules: [
          rule({ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, CidrIpv4: '0.0.0.0/0' }),
        ],
      })
      .resolves({
        SecurityGroupRules: [
          rule({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIpv4: '0.0.0.0/0' }),
        ],
      });
    // WHEN
    const res = await handler({ groupIds: [SG] });
    // THEN the second authorize leaves out tcp 80
    const second = ec2Mock.commandCalls(AuthorizeSecurityGroupIngressCommand)[1]!.args[0].input;
    const sent = JSON.stringify(second.IpPermissions);
    expect(sent).not.toContain('"FromPort":80');
    expect(sent).toContain('"FromPort":443');
    expect(res.results[0]?.status).toBe('remediated');
  });

  it('counts InvalidPermission.NotFound on revoke as already done', async () => {
    givenGroup([SSH_WORLD]);
    ec2Mock.on(RevokeSecurityGroupIngressCommand).rejects(awsError('InvalidPermission.NotFound'));
    ec2Mock
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [SSH_WORLD] })
      .resolves({ SecurityGroupRules: [] });
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]?.status).toBe('remediated');
    expect(ec2Mock.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
  });

  it('when authorize fails, revokes nothing (never locks out allowed traffic)', async () => {
    givenGroup([SSH_WORLD]);
    ec2Mock
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejects(awsError('RulesPerSecurityGroupLimitExceeded'));
    const res = await handler({ groupIds: [SG] });
    expect(res.results[0]).toMatchObject({ status: 'failed', revoked: [], authorized: [] });
    expect(res.results[0]?.reason).toMatch(
      /AuthorizeSecurityGroupIngress: RulesPerSecurityGroupLimitExceeded/,
    );
    expect(ec2Mock).not.toReceiveCommand(RevokeSecurityGroupIngressCommand);
    expect(res.ok).toBe(false);
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
    ec2Mock.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
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
