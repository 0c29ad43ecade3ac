/**
 * A second configuration, synthesized once, that turns on what the example leaves off: a created
 * replication set, a rotation, a created Config recorder, a concrete account in us-east-1,
 * notification and chat topics, a KMS key for logs, dry runs and a switched-off rule.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { configFrom, lint, messagesOf, resourcesOf, synth, type Synthesized } from './support';

const ACCOUNT = '210987654321';
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:incident-updates`;
const CHAT = `arn:aws:sns:us-east-1:${ACCOUNT}:chatbot-security`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0b5f6a34-1c2d-4e5f-8a9b-0c1d2e3f4a5b`;

let built: Synthesized;
let t: Template;

beforeAll(() => {
  built = synth(
    configFrom({
      app: { account: ACCOUNT, region: 'us-east-1', prefix: 'sec', stackName: 'Sec' },
      incidentManager: {
        replicationSet: { mode: 'create', regions: ['us-east-1', 'us-west-2'] },
        deferChannelActivation: true,
      },
      contacts: [
        {
          alias: 'alice',
          displayName: 'Alice',
          channels: [{ type: 'EMAIL', address: 'alice@example.com' }],
        },
        { alias: 'bob', displayName: 'Bob', channels: [{ type: 'SMS', address: '+12065550102' }] },
      ],
      rotations: [
        {
          alias: 'security-oncall',
          displayName: 'Security on call',
          contacts: ['alice', 'bob'],
          startTime: '2026-01-05T09:00:00',
          timeZone: 'Europe/Paris',
          handOffDay: 'TUE',
          handOffTime: '10:30',
        },
      ],
      escalationPlans: [
        {
          alias: 'escalate',
          displayName: 'Escalate',
          stages: [{ contacts: ['security-oncall'], essential: true }, { contacts: ['bob'] }],
        },
      ],
      responsePlans: {
        guardDutyFinding: {
          engagements: ['escalate'],
          notificationTopicArn: TOPIC,
          chatChannelTopicArns: [CHAT],
        },
      },
      detection: {
        config: { recorder: 'create', rules: { s3PublicWrite: false } },
      },
      remediation: { dryRun: true, maxRevokesPerGroup: 7, guardDutyRevertMinSeverity: 'never' },
      logs: { retentionDays: 90, kmsKeyArn: KEY },
    }),
  );
  t = Template.fromStack(built.main);
});

it('puts everything in one stack when the app is in us-east-1', () => {
  expect(built.forwarder).toBeUndefined();
  expect(built.assembly.stacks.map((s) => s.stackName)).toEqual(['Sec']);
  expect(built.main.account).toBe(ACCOUNT);
});

it('creates the replication set with deletion protection, retained, before anything that needs it', () => {
  t.hasResource('AWS::SSMIncidents::ReplicationSet', {
    Properties: {
      DeletionProtected: true,
      Regions: [{ RegionName: 'us-east-1' }, { RegionName: 'us-west-2' }],
    },
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
  });
  const set = Object.keys(t.findResources('AWS::SSMIncidents::ReplicationSet'))[0]!;
  for (const type of [
    'AWS::SSMIncidents::ResponsePlan',
    'AWS::SSMContacts::Contact',
    'AWS::SSMContacts::ContactChannel',
    'AWS::SSMContacts::Rotation',
  ])
    for (const r of resourcesOf(t, type)) expect(r.DependsOn).toContain(set);
  expect(messagesOf(built.assembly, 'Sec', 'info')).toEqual([]);
});

it('creates a rotation and the on-call schedule that engages it', () => {
  t.hasResourceProperties('AWS::SSMContacts::Rotation', {
    Name: 'security_oncall',
    StartTime: '2026-01-05T09:00:00',
    TimeZoneId: 'Europe/Paris',
    Recurrence: {
      NumberOfOnCalls: 1,
      RecurrenceMultiplier: 1,
      WeeklySettings: [{ DayOfWeek: 'TUE', HandOffTime: '10:30' }],
    },
    ContactIds: [
      Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
      Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
    ],
  });
  const rotation = Object.keys(t.findResources('AWS::SSMContacts::Rotation'))[0]!;
  t.hasResourceProperties('AWS::SSMContacts::Contact', {
    Alias: 'security-oncall',
    Type: 'ONCALL_SCHEDULE',
    Plan: [{ RotationIds: [{ 'Fn::GetAtt': [rotation, 'Arn'] }] }],
  });
  t.hasResourceProperties('AWS::SSMContacts::Contact', {
    Alias: 'escalate',
    Type: 'ESCALATION',
    Plan: [
      {
        DurationInMinutes: 5,
        Targets: [{ ContactTargetInfo: { ContactId: Match.anyValue(), IsEssential: true } }],
      },
      {
        DurationInMinutes: 5,
        Targets: [{ ContactTargetInfo: { ContactId: Match.anyValue(), IsEssential: false } }],
      },
    ],
  });
});

it('defers channel activation when asked, and engages every channel at once by default', () => {
  t.hasResourceProperties('AWS::SSMContacts::ContactChannel', {
    ChannelName: 'email',
    DeferActivation: true,
  });
  t.hasResourceProperties('AWS::SSMContacts::Plan', {
    Stages: [
      {
        DurationInMinutes: 0,
        Targets: [{ ChannelTargetInfo: Match.objectLike({ RetryIntervalInMinutes: 5 }) }],
      },
    ],
  });
});

it('notifies the SNS topic and the chat channel of the response plan', () => {
  t.hasResourceProperties('AWS::SSMIncidents::ResponsePlan', {
    Name: 'sec-guardduty-finding',
    IncidentTemplate: Match.objectLike({ NotificationTargets: [{ SnsTopicArn: TOPIC }] }),
    ChatChannel: { ChatbotSns: [CHAT] },
  });
  t.hasResourceProperties('AWS::SSMIncidents::ResponsePlan', {
    Name: 'sec-root-activity',
    Engagements: Match.absent(),
    ChatChannel: Match.absent(),
  });
});

it('warns about a response plan that pages nobody', () => {
  expect(messagesOf(built.assembly, 'Sec', 'warning')).toEqual(
    expect.arrayContaining([
      expect.stringContaining('responsePlans.rootActivity has no engagements'),
    ]),
  );
});

it('passes dry runs and limits to the revert runbook and the reverter', () => {
  t.hasResourceProperties('AWS::SSMIncidents::ResponsePlan', {
    Name: 'sec-security-group-opened',
    Actions: [
      {
        SsmAutomation: Match.objectLike({
          Parameters: Match.arrayWith([{ Key: 'DryRun', Values: ['true'] }]),
        }),
      },
    ],
  });
  t.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        MAX_REVOKES_PER_GROUP: '7',
        POWERTOOLS_SERVICE_NAME: 'sec-reverter',
      }),
    },
  });
  t.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        GUARDDUTY_REVERT_MIN_SEVERITY: 'never',
        POWERTOOLS_SERVICE_NAME: 'sec-guardduty-response',
      }),
    },
  });
});

it('creates a Config recorder of security groups and buckets, and rules that wait for it', () => {
  t.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
    RecordingGroup: {
      AllSupported: false,
      IncludeGlobalResourceTypes: false,
      ResourceTypes: ['AWS::EC2::SecurityGroup', 'AWS::S3::Bucket'],
    },
  });
  t.resourceCountIs('AWS::Config::DeliveryChannel', 1);
  const recorder = Object.keys(t.findResources('AWS::Config::ConfigurationRecorder'))[0]!;
  const rules = resourcesOf<{ ConfigRuleName: string }>(t, 'AWS::Config::ConfigRule');
  expect(rules.map((r) => r.Properties.ConfigRuleName).sort()).toEqual([
    's3-bucket-public-read-prohibited',
    // Config rule names are account-wide: the app's own carries the prefix.
    'sec-security-group-policy',
  ]);
  for (const r of rules) expect(r.DependsOn).toContain(recorder);
  // AWS refuses a delivery channel before the recorder exists.
  const [channel] = resourcesOf(t, 'AWS::Config::DeliveryChannel');
  expect(channel!.DependsOn).toContain(recorder);
});

it('watches only the Config rules that are switched on', () => {
  t.hasResourceProperties('AWS::Events::Rule', {
    Name: 'sec-config-noncompliance',
    EventPattern: built.main.resolve(built.main.patterns.get('configNoncompliance')),
  });
  expect(JSON.stringify(built.main.patterns.get('configNoncompliance'))).not.toContain(
    's3-bucket-public-write-prohibited',
  );
});

it('encrypts the log groups with the configured key and keeps them 90 days', () => {
  const groups = resourcesOf(t, 'AWS::Logs::LogGroup');
  expect(groups).toHaveLength(5);
  for (const g of groups)
    expect(g.Properties).toMatchObject({ KmsKeyId: KEY, RetentionInDays: 90 });
});

it('passes cfn-lint with no error and no unacknowledged warning', () => {
  const report = lint(built.assembly);
  expect(report.findings.filter((f) => f.level !== 'Informational')).toEqual([]);
});

it('fails with the configuration field when patterns/ refuses a parameter', () => {
  // GIVEN: more rule names than fit in an EventBridge pattern
  const ruleNames = Array.from({ length: 40 }, (_, i) => `rule-${i}-${'x'.repeat(110)}`);
  const config = configFrom({ app: { region: 'us-east-1' }, detection: { config: { ruleNames } } });

  // THEN
  expect(() => synth(config)).toThrow(/config\.detection\.config\.ruleNames: .*4096/);
});
