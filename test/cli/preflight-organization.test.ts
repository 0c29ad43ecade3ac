/**
 * preflight --organization against aws-sdk-client-mock: a healthy organization seen from the
 * security account, then one thing wrong at a time. Responses are shaped as the Organizations,
 * CloudFormation and EventBridge API references document them.
 *
 * Why not moto: its Organizations answers from the management account only. Seen from a member
 * account (the security account, through assume-role), ListDelegatedServicesForAccount says
 * "not a member of an organization" and DescribeOrganizationalUnit finds none of the OUs; and it
 * refuses to register delegated administrators for config.amazonaws.com or StackSets.
 */
import {
  CloudFormationClient,
  DescribeOrganizationsAccessCommand,
  DescribeStacksCommand,
  ListStackInstancesCommand,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedServicesForAccountCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { createAwsClients } from '../../cli/aws';
import {
  busPolicyProblem,
  runOrganizationPreflight,
} from '../../cli/commands/preflight-organization';
import { renderPreflight, type PreflightReport } from '../../cli/commands/preflight';
import { main } from '../../cli/main';
import { loadConfig } from '../../infra/config';
import { awsError, capture } from './support';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const CONFIG = loadConfig(join(EXAMPLES, 'organization.yaml'));
const SECURITY = '111111111111';
const ORG_ID = 'o-a1b2c3d4e5';
const BUS = `arn:aws:events:eu-west-1:${SECURITY}:event-bus/first-responder-central`;
const ORG_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'OrganizationPutEvents',
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: BUS,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } },
    },
  ],
});

let sts: AwsClientStub<STSClient>;
let orgs: AwsClientStub<OrganizationsClient>;
let cfn: AwsClientStub<CloudFormationClient>;
let events: AwsClientStub<EventBridgeClient>;

const instance = (
  account: string,
  region: string,
  status: 'CURRENT' | 'OUTDATED' | 'INOPERABLE' = 'CURRENT',
  detailed:
    | 'SUCCEEDED'
    | 'RUNNING'
    | 'PENDING'
    | 'FAILED'
    | 'INOPERABLE'
    | 'SKIPPED_SUSPENDED_ACCOUNT' = 'SUCCEEDED',
  reason?: string,
): StackInstanceSummary => ({
  StackSetId: 'first-responder-member-forwarders:6f3c3c1e-1b7e-4d2a-9a57-2d1d5b6f3e11',
  Account: account,
  Region: region,
  Status: status,
  StackInstanceStatus: { DetailedStatus: detailed },
  ...(reason ? { StatusReason: reason } : {}),
  OrganizationalUnitId: 'ou-ab12-sandbox1',
  DriftStatus: 'NOT_CHECKED',
});

const FORWARDERS = ['222222222222', '333333333333'].flatMap((a) =>
  ['eu-west-1', 'us-east-1'].map((r) => instance(a, r)),
);
const ROLES = ['222222222222', '333333333333'].map((a) => instance(a, 'eu-west-1'));

/** The security account of a healthy organization. */
beforeEach(() => {
  sts = mockClient(STSClient);
  sts.on(GetCallerIdentityCommand).resolves({
    Account: SECURITY,
    Arn: `arn:aws:sts::${SECURITY}:assumed-role/SecurityAdmin/alice`,
  });
  orgs = mockClient(OrganizationsClient);
  orgs.on(DescribeOrganizationCommand).resolves({
    Organization: {
      Id: ORG_ID,
      Arn: `arn:aws:organizations::999999999999:organization/${ORG_ID}`,
      FeatureSet: 'ALL',
      MasterAccountArn: `arn:aws:organizations::999999999999:account/${ORG_ID}/999999999999`,
      MasterAccountId: '999999999999',
      MasterAccountEmail: 'management@example.com',
    },
  });
  orgs.on(ListAWSServiceAccessForOrganizationCommand).resolves({
    EnabledServicePrincipals: [
      { ServicePrincipal: 'guardduty.amazonaws.com', DateEnabled: new Date('2026-01-01') },
      {
        ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com',
        DateEnabled: new Date('2026-01-01'),
      },
    ],
  });
  orgs.on(ListDelegatedServicesForAccountCommand).resolves({
    DelegatedServices: [
      { ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com' },
      { ServicePrincipal: 'guardduty.amazonaws.com' },
      { ServicePrincipal: 'config.amazonaws.com' },
    ],
  });
  orgs.on(ListRootsCommand).resolves({
    Roots: [
      {
        Id: 'r-ab12',
        Name: 'Root',
        Arn: `arn:aws:organizations::999999999999:root/${ORG_ID}/r-ab12`,
      },
    ],
  });
  orgs
    .on(DescribeOrganizationalUnitCommand)
    .callsFake((input: { OrganizationalUnitId: string }) => ({
      OrganizationalUnit: {
        Id: input.OrganizationalUnitId,
        Name: input.OrganizationalUnitId.slice(8),
      },
    }));
  cfn = mockClient(CloudFormationClient);
  cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
    Stacks: [
      {
        StackName: input.StackName,
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date('2026-11-01'),
      },
    ],
  }));
  cfn
    .on(ListStackInstancesCommand, { StackSetName: 'first-responder-member-forwarders' })
    .resolves({ Summaries: FORWARDERS })
    .on(ListStackInstancesCommand, { StackSetName: 'first-responder-member-roles' })
    .resolves({ Summaries: ROLES });
  events = mockClient(EventBridgeClient);
  events
    .on(DescribeEventBusCommand)
    .resolves({ Name: 'first-responder-central', Arn: BUS, Policy: ORG_POLICY });
});
afterEach(() => {
  for (const m of [sts, orgs, cfn, events]) m.restore();
});

const run = () =>
  runOrganizationPreflight({ clients: createAwsClients({ region: 'eu-west-1' }), config: CONFIG });
const check = (r: PreflightReport, name: string) => r.checks.find((c) => c.name === name)!;

describe('preflight --organization', () => {
  it('passes every check in a healthy organization', async () => {
    const report = await run();
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['Organization', 'pass'],
      ['Trusted access for StackSets', 'pass'],
      ['Delegated administrator: CloudFormation StackSets', 'pass'],
      ['Delegated administrator: GuardDuty', 'pass'],
      ['Delegated administrator: AWS Config', 'pass'],
      ['Central event bus', 'pass'],
      ['GuardDuty forwarder (us-east-1)', 'pass'],
      ['StackSet first-responder-member-forwarders', 'pass'],
      ['StackSet first-responder-member-roles', 'pass'],
      ['Target OUs exist', 'pass'],
    ]);
    expect(report).toMatchObject({ ok: true, account: SECURITY, region: 'eu-west-1' });
    expect(check(report, 'StackSet first-responder-member-forwarders').detail).toBe(
      '4 instances in 2 accounts: 4 CURRENT',
    );
    // ListDelegatedServicesForAccount is asked once, for the security account, for all three
    expect(orgs.commandCalls(ListDelegatedServicesForAccountCommand)).toHaveLength(1);
    expect(orgs.commandCalls(ListDelegatedServicesForAccountCommand)[0]!.args[0].input).toEqual({
      AccountId: SECURITY,
    });
    // and the StackSets are read as delegated administrator
    for (const c of cfn.commandCalls(ListStackInstancesCommand))
      expect(c.args[0].input).toMatchObject({ CallAs: 'DELEGATED_ADMIN' });
    expect(renderPreflight(report)).toContain('10 passed, 0 warnings, 0 failed');
    // and the GuardDuty forwarder of the other region was looked for there
    const forwarder = cfn.commandCalls(DescribeStacksCommand)[0]!;
    expect(forwarder.args[0].input).toEqual({ StackName: 'FirstResponder-Forward-us-east-1' });
    expect(await (forwarder.thisValue as CloudFormationClient).config.region()).toBe('us-east-1');
  });

  it('Noncompliance: a region whose GuardDuty forwarder stack is missing', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(
        awsError(
          'ValidationError',
          'Stack with id FirstResponder-Forward-us-east-1 does not exist',
        ),
      );
    const c = check(await run(), 'GuardDuty forwarder (us-east-1)');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain(
      'GuardDuty findings of us-east-1 do not reach the central bus in eu-west-1',
    );
  });

  it('Noncompliance: another organization, and the management account instead of a member', async () => {
    orgs.on(DescribeOrganizationCommand).resolves({
      Organization: { Id: 'o-zzzzzzzzzz', FeatureSet: 'ALL', MasterAccountId: SECURITY },
    });
    const c = check(await run(), 'Organization');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain(
      'account 111111111111 is in organization o-zzzzzzzzzz, not organization.organizationId o-a1b2c3d4e5',
    );
    expect(c.detail).toContain('is the management account');
    expect(c.detail).toContain('not organization.managementAccountId 999999999999');
  });

  it('Noncompliance: an account in no organization', async () => {
    orgs
      .on(DescribeOrganizationCommand)
      .rejects(
        awsError(
          'AWSOrganizationsNotInUseException',
          'Your account is not a member of an organization.',
        ),
      );
    expect(check(await run(), 'Organization')).toMatchObject({
      status: 'fail',
      detail: 'account 111111111111 is not in an organization',
    });
  });

  it('Noncompliance: trusted access for StackSets off, with the command that turns it on', async () => {
    orgs.on(ListAWSServiceAccessForOrganizationCommand).resolves({
      EnabledServicePrincipals: [{ ServicePrincipal: 'guardduty.amazonaws.com' }],
    });
    const report = await run();
    expect(report.ok).toBe(false);
    expect(check(report, 'Trusted access for StackSets')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('aws cloudformation activate-organizations-access') as string,
    });
  });

  it('trusted access refused here: asks CloudFormation as delegated administrator', async () => {
    orgs
      .on(ListAWSServiceAccessForOrganizationCommand)
      .rejects(
        awsError('AccessDeniedException', 'You don’t have permissions to access this resource.'),
      );
    cfn.on(DescribeOrganizationsAccessCommand).resolves({ Status: 'ENABLED' });
    expect(check(await run(), 'Trusted access for StackSets')).toMatchObject({ status: 'pass' });
    expect(cfn.commandCalls(DescribeOrganizationsAccessCommand)[0]!.args[0].input).toEqual({
      CallAs: 'DELEGATED_ADMIN',
    });
  });

  it('trusted access refused everywhere here: not checked, with what to run in the management account', async () => {
    orgs
      .on(ListAWSServiceAccessForOrganizationCommand)
      .rejects(
        awsError('AccessDeniedException', 'You don’t have permissions to access this resource.'),
      );
    cfn.on(DescribeOrganizationsAccessCommand).rejects(awsError('AccessDenied'));
    const report = await run();
    const c = check(report, 'Trusted access for StackSets');
    expect(c.status).toBe('unchecked');
    expect(c.detail).toMatch(/may answer only in the management account/);
    expect(c.fix).toBe(
      'in the management account, run: aws organizations list-aws-service-access-for-organization, and look for member.org.stacksets.cloudformation.amazonaws.com; if it is missing: aws cloudformation activate-organizations-access',
    );
    // not a failure: the rest passes, so preflight passes
    expect(report.ok).toBe(true);
    expect(renderPreflight(report)).toContain('----  Trusted access for StackSets');
    expect(renderPreflight(report)).toContain('1 could not be checked here, 0 failed');
  });

  it.each([
    [
      'CloudFormation StackSets',
      'member.org.stacksets.cloudformation.amazonaws.com',
      'aws organizations register-delegated-administrator --service-principal member.org.stacksets.cloudformation.amazonaws.com --account-id 111111111111',
    ],
    [
      'GuardDuty',
      'guardduty.amazonaws.com',
      'aws guardduty enable-organization-admin-account --admin-account-id 111111111111',
    ],
    [
      'AWS Config',
      'config.amazonaws.com',
      'aws organizations register-delegated-administrator --service-principal config.amazonaws.com --account-id 111111111111',
    ],
  ])('Noncompliance: not delegated administrator for %s', async (name, principal, command) => {
    orgs.on(ListDelegatedServicesForAccountCommand).resolves({
      DelegatedServices: [
        'member.org.stacksets.cloudformation.amazonaws.com',
        'guardduty.amazonaws.com',
        'config.amazonaws.com',
      ]
        .filter((p) => p !== principal)
        .map((ServicePrincipal) => ({ ServicePrincipal })),
    });
    const report = await run();
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual([
      `Delegated administrator: ${name}`,
    ]);
    expect(check(report, `Delegated administrator: ${name}`).fix).toContain(command);
  });

  it('Noncompliance: delegated administrator for nothing (AccountNotRegisteredException)', async () => {
    orgs
      .on(ListDelegatedServicesForAccountCommand)
      .rejects(
        awsError(
          'AccountNotRegisteredException',
          'The provided account is not a registered delegated administrator for your organization.',
        ),
      );
    const report = await run();
    expect(
      report.checks.filter((c) => c.name.startsWith('Delegated')).map((c) => c.status),
    ).toEqual(['fail', 'fail', 'fail']);
  });

  it('delegated administrators refused here: not checked, with the command for the management account', async () => {
    orgs.on(ListDelegatedServicesForAccountCommand).rejects(awsError('AccessDeniedException'));
    const c = check(await run(), 'Delegated administrator: GuardDuty');
    expect(c.status).toBe('unchecked');
    expect(c.fix).toContain(
      'aws organizations list-delegated-services-for-account --account-id 111111111111',
    );
  });

  it('Noncompliance: no central bus', async () => {
    events
      .on(DescribeEventBusCommand)
      .rejects(
        awsError('ResourceNotFoundException', 'Event bus first-responder-central does not exist.'),
      );
    expect(check(await run(), 'Central event bus')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        'event bus first-responder-central does not exist in eu-west-1',
      ) as string,
    });
    expect(events.commandCalls(DescribeEventBusCommand)[0]!.args[0].input).toEqual({
      Name: 'first-responder-central',
    });
  });

  it('Noncompliance: a bus policy that admits another organization', async () => {
    events.on(DescribeEventBusCommand).resolves({
      Name: 'first-responder-central',
      Policy: ORG_POLICY.replace(ORG_ID, 'o-zzzzzzzzzz'),
    });
    expect(check(await run(), 'Central event bus').detail).toContain(
      'the policy admits organization o-zzzzzzzzzz, not o-a1b2c3d4e5',
    );
  });

  it.each([
    [undefined, /no resource policy/],
    [
      JSON.stringify({
        Statement: [
          {
            Sid: 'Anyone',
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: BUS,
          },
        ],
      }),
      /1 Allow statement without an aws:PrincipalOrgID condition \(Anyone\)/,
    ],
    [
      JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:DescribeRule',
            Resource: BUS,
            Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } },
          },
        ],
      }),
      /no statement allows events:PutEvents/,
    ],
    ['not json', /not JSON/],
  ])('Noncompliance: bus policy %s', (policy, problem) => {
    expect(busPolicyProblem(policy, ORG_ID)).toMatch(problem);
  });

  it('Compliance: the bus policy as the contract writes it', () => {
    expect(busPolicyProblem(ORG_POLICY, ORG_ID)).toBeUndefined();
  });

  it('reports stack instances per account and region: failed, deploying, missing a region, excluded', async () => {
    cfn
      .on(ListStackInstancesCommand, { StackSetName: 'first-responder-member-forwarders' })
      .resolves({
        Summaries: [
          instance('222222222222', 'eu-west-1'),
          instance(
            '222222222222',
            'us-east-1',
            'OUTDATED',
            'FAILED',
            'ResourceLogicalId:SecurityGroupForwarder, ResourceType:AWS::Events::Rule, ResourceStatusReason:Access denied.',
          ),
          instance('333333333333', 'eu-west-1', 'OUTDATED', 'RUNNING'),
          instance('555555555555', 'eu-west-1'),
          instance('555555555555', 'us-east-1'),
        ],
      });
    const report = await run();
    const c = check(report, 'StackSet first-responder-member-forwarders');
    expect(c.status).toBe('fail');
    expect(c.detail).toBe('5 instances in 3 accounts: 3 CURRENT, 1 deploying, 3 to fix');
    expect(c.items).toEqual([
      '222222222222/us-east-1: OUTDATED (FAILED): ResourceLogicalId:SecurityGroupForwarder, ResourceType:AWS::Events::Rule, ResourceStatusReason:Access denied.',
      '333333333333/eu-west-1: OUTDATED (RUNNING)',
      '333333333333: no instance in us-east-1',
      '555555555555: has stack instances, but is in organization.excludeAccounts',
    ]);
    expect(report.ok).toBe(false);
    expect(renderPreflight(report)).toContain('    333333333333: no instance in us-east-1');
  });

  it('a StackSet still deploying is a warning, not a failure', async () => {
    cfn.on(ListStackInstancesCommand, { StackSetName: 'first-responder-member-roles' }).resolves({
      Summaries: [
        instance('222222222222', 'eu-west-1'),
        instance('333333333333', 'eu-west-1', 'OUTDATED', 'PENDING'),
      ],
    });
    const report = await run();
    expect(check(report, 'StackSet first-responder-member-roles')).toMatchObject({
      status: 'warn',
      items: ['333333333333/eu-west-1: OUTDATED (PENDING)'],
    });
    expect(report.ok).toBe(true);
  });

  it('Noncompliance: a StackSet that does not exist, and one with no instance', async () => {
    cfn
      .on(ListStackInstancesCommand, { StackSetName: 'first-responder-member-forwarders' })
      .rejects(
        awsError(
          'StackSetNotFoundException',
          'StackSet first-responder-member-forwarders not found',
        ),
      )
      .on(ListStackInstancesCommand, { StackSetName: 'first-responder-member-roles' })
      .resolves({ Summaries: [] });
    const report = await run();
    expect(check(report, 'StackSet first-responder-member-forwarders')).toMatchObject({
      status: 'fail',
      detail: 'StackSet first-responder-member-forwarders does not exist in eu-west-1',
    });
    expect(check(report, 'StackSet first-responder-member-roles').status).toBe('warn');
  });

  it('Noncompliance: a target OU and a root that do not exist', async () => {
    orgs.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-zz99' }] });
    orgs
      .on(DescribeOrganizationalUnitCommand, { OrganizationalUnitId: 'ou-ab12-prodwork' })
      .rejects(
        awsError(
          'OrganizationalUnitNotFoundException',
          "You specified an organizational unit that doesn't exist.",
        ),
      );
    const c = check(await run(), 'Target OUs exist');
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/^not in organization o-a1b2c3d4e5: r-ab12, ou-ab12-prodwork;/);
  });

  it('a check that is denied (an IAM permission, not the management account) fails and says which', async () => {
    orgs.on(ListRootsCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    const c = check(await run(), 'Target OUs exist');
    expect(c).toMatchObject({ status: 'fail' });
    expect(c.detail).toContain('organizations:ListRoots');
  });

  it('exits 2 on a configuration without organization:, and 0/1 from the command line', async () => {
    const { err, out } = capture();
    expect(await main(['preflight', '--organization', '--region', 'eu-west-1'])).toBe(2);
    expect(err.join('\n')).toContain('has no organization: section');
    const args = ['preflight', '--organization', '--config', join(EXAMPLES, 'organization.yaml')];
    expect(await main([...args, '--region', 'eu-west-1'])).toBe(0);
    expect(out.join('\n')).toContain('10 passed, 0 warnings, 0 failed');
    events.on(DescribeEventBusCommand).rejects(awsError('ResourceNotFoundException'));
    expect(await main([...args, '--json'])).toBe(1);
  });
});
