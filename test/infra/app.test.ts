/**
 * The example configuration, synthesized once: every piece of the app, its IAM scoping, and the
 * checks (cdk-nag during synth, cfn-lint on the templates).
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  EC2_WRITES,
  LAMBDA_RUNTIME,
  TIMELINE_ACTIONS,
} from '../../infra/constructs/response-functions';
import { isSentence } from '../../infra/nag';
import { ONBOARDING_NOTICE } from '../../infra/stacks/first-responder-stack';
import { acknowledgementsOf } from '../../infra/summary';
import {
  exampleConfig,
  lint,
  messagesOf,
  resourcesOf,
  synth,
  type Statement,
  type Synthesized,
} from './support';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

let built: Synthesized;
let main: Template;
let forwarder: Template;
let resources: Resources;

/** An Incident Manager ARN as the template joins it, e.g. incidentsArn('', `:response-plan/x`). */
const incidentsArn = (region: string, rest: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:ssm-incidents:${region}:`,
      { Ref: 'AWS::AccountId' },
      rest,
    ],
  ],
});

/** The logical id of the only resource of `type` whose construct path contains `path`. */
function logicalId(stack: Stack, type: string, path: string): string {
  const found = stack.node
    .findAll()
    .filter(
      (c) =>
        c.node.path.includes(path) &&
        (c as unknown as { cfnResourceType?: string }).cfnResourceType === type,
    );
  expect(found).toHaveLength(1);
  return stack.getLogicalId(found[0] as never);
}

/** Every customer-managed policy of a template, with its roles and statements. */
function managedPolicies(template: Template) {
  return resourcesOf<{ Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } }>(
    template,
    'AWS::IAM::ManagedPolicy',
  );
}

beforeAll(() => {
  built = synth(exampleConfig());
  main = Template.fromStack(built.main);
  forwarder = Template.fromStack(built.forwarder!);
  resources = main.toJSON().Resources as Resources;
});

describe('stacks', () => {
  it('puts the app in the configured region and root-activity forwarding in us-east-1', () => {
    expect(built.main.region).toBe('eu-west-1');
    expect(built.forwarder?.region).toBe('us-east-1');
    expect(built.assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      'FirstResponder',
      'FirstResponder-RootActivity',
    ]);
  });

  it('creates no replication set in "existing" mode and says why in an info annotation', () => {
    main.resourceCountIs('AWS::SSMIncidents::ReplicationSet', 0);
    expect(messagesOf(built.assembly, 'FirstResponder', 'info')).toContain(ONBOARDING_NOTICE);
    expect(ONBOARDING_NOTICE).toContain('2025-11-07');
  });
});

describe('contacts', () => {
  it('creates personal contacts with email, SMS and voice channels', () => {
    main.hasResourceProperties('AWS::SSMContacts::Contact', {
      Alias: 'alice',
      DisplayName: 'Alice Example',
      Type: 'PERSONAL',
      Plan: Match.absent(),
    });
    for (const [type, address] of [
      ['EMAIL', 'alice@example.com'],
      ['SMS', '+12065550101'],
      ['VOICE', '+12065550101'],
    ])
      main.hasResourceProperties('AWS::SSMContacts::ContactChannel', {
        ChannelType: type,
        ChannelAddress: address,
        ContactId: {
          'Fn::GetAtt': [
            logicalId(built.main, 'AWS::SSMContacts::Contact', 'Contact-alice'),
            'Arn',
          ],
        },
        DeferActivation: false,
      });
    main.resourceCountIs('AWS::SSMContacts::ContactChannel', 6);
  });

  it('engages in stages from a separate plan: email at once, SMS 10 minutes later', () => {
    const channel = (name: string) => ({
      'Fn::GetAtt': [
        logicalId(built.main, 'AWS::SSMContacts::ContactChannel', `Channel-alice-${name}`),
        'Arn',
      ],
    });
    main.hasResourceProperties('AWS::SSMContacts::Plan', {
      ContactId: {
        'Fn::GetAtt': [logicalId(built.main, 'AWS::SSMContacts::Contact', 'Contact-alice'), 'Arn'],
      },
      Stages: [
        {
          DurationInMinutes: 10,
          Targets: [
            { ChannelTargetInfo: { ChannelId: channel('email'), RetryIntervalInMinutes: 5 } },
          ],
        },
        {
          DurationInMinutes: 10,
          Targets: [
            { ChannelTargetInfo: { ChannelId: channel('sms'), RetryIntervalInMinutes: 5 } },
          ],
        },
        {
          DurationInMinutes: 0,
          Targets: [
            { ChannelTargetInfo: { ChannelId: channel('voice'), RetryIntervalInMinutes: 5 } },
          ],
        },
      ],
    });
  });

  it('creates an escalation plan whose stages engage other contacts', () => {
    const contact = (alias: string) => ({
      ContactTargetInfo: {
        ContactId: {
          'Fn::GetAtt': [
            logicalId(built.main, 'AWS::SSMContacts::Contact', `Contact-${alias}`),
            'Arn',
          ],
        },
        IsEssential: false,
      },
    });
    main.hasResourceProperties('AWS::SSMContacts::Contact', {
      Alias: 'security-escalation',
      Type: 'ESCALATION',
      Plan: [
        { DurationInMinutes: 15, Targets: [contact('alice')] },
        { DurationInMinutes: 15, Targets: [contact('bob'), contact('alice')] },
      ],
    });
  });
});

describe('response plans', () => {
  it('creates one response plan per detection with its template, engagements and runbook', () => {
    main.resourceCountIs('AWS::SSMIncidents::ResponsePlan', 4);
    main.hasResourceProperties('AWS::SSMIncidents::ResponsePlan', {
      Name: 'first-responder-root-activity',
      IncidentTemplate: {
        Title: 'Root user activity',
        Impact: 1,
        Summary: Match.stringLikeRegexp('root user'),
      },
      Engagements: [
        {
          'Fn::GetAtt': [
            logicalId(built.main, 'AWS::SSMContacts::Contact', 'Escalation-security-escalation'),
            'Arn',
          ],
        },
      ],
      Actions: [
        {
          SsmAutomation: Match.objectLike({
            DocumentName: {
              Ref: logicalId(built.main, 'AWS::SSM::Document', 'root-activity-triage'),
            },
            RoleArn: {
              'Fn::GetAtt': [logicalId(built.main, 'AWS::IAM::Role', 'IncidentManagerRole'), 'Arn'],
            },
          }),
        },
      ],
    });
  });

  it('passes the incident ARN and the involved resources as dynamic parameters', () => {
    const plans = resourcesOf<{ Actions: { SsmAutomation: unknown }[] }>(
      main,
      'AWS::SSMIncidents::ResponsePlan',
    );
    expect(plans).toHaveLength(4);
    for (const plan of plans)
      expect(plan.Properties.Actions[0]!.SsmAutomation).toMatchObject({
        DynamicParameters: [
          { Key: 'IncidentRecordArn', Value: { Variable: 'INCIDENT_RECORD_ARN' } },
          { Key: 'InvolvedResources', Value: { Variable: 'INVOLVED_RESOURCES' } },
        ],
        Parameters: expect.arrayContaining([
          {
            Key: 'AutomationAssumeRole',
            Values: [
              { 'Fn::GetAtt': [logicalId(built.main, 'AWS::IAM::Role', 'AutomationRole'), 'Arn'] },
            ],
          },
        ]),
      });
  });

  it('passes the dry-run switch to the revert runbook', () => {
    main.hasResourceProperties('AWS::SSMIncidents::ResponsePlan', {
      Name: 'first-responder-security-group-opened',
      Actions: [
        {
          SsmAutomation: Match.objectLike({
            Parameters: Match.arrayWith([{ Key: 'DryRun', Values: ['false'] }]),
          }),
        },
      ],
    });
  });
});

describe('detection', () => {
  const plans = [
    ['first-responder-root-activity', 'aws.signin'],
    ['first-responder-guardduty-finding', 'aws.guardduty'],
    ['first-responder-config-noncompliance', 'aws.config'],
    ['first-responder-security-group-opened', 'aws.ec2'],
  ] as const;

  it.each(plans)(
    'sends %s events to the intake, with a retry policy and a dead-letter queue',
    (name) => {
      const detection = built.main.plans.find((p) => p.name === name)!.detection;
      main.hasResourceProperties('AWS::Events::Rule', {
        Name: name,
        // Root activity includes read-only calls, which reach only rules in this state.
        State:
          detection === 'rootActivity'
            ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'
            : 'ENABLED',
        EventPattern: built.main.resolve(built.main.patterns.get(detection)),
        Targets: [
          {
            Id: 'Intake',
            Arn: {
              'Fn::GetAtt': [
                logicalId(built.main, 'AWS::Lambda::Function', 'Intake/Function'),
                'Arn',
              ],
            },
            // The detection rides with the whole event, so the intake knows which rule matched.
            InputTransformer: {
              InputTemplate: `{"detection":"${detection}","ruleArn":"<aws.events.rule-arn>","event":<aws.events.event.json>}`,
            },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
            DeadLetterConfig: {
              Arn: {
                'Fn::GetAtt': [
                  logicalId(built.main, 'AWS::SQS::Queue', 'Intake/DeadLetters'),
                  'Arn',
                ],
              },
            },
          },
        ],
      });
    },
  );

  it.each(plans)('lets only rule %s of this account invoke the intake for it', (name) => {
    main.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:rule/${name}$`)])],
      },
    });
    // AND EventBridge may put that rule's undeliverable events in the dead-letter queue
    main.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: {
              ArnEquals: {
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:rule/${name}$`)])],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it("excludes the app's own remediation roles from the security-group-opened pattern", () => {
    const [rule] = resourcesOf<{ EventPattern: unknown }>(main, 'AWS::Events::Rule', {
      Name: 'first-responder-security-group-opened',
    });
    const pattern = JSON.stringify(rule!.Properties.EventPattern);
    for (const path of ['reverter/Role', 'guarddutyResponse/Role'])
      expect(pattern).toContain(logicalId(built.main, 'AWS::IAM::Role', path));
    expect(pattern).toContain('arn:aws:iam::123456789012:role/infrastructure-deploy');
  });

  it('forwards root activity from us-east-1 to the default bus of the app region', () => {
    forwarder.hasResourceProperties('AWS::Events::Rule', {
      Name: 'first-responder-root-activity-forwarder',
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventPattern: built.forwarder!.resolve(built.main.patterns.get('rootActivity')),
      Targets: [
        {
          Id: 'HomeRegionBus',
          Arn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':events:eu-west-1:',
                { Ref: 'AWS::AccountId' },
                ':event-bus/default',
              ],
            ],
          },
          RoleArn: Match.anyValue(),
        },
      ],
    });
    forwarder.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'events:PutEvents' })] },
    });
  });

  it('deploys the two S3 managed rules and the custom security-group rule', () => {
    main.hasResourceProperties('AWS::Config::ConfigRule', {
      ConfigRuleName: 's3-bucket-public-read-prohibited',
      Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_PUBLIC_READ_PROHIBITED' },
    });
    main.hasResourceProperties('AWS::Config::ConfigRule', {
      ConfigRuleName: 's3-bucket-public-write-prohibited',
      Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_PUBLIC_WRITE_PROHIBITED' },
    });
    const evaluator = logicalId(built.main, 'AWS::Lambda::Function', 'configEvaluator');
    main.hasResourceProperties('AWS::Config::ConfigRule', {
      ConfigRuleName: 'first-responder-security-group-policy',
      Source: Match.objectLike({
        Owner: 'CUSTOM_LAMBDA',
        SourceIdentifier: { 'Fn::GetAtt': [evaluator, 'Arn'] },
      }),
      Scope: { ComplianceResourceTypes: ['AWS::EC2::SecurityGroup'] },
    });
    main.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'config.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      FunctionName: { 'Fn::GetAtt': [evaluator, 'Arn'] },
    });
    // The account's recorder is reused.
    main.resourceCountIs('AWS::Config::ConfigurationRecorder', 0);
  });
});

describe('runbooks and functions', () => {
  it('deploys each runbook as an Automation document that invokes the right function', () => {
    for (const [runbook, fn] of [
      ['revert-security-groups', 'reverter'],
      ['guardduty-finding-response', 'guarddutyResponse'],
      ['root-activity-triage', 'rootTriage'],
    ])
      main.hasResourceProperties('AWS::SSM::Document', {
        DocumentType: 'Automation',
        Content: Match.objectLike({
          schemaVersion: '0.3',
          parameters: Match.objectLike({
            FunctionName: {
              type: 'String',
              description: Match.anyValue(),
              default: { Ref: logicalId(built.main, 'AWS::Lambda::Function', `${fn}/`) },
            },
          }),
        }),
        Tags: Match.arrayWith([{ Key: 'first-responder:runbook', Value: runbook }]),
      });
  });

  it('runs the handlers on the newest Node.js runtime, on ARM, each with its own log group (the four handlers and the intake)', () => {
    expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
    const functions = resourcesOf<{ LoggingConfig: { LogGroup: { Ref: string } } }>(
      main,
      'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      const group = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(resources[group]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 365 },
      });
    }
    main.resourceCountIs('AWS::Logs::LogGroup', 5);
  });

  it('tells the GuardDuty response to revert instance groups for Critical findings only, by default', () => {
    main.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'first-responder-guardduty-response',
          GUARDDUTY_REVERT_MIN_SEVERITY: '9',
        }),
      },
    });
  });

  it('gives the functions that read the policy its JSON in FIRST_RESPONDER_POLICY', () => {
    main.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [logicalId(built.main, 'AWS::IAM::Role', 'reverter/Role'), 'Arn'] },
      Environment: {
        Variables: Match.objectLike({ FIRST_RESPONDER_POLICY: built.config.policyJson }),
      },
    });
  });
});

describe('least privilege', () => {
  const statementsOf = (path: string) => {
    const role = logicalId(built.main, 'AWS::IAM::Role', path);
    const policies = managedPolicies(main).filter((p) =>
      p.Properties.Roles.some((r) => r.Ref === role),
    );
    expect(policies).toHaveLength(1);
    return policies[0]!.Properties.PolicyDocument.Statement;
  };

  it.each([
    ['reverter/Role', 'first-responder-security-group-opened'],
    ['guarddutyResponse/Role', 'first-responder-guardduty-finding'],
  ])(
    '%s may change ingress only on groups without the exempt tag, and annotate incidents of %s',
    (path, plan) => {
      const statements = statementsOf(path);
      const groups = [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ec2:eu-west-1:',
              { Ref: 'AWS::AccountId' },
              ':security-group/*',
            ],
          ],
        },
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ec2:eu-west-1:',
              { Ref: 'AWS::AccountId' },
              ':security-group-rule/*',
            ],
          ],
        },
      ];
      expect(statements).toContainEqual({
        Sid: 'ChangeIngress',
        Effect: 'Allow',
        Action: EC2_WRITES,
        Resource: groups,
      });
      // On the group only: a security-group-rule never carries the group's tags.
      expect(statements).toContainEqual({
        Sid: 'NeverChangeExemptGroups',
        Effect: 'Deny',
        Action: EC2_WRITES,
        Resource: groups[0],
        Condition: { StringEqualsIgnoreCase: { 'aws:ResourceTag/first-responder:exempt': 'true' } },
      });
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: ['ec2:DescribeSecurityGroups', 'ec2:DescribeInstances'],
          Resource: '*',
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Sid: 'IncidentTimeline',
          Action: TIMELINE_ACTIONS,
          Resource: expect.arrayContaining([
            incidentsArn('', `:response-plan/${plan}`),
            incidentsArn('*', `:incident-record/${plan}/*`),
          ]),
        }),
      );
    },
  );

  it('lets the root-triage and evaluator functions change no security group', () => {
    for (const path of ['rootTriage/Role', 'configEvaluator/Role'])
      for (const s of statementsOf(path))
        for (const a of [s.Action].flat()) expect(EC2_WRITES).not.toContain(a);
    expect(statementsOf('configEvaluator/Role')).toContainEqual(
      expect.objectContaining({ Action: 'config:PutEvaluations' }),
    );
  });

  it('lets the automation role invoke only the functions the runbooks use', () => {
    const fn = (path: string) => ({
      'Fn::GetAtt': [logicalId(built.main, 'AWS::Lambda::Function', path), 'Arn'],
    });
    expect(statementsOf('Runbooks/AutomationRole')).toEqual([
      {
        Sid: 'InvokeAppFunctions',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [fn('reverter/'), fn('guarddutyResponse/'), fn('rootTriage/')],
      },
    ]);
  });

  it('lets root triage read and annotate only the incidents of its own plan', () => {
    const timeline = statementsOf('rootTriage/Role').find((s) => s.Sid === 'IncidentTimeline')!;
    const text = JSON.stringify(timeline.Resource);
    expect(text).toContain(':response-plan/first-responder-root-activity"');
    expect(text).toContain(':incident-record/first-responder-root-activity/*"');
    expect(
      text.match(/first-responder-[a-z-]+/g)!.every((n) => n === 'first-responder-root-activity'),
    ).toBe(true);
  });

  it("lets Incident Manager's role only start the app's runbooks and pass the automation role to SSM", () => {
    const statements = statementsOf('Runbooks/IncidentManagerRole');
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({ Action: 'ssm:StartAutomationExecution' });
    const docs = [
      'revert-security-groups',
      'guardduty-finding-response',
      'root-activity-triage',
    ].map((r) => logicalId(built.main, 'AWS::SSM::Document', r));
    const resource = JSON.stringify(statements[0]!.Resource);
    expect(resource).toContain(':automation-execution/*');
    for (const d of docs) {
      expect(resource).toContain(`:automation-definition/",{"Ref":"${d}"},":*"`);
      expect(resource).toContain(`:document/",{"Ref":"${d}"}]`);
    }
    expect(statements[1]).toEqual({
      Sid: 'PassAutomationRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: {
        'Fn::GetAtt': [logicalId(built.main, 'AWS::IAM::Role', 'AutomationRole'), 'Arn'],
      },
      Condition: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
    });
  });

  it('puts a source-account condition on every trust policy', () => {
    for (const stack of [main, forwarder])
      for (const role of resourcesOf<{ AssumeRolePolicyDocument: { Statement: Statement[] } }>(
        stack,
        'AWS::IAM::Role',
      ))
        for (const s of role.Properties.AssumeRolePolicyDocument.Statement)
          expect(s.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({
            Ref: 'AWS::AccountId',
          });
  });

  it('has no wildcard action anywhere, and Resource "*" only on reads that cannot be scoped', () => {
    const readOnlyStar = new Set([
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSecurityGroupRules',
      'ec2:DescribeInstances',
      'config:PutEvaluations',
    ]);
    for (const stack of [main, forwarder])
      for (const p of managedPolicies(stack))
        for (const s of p.Properties.PolicyDocument.Statement) {
          for (const a of [s.Action].flat()) expect(a).not.toContain('*');
          if (s.Resource === '*')
            for (const a of [s.Action].flat()) expect(readOnlyStar).toContain(a);
        }
    main.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('checks', () => {
  it('passes cdk-nag: synth threw no error, and every acknowledgement gives its reason in a sentence', () => {
    const acks = acknowledgementsOf(built.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks)
      expect({ rule: a.rule, sentence: isSentence(a.reason) }).toEqual({
        rule: a.rule,
        sentence: true,
      });
  });

  it('passes cfn-lint with no error and no unacknowledged warning', () => {
    const report = lint(built.assembly);
    expect(report.templates).toHaveLength(2);
    expect(report.findings.filter((f) => f.level !== 'Informational')).toEqual([]);
  });
});

describe('the intake', () => {
  const queueArn = () => ({
    'Fn::GetAtt': [logicalId(built.main, 'AWS::SQS::Queue', 'Intake/DeadLetters'), 'Arn'],
  });

  it('keeps dedupe records in an on-demand table with point-in-time recovery and a TTL', () => {
    main.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('sends failed invocations to the dead-letter queue after two retries', () => {
    main.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(built.main, 'AWS::Lambda::Function', 'Intake/Function') },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: queueArn() } },
    });
  });

  it('raises an alarm as soon as one message waits in the dead-letter queue', () => {
    main.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [
              logicalId(built.main, 'AWS::SQS::Queue', 'Intake/DeadLetters'),
              'QueueName',
            ],
          },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('may start incidents only from the response plans, and append only to their incidents', () => {
    const roleId = logicalId(built.main, 'AWS::IAM::Role', 'Intake/Role');
    const statements = managedPolicies(main)
      .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const start = statements.find((st) => st.Sid === 'StartIncidents')!;
    expect(start.Action).toBe('ssm-incidents:StartIncident');
    const planArns = JSON.stringify(start.Resource);
    for (const d of [
      'root-activity',
      'guardduty-finding',
      'config-noncompliance',
      'security-group-opened',
    ])
      expect(planArns).toContain(`:response-plan/first-responder-${d}`);
    expect(planArns).not.toContain('*');
    const append = statements.find((st) => st.Sid === 'AppendToIncidents')!;
    expect(append.Action).toEqual([
      'ssm-incidents:GetIncidentRecord',
      'ssm-incidents:CreateTimelineEvent',
    ]);
    expect(JSON.stringify(append.Resource)).toContain(':incident-record/first-responder-');
    const dedupe = statements.find((st) => st.Sid === 'DedupeRecords')!;
    expect(dedupe.Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // AND it changes no security group
    expect(JSON.stringify(statements)).not.toMatch(/Authorize|Revoke/);
  });

  it('reads the policy, the table, the queue and the plans from its environment', () => {
    main.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          FIRST_RESPONDER_POLICY: Match.stringLikeRegexp('"mode":"restrict"'),
          INTAKE_TABLE_NAME: {
            Ref: logicalId(built.main, 'AWS::DynamoDB::Table', 'Intake/Dedupe'),
          },
          INTAKE_DEAD_LETTER_QUEUE_URL: {
            Ref: logicalId(built.main, 'AWS::SQS::Queue', 'Intake/DeadLetters'),
          },
          INTAKE_RESPONSE_PLANS: Match.anyValue(),
        }),
      },
    });
  });
});
