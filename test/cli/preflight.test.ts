/**
 * preflight against aws-sdk-client-mock: a healthy account, then one thing wrong at a time; each
 * failure must say what is wrong and how to fix it. Responses are shaped as the API references
 * document them. Also the one-line messages for missing credentials and permissions.
 */
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  ConfigServiceClient,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
} from '@aws-sdk/client-config-service';
import {
  GetDetectorCommand,
  GuardDutyClient,
  ListDetectorsCommand,
} from '@aws-sdk/client-guardduty';
import { ListContactChannelsCommand, ListContactsCommand } from '@aws-sdk/client-ssm-contacts';
import {
  GetReplicationSetCommand,
  ListReplicationSetsCommand,
  ListResponsePlansCommand,
  SSMIncidentsClient,
} from '@aws-sdk/client-ssm-incidents';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { accessProblem, createAwsClients, explainAccess, explained } from '../../cli/aws';
import {
  allowsIncidentManager,
  chatTopicStatement,
  logsManagementWrites,
  renderPreflight,
  runPreflight,
  type PreflightReport,
} from '../../cli/commands/preflight';
import { main } from '../../cli/main';
import { AwsCallError } from '../../handlers/shared/errors';
import { loadConfig, responsePlansOf, type FirstResponderConfig } from '../../infra/config';
import { ACCOUNT, awsError, mockContacts, mockSts, type ContactsStub } from './support';

const CONFIG = loadConfig(join(__dirname, '..', '..', 'examples', 'config.yaml'));
const REGION = 'eu-west-1';
const TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management-events`;
const contactArn = (alias: string) => `arn:aws:ssm-contacts:${REGION}:${ACCOUNT}:contact/${alias}`;
const planArn = (name: string) => `arn:aws:ssm-incidents::${ACCOUNT}:response-plan/${name}`;
const PLANS = responsePlansOf(CONFIG).map((p) => p.name);

let sts: ReturnType<typeof mockSts>;
let incidents: AwsClientStub<SSMIncidentsClient>;
let contacts: ContactsStub;
let guardduty: AwsClientStub<GuardDutyClient>;
let config: AwsClientStub<ConfigServiceClient>;
let cloudtrail: AwsClientStub<CloudTrailClient>;
let cfn: AwsClientStub<CloudFormationClient>;
let sns: AwsClientStub<SNSClient>;

const stack = (name: string, status: StackStatus = 'UPDATE_COMPLETE') => ({
  Stacks: [{ StackName: name, StackStatus: status, CreationTime: new Date('2026-11-01') }],
});

/** An account where everything the deployment relies on is in place. */
beforeEach(() => {
  sts = mockSts();
  incidents = mockClient(SSMIncidentsClient);
  const rs = `arn:aws:ssm-incidents::${ACCOUNT}:replication-set/40bd98f0-4110-2dee-b35e-b87006f9e172`;
  incidents.on(ListReplicationSetsCommand).resolves({ replicationSetArns: [rs] });
  incidents.on(GetReplicationSetCommand).resolves({
    replicationSet: {
      arn: rs,
      status: 'ACTIVE',
      deletionProtected: true,
      regionMap: {
        [REGION]: { status: 'ACTIVE', statusUpdateDateTime: new Date() },
        'us-east-1': { status: 'ACTIVE', statusUpdateDateTime: new Date() },
      },
      createdBy: 'x',
      createdTime: new Date(),
      lastModifiedBy: 'x',
      lastModifiedTime: new Date(),
    },
  });
  contacts = mockContacts();
  contacts.on(ListContactsCommand).resolves({
    Contacts: ['alice', 'bob'].map((a) => ({
      ContactArn: contactArn(a),
      Alias: a,
      Type: 'PERSONAL',
    })),
  });
  contacts.on(ListContactChannelsCommand).callsFake((input: { ContactId: string }) => ({
    ContactChannels: ['email', 'sms', 'voice'].map((name) => ({
      ContactChannelArn: `${input.ContactId.replace(':contact/', ':contact-channel/')}/${name}`,
      ContactArn: input.ContactId,
      Name: name,
      Type: name.toUpperCase(),
      DeliveryAddress: { SimpleAddress: 'x' },
      ActivationStatus: 'ACTIVATED',
    })),
  }));
  guardduty = mockClient(GuardDutyClient);
  guardduty
    .on(ListDetectorsCommand)
    .resolves({ DetectorIds: ['12abc34d567e8fa901bc2d34e56789f0'] });
  guardduty.on(GetDetectorCommand).resolves({
    Status: 'ENABLED',
    ServiceRole: 'x',
    FindingPublishingFrequency: 'FIFTEEN_MINUTES',
  });
  config = mockClient(ConfigServiceClient);
  config.on(DescribeConfigurationRecordersCommand).resolves({
    ConfigurationRecorders: [
      {
        name: 'default',
        roleARN: 'arn:aws:iam::111122223333:role/config',
        recordingGroup: { allSupported: true, includeGlobalResourceTypes: false },
      },
    ],
  });
  config.on(DescribeConfigurationRecorderStatusCommand).resolves({
    ConfigurationRecordersStatus: [{ name: 'default', recording: true, lastStatus: 'Success' }],
  });
  cloudtrail = mockClient(CloudTrailClient);
  cloudtrail.on(DescribeTrailsCommand).resolves({
    trailList: [
      {
        Name: 'management-events',
        TrailARN: TRAIL_ARN,
        HomeRegion: 'us-east-1',
        IsMultiRegionTrail: true,
      },
    ],
  });
  cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  cloudtrail.on(GetEventSelectorsCommand).resolves({
    TrailARN: TRAIL_ARN,
    EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [] }],
  });
  cfn = mockClient(CloudFormationClient);
  cfn.on(DescribeStacksCommand, { StackName: 'FirstResponder' }).resolves(stack('FirstResponder'));
  cfn
    .on(DescribeStacksCommand, { StackName: 'FirstResponder-RootActivity' })
    .resolves(stack('FirstResponder-RootActivity', 'CREATE_COMPLETE'));
  // The deployed stack holds the contacts and the plans: they are this app's own names.
  incidents.on(ListResponsePlansCommand).resolves({
    responsePlanSummaries: PLANS.map((name) => ({ name, arn: planArn(name) })),
  });
  cfn.on(ListStackResourcesCommand, { StackName: 'FirstResponder' }).resolves({
    StackResourceSummaries: [
      ...['alice', 'bob'].map((a) => ({
        LogicalResourceId: `Contact${a}`,
        PhysicalResourceId: contactArn(a),
        ResourceType: 'AWS::SSMContacts::Contact',
        ResourceStatus: 'CREATE_COMPLETE' as const,
        LastUpdatedTimestamp: new Date(),
      })),
      ...PLANS.map((name) => ({
        LogicalResourceId: name.replace(/-/g, ''),
        PhysicalResourceId: planArn(name),
        ResourceType: 'AWS::SSMIncidents::ResponsePlan',
        ResourceStatus: 'CREATE_COMPLETE' as const,
        LastUpdatedTimestamp: new Date(),
      })),
    ],
  });
  sns = mockClient(SNSClient);
});
afterEach(() => {
  for (const m of [sts, incidents, contacts, guardduty, config, cloudtrail, cfn, sns]) m.restore();
});

const preflight = (config: FirstResponderConfig = CONFIG) =>
  runPreflight({ clients: createAwsClients({ region: REGION }), config });
const check = (report: PreflightReport, name: string) =>
  report.checks.find((c) => c.name.startsWith(name))!;

describe('preflight on a healthy account', () => {
  it('passes every check and says what it found', async () => {
    const report = await preflight();
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['Incident Manager onboarded', 'pass'],
      ['Contact channels activated', 'pass'],
      ['GuardDuty enabled', 'pass'],
      ['AWS Config records security groups', 'pass'],
      ['CloudTrail logs management events', 'pass'],
      ['Root sign-ins covered (us-east-1)', 'pass'],
      ['Stacks deployed', 'pass'],
      ['Aliases and plan names free', 'pass'],
      ['Chat channel topics allow publishing', 'pass'],
    ]);
    expect(report).toMatchObject({ ok: true, account: ACCOUNT, region: REGION });
    expect(check(report, 'Contact').detail).toBe('6 channels of 2 contacts activated (alice, bob)');
    // the trail is asked in its home region, the forwarder stack in us-east-1
    expect(await (cloudtrail.call(1).thisValue as CloudTrailClient).config.region()).toBe(
      'us-east-1',
    );
    expect(cfn).toReceiveCommandWith(DescribeStacksCommand, {
      StackName: 'FirstResponder-RootActivity',
    });
  });

  it('is read-only: it sends only Describe, Get and List calls', async () => {
    await preflight();
    const names = [sts, incidents, contacts, guardduty, config, cloudtrail, cfn].flatMap((m) =>
      m.calls().map((c) => (c.args[0] as object).constructor.name),
    );
    expect(names.length).toBeGreaterThan(10);
    for (const n of names) expect(n).toMatch(/^(Describe|Get|List)/);
  });
});

describe('two deployments in one account, and chat channel topics', () => {
  it('fails on an alias or a plan name that something other than this stack holds', async () => {
    // GIVEN another deployment holds "security-escalation" and a plan of the same name
    contacts.on(ListContactsCommand).resolves({
      Contacts: ['alice', 'bob', 'security-escalation'].map((a) => ({
        ContactArn: contactArn(a),
        Alias: a,
        Type: a === 'security-escalation' ? 'ESCALATION' : 'PERSONAL',
      })),
    });
    // ...and this stack holds only alice and bob (its plans were deleted by hand, say)
    cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: ['alice', 'bob'].map((a) => ({
        LogicalResourceId: `Contact${a}`,
        PhysicalResourceId: contactArn(a),
        ResourceType: 'AWS::SSMContacts::Contact',
        ResourceStatus: 'CREATE_COMPLETE' as const,
        LastUpdatedTimestamp: new Date(),
      })),
    });

    // WHEN
    const c = check(await preflight(), 'Aliases');

    // THEN
    expect(c).toMatchObject({
      status: 'fail',
      detail: `contact aliases already in the account, not from stack FirstResponder: security-escalation; response plan names already in the account, not from stack FirstResponder: ${PLANS.join(', ')}`,
    });
    expect(c.fix).toMatch(/account-wide: choose other aliases .*another app\.prefix/);
  });

  it('reads every page of contacts before it calls an alias free', async () => {
    // GIVEN the stack holds alice, bob and the plans; another deployment's alias is on page 2
    contacts.on(ListContactsCommand, { NextToken: 'page-2' }).resolves({
      Contacts: [
        {
          ContactArn: contactArn('security-escalation'),
          Alias: 'security-escalation',
          Type: 'ESCALATION',
        },
      ],
    });
    contacts.on(ListContactsCommand, { NextToken: undefined }).resolves({
      Contacts: ['alice', 'bob'].map((a) => ({
        ContactArn: contactArn(a),
        Alias: a,
        Type: 'PERSONAL',
      })),
      NextToken: 'page-2',
    });

    // WHEN / THEN
    expect(check(await preflight(), 'Aliases')).toMatchObject({
      status: 'fail',
      detail:
        'contact aliases already in the account, not from stack FirstResponder: security-escalation',
    });
  });

  it('counts nothing as its own before the stack exists', async () => {
    cfn.on(ListStackResourcesCommand).rejects(
      Object.assign(new Error('Stack with id FirstResponder does not exist'), {
        name: 'ValidationError',
      }),
    );
    expect(check(await preflight(), 'Aliases')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^contact aliases already in the account, not from stack FirstResponder: alice, bob; response plan names/,
      ) as unknown,
    });
  });

  const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:chat-security`;
  const withChat: FirstResponderConfig = {
    ...CONFIG,
    responsePlans: {
      ...CONFIG.responsePlans,
      guardDutyFinding: { ...CONFIG.responsePlans.guardDutyFinding, chatChannelTopicArns: [TOPIC] },
    },
  };

  it('fails on a chat channel topic whose policy does not let Incident Manager publish', async () => {
    // GIVEN the default topic policy (the owner account only)
    sns.on(GetTopicAttributesCommand).resolves({
      Attributes: {
        TopicArn: TOPIC,
        Policy: JSON.stringify({
          Version: '2008-10-17',
          Statement: [
            {
              Sid: '__default_statement_ID',
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: ['SNS:Publish', 'SNS:Subscribe'],
              Resource: TOPIC,
              Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
            },
          ],
        }),
      },
    });

    // WHEN
    const c = check(await preflight(withChat), 'Chat channel topics');

    // THEN
    expect(c).toMatchObject({
      status: 'fail',
      detail: `the policy of ${TOPIC} does not let Incident Manager (ssm-incidents.amazonaws.com) publish; creating the response plan fails`,
    });
    expect(c.fix).toContain(JSON.stringify(chatTopicStatement(TOPIC, ACCOUNT)));
    expect(sns).toReceiveCommandWith(GetTopicAttributesCommand, { TopicArn: TOPIC });
  });

  it('passes a chat channel topic whose policy has the documented statement', async () => {
    sns.on(GetTopicAttributesCommand).resolves({
      Attributes: {
        Policy: JSON.stringify({ Statement: [chatTopicStatement(TOPIC, ACCOUNT)] }),
      },
    });
    expect(check(await preflight(withChat), 'Chat channel topics')).toMatchObject({
      status: 'pass',
      detail: '1 chat channel topic let Incident Manager publish',
    });
  });

  it.each([
    ['no policy', undefined, false],
    [
      'a Deny',
      JSON.stringify({ Statement: [{ ...chatTopicStatement(TOPIC, ACCOUNT), Effect: 'Deny' }] }),
      false,
    ],
    [
      'another service',
      JSON.stringify({
        Statement: [
          { ...chatTopicStatement(TOPIC, ACCOUNT), Principal: { Service: 'events.amazonaws.com' } },
        ],
      }),
      false,
    ],
    [
      'a list of services and sns:*',
      JSON.stringify({
        Statement: {
          Effect: 'Allow',
          Principal: { Service: ['events.amazonaws.com', 'ssm-incidents.amazonaws.com'] },
          Action: 'sns:*',
        },
      }),
      true,
    ],
  ])('reads a topic policy with %s', (_what, policy, allowed) => {
    expect(allowsIncidentManager(policy)).toBe(allowed);
  });
});

describe('each failure says what is wrong and how to fix it', () => {
  it('Incident Manager not onboarded', async () => {
    incidents.on(ListReplicationSetsCommand).resolves({ replicationSetArns: [] });
    const c = check(await preflight(), 'Incident Manager');
    expect(c).toMatchObject({
      status: 'fail',
      detail: 'Incident Manager is not onboarded: the account has no replication set',
    });
    // New accounts cannot onboard since 2025-11-07: the fix must not pretend they can.
    expect(c.fix).toMatch(/^Incident Manager stopped onboarding new accounts on 2025-11-07/);
    expect(c.fix).toContain('deploy to an account that already uses Incident Manager');
  });

  it('a replication set without the app region', async () => {
    incidents.on(GetReplicationSetCommand).resolves({
      replicationSet: {
        status: 'ACTIVE',
        regionMap: { 'us-west-2': { status: 'ACTIVE', statusUpdateDateTime: new Date() } },
        deletionProtected: true,
        createdBy: 'x',
        createdTime: new Date(),
        lastModifiedBy: 'x',
        lastModifiedTime: new Date(),
      },
    });
    expect(check(await preflight(), 'Incident Manager')).toMatchObject({
      status: 'fail',
      detail: 'the replication set covers us-west-2, not eu-west-1, where the app opens incidents',
    });
  });

  it('contact channels not activated, and a contact not deployed', async () => {
    contacts.on(ListContactsCommand).resolves({
      Contacts: [{ ContactArn: contactArn('alice'), Alias: 'alice', Type: 'PERSONAL' }],
    });
    contacts.on(ListContactChannelsCommand).resolves({
      ContactChannels: [
        {
          ContactChannelArn: 'a',
          ContactArn: contactArn('alice'),
          Name: 'sms',
          Type: 'SMS',
          DeliveryAddress: {},
          ActivationStatus: 'NOT_ACTIVATED',
        },
      ],
    });
    const c = check(await preflight(), 'Contact');
    expect(c).toMatchObject({
      status: 'fail',
      detail: 'contacts not found: bob; channels not activated: alice/sms (SMS)',
    });
    expect(c.fix).toContain('npx cdk deploy --all -c config=');
    expect(c.fix).toContain('aws ssm-contacts send-activation-code');
  });

  it('GuardDuty without a detector, or disabled', async () => {
    guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    expect(check(await preflight(), 'GuardDuty')).toMatchObject({
      status: 'fail',
      fix: 'aws guardduty create-detector --enable --region eu-west-1',
    });
    guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: ['d1'] });
    guardduty.on(GetDetectorCommand).resolves({ Status: 'DISABLED', ServiceRole: 'x' });
    expect(check(await preflight(), 'GuardDuty')).toMatchObject({
      status: 'fail',
      fix: 'aws guardduty update-detector --detector-id d1 --enable --region eu-west-1',
    });
  });

  it('AWS Config not recording security groups, or stopped', async () => {
    config.on(DescribeConfigurationRecordersCommand).resolves({
      ConfigurationRecorders: [
        {
          name: 'default',
          recordingGroup: { allSupported: false, resourceTypes: ['AWS::S3::Bucket'] },
        },
      ],
    });
    expect(check(await preflight(), 'AWS Config')).toMatchObject({
      status: 'fail',
      detail: 'no recorder records AWS::EC2::SecurityGroup (recorders: default)',
    });
    config.on(DescribeConfigurationRecordersCommand).resolves({
      ConfigurationRecorders: [
        {
          name: 'default',
          recordingGroup: {
            allSupported: false,
            resourceTypes: ['AWS::EC2::SecurityGroup'],
            recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' },
          },
        },
      ],
    });
    config.on(DescribeConfigurationRecorderStatusCommand).resolves({
      ConfigurationRecordersStatus: [{ name: 'default', recording: false }],
    });
    expect(check(await preflight(), 'AWS Config')).toMatchObject({
      status: 'fail',
      fix: 'aws configservice start-configuration-recorder --configuration-recorder-name default --region eu-west-1',
    });
  });

  it('AWS Config excluding security groups', async () => {
    config.on(DescribeConfigurationRecordersCommand).resolves({
      ConfigurationRecorders: [
        {
          name: 'default',
          recordingGroup: {
            allSupported: false,
            exclusionByResourceTypes: { resourceTypes: ['AWS::EC2::SecurityGroup'] },
            recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' },
          },
        },
      ],
    });
    expect(check(await preflight(), 'AWS Config').status).toBe('fail');
  });

  it('no trail logging management write events', async () => {
    cloudtrail.on(GetEventSelectorsCommand).resolves({
      EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }],
    });
    const c = check(await preflight(), 'CloudTrail');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('management-events does not log management write events');
    expect(c.fix).toContain('aws cloudtrail create-trail');

    cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    expect(check(await preflight(), 'CloudTrail').detail).toContain(
      'management-events is not logging',
    );
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [] });
    expect(check(await preflight(), 'CloudTrail').detail).toContain(
      'the account has no trail covering it',
    );
  });

  it('a trail in another region that is not multi-region does not count', async () => {
    cloudtrail.on(DescribeTrailsCommand).resolves({
      trailList: [{ Name: 'local', TrailARN: TRAIL_ARN, HomeRegion: 'us-east-1' }],
    });
    expect(check(await preflight(), 'CloudTrail').status).toBe('fail');
  });

  it('root sign-ins: the us-east-1 forwarder stack is missing', async () => {
    cfn
      .on(DescribeStacksCommand, { StackName: 'FirstResponder-RootActivity' })
      .rejects(
        awsError('ValidationError', 'Stack with id FirstResponder-RootActivity does not exist'),
      );
    expect(check(await preflight(), 'Root sign-ins')).toMatchObject({
      status: 'fail',
      detail:
        'stack FirstResponder-RootActivity does not exist in us-east-1: root console sign-ins arrive only in us-east-1 and nothing forwards them to eu-west-1',
      fix: expect.stringContaining('npx cdk deploy --all'),
    });
  });

  it.each([
    [
      'covered by the members in us-east-1',
      ['eu-west-1', 'us-east-1'],
      'pass',
      /member forwarders in us-east-1/,
    ],
    ['us-east-1 left out of organization.regions', ['eu-west-1'], 'fail', /leaves out us-east-1/],
  ] as const)('root sign-ins in organization mode: %s', async (_what, regions, status, detail) => {
    // GIVEN an organization configuration (there is no RootActivity stack in this mode)
    const org = loadConfig(join(__dirname, '..', '..', 'examples', 'organization.yaml'));
    const config = { ...org, organization: { ...org.organization!, regions: [...regions] } };
    cfn
      .on(DescribeStacksCommand, { StackName: 'FirstResponder-RootActivity' })
      .rejects(
        awsError('ValidationError', 'Stack with id FirstResponder-RootActivity does not exist'),
      );
    // WHEN preflight runs THEN it does not look for that stack, and judges the regions instead
    const result = check(await preflight(config), 'Root sign-ins');
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
  });

  it('the main stack not deployed, or rolled back', async () => {
    cfn
      .on(DescribeStacksCommand, { StackName: 'FirstResponder' })
      .rejects(awsError('ValidationError', 'Stack with id FirstResponder does not exist'));
    expect(check(await preflight(), 'Stacks')).toMatchObject({
      status: 'fail',
      detail: 'stack FirstResponder does not exist in eu-west-1',
    });
    cfn
      .on(DescribeStacksCommand, { StackName: 'FirstResponder' })
      .resolves(stack('FirstResponder', 'ROLLBACK_COMPLETE'));
    expect(check(await preflight(), 'Stacks').status).toBe('fail');
  });

  it('a check it may not run fails naming the permission; the others still run', async () => {
    guardduty
      .on(ListDetectorsCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          'User: arn:aws:sts::111122223333:assumed-role/ro/alice is not authorized to perform: guardduty:ListDetectors',
        ),
      );
    const report = await preflight();
    expect(check(report, 'GuardDuty')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^could not check: not allowed to call guardduty:ListDetectors \(AccessDeniedException\)/,
      ),
    });
    expect(report.checks.filter((c) => c.status === 'pass')).toHaveLength(8);
  });

  it('credentials for another account than the configuration names', async () => {
    const report = await runPreflight({
      clients: createAwsClients({ region: REGION }),
      config: { ...CONFIG, app: { ...CONFIG.app, account: '999999999999' } },
    });
    expect(report.checks[0]).toMatchObject({
      status: 'fail',
      detail: `your credentials are for account ${ACCOUNT}; the configuration deploys to 999999999999`,
    });
  });
});

describe('selectors that log management writes', () => {
  it.each([
    [{ EventSelectors: [{}] }, true],
    [{ EventSelectors: [{ ReadWriteType: 'WriteOnly' }] }, true],
    [{ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }] }, false],
    [
      {
        AdvancedEventSelectors: [
          { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
        ],
      },
      true,
    ],
    [
      {
        AdvancedEventSelectors: [
          {
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'readOnly', Equals: ['true'] },
            ],
          },
        ],
      },
      false,
    ],
    [
      {
        AdvancedEventSelectors: [
          { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] },
        ],
      },
      false,
    ],
  ])('%j -> %s', (selectors, expected) => {
    expect(logsManagementWrites(selectors)).toBe(expected);
  });
});

describe('credentials and permissions in one line', () => {
  it.each([
    [
      'no credentials',
      awsError('CredentialsProviderError', 'Could not load credentials from any providers'),
      undefined,
      "no AWS credentials: set AWS_PROFILE or pass --profile; see 'aws configure'",
    ],
    [
      'a profile without credentials',
      awsError('CredentialsProviderError', 'Could not resolve credentials using profile: [prod]'),
      'prod',
      "no usable AWS credentials for profile 'prod': check it in ~/.aws/config, then 'aws sso login --profile prod' or 'aws configure --profile prod'",
    ],
    [
      'an expired session',
      awsError('ExpiredTokenException', 'The security token included in the request is expired'),
      undefined,
      "your AWS session has expired: sign in again (e.g. 'aws sso login') and retry",
    ],
    [
      'rejected credentials',
      awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'),
      undefined,
      "AWS rejected the credentials (InvalidClientTokenId): they are wrong or deleted; check AWS_PROFILE / AWS_ACCESS_KEY_ID ('aws sts get-caller-identity' must work)",
    ],
    [
      'a missing permission',
      new AwsCallError('ec2:DescribeVpcs', 'no', {
        cause: awsError(
          'UnauthorizedOperation',
          'You are not authorized to perform this operation.',
        ),
      }),
      undefined,
      "not allowed to call ec2:DescribeVpcs (UnauthorizedOperation): use a role that may, see docs/validate.md, 'Permissions'. AWS said: You are not authorized to perform this operation.",
    ],
    [
      'no region',
      new Error('Region is missing'),
      undefined,
      'no AWS region: pass --region, set AWS_REGION, or set a region in your profile (aws configure)',
    ],
  ])('%s', (_label, err, profile, line) => {
    expect(explainAccess(err, profile ? { profile } : {})).toBe(line);
  });

  it('other errors are not access problems', () => {
    expect(accessProblem(awsError('ThrottlingException'))).toBeUndefined();
    expect(explainAccess(new Error('boom'))).toBeUndefined();
  });

  it('explained() turns an access problem into the one line, and leaves others alone', async () => {
    await expect(
      explained({}, () => Promise.reject(awsError('ExpiredToken', 'expired'))),
    ).rejects.toThrow(/^your AWS session has expired/);
    await expect(explained({}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('preflight without credentials: one line on stderr, exit 2, nothing else asked', async () => {
    // GIVEN the SDK finds no credentials
    sts
      .on(GetCallerIdentityCommand)
      .rejects(
        awsError('CredentialsProviderError', 'Could not load credentials from any providers'),
      );
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      // WHEN preflight runs
      const code = await main(['preflight', '--region', REGION]);
      // THEN one line says what to do, and no check ran
      expect(code).toBe(2);
      expect(err.mock.calls).toEqual([
        [
          "first-responder preflight: no AWS credentials: set AWS_PROFILE or pass --profile; see 'aws configure'",
        ],
      ]);
      expect(out).not.toHaveBeenCalled();
      expect(guardduty.calls()).toHaveLength(0);
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });
});

describe('the preflight command line', () => {
  it('prints the checklist with fixes and exits 1 when a check fails; --json for scripts', async () => {
    guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['preflight', '--region', REGION])).toBe(1);
      const text = out.mock.calls[0]![0] as string;
      expect(text).toContain('PASS  Incident Manager onboarded');
      expect(text).toContain('FAIL  GuardDuty enabled');
      expect(text).toContain('fix: aws guardduty create-detector --enable --region eu-west-1');
      expect(text).toContain('8 passed, 0 warnings, 1 failed');

      guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: ['d1'] });
      expect(await main(['preflight', '--region', REGION, '--json'])).toBe(0);
      const json = JSON.parse(out.mock.calls[1]![0] as string) as PreflightReport;
      expect(json.ok).toBe(true);
      expect(renderPreflight(json)).toContain('9 passed');
    } finally {
      out.mockRestore();
    }
  });
});

describe('preflight under the OpsCenter backend', () => {
  const OPS_CONFIG = loadConfig(join(__dirname, '..', '..', 'examples', 'config-opscenter.yaml'));
  const TOPIC = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:FirstResponder-${name}`;
  let sns: AwsClientStub<SNSClient>;

  beforeEach(() => {
    cfn.on(ListStackResourcesCommand, { StackName: 'FirstResponder' }).resolves({
      StackResourceSummaries: [
        ['alice-email', 'alice-sms'].map((n) => ({
          LogicalResourceId: n,
          PhysicalResourceId: TOPIC(n),
          ResourceType: 'AWS::SNS::Topic',
          ResourceStatus: 'CREATE_COMPLETE' as const,
          LastUpdatedTimestamp: new Date(),
        })),
      ].flat(),
    });
    sns = mockClient(SNSClient);
    sns.on(ListSubscriptionsByTopicCommand).callsFake((input: { TopicArn: string }) => ({
      Subscriptions: [
        input.TopicArn.endsWith('email')
          ? {
              SubscriptionArn: `${input.TopicArn}:0b7cc2f0-5f5d-4c5f-9d53-1c4b5b2a3e01`,
              Protocol: 'email',
              Endpoint: 'alice@example.com',
              TopicArn: input.TopicArn,
            }
          : {
              SubscriptionArn: `${input.TopicArn}:7f2e0a33-1d4c-4f0a-8e6e-2b9d7c5a1f02`,
              Protocol: 'sms',
              Endpoint: '+12065550101',
              TopicArn: input.TopicArn,
            },
      ],
    }));
  });
  afterEach(() => sns.restore());

  const opsPreflight = () =>
    runPreflight({ clients: createAwsClients({ region: REGION }), config: OPS_CONFIG });

  it('says which backend the account can use and checks the subscriptions, not Incident Manager', async () => {
    incidents.on(ListReplicationSetsCommand).resolves({ replicationSetArns: [] });
    const report = await opsPreflight();
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['Incident backend', 'pass'],
      ['Email subscriptions confirmed', 'pass'],
      ['GuardDuty enabled', 'pass'],
      ['AWS Config records security groups', 'pass'],
      ['CloudTrail logs management events', 'pass'],
      ['Root sign-ins covered (us-east-1)', 'pass'],
      ['Stacks deployed', 'pass'],
    ]);
    expect(check(report, 'Incident backend').detail).toMatch(
      /no Incident Manager replication set: opscenter is the backend it can use/,
    );
    expect(contacts.calls()).toHaveLength(0);
  });

  it('an onboarded account could use either backend', async () => {
    const report = await opsPreflight();
    expect(check(report, 'Incident backend').detail).toMatch(/both backends are possible/);
  });

  it('fails on an email subscription still pending confirmation, naming it', async () => {
    sns.on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC('alice-email') }).resolves({
      Subscriptions: [
        {
          SubscriptionArn: 'PendingConfirmation',
          Protocol: 'email',
          Endpoint: 'alice@example.com',
          TopicArn: TOPIC('alice-email'),
        },
      ],
    });
    const c = check(await opsPreflight(), 'Email subscriptions');
    expect(c).toMatchObject({
      status: 'fail',
      detail:
        'subscriptions pending confirmation, which receive no page: alice@example.com (email)',
    });
    expect(c.fix).toMatch(/Confirm subscription/);
  });

  it('under Incident Manager, a missing replication set points to the OpsCenter backend', async () => {
    incidents.on(ListReplicationSetsCommand).resolves({ replicationSetArns: [] });
    const c = check(await preflight(), 'Incident Manager');
    expect(c.fix).toContain('set incidents.backend: opscenter');
  });
});
