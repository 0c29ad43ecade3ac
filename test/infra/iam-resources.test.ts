/**
 * Every statement of every synthesized template, checked against the Service Authorization
 * Reference table in ./service-authorization.ts: each action is known, each required resource
 * type is named, nothing else is, and actions without resource types say "*".
 */
import { SERVICE_AUTHORIZATION } from './service-authorization';
import { join } from 'node:path';
import { loadConfig } from '../../infra/config';
import { configFrom, EXAMPLES_DIR, exampleConfig, synth, type Statement } from './support';

type Cfn = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
type CfnTemplate = { Resources: Cfn; Parameters?: Record<string, { Default?: unknown }> };

/** How templatesOf lists a template parameter among the resources, for resolve. */
const PARAMETER = '(parameter)';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

/** A template value as a string: pseudo parameters filled in, references as ARNs of their type. */
function resolve(value: unknown, resources: Cfn): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) {
    const ref = v.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
    };
    if (pseudo[ref]) return pseudo[ref];
    if (!resources[ref]) throw new Error(`Ref to unknown ${ref}`);
    // A template parameter (the StackSet bodies'), listed with its default: see templatesOf.
    if (resources[ref].Type === PARAMETER) return String(resources[ref].Properties?.Default);
    // Topics and state machines return their ARN from Ref.
    const arnRefs: Record<string, string> = {
      'AWS::SNS::Topic': `arn:aws:sns:${REGION}:${ACCOUNT}:${ref}`,
      'AWS::StepFunctions::StateMachine': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${ref}`,
    };
    return arnRefs[resources[ref].Type] ?? ref; // else a name (document, function, bucket)
  }
  if ('Fn::GetAtt' in v) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    const type = resources[id]?.Type;
    const arns: Record<string, string> = {
      'AWS::Lambda::Function': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
      'AWS::IAM::Role': `arn:aws:iam::${ACCOUNT}:role/${id}`,
      'AWS::Logs::LogGroup': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`,
      'AWS::S3::Bucket': `arn:aws:s3:::${id}`,
      'AWS::DynamoDB::Table': `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`,
      'AWS::SQS::Queue': `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
      'AWS::Events::EventBus': `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${id}`,
    };
    if (attr !== 'Arn' || !type || !arns[type])
      throw new Error(`cannot resolve GetAtt ${id}.${attr}`);
    return arns[type];
  }
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(p, resources)).join(sep);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** Every stack's template, and the template bodies of the StackSets they deploy. */
function templatesOf(
  stacks: readonly { stackName: string; template: unknown }[],
): { name: string; template: CfnTemplate }[] {
  return stacks.flatMap((s) => {
    const template = s.template as CfnTemplate;
    const bodies = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::CloudFormation::StackSet')
      .map((r) => ({
        name: `${s.stackName}/StackSet ${String(r.Properties?.StackSetName)}`,
        template: JSON.parse(String(r.Properties?.TemplateBody)) as CfnTemplate,
      }));
    return [{ name: s.stackName, template }, ...bodies];
  });
}

interface Found {
  readonly where: string;
  readonly statement: Statement;
}

/** Every statement of every identity policy and bucket policy of a template. */
function statementsOf(template: { Resources: Cfn }, stack: string): Found[] {
  const out: Found[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const doc =
      r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy'
        ? r.Properties?.PolicyDocument
        : r.Type === 'AWS::S3::BucketPolicy'
          ? r.Properties?.PolicyDocument
          : undefined;
    for (const statement of (doc as { Statement?: Statement[] } | undefined)?.Statement ?? [])
      out.push({ where: `${stack}/${id}/${statement.Sid ?? '(no sid)'}`, statement });
  }
  return out;
}

/** What is wrong with one statement, per the table; empty when it is right. */
function problemsOf(found: Found, resources: Cfn): string[] {
  const { statement, where } = found;
  const listed = [statement.Resource].flat();
  const arns = listed.map((r) => resolve(r, resources));
  const problems: string[] = [];
  for (const action of [statement.Action].flat()) {
    // The bucket's TLS-only Deny (s3:*) is aws-cdk-lib's; the app writes no wildcard action.
    if (action === 's3:*' && statement.Effect === 'Deny') continue;
    const entry = SERVICE_AUTHORIZATION[action];
    if (!entry) {
      problems.push(`${where}: ${action} is not in test/infra/service-authorization.ts`);
      continue;
    }
    const types = [...entry.required, ...(entry.optional ?? [])];
    if (types.length === 0) {
      if (!(arns.length === 1 && arns[0] === '*'))
        problems.push(`${where}: ${action} has no resource types, so Resource must be "*"`);
      continue;
    }
    for (const t of entry.required)
      if (!arns.some((a) => t.covers.test(a)))
        problems.push(
          `${where}: ${action} needs a resource of type ${t.name}; got ${arns.join(', ')}`,
        );
    for (const a of arns)
      if (!types.some((t) => t.covers.test(a)))
        problems.push(`${where}: ${action} takes no resource like ${a}`);
  }
  return problems;
}

/** A name, the configuration, and statements (by Sid) the check must have seen. */
const CONFIGS: [string, () => ReturnType<typeof exampleConfig>, string[]][] = [
  ['the example configuration', exampleConfig, ['ChangeIngress']],
  [
    'the OpsCenter example configuration (intake, pager, escalation)',
    () => loadConfig(join(EXAMPLES_DIR, 'config-opscenter.yaml')),
    ['OpsItemRecords'],
  ],
  [
    'the organization example (central functions, StackSet bodies, management stacks)',
    () => loadConfig(join(EXAMPLES_DIR, 'organization.yaml')),
    // the central functions', the member role's (StackSet body), the forwarder role's
    ['AssumeMemberRole', 'PlaceAccounts', 'NeverChangeExemptGroups', 'PutEventsOnCentralBus'],
  ],
  [
    'a configuration that creates the recorder and the replication set',
    () =>
      configFrom({
        app: { region: REGION },
        incidentManager: { replicationSet: { mode: 'create' } },
        detection: { config: { recorder: 'create' } },
        responsePlans: { rootActivity: { runbook: 'revert-security-groups' } },
      }),
    [],
  ],
];

describe.each(CONFIGS)('IAM statements of %s', (_name, config, seen) => {
  let found: { stack: string; statements: Found[]; resources: Cfn }[];
  beforeAll(() => {
    const built = synth(config());
    found = templatesOf(built.assembly.stacks).map(({ name, template }) => {
      const resources: Cfn = { ...template.Resources };
      for (const [p, v] of Object.entries(template.Parameters ?? {}))
        resources[p] = { Type: PARAMETER, Properties: { Default: v.Default } };
      return { stack: name, statements: statementsOf(template, name), resources };
    });
  });

  it('name every resource type the Service Authorization Reference requires, and no other', () => {
    const all = found.flatMap((f) => f.statements.map((s) => problemsOf(s, f.resources))).flat();
    const statements = found.flatMap((f) => f.statements);
    expect(statements.length).toBeGreaterThan(10);
    expect(statements.map((f) => f.statement.Sid)).toEqual(expect.arrayContaining(seen));
    expect(all).toEqual([]);
  });
});

describe('the check itself', () => {
  const resources: Cfn = {
    Doc: { Type: 'AWS::SSM::Document' },
    Topic: { Type: 'AWS::SNS::Topic' },
    Machine: { Type: 'AWS::StepFunctions::StateMachine' },
  };
  const of = (statement: Partial<Statement>) =>
    problemsOf(
      { where: 'S', statement: { Effect: 'Allow', ...statement } as Statement },
      resources,
    );

  it('Noncompliance 1: a timeline action on the incident record only', () => {
    expect(
      of({
        Action: 'ssm-incidents:CreateTimelineEvent',
        Resource: `arn:aws:ssm-incidents:*:${ACCOUNT}:incident-record/plan/*`,
      }),
    ).toEqual([expect.stringMatching(/needs a resource of type ssm-incidents response-plan/)]);
  });

  it('Noncompliance 2: StartAutomationExecution on the automation definition only', () => {
    expect(
      of({
        Action: 'ssm:StartAutomationExecution',
        Resource: {
          'Fn::Join': [
            '',
            [`arn:aws:ssm:${REGION}:${ACCOUNT}:automation-definition/`, { Ref: 'Doc' }, ':*'],
          ],
        },
      }),
    ).toHaveLength(2);
  });

  it('Noncompliance 3: an action without resource types, scoped to an ARN', () => {
    expect(
      of({
        Action: 'ec2:DescribeSecurityGroups',
        Resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*`,
      }),
    ).toEqual([expect.stringMatching(/Resource must be "\*"/)]);
  });

  it('Noncompliance 4: an action the table does not know', () => {
    expect(of({ Action: 'ec2:DeleteSecurityGroup', Resource: '*' })).toEqual([
      expect.stringMatching(/not in test\/infra\/service-authorization\.ts/),
    ]);
  });

  it('Noncompliance 5: a publish to every resource, where the action takes a topic', () => {
    expect(of({ Action: 'sns:Publish', Resource: '*' })).toEqual([
      expect.stringMatching(/needs a resource of type sns topic/),
      expect.stringMatching(/takes no resource like \*/),
    ]);
  });

  it('Compliance 2: a topic and a state machine by Ref, which returns their ARNs', () => {
    expect(of({ Action: 'sns:Publish', Resource: { Ref: 'Topic' } })).toEqual([]);
    expect(of({ Action: 'states:StartExecution', Resource: { Ref: 'Machine' } })).toEqual([]);
  });

  it('Compliance 1: the group write on groups, with rules as an optional type', () => {
    expect(
      of({
        Action: 'ec2:RevokeSecurityGroupIngress',
        Resource: [
          `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*`,
          `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group-rule/*`,
        ],
      }),
    ).toEqual([]);
  });
});

describe('IAM statements of the response functions under OpsCenter', () => {
  // The response functions' policies; every other policy of this synth is checked by the
  // "IAM statements of the OpsCenter example configuration" row above.
  let found: { statements: Found[]; resources: Cfn }[];
  beforeAll(() => {
    const built = synth(loadConfig(join(EXAMPLES_DIR, 'config-opscenter.yaml')));
    found = built.assembly.stacks.map((s) => {
      const template = s.template as { Resources: Cfn };
      return {
        statements: statementsOf(template, s.stackName).filter((f) =>
          /\/Remediation[A-Za-z]+Policy/.test(f.where),
        ),
        resources: template.Resources,
      };
    });
  });

  it('read and record on OpsItems, and name every resource type the reference requires', () => {
    const all = found.flatMap((f) => f.statements);
    // GIVEN the three incident functions WHEN synthesized under opscenter THEN each may read
    // and update OpsItems, and none touches an incident record
    expect(all.filter((f) => f.statement.Sid === 'OpsItemRecords')).toHaveLength(3);
    expect(all.filter((f) => f.statement.Sid === 'IncidentTimeline')).toEqual([]);
    expect(found.flatMap((f) => f.statements.flatMap((s) => problemsOf(s, f.resources)))).toEqual(
      [],
    );
  });
});
