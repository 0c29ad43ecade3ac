/**
 * Organization mode's infrastructure (examples/organization.yaml, synthesized once): the central
 * bus and its policy, the detection rules on it, the GuardDuty forwarders, the member StackSets and
 * their template bodies (the member role's trust and Deny, the forwarders), the management
 * account's stacks, and the central functions acting through the member role. A single-account
 * configuration gets none of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { organizationFromEnv } from '../../handlers/env';
import { organizationSettingsOf } from '../../infra/config-organization';
import {
  checkedTemplateBody,
  STACK_SET_TEMPLATES_DIR,
  TEMPLATE_BODY_MAX_BYTES,
} from '../../infra/constructs/member-stack-sets';
import { detectionPatterns } from '../../infra/detection-patterns';
import { FUNCTIONS } from '../../infra/functions';
import {
  deploymentTargetsOf,
  MEMBER_FORWARDED_DETECTIONS,
  organizationOf,
  trustedRoleNamesOf,
} from '../../infra/organization';
import { ValidationError } from '../../handlers/shared/validation';
import {
  configFrom,
  EXAMPLES_DIR,
  exampleConfig,
  lint,
  messagesOf,
  resourcesOf,
  synth,
  type Statement,
  type Synthesized,
} from './support';
import { loadConfig } from '../../infra/config';

const ORG = 'o-a1b2c3d4e5';
const SECURITY = '111111111111';
const MANAGEMENT = '999999999999';
const EXEMPT = { tag: 'first-responder:exempt', value: 'true' };

type Cfn = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

let built: Synthesized;
let main: Template;
let stackSetBodies: Map<string, Cfn>;

beforeAll(() => {
  // GIVEN the example organization: OUs in enforce and approve, one observed account, an
  // excluded account, a management account, home eu-west-1, regions eu-west-1 and us-east-1
  built = synth(loadConfig(join(EXAMPLES_DIR, 'organization.yaml')));
  main = Template.fromStack(built.main);
  stackSetBodies = new Map(
    Object.values(
      main.findResources('AWS::CloudFormation::StackSet') as Record<
        string,
        { Properties: { StackSetName: string; TemplateBody: string } }
      >,
    ).map((r) => [r.Properties.StackSetName, JSON.parse(r.Properties.TemplateBody) as Cfn]),
  );
});

const body = (name: string) => Template.fromJSON(stackSetBodies.get(name)!);

describe('the central bus', () => {
  it('admits events:PutEvents from the organization only, and only from its forwarder roles', () => {
    main.hasResourceProperties('AWS::Events::EventBus', {
      Name: 'first-responder-central',
      Policy: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: Match.anyValue(),
            Condition: {
              StringEquals: { 'aws:PrincipalOrgID': ORG },
              ArnLike: {
                'aws:PrincipalArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/first-responder-forwarder'],
                  ],
                },
              },
            },
          },
        ],
      },
    });
    expect(resourcesOf(main, 'AWS::Events::EventBusPolicy')).toEqual([]);
  });

  it('carries every detection rule, which the intake may be invoked by (custom-bus rule ARNs)', () => {
    const busId = built.main.getLogicalId(built.main.centralBus!.bus);
    const detections = resourcesOf(main, 'AWS::Events::Rule', { EventBusName: { Ref: busId } });
    expect(detections.map((r) => r.Properties.Name).sort()).toEqual(
      [...built.main.detections.values()].map((r) => r.name).sort(),
    );
    main.hasResourceProperties('AWS::Lambda::Permission', {
      SourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            Match.stringLikeRegexp(':rule/$'),
            { Ref: busId },
            '/first-responder-security-group-opened',
          ]),
        ],
      },
    });
  });

  it('receives the home region GuardDuty findings from the default bus, with a role', () => {
    const forward = resourcesOf(main, 'AWS::Events::Rule', {
      Name: 'first-responder-forward-guardduty-finding',
    });
    expect(forward).toHaveLength(1);
    expect(forward[0]!.Properties.EventBusName).toBeUndefined();
    expect(forward[0]!.Properties.EventPattern).toEqual(
      built.main.resolve(built.main.patterns.get('guardDutyFinding')),
    );
    expect(forward[0]!.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [built.main.getLogicalId(built.main.centralBus!.bus), 'Arn'] },
        RoleArn: expect.anything(),
      }),
    ]);
  });
});

describe('the member StackSets', () => {
  it.each([
    ['first-responder-member-roles', ['eu-west-1'], ['CAPABILITY_NAMED_IAM']],
    ['first-responder-member-forwarders', ['eu-west-1', 'us-east-1'], Match.absent()],
  ])(
    '%s: service-managed, auto-deployed, as delegated administrator, in %j',
    (name, regions, caps) => {
      main.hasResourceProperties('AWS::CloudFormation::StackSet', {
        StackSetName: name,
        PermissionModel: 'SERVICE_MANAGED',
        CallAs: 'DELEGATED_ADMIN',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        ManagedExecution: { Active: true },
        Capabilities: caps,
        OperationPreferences: Match.objectLike({ RegionConcurrencyType: 'PARALLEL' }),
        // OU targets minus the excluded account; the account target as the root filtered to it
        StackInstancesGroup: [
          {
            DeploymentTargets: {
              OrganizationalUnitIds: ['ou-ab12-sandbox1', 'ou-ab12-prodwork'],
              Accounts: ['555555555555'],
              AccountFilterType: 'DIFFERENCE',
            },
            Regions: regions,
          },
          {
            DeploymentTargets: {
              OrganizationalUnitIds: ['r-ab12'],
              Accounts: ['444444444444'],
              AccountFilterType: 'INTERSECTION',
            },
            Regions: regions,
          },
        ],
      });
    },
  );

  it('deploys the forwarders after the roles they send with, and after the central bus', () => {
    const sets = resourcesOf(main, 'AWS::CloudFormation::StackSet');
    const roles = sets.find((s) => s.Properties.StackSetName === 'first-responder-member-roles')!;
    const forwarders = sets.find(
      (s) => s.Properties.StackSetName === 'first-responder-member-forwarders',
    )!;
    expect(forwarders.DependsOn).toEqual(
      expect.arrayContaining([roles.id, built.main.getLogicalId(built.main.centralBus!.bus)]),
    );
  });

  it('passes the central bus and the trusted roles as parameters', () => {
    main.hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'first-responder-member-roles',
      Parameters: Match.arrayWith([
        {
          ParameterKey: 'CentralBusArn',
          ParameterValue: `arn:aws:events:eu-west-1:${SECURITY}:event-bus/first-responder-central`,
        },
        {
          ParameterKey: 'TrustedRoleArns',
          ParameterValue: trustedRoleNamesOf('first-responder')
            .map((n) => `arn:aws:iam::${SECURITY}:role/${n}`)
            .join(','),
        },
      ]),
    });
  });

  it('have template bodies built without bootstrap: no BootstrapVersion, no asset, within the size limit', () => {
    for (const [name, template] of stackSetBodies) {
      expect(Object.keys((template as { Parameters?: object }).Parameters ?? {})).not.toContain(
        'BootstrapVersion',
      );
      expect((template as { Rules?: object }).Rules).toBeUndefined();
      expect(JSON.stringify(template)).not.toMatch(/cdk-[a-z0-9]+-assets|AssetParameters/);
      // AND the body is the file next to the cloud assembly, which cfn-lint checks
      const file = join(built.assembly.directory, STACK_SET_TEMPLATES_DIR, `${name}.template.json`);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(template);
    }
  });

  it('refuses a template body over 51,200 bytes, naming the StackSet and the size', () => {
    const big = { Description: 'x'.repeat(TEMPLATE_BODY_MAX_BYTES) };
    expect(() => checkedTemplateBody('first-responder-member-forwarders', big)).toThrow(
      /StackSet first-responder-member-forwarders: its template is 51218 bytes as compact JSON, more than the 51200 bytes/,
    );
    expect(checkedTemplateBody('s', { a: 1 })).toBe('{"a":1}');
  });
});

describe('the member role (roles StackSet)', () => {
  it('trusts only the central functions roles, from the security account, within the organization', () => {
    const roles = body('first-responder-member-roles');
    const condition = {
      ArnEquals: { 'aws:PrincipalArn': { Ref: 'TrustedRoleArns' } },
      StringEquals: { 'aws:PrincipalOrgID': ORG },
    };
    const principal = {
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${SECURITY}:root`]] },
    };
    roles.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'first-responder-member',
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: principal, Condition: condition },
          {
            Action: 'sts:SetSourceIdentity',
            Effect: 'Allow',
            Principal: principal,
            Condition: condition,
          },
        ],
      },
    });
    // AND the trusted roles are exactly the roles the central functions carry
    const central = resourcesOf<{ RoleName?: string }>(main, 'AWS::IAM::Role')
      .map((r) => r.Properties.RoleName)
      .filter((n): n is string => n !== undefined);
    expect(central.sort()).toEqual(trustedRoleNamesOf('first-responder').sort());
    const params = (
      stackSetBodies.get('first-responder-member-roles') as unknown as {
        Parameters: { TrustedRoleArns: { Default: string } };
      }
    ).Parameters;
    expect(params.TrustedRoleArns.Default.split(',')).toEqual(
      trustedRoleNamesOf('first-responder').map((n) => `arn:aws:iam::${SECURITY}:role/${n}`),
    );
  });

  it('may only read EC2 and change ingress, in any region, and never on an exempt group', () => {
    const policies = resourcesOf<{ PolicyDocument: { Statement: Statement[] }; Roles: unknown }>(
      body('first-responder-member-roles'),
      'AWS::IAM::ManagedPolicy',
    );
    const response = policies.find((p) =>
      p.Properties.PolicyDocument.Statement.some((s) => s.Sid === 'NeverChangeExemptGroups'),
    )!;
    const statements = response.Properties.PolicyDocument.Statement;
    expect(statements.map((s) => [s.Effect, s.Action])).toEqual([
      [
        'Allow',
        ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules', 'ec2:DescribeInstances'],
      ],
      ['Allow', ['ec2:RevokeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupIngress']],
      ['Deny', ['ec2:RevokeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupIngress']],
    ]);
    const deny = statements[2]!;
    expect(deny.Condition).toEqual({
      StringEqualsIgnoreCase: { [`aws:ResourceTag/${EXEMPT.tag}`]: EXEMPT.value },
    });
    expect(JSON.stringify(deny.Resource)).toContain(':ec2:*:');
  });

  it('comes with the forwarder role, which only this account rules may use, for the central bus only', () => {
    const roles = body('first-responder-member-roles');
    roles.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'first-responder-forwarder',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ],
      },
    });
    roles.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'PutEventsOnCentralBus',
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: { Ref: 'CentralBusArn' },
          },
        ],
      },
    });
  });
});

describe('the member forwarders (forwarders StackSet)', () => {
  it('forward every signal but GuardDuty from the default bus to the central bus, with the forwarder role', () => {
    const rules = resourcesOf<{ EventPattern: unknown; Targets: unknown[]; Name: string }>(
      body('first-responder-member-forwarders'),
      'AWS::Events::Rule',
    );
    expect(rules.map((r) => r.Properties.Name).sort()).toEqual([
      'first-responder-forward-config-noncompliance',
      'first-responder-forward-root-activity',
      'first-responder-forward-security-group-opened',
    ]);
    expect(MEMBER_FORWARDED_DETECTIONS).not.toContain('guardDutyFinding');
    for (const r of rules) {
      expect(r.Properties).not.toHaveProperty('EventBusName');
      expect(r.Properties.Targets).toEqual([
        {
          Id: 'CentralBus',
          Arn: { Ref: 'CentralBusArn' },
          RoleArn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':iam::',
                { Ref: 'AWS::AccountId' },
                ':role/first-responder-forwarder',
              ],
            ],
          },
        },
      ]);
    }
  });

  it('use the catalogue patterns, leaving out the member role own changes', () => {
    const member = built.organization!.templates.forwarders.stack;
    const memberRole = `arn:${member.partition}:iam::${member.account}:role/first-responder-member`;
    const expected = detectionPatterns(built.config, [memberRole]);
    for (const d of MEMBER_FORWARDED_DETECTIONS)
      expect(member.resolve(member.patterns.get(d))).toEqual(member.resolve(expected.get(d)));
    const sg = JSON.stringify(member.resolve(member.patterns.get('securityGroupOpened')));
    expect(sg).toContain('role/first-responder-member');
  });
});

describe('the central functions in organization mode', () => {
  const settings = () => organizationSettingsOf(built.config.organization!, 'first-responder');

  it.each([
    ['the intake', () => built.main.intake.function, 'first-responder-intake'],
    [
      'the reverter',
      () => built.main.responseFunctions.functions.reverter,
      'first-responder-reverter',
    ],
    [
      'the GuardDuty response',
      () => built.main.responseFunctions.functions.guarddutyResponse,
      'first-responder-guardduty-response',
    ],
  ])(
    '%s gets the settings, a fixed role name, and assumes the member role, nothing in EC2 itself',
    (_n, fn, roleName) => {
      const f = fn();
      const props = resourcesOf<{
        Environment: { Variables: Record<string, string> };
        Role: unknown;
      }>(main, 'AWS::Lambda::Function').find(
        (r) => r.id === built.main.getLogicalId(f.node.defaultChild as never),
      )!;
      const env = props.Properties.Environment.Variables;
      expect(
        organizationFromEnv({ FIRST_RESPONDER_ORGANIZATION: env.FIRST_RESPONDER_ORGANIZATION }),
      ).toEqual(settings());
      const roleId = (props.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      main.hasResourceProperties('AWS::IAM::Role', {
        RoleName: roleName,
        AssumeRolePolicyDocument: Match.objectLike({}),
      });
      const statements = resourcesOf<{ PolicyDocument: { Statement: Statement[] } }>(
        main,
        'AWS::IAM::ManagedPolicy',
        { Roles: [{ Ref: roleId }] },
      )[0]!.Properties.PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          {
            Sid: 'AssumeMemberRole',
            Effect: 'Allow',
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/first-responder-member'],
              ],
            },
            Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
          },
          expect.objectContaining({ Sid: 'PlaceAccounts', Action: 'organizations:ListParents' }),
        ]),
      );
      expect(JSON.stringify(statements)).not.toMatch(/"ec2:/);
    },
  );

  it('leaves the functions that do not act in members as they are', () => {
    for (const id of ['rootTriage', 'configEvaluator'] as const)
      expect(FUNCTIONS[id].permissions).not.toContain('actInMembers');
    main.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReportEvaluations' })]),
      },
    });
  });

  it('lets the runbooks publish approval requests to the Automation topic, and nowhere else', () => {
    main.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'PublishApprovalRequests',
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: built.config.organization!.approval!.notificationTopicArn,
          },
        ]),
      },
    });
  });
});

describe('the extra stacks', () => {
  it('forwards each other region GuardDuty findings from the security account', () => {
    const names = built.assembly.stacks.map((s) => s.stackName).sort();
    expect(names).toEqual([
      'FirstResponder',
      'FirstResponder-Forward-us-east-1',
      'FirstResponder-Management-eu-west-1',
      'FirstResponder-Management-us-east-1',
    ]);
    const fwd = built.organization!.guardDutyForwarders[0]!;
    expect([fwd.account, fwd.region]).toEqual([SECURITY, 'us-east-1']);
    // Bootstrapless: the other regions need no CDK bootstrap
    expect(Object.keys(Template.fromStack(fwd).toJSON().Parameters ?? {})).toEqual([]);
    Template.fromStack(fwd).hasResourceProperties('AWS::Events::Rule', {
      Name: 'first-responder-forward-guardduty-finding',
      Targets: [
        Match.objectLike({
          Arn: `arn:aws:events:eu-west-1:${SECURITY}:event-bus/first-responder-central`,
          RoleArn: Match.anyValue(),
        }),
      ],
    });
  });

  it('gives the management account the member roles in the home region and forwarders everywhere', () => {
    const [home, other] = built.organization!.management;
    expect([home!.account, home!.region, other!.account, other!.region]).toEqual([
      MANAGEMENT,
      'eu-west-1',
      MANAGEMENT,
      'us-east-1',
    ]);
    const h = Template.fromStack(home!);
    const o = Template.fromStack(other!);
    h.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'first-responder-member' }, 1);
    h.resourceCountIs('AWS::Events::Rule', 3);
    o.resourceCountIs('AWS::IAM::Role', 0);
    o.resourceCountIs('AWS::Events::Rule', 3);
    expect(other!.dependencies).toContain(home);
    // Deployed with the management account's credentials, without a CDK bootstrap there
    for (const t of [h, o])
      expect(Object.keys(t.toJSON().Parameters ?? {})).not.toContain('BootstrapVersion');
  });

  it('drops the root-activity forwarder: the members forward root activity to the central bus', () => {
    expect(built.forwarder).toBeUndefined();
  });

  it('warns when no member watches us-east-1, and has no management stack without its account', () => {
    const example = readExample();
    const s = synth(
      configFrom({
        ...example,
        organization: {
          ...example.organization,
          regions: ['eu-west-1'],
          managementAccountId: undefined,
        },
      }),
    );
    expect(messagesOf(s.assembly, 'FirstResponder', 'warning').join('\n')).toMatch(
      /organization.regions has no us-east-1/,
    );
    expect(s.organization!.management).toEqual([]);
    expect(s.organization!.guardDutyForwarders).toEqual([]);
    expect(s.assembly.stacks.map((a) => a.stackName)).toEqual(['FirstResponder']);
  });

  it.each([
    [{ autoDeployment: false }, { Enabled: false }],
    [{ retainStacksOnAccountRemoval: true }, { Enabled: true, RetainStacksOnAccountRemoval: true }],
  ])('takes auto-deployment from organization.stackSets %j', (stackSets, expected) => {
    const example = readExample();
    const s = synth(
      configFrom({ ...example, organization: { ...example.organization, stackSets } }),
    );
    Template.fromStack(s.main).resourcePropertiesCountIs(
      'AWS::CloudFormation::StackSet',
      { AutoDeployment: expected },
      2,
    );
  });
});

describe('checks', () => {
  it('cfn-lint finds nothing in any template, the StackSet bodies included', () => {
    const report = lint(
      built.assembly,
      {},
      [built.organization!.templates.roles, built.organization!.templates.forwarders].map((t) => ({
        path: t.templatePath,
        region: 'eu-west-1',
      })),
    );
    expect(report.templates).toHaveLength(6);
    expect(report.findings).toEqual([]);
  });
});

describe('deploymentTargetsOf', () => {
  const org = (extra: object) =>
    ({
      ...built.config.organization!,
      excludeAccounts: [],
      ...extra,
    }) as typeof built.config.organization & object;
  it.each([
    [
      'OUs only',
      { targets: [{ organizationalUnits: ['ou-ab12-aaaaaaaa'], mode: 'enforce' }] },
      [{ organizationalUnitIds: ['ou-ab12-aaaaaaaa'] }],
    ],
    [
      'OUs minus excluded accounts',
      {
        targets: [{ organizationalUnits: ['ou-ab12-aaaaaaaa'], mode: 'enforce' }],
        excludeAccounts: ['555555555555'],
      },
      [
        {
          organizationalUnitIds: ['ou-ab12-aaaaaaaa'],
          accounts: ['555555555555'],
          accountFilterType: 'DIFFERENCE',
        },
      ],
    ],
    [
      'accounts: the root intersected with them',
      { targets: [{ accounts: ['444444444444', '666666666666'], mode: 'observe' }] },
      [
        {
          organizationalUnitIds: ['r-ab12'],
          accounts: ['444444444444', '666666666666'],
          accountFilterType: 'INTERSECTION',
        },
      ],
    ],
  ])('%s', (_name, extra, expected) => {
    expect(deploymentTargetsOf(org(extra))).toEqual(expected);
  });

  it('needs the root ID for account targets', () => {
    expect(() =>
      deploymentTargetsOf(
        org({ rootId: undefined, targets: [{ accounts: ['444444444444'], mode: 'observe' }] }),
      ),
    ).toThrow(/config.organization.rootId/);
  });
});

describe('organizationOf', () => {
  it.each(['first-responder-intake', 'first-responder-reverter', 'first-responder-forwarder'])(
    'refuses a member role named like one of the app roles (%s)',
    (memberRoleName) => {
      const example = readExample();
      const config = configFrom({
        ...example,
        organization: { ...example.organization, memberRoleName },
      });
      expect(() => organizationOf(config, SECURITY)).toThrow(
        /config.organization.memberRoleName: got "first-responder-[a-z]+", the name of one of the app's own roles/,
      );
    },
  );

  it('refuses a stackName that makes the extra stacks names too long', () => {
    const example = readExample();
    const config = configFrom({
      ...example,
      app: { ...example.app, stackName: `S${'x'.repeat(110)}` },
    });
    expect(() => synth(config)).toThrow(
      /config.app.stackName: got "Sx+", which makes stack names of more than 128 characters/,
    );
  });

  it('needs the security account', () => {
    const config = loadConfig(join(EXAMPLES_DIR, 'organization.yaml'));
    expect(() => organizationOf(config, undefined)).toThrow(ValidationError);
    expect(() => organizationOf(config, undefined)).toThrow(/config.app.account/);
    expect(organizationOf(config, SECURITY)?.memberRoleName).toBe('first-responder-member');
  });
});

describe('a single-account configuration', () => {
  it('gets no organization piece: no central bus, StackSet, fixed role name or organization setting', () => {
    const s = synth(exampleConfig());
    expect(s.organization).toBeUndefined();
    expect(s.main.centralBus).toBeUndefined();
    const t = Template.fromStack(s.main);
    t.resourceCountIs('AWS::Events::EventBus', 0);
    t.resourceCountIs('AWS::CloudFormation::StackSet', 0);
    for (const r of resourcesOf<{ RoleName?: string }>(t, 'AWS::IAM::Role'))
      expect(r.Properties.RoleName).toBeUndefined();
    expect(JSON.stringify(t.toJSON())).not.toMatch(
      /FIRST_RESPONDER_ORGANIZATION|AssumeMemberRole|organizations:/,
    );
    expect(Stack.of(s.main).node.tryFindChild('MemberStackSets')).toBeUndefined();
  });
});

/** The example organization configuration as a document, to vary. */
function readExample(): Record<string, Record<string, unknown>> {
  return parse(readFileSync(join(EXAMPLES_DIR, 'organization.yaml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
}
