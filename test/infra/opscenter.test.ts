/** The stack under incidents.backend "opscenter" (examples/config-opscenter.yaml). */
import { join } from 'node:path';
import { Template, Match } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../infra/config';
import { FirstResponderStack } from '../../infra/stacks/first-responder-stack';
import { ENV } from '../../handlers/env';

import { EXAMPLES_DIR, lint, synth } from './support';

const config = loadConfig(join(EXAMPLES_DIR, 'config-opscenter.yaml'));
const built = synth(config);
const stack = built.app.node.findAll().find((c) => c instanceof FirstResponderStack)!;
const template = Template.fromStack(stack);

/** The resource of a type whose properties match, with its logical ID. */
function only(type: string, props: Record<string, unknown> = {}) {
  const found = template.findResources(type, { Properties: Match.objectLike(props) });
  const ids = Object.keys(found);
  expect(ids).toHaveLength(1);
  return { id: ids[0]!, resource: found[ids[0]!] as { Properties: Record<string, unknown> } };
}

it('synthesizes no Incident Manager resource: no replication set, contacts or response plans', () => {
  for (const type of [
    'AWS::SSMIncidents::ReplicationSet',
    'AWS::SSMIncidents::ResponsePlan',
    'AWS::SSMContacts::Contact',
    'AWS::SSMContacts::ContactChannel',
    'AWS::SSMContacts::Plan',
    'AWS::SSMContacts::Rotation',
  ])
    template.resourceCountIs(type, 0);
  // Nor a role for Incident Manager to assume.
  template.resourcePropertiesCountIs(
    'AWS::IAM::Role',
    {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'ssm-incidents.amazonaws.com' } }),
        ]),
      }),
    },
    0,
  );
});

it('creates one encrypted topic per contact channel, with its email or SMS subscription', () => {
  template.resourceCountIs('AWS::SNS::Topic', 4);
  for (const topic of Object.values(template.findResources('AWS::SNS::Topic')))
    expect(JSON.stringify((topic as { Properties: unknown }).Properties)).toContain(
      'alias/aws/sns',
    );
  template.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: 'alice@example.com',
  });
  template.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'sms',
    Endpoint: '+12065550101',
  });
  template.resourceCountIs('AWS::SNS::Subscription', 4);
});

it('runs the escalation: look, stop when acknowledged or complete, else wait as long as the pager says', () => {
  const { resource } = only('AWS::StepFunctions::StateMachine');
  const body = resource.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'REF')).join('');
  const definition = JSON.parse(text) as {
    StartAt: string;
    States: Record<string, Record<string, unknown>>;
  };
  const look = definition.States[definition.StartAt]!;
  expect(look).toMatchObject({ Type: 'Task', Next: 'Acknowledged or complete?' });
  expect(definition.States['Acknowledged or complete?']).toMatchObject({
    Type: 'Choice',
    Choices: [
      { Variable: '$.done', BooleanEquals: true, Next: 'Acknowledged or schedule complete' },
    ],
    Default: 'Wait for the next stage',
  });
  expect(definition.States['Wait for the next stage']).toEqual({
    Type: 'Wait',
    SecondsPath: '$.waitSeconds',
    Next: definition.StartAt,
  });
  expect(definition.States['Acknowledged or schedule complete']).toEqual({ Type: 'Succeed' });
  expect(resource.Properties).toMatchObject({ TracingConfiguration: { Enabled: true } });
});

it('gives the pager each detection schedule and every channel topic', () => {
  const pager = template.findResources('AWS::Lambda::Function', {
    Properties: {
      Environment: { Variables: Match.objectLike({ [ENV.pagerSchedules]: Match.anyValue() }) },
    },
  });
  const [fn] = Object.values(pager) as {
    Properties: { Environment: { Variables: Record<string, string> } };
  }[];
  const schedules = JSON.parse(fn!.Properties.Environment.Variables[ENV.pagerSchedules]!) as Record<
    string,
    { atMinute: number; contact: string; channel: string }[]
  >;
  // rootActivity engages the security escalation: alice, then bob and alice 15 minutes in.
  expect(schedules.rootActivity!.map((p) => `${p.atMinute} ${p.contact}/${p.channel}`)).toEqual([
    '0 alice/email',
    '10 alice/sms',
    '15 alice/email',
    '15 bob/email',
    '15 bob/sms',
    '25 alice/sms',
  ]);
  expect(
    schedules.securityGroupOpened!.map((p) => `${p.atMinute} ${p.contact}/${p.channel}`),
  ).toEqual(['0 alice/email', '10 alice/sms']);
});

it('lets the intake open OpsItems, start the escalation and the runbooks, and pass their role', () => {
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        [ENV.intakeBackend]: 'opscenter',
        [ENV.intakeOpsCenter]: Match.anyValue(),
      }),
    },
  });
  const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p) =>
      (
        p as {
          Properties: {
            PolicyDocument: { Statement: { Sid?: string; Action: unknown; Resource: unknown }[] };
          };
        }
      ).Properties.PolicyDocument.Statement,
  );
  const sid = (s: string) => statements.find((x) => x.Sid === s);
  expect(sid('OpsItems')!.Action).toEqual([
    'ssm:CreateOpsItem',
    'ssm:GetOpsItem',
    'ssm:UpdateOpsItem',
  ]);
  expect(sid('StartEscalation')!.Action).toBe('states:StartExecution');
  expect(sid('StartRunbooks')!.Action).toBe('ssm:StartAutomationExecution');
  // The Service Authorization Reference's resource types: definition, document and execution.
  const resources = JSON.stringify(sid('StartRunbooks')!.Resource);
  for (const type of ['automation-definition/', 'document/', 'automation-execution/*'])
    expect(resources).toContain(type);
  expect(sid('PassAutomationRole')).toBeDefined();
  // The runbook starts with a tag: tags on create may be authorized as AddTagsToResource.
  expect(sid('TagRunbookExecutions')!.Action).toBe('ssm:AddTagsToResource');
  expect(JSON.stringify(sid('TagRunbookExecutions')!.Resource)).toContain('automation-execution/*');
  expect(sid('StartIncidents')).toBeUndefined();
  expect(sid('PublishPages')!.Action).toBe('sns:Publish');
  expect(sid('ReadAndRecordOnOpsItems')!.Action).toEqual(['ssm:GetOpsItem', 'ssm:UpdateOpsItem']);
});

it('passes cfn-lint with no error', () => {
  const report = lint(built.assembly);
  expect(report.findings.filter((f) => f.level === 'Error')).toEqual([]);
});
