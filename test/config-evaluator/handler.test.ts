/**
 * The Config evaluator handler with mocked SDK clients: what it sends to PutEvaluations, when it
 * reads EC2, and that bad input stops it before any call.
 */
import {
  ConfigServiceClient,
  PutEvaluationsCommand,
  type PutEvaluationsCommandInput,
} from '@aws-sdk/client-config-service';
import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { makeHandler } from '../../handlers/config-evaluator';
import { AwsCallError, InputError } from '../../handlers/shared/errors';
import { logger } from '../../handlers/shared/logger';
import {
  changeEvent,
  examplePolicy,
  fixtureInvoking,
  fixtureItem,
  perm,
  recordedEvent,
  ruleEvent,
  sgItem,
} from './support';

const configMock = mockClient(ConfigServiceClient);
const ec2Mock = mockClient(EC2Client);

function setup(policy = () => examplePolicy) {
  return makeHandler({ config: new ConfigServiceClient({}), ec2: new EC2Client({}), policy });
}

function sentEvaluations(): NonNullable<PutEvaluationsCommandInput['Evaluations']> {
  return configMock
    .commandCalls(PutEvaluationsCommand)
    .flatMap((c) => c.args[0].input.Evaluations ?? []);
}

const openGroup = (groupId: string, extra: Partial<SecurityGroup> = {}): SecurityGroup => ({
  GroupId: groupId,
  GroupName: 'open',
  VpcId: 'vpc-0a1b2c3d4e5f60718',
  OwnerId: '123456789012',
  IpPermissions: [
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  ],
  Tags: [],
  ...extra,
});

const closedGroup = (groupId: string): SecurityGroup => ({
  ...openGroup(groupId),
  IpPermissions: [
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  ],
});

beforeEach(() => {
  configMock.reset();
  ec2Mock.reset();
  configMock.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
});

describe('config evaluator handler: change notifications', () => {
  it('Noncompliance 1: puts NON_COMPLIANT for the recorded event with its real token, without TestMode', async () => {
    // GIVEN the recorded Config rule invocation (SSH open to the world)
    const event = recordedEvent();
    // WHEN the handler runs
    const out = await setup()(event);
    // THEN one PutEvaluations names the group, the finding and the item's capture time
    expect(configMock).toHaveReceivedCommandTimes(PutEvaluationsCommand, 1);
    expect(configMock).toHaveReceivedCommandWith(PutEvaluationsCommand, {
      ResultToken: event.resultToken,
      Evaluations: [
        {
          ComplianceResourceType: 'AWS::EC2::SecurityGroup',
          ComplianceResourceId: 'sg-e2fb6999',
          ComplianceType: 'NON_COMPLIANT',
          Annotation: 'revoke: tcp 22 from 0.0.0.0/0',
          OrderingTimestamp: new Date('2017-11-27T14:26:11.300Z'),
        },
      ],
    });
    expect(
      configMock.commandCalls(PutEvaluationsCommand)[0]!.args[0].input.TestMode,
    ).toBeUndefined();
    // AND EC2 is not read: the item carried the rules
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(out.testMode).toBe(false);
  });

  it('Compliance 1: puts COMPLIANT without an annotation, in TestMode for the TESTMODE token', async () => {
    // GIVEN the hand-written compliant item in a TESTMODE invocation
    const event = changeEvent(fixtureItem('item-compliant-web.json'));
    // WHEN the handler runs
    await setup()(event);
    // THEN PutEvaluations is in test mode with no annotation
    expect(configMock).toHaveReceivedCommandWith(PutEvaluationsCommand, {
      ResultToken: 'TESTMODE',
      TestMode: true,
      Evaluations: [
        {
          ComplianceResourceType: 'AWS::EC2::SecurityGroup',
          ComplianceResourceId: 'sg-0123456789abcdef0',
          ComplianceType: 'COMPLIANT',
          OrderingTimestamp: new Date('2024-05-02T09:15:30.123Z'),
        },
      ],
    });
    expect(sentEvaluations()[0]).not.toHaveProperty('Annotation');
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a deleted group', changeEvent(fixtureItem('item-deleted.json')), 'sg-0fedcba9876543210'],
    [
      'a group that left the scope',
      changeEvent(
        sgItem([perm('-1', null, null, { v4: ['0.0.0.0/0'] })], {
          groupId: 'sg-0ccccccccccccccc1',
        }),
        { eventLeftScope: true },
      ),
      'sg-0ccccccccccccccc1',
    ],
    [
      'another resource type',
      changeEvent({ ...sgItem([]), resourceType: 'AWS::EC2::Instance', resourceId: 'i-00000000' }),
      'i-00000000',
    ],
  ])('puts NOT_APPLICABLE for %s, with no EC2 call', async (_name, event, resourceId) => {
    // GIVEN an invocation for a resource the rule does not judge WHEN the handler runs
    await setup()(event);
    // THEN NOT_APPLICABLE is put for that resource, with a reason, and EC2 is not read
    const [e] = sentEvaluations();
    expect(e).toMatchObject({ ComplianceResourceId: resourceId, ComplianceType: 'NOT_APPLICABLE' });
    expect(e!.Annotation).toEqual(expect.any(String));
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('puts an annotation of at most 256 characters for a group with many findings', async () => {
    // GIVEN a group with 60 world-open ports
    const item = sgItem(
      Array.from({ length: 60 }, (_, i) => perm('tcp', 2000 + i, 2000 + i, { v4: ['0.0.0.0/0'] })),
    );
    // WHEN the handler runs
    await setup()(changeEvent(item));
    // THEN the annotation fits and counts what it left out
    const annotation = sentEvaluations()[0]!.Annotation!;
    expect(annotation.length).toBeLessThanOrEqual(256);
    expect(annotation).toMatch(/… \(\+\d+ more\)$/);
  });
});

describe('config evaluator handler: oversized items and periodic triggers read EC2', () => {
  const oversized = () => ruleEvent(fixtureInvoking('invoking-oversized.json'));

  it('Noncompliance 2: reads an oversized group live and puts NON_COMPLIANT', async () => {
    // GIVEN an oversized notification for a group EC2 describes as open to SSH
    ec2Mock
      .on(DescribeSecurityGroupsCommand, { GroupIds: ['sg-0123456789abcdef0'] })
      .resolves({ SecurityGroups: [openGroup('sg-0123456789abcdef0')] });
    // WHEN the handler runs
    await setup()(oversized());
    // THEN the group is read once, by ID, and the verdict is ordered by the summary's capture time
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSecurityGroupsCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeSecurityGroupsCommand, {
      GroupIds: ['sg-0123456789abcdef0'],
    });
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeSecurityGroupRulesCommand);
    expect(sentEvaluations()).toEqual([
      {
        ComplianceResourceType: 'AWS::EC2::SecurityGroup',
        ComplianceResourceId: 'sg-0123456789abcdef0',
        ComplianceType: 'NON_COMPLIANT',
        Annotation: 'revoke: tcp 22 from 0.0.0.0/0',
        OrderingTimestamp: new Date('2024-05-02T10:00:00.000Z'),
      },
    ]);
  });

  it('Compliance 2: reads an oversized exempt group live and puts COMPLIANT, saying why', async () => {
    // GIVEN an oversized notification for an open group tagged exempt
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        openGroup('sg-0123456789abcdef0', {
          Tags: [{ Key: 'first-responder:exempt', Value: 'true' }],
        }),
      ],
    });
    // WHEN the handler runs
    await setup()(oversized());
    // THEN it is COMPLIANT with the exemption named
    const [e] = sentEvaluations();
    expect(e!.ComplianceType).toBe('COMPLIANT');
    expect(e!.Annotation).toMatch(/^exempt: tagged first-responder:exempt=true/);
  });

  it('puts NOT_APPLICABLE when the oversized group is gone by the time it is read', async () => {
    // GIVEN EC2 answers InvalidGroup.NotFound
    ec2Mock.on(DescribeSecurityGroupsCommand).rejects(
      Object.assign(new Error('The security group does not exist'), {
        name: 'InvalidGroup.NotFound',
      }),
    );
    // WHEN the handler runs
    await setup()(oversized());
    // THEN the verdict is NOT_APPLICABLE, saying the group no longer exists
    expect(sentEvaluations()[0]).toMatchObject({
      ComplianceResourceId: 'sg-0123456789abcdef0',
      ComplianceType: 'NOT_APPLICABLE',
      Annotation: 'the security group no longer exists',
    });
  });

  it('puts nothing and fails when EC2 cannot be read, so Config shows an error, not a verdict', async () => {
    // GIVEN EC2 refuses the read
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation' }));
    // WHEN the handler runs THEN it fails with the operation named, and nothing is put
    await expect(setup()(oversized())).rejects.toThrow(AwsCallError);
    await expect(setup()(oversized())).rejects.toThrow(/DescribeSecurityGroups: not authorized/);
    expect(configMock).not.toHaveReceivedCommand(PutEvaluationsCommand);
  });

  it('evaluates every group on a scheduled notification, paging EC2 and batching PutEvaluations by 100', async () => {
    // GIVEN 150 groups over two pages, the first open
    const ids = Array.from({ length: 150 }, (_, i) => `sg-0${String(i).padStart(16, '0')}`);
    const groups = ids.map((id, i) => (i === 0 ? openGroup(id) : closedGroup(id)));
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolvesOnce({ SecurityGroups: groups.slice(0, 100), NextToken: 'page-2' })
      .resolvesOnce({ SecurityGroups: groups.slice(100) });
    // WHEN the handler runs on a periodic trigger
    await setup()(ruleEvent(fixtureInvoking('invoking-scheduled.json')));
    // THEN both pages are read, and 150 evaluations go out in two calls, ordered by the notification
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSecurityGroupsCommand, 2);
    expect(ec2Mock).toHaveReceivedNthSpecificCommandWith(2, DescribeSecurityGroupsCommand, {
      NextToken: 'page-2',
    });
    expect(configMock).toHaveReceivedCommandTimes(PutEvaluationsCommand, 2);
    const sent = sentEvaluations();
    expect(sent.map((e) => e.ComplianceResourceId)).toEqual(ids);
    expect(
      sent.filter((e) => e.ComplianceType === 'NON_COMPLIANT').map((e) => e.ComplianceResourceId),
    ).toEqual([ids[0]]);
    expect(new Set(sent.map((e) => e.OrderingTimestamp?.toISOString()))).toEqual(
      new Set(['2024-05-02T12:00:00.373Z']),
    );
  });
});

describe('config evaluator handler: a group EC2 describes in a shape this version does not read', () => {
  it('is NON_COMPLIANT, "not judged", never COMPLIANT', async () => {
    // GIVEN EC2 returns a permission with no source the SDK knows (a new kind it dropped)
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        {
          GroupId: 'sg-0123456789abcdef0',
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }],
        },
        closedGroup('sg-0fedcba9876543210'),
      ],
    });
    // WHEN the handler runs on a periodic trigger
    await setup()(ruleEvent(fixtureInvoking('invoking-scheduled.json')));
    // THEN that group is reported noncompliant and why; the other is judged as usual
    const sent = sentEvaluations();
    expect(sent[0]).toMatchObject({
      ComplianceResourceId: 'sg-0123456789abcdef0',
      ComplianceType: 'NON_COMPLIANT',
      Annotation: expect.stringMatching(
        /^not judged: EC2 described the group in a shape this version does not read: SecurityGroup\.IpPermissions\[0\]: a permission with no source/,
      ),
    });
    expect(sent[1]).toMatchObject({ ComplianceType: 'COMPLIANT' });
  });
});

describe('config evaluator handler: refusals', () => {
  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['an invokingEvent that is not JSON', { invokingEvent: '{', resultToken: 'TESTMODE' }],
    [
      'a malformed configuration',
      changeEvent({
        ...sgItem([]),
        configuration: { groupId: 'sg-1', ipPermissions: [{ ipProtocol: 'tcp', fromPort: 'ssh' }] },
      }),
    ],
    ['a misspelt rule parameter', changeEvent(sgItem([]), { ruleParameters: { Debug: 'true' } })],
  ])('refuses %s with an InputError and makes no AWS call', async (_name, event) => {
    // GIVEN a malformed invocation WHEN the handler runs THEN it is refused before any call
    await expect(setup()(event)).rejects.toThrow(InputError);
    expect(configMock.calls()).toHaveLength(0);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('refuses to evaluate without a policy, and makes no AWS call', async () => {
    // GIVEN no policy in the environment
    const handler = setup(() => {
      throw new InputError('FIRST_RESPONDER_POLICY is not set');
    });
    // WHEN the handler runs THEN it fails and calls nothing
    await expect(handler(recordedEvent())).rejects.toThrow(/FIRST_RESPONDER_POLICY/);
    expect(configMock.calls()).toHaveLength(0);
  });

  it('fails when Config refuses an evaluation, naming it', async () => {
    // GIVEN PutEvaluations reports a failed evaluation
    configMock.on(PutEvaluationsCommand).resolves({
      FailedEvaluations: [
        {
          ComplianceResourceType: 'AWS::EC2::SecurityGroup',
          ComplianceResourceId: 'sg-e2fb6999',
          ComplianceType: 'NON_COMPLIANT',
          OrderingTimestamp: new Date(),
        },
      ],
    });
    // WHEN the handler runs THEN it fails rather than report success
    await expect(setup()(recordedEvent())).rejects.toThrow(
      /PutEvaluations: AWS Config refused 1 of 1 evaluations: sg-e2fb6999 \(NON_COMPLIANT\)/,
    );
  });

  it('wraps a PutEvaluations error with the operation name', async () => {
    // GIVEN PutEvaluations throws (an expired token, say)
    configMock.on(PutEvaluationsCommand).rejects(
      Object.assign(new Error('The result token is invalid'), {
        name: 'InvalidResultTokenException',
      }),
    );
    // WHEN the handler runs THEN the error is an AwsCallError naming PutEvaluations
    const failure = setup()(recordedEvent());
    await expect(failure).rejects.toBeInstanceOf(AwsCallError);
    await expect(failure).rejects.toThrow(/^PutEvaluations: The result token is invalid$/);
  });
});

describe('config evaluator handler: the debug rule parameter', () => {
  afterEach(() => jest.restoreAllMocks());

  it('logs the configuration item and the plan at debug level, for that invocation only', async () => {
    // GIVEN debug "true" and a logger that records the level each debug entry was written at
    const before = logger.getLevelName();
    const entries: { message: string; level: string; extra: unknown }[] = [];
    jest.spyOn(logger, 'debug').mockImplementation((message: unknown, ...extra: unknown[]) => {
      entries.push({ message: String(message), level: logger.getLevelName(), extra: extra[0] });
    });
    // WHEN the handler runs on the recorded item
    await setup()({ ...recordedEvent(), ruleParameters: JSON.stringify({ debug: 'true' }) });
    // THEN the item and the plan were logged while the level was DEBUG
    const item = entries.find((e) => e.message === 'configuration item');
    const plan = entries.find((e) => e.message === 'plan');
    expect(item).toMatchObject({
      level: 'DEBUG',
      extra: { configurationItem: { resourceId: 'sg-e2fb6999' } },
    });
    expect(plan).toMatchObject({
      level: 'DEBUG',
      extra: { plan: { groupId: 'sg-e2fb6999', compliant: false } },
    });
    // AND the level is back to what it was
    expect(logger.getLevelName()).toBe(before);
  });

  it('restores the level even when the invocation fails', async () => {
    // GIVEN debug "true" and a PutEvaluations that fails
    const before = logger.getLevelName();
    configMock.on(PutEvaluationsCommand).rejects(new Error('boom'));
    // WHEN the handler runs THEN it fails and the level is restored
    await expect(
      setup()({ ...recordedEvent(), ruleParameters: JSON.stringify({ debug: 'true' }) }),
    ).rejects.toThrow(/boom/);
    expect(logger.getLevelName()).toBe(before);
  });

  it('leaves the level alone without the parameter', async () => {
    // GIVEN no debug parameter and a logger that records the level at each debug entry
    const before = logger.getLevelName();
    const levels: string[] = [];
    jest.spyOn(logger, 'debug').mockImplementation(() => void levels.push(logger.getLevelName()));
    // WHEN the handler runs
    await setup()(recordedEvent());
    // THEN the level never changed
    expect(before).not.toBe('DEBUG');
    expect(levels.length).toBeGreaterThan(0);
    expect(new Set(levels)).toEqual(new Set([before]));
  });
});
