/**
 * validate against aws-sdk-client-mock sequences, with jest's fake timers for the waiting: the
 * account answers as time passes (incidents at 45 s, engagement at 50 s, runbook done at 90 s),
 * and each step must be reported with its time. Also the bounded wait itself.
 */
import {
  CreateSampleFindingsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
} from '@aws-sdk/client-guardduty';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetAutomationExecutionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ListEngagementsCommand } from '@aws-sdk/client-ssm-contacts';
import {
  GetIncidentRecordCommand,
  GetTimelineEventCommand,
  ListIncidentRecordsCommand,
  ListTimelineEventsCommand,
  SSMIncidentsClient,
} from '@aws-sdk/client-ssm-incidents';
import { ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createAwsClients } from '../../cli/aws';
import {
  renderValidate,
  runValidate,
  SAMPLE_FINDINGS,
  type ValidateOptions,
} from '../../cli/commands/validate';
import { main } from '../../cli/main';
import { formatDuration, waitFor } from '../../cli/wait';
import { loadConfig, parseConfig } from '../../infra/config';
import { ACCOUNT, drive, mockContacts, mockSts, type ContactsStub } from './support';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const CONFIG = loadConfig(join(EXAMPLES, 'config.yaml'));
const PLAN = 'first-responder-guardduty-finding';
const HIGH = 'Backdoor:EC2/C&CActivity.B';
const CRITICAL = 'AttackSequence:EC2/CompromisedInstanceGroup';
const incidentArn = (id: string) =>
  `arn:aws:ssm-incidents::${ACCOUNT}:incident-record/${PLAN}/${id}`;
const EXEC = `arn:aws:ssm:eu-west-1:${ACCOUNT}:automation-execution/4105a4fc-f944-11e6-9d32-0123456789ab`;
const T0 = Date.parse('2026-11-23T09:00:00Z');

interface ConfigDoc {
  detection: { guardDuty: { minSeverity?: number } };
  responsePlans: { guardDutyFinding: { engagements?: string[] } };
}

function configWith(edit: (doc: ConfigDoc) => void) {
  const doc = parseYaml(readFileSync(join(EXAMPLES, 'config.yaml'), 'utf8')) as ConfigDoc;
  edit(doc);
  return parseConfig(doc, { baseDir: EXAMPLES });
}

/** The trigger timeline event Incident Manager writes for an EventBridge event. */
const trigger = (type: string, raw?: string) => ({
  event: {
    incidentRecordArn: 'x',
    eventId: 'trigger',
    eventTime: new Date(T0),
    eventUpdatedTime: new Date(T0),
    eventType: 'SSM Incident Trigger',
    eventData: JSON.stringify({
      rawData:
        raw ??
        JSON.stringify({
          source: 'aws.guardduty',
          'detail-type': 'GuardDuty Finding',
          detail: {
            type,
            severity: type === HIGH ? 8 : 9,
            service: { additionalInfo: { sample: true } },
          },
        }),
      source: 'aws.events',
    }),
  },
});

let sts: ReturnType<typeof mockSts>;
let gd: AwsClientStub<GuardDutyClient>;
let incidents: AwsClientStub<SSMIncidentsClient>;
let contacts: ContactsStub;
let ssm: AwsClientStub<SSMClient>;
let lines: string[];
/** Seconds since the start of the test's fake clock. */
const elapsed = () => (Date.now() - T0) / 1000;

/**
 * An account that answers as a working deployment does: both incidents open 45 s after the
 * start, the engagement starts at 50 s, the runbook runs from 60 s and succeeds at 90 s.
 */
beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
  lines = [];
  sts = mockSts();
  gd = mockClient(GuardDutyClient);
  gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['12abc34d567e8fa901bc2d34e56789f0'] });
  gd.on(CreateSampleFindingsCommand).resolves({});
  incidents = mockClient(SSMIncidentsClient);
  incidents.on(ListIncidentRecordsCommand).callsFake(() => ({
    incidentRecordSummaries:
      elapsed() < 45
        ? []
        : ['a1', 'b2'].map((id) => ({
            arn: incidentArn(id),
            title: 'GuardDuty finding',
            status: 'OPEN',
            impact: 2,
            creationTime: new Date(T0 + 44_000),
            incidentRecordSource: { createdBy: 'events', source: 'aws.events' },
          })),
  }));
  incidents.on(ListTimelineEventsCommand).resolves({
    eventSummaries: [
      {
        incidentRecordArn: 'x',
        eventId: 'trigger',
        eventTime: new Date(T0),
        eventUpdatedTime: new Date(T0),
        eventType: 'SSM Incident Trigger',
      },
    ],
  });
  incidents
    .on(GetTimelineEventCommand)
    .callsFake((i: { incidentRecordArn: string }) =>
      trigger(i.incidentRecordArn.endsWith('a1') ? CRITICAL : HIGH),
    );
  incidents.on(GetIncidentRecordCommand).callsFake((i: { arn: string }) => ({
    incidentRecord: {
      arn: i.arn,
      title: 'GuardDuty finding',
      status: 'OPEN',
      impact: 2,
      creationTime: new Date(T0 + 44_000),
      lastModifiedTime: new Date(),
      lastModifiedBy: 'x',
      dedupeString: '',
      incidentRecordSource: { createdBy: 'events', source: 'aws.events' },
      automationExecutions: elapsed() < 60 ? [] : [{ ssmExecutionArn: EXEC }],
    },
  }));
  contacts = mockContacts();
  contacts.on(ListEngagementsCommand).callsFake((i: { IncidentId: string }) => ({
    Engagements:
      elapsed() < 50
        ? []
        : [
            {
              EngagementArn: `arn:aws:ssm-contacts:eu-west-1:${ACCOUNT}:engagement/security-escalation/1`,
              ContactArn: `arn:aws:ssm-contacts:eu-west-1:${ACCOUNT}:contact/security-escalation`,
              Sender: 'Incident Manager',
              IncidentId: i.IncidentId,
              StartTime: new Date(T0 + 50_000),
            },
          ],
  }));
  ssm = mockClient(SSMClient);
  ssm.on(GetAutomationExecutionCommand).callsFake(() => ({
    AutomationExecution: {
      AutomationExecutionId: '4105a4fc-f944-11e6-9d32-0123456789ab',
      DocumentName: 'first-responder-guardduty-finding-response',
      AutomationExecutionStatus: elapsed() < 90 ? 'InProgress' : 'Success',
    },
  }));
});
afterEach(() => {
  for (const m of [sts, gd, incidents, contacts, ssm]) m.restore();
  jest.useRealTimers();
});

const validate = (options: Partial<ValidateOptions> = {}) =>
  drive(
    runValidate({
      clients: createAwsClients({ region: 'eu-west-1' }),
      config: CONFIG,
      progress: (l) => lines.push(l),
      ...options,
    }),
  );

describe('validate on a working deployment', () => {
  it('generates a High and a Critical sample finding and reports each step with its time', async () => {
    // WHEN validate runs
    const report = await validate();

    // THEN it asked GuardDuty for one High and one Critical sample finding
    expect(gd).toReceiveCommandWith(CreateSampleFindingsCommand, {
      DetectorId: '12abc34d567e8fa901bc2d34e56789f0',
      FindingTypes: [HIGH, CRITICAL],
    });
    expect(SAMPLE_FINDINGS.map((f) => f.label)).toEqual(['High', 'Critical']);
    // and followed each incident from opening to engagement to the finished runbook
    expect(report.steps.map((s) => [s.name, s.status, s.atMs])).toEqual([
      ['generate sample findings', 'pass', 0],
      [`incident for ${HIGH}`, 'pass', 45_000],
      [`incident for ${CRITICAL}`, 'pass', 45_000],
      ['engagement for incident b2', 'pass', 50_000],
      ['runbook for incident b2', 'pass', 90_000],
      ['engagement for incident a1', 'pass', 90_000],
      ['runbook for incident a1', 'pass', 90_000],
    ]);
    expect(report.incidents.map((i) => [i.findingType, i.incidentArn])).toEqual([
      [HIGH, incidentArn('b2')],
      [CRITICAL, incidentArn('a1')],
    ]);
    expect(report.steps[4]!.detail).toBe(
      'first-responder-guardduty-finding-response finished: Success',
    );
    expect(report.steps[3]!.detail).toBe('engaged security-escalation at 2026-11-23T09:00:50.000Z');
    expect(report).toMatchObject({ ok: true, responsePlan: PLAN, account: ACCOUNT });
  });

  it('says what it waits for, for how long, and asks only for incidents since the start', async () => {
    await validate();
    expect(lines).toContain(
      `waiting for the incidents to open from response plan ${PLAN} (2 expected) (0 s of 600 s)`,
    );
    expect(lines).toContain(
      `waiting for the incidents to open from response plan ${PLAN} (2 expected) (15 s of 600 s)`,
    );
    expect(lines).toContain('waiting for the runbook to finish for incident b2 (0 s of 600 s)');
    expect(incidents).toReceiveCommandWith(ListIncidentRecordsCommand, {
      filters: [{ key: 'creationTime', condition: { after: new Date(T0 - 600_000) } }],
    });
    // the runbook status comes from the execution the incident names, in its region
    expect(ssm).toReceiveCommandWith(GetAutomationExecutionCommand, {
      AutomationExecutionId: '4105a4fc-f944-11e6-9d32-0123456789ab',
    });
  });

  it('ignores incidents of the plan that were open before it started', async () => {
    // GIVEN an incident of the plan from a previous run, visible from the start
    incidents.on(ListIncidentRecordsCommand).callsFake(() => ({
      incidentRecordSummaries: [
        {
          arn: incidentArn('old'),
          title: 't',
          status: 'OPEN',
          impact: 2,
          creationTime: new Date(T0 - 60_000),
          incidentRecordSource: { createdBy: 'x', source: 'aws.events' },
        },
        ...(elapsed() < 45
          ? []
          : ['a1', 'b2'].map((id) => ({
              arn: incidentArn(id),
              title: 't',
              status: 'OPEN',
              impact: 2,
              creationTime: new Date(),
              incidentRecordSource: { createdBy: 'x', source: 'aws.events' },
            }))),
      ],
    }));
    // WHEN validate runs THEN the old incident is not taken for a new one
    const report = await validate();
    expect(report.incidents.map((i) => i.incidentArn).sort()).toEqual([
      incidentArn('a1'),
      incidentArn('b2'),
    ]);
  });

  it('a trigger it cannot read (cut off at 10,000 characters) still counts for a finding', async () => {
    incidents.on(GetTimelineEventCommand).resolves(trigger('', '{"detail":{"type":"Backd'));
    const report = await validate();
    expect(report.incidents).toHaveLength(2);
    expect(report.ok).toBe(true);
  });
});

describe('validate when something does not work', () => {
  it('no incident opens: each wait ends at its bound and the report says where to look', async () => {
    // GIVEN incidents never open
    incidents.on(ListIncidentRecordsCommand).resolves({ incidentRecordSummaries: [] });
    // WHEN validate runs with a 60 s bound
    const report = await validate({ timeoutMs: 60_000 });
    // THEN both incidents fail after 60 s, and nothing else is waited for
    expect(report.steps.slice(1).map((s) => [s.name, s.status, s.atMs])).toEqual([
      [`incident for ${HIGH}`, 'fail', 60_000],
      [`incident for ${CRITICAL}`, 'fail', 60_000],
    ]);
    expect(report.steps[1]!.detail).toBe(
      `no incident from response plan ${PLAN} within 1 min 00 s: check the EventBridge rule for GuardDuty findings (minSeverity 7) and run 'first-responder preflight'`,
    );
    expect(report.ok).toBe(false);
    expect(contacts.calls()).toHaveLength(0);
    expect(renderValidate(report)).toContain('some steps failed');
  });

  it('the runbook fails: the step fails with the runbook failure', async () => {
    ssm.on(GetAutomationExecutionCommand).resolves({
      AutomationExecution: {
        DocumentName: 'first-responder-guardduty-finding-response',
        AutomationExecutionStatus: 'Failed',
        FailureMessage: 'Step fails when it is Executing. Fail message: AccessDenied',
      },
    });
    const report = await validate();
    expect(report.steps.find((s) => s.name === 'runbook for incident b2')).toMatchObject({
      status: 'fail',
      detail:
        'first-responder-guardduty-finding-response finished: Failed (Step fails when it is Executing. Fail message: AccessDenied)',
    });
    expect(report.ok).toBe(false);
  });

  it('no engagement: fails after the bound, pointing at preflight', async () => {
    contacts.on(ListEngagementsCommand).resolves({ Engagements: [] });
    const report = await validate({ timeoutMs: 120_000 });
    expect(report.steps.find((s) => s.name === 'engagement for incident b2')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no engagement within 2 min 00 s'),
    });
  });

  it('no GuardDuty detector: one failed step, no sample findings', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    const report = await validate();
    expect(report.steps).toEqual([
      expect.objectContaining({ name: 'GuardDuty detector', status: 'fail' }),
    ]);
    expect(gd).not.toReceiveCommand(CreateSampleFindingsCommand);
  });
});

describe('validate follows the configuration', () => {
  it('with minSeverity 9 the High finding opens no incident and is not waited for', async () => {
    const config = configWith((d) => (d.detection.guardDuty.minSeverity = 9));
    incidents.on(GetTimelineEventCommand).resolves(trigger(CRITICAL));
    incidents.on(ListIncidentRecordsCommand).callsFake(() => ({
      incidentRecordSummaries:
        elapsed() < 45
          ? []
          : [
              {
                arn: incidentArn('a1'),
                title: 't',
                status: 'OPEN',
                impact: 2,
                creationTime: new Date(),
                incidentRecordSource: { createdBy: 'x', source: 'aws.events' },
              },
            ],
    }));
    const report = await validate({ config });
    expect(report.steps[0]).toMatchObject({
      name: `incident for ${HIGH}`,
      status: 'skip',
      detail: 'High (8) is below detection.guardDuty.minSeverity 9: no incident expected',
    });
    expect(report.incidents.map((i) => i.findingType)).toEqual([CRITICAL]);
    expect(report.ok).toBe(true);
  });

  it('a response plan that engages nobody skips the engagement', async () => {
    const config = configWith((d) => (d.responsePlans.guardDutyFinding.engagements = []));
    const report = await validate({ config });
    expect(report.steps.find((s) => s.name.startsWith('engagement'))).toMatchObject({
      status: 'skip',
    });
    expect(contacts.calls()).toHaveLength(0);
  });
});

/** An EC2 where the tripwire's group is created as `groupId`, and its rules reverted 20 s after they open. */
function revertingEc2(groupId: string): AwsClientStub<EC2Client> {
  const ec2 = mockClient(EC2Client);
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-0a1b2c3d4e5f60718' }] });
  ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: groupId });
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  ec2.on(DeleteSecurityGroupCommand).resolves({ Return: true });
  let opened = 0;
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => {
    opened ||= Date.now();
    return {
      SecurityGroupRules:
        Date.now() - opened < 20_000
          ? [
              {
                GroupId: groupId,
                IsEgress: false,
                IpProtocol: 'tcp',
                FromPort: 22,
                ToPort: 22,
                CidrIpv4: '0.0.0.0/0',
              },
            ]
          : [],
    };
  });
  return ec2;
}

describe('validate --tripwire', () => {
  it('runs the tripwire after the GuardDuty steps and reports its time to revert', async () => {
    // GIVEN an EC2 where the tripwire's rules are reverted 20 s after they open
    const ec2 = revertingEc2('sg-0123456789abcdef0');
    try {
      // WHEN validate runs with --tripwire
      const report = await validate({ tripwireVpcId: 'vpc-0a1b2c3d4e5f60718' });
      // THEN both parts are reported, and the group was deleted
      expect(report.tripwire).toMatchObject({ ok: true, timeToRevertMs: 20_000, deleted: true });
      expect(report.ok).toBe(true);
      expect(renderValidate(report)).toContain('time to revert: 20 s');
      expect(ec2).toReceiveCommandWith(DeleteSecurityGroupCommand, {
        GroupId: 'sg-0123456789abcdef0',
      });
    } finally {
      ec2.restore();
    }
  });
});

describe('validate --account: the tripwire in a member account (organization mode)', () => {
  const ORG = loadConfig(join(EXAMPLES, 'organization.yaml'));
  const MEMBER = '222222222222';
  const SG = 'sg-0123456789abcdef0';
  const SG_PLAN = 'first-responder-security-group-opened';
  let ec2: AwsClientStub<EC2Client>;
  let orgs: AwsClientStub<OrganizationsClient>;
  /** Where the member sits: ListParents from the account up to the root. */
  const placeUnder = (ou: string) =>
    orgs
      .on(ListParentsCommand, { ChildId: MEMBER })
      .resolves({ Parents: [{ Id: ou, Type: 'ORGANIZATIONAL_UNIT' }] })
      .on(ListParentsCommand, { ChildId: ou })
      .resolves({ Parents: [{ Id: 'r-ab12', Type: 'ROOT' }] });

  beforeEach(() => {
    orgs = mockClient(OrganizationsClient);
    placeUnder('ou-ab12-sandbox1');
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLEMEMBER',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(T0 + 3_600_000),
      },
    });
    // The member's EC2: the tripwire's rules are reverted 20 s after they open.
    ec2 = revertingEc2(SG);
    // The security account's Incident Manager: the incident naming the group, once it opened.
    incidents.on(ListIncidentRecordsCommand).callsFake(() => ({
      incidentRecordSummaries: [
        {
          arn: `arn:aws:ssm-incidents::${ACCOUNT}:incident-record/${SG_PLAN}/c3`,
          title: `${SG} opened tcp 22, 3389 to 0.0.0.0/0 by first-responder-validate-tripwire (${MEMBER}/eu-west-1)`,
          status: 'OPEN',
          impact: 2,
          creationTime: new Date(T0 + 5_000),
          incidentRecordSource: { createdBy: 'events', source: 'aws.events' },
        },
      ],
    }));
  });
  afterEach(() => {
    ec2.restore();
    orgs.restore();
  });

  const member = (options: Partial<ValidateOptions> = {}) =>
    validate({
      config: ORG,
      tripwireVpcId: 'vpc-0a1b2c3d4e5f60718',
      member: { account: MEMBER, roleName: 'SecurityResponder' },
      ...options,
    });

  it('creates the group in the member account through the role, and finds its incident with its own credentials', async () => {
    const report = await member();
    // THEN the role was assumed in the member account
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: `arn:aws:iam::${MEMBER}:role/SecurityResponder`,
        RoleSessionName: 'first-responder-validate-tripwire',
        DurationSeconds: 900,
      },
    ]);
    // and the tripwire's EC2 calls used its credentials
    const client = ec2.commandCalls(CreateSecurityGroupCommand)[0]!.thisValue as EC2Client;
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ASIAEXAMPLEMEMBER' });
    // while Incident Manager was asked with the CLI's own
    const im = incidents.commandCalls(ListIncidentRecordsCommand)[0]!
      .thisValue as SSMIncidentsClient;
    expect(await im.config.credentials()).not.toMatchObject({ accessKeyId: 'ASIAEXAMPLEMEMBER' });
    // and no sample finding was generated: they would be the administrator's, not the member's
    expect(gd.commandCalls(CreateSampleFindingsCommand)).toHaveLength(0);
    expect(report.steps.map((x) => [x.name, x.status])).toEqual([
      [`mode of account ${MEMBER}`, 'pass'],
      ['GuardDuty sample findings', 'skip'],
    ]);
    expect(report.steps[0]!.detail).toContain('under ou-ab12-sandbox1, in enforce mode');
    expect(report.steps[1]!.detail).toContain("the detector's own account");
    expect(report).toMatchObject({ ok: true, memberAccount: MEMBER });
    expect(report.tripwire!.steps.at(-1)).toMatchObject({
      name: 'incident in the security account',
      status: 'pass',
      detail: expect.stringContaining(`incident-record/${SG_PLAN}/c3`) as string,
    });
  });

  it('refuses an account in observe mode: the group would never be reverted', async () => {
    placeUnder('ou-ab12-vendors1');
    await expect(member({ member: { account: MEMBER } })).rejects.toThrow(
      /^--account 222222222222: account 222222222222 is in none of the targets .*; observing only \(fail closed\): first-responder records a plan there and changes nothing/,
    );
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(ec2.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
  });

  it('says that an account in approve mode is reverted only once someone approves', async () => {
    placeUnder('ou-ab12-prodwork');
    const report = await member();
    expect(report.steps[0]!.detail).toMatch(/in approve mode .*: the revert waits for an approval/);
  });

  it('runs all the same when it may not place the account itself, and says so', async () => {
    orgs
      .on(ListParentsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const report = await member();
    expect(report.steps[0]).toMatchObject({ name: `mode of account ${MEMBER}`, status: 'skip' });
    expect(report.ok).toBe(true);
  });

  it('fails when no incident names the group', async () => {
    incidents.on(ListIncidentRecordsCommand).resolves({ incidentRecordSummaries: [] });
    const report = await member({ timeoutMs: 60_000 });
    expect(report.ok).toBe(false);
    expect(report.tripwire!.steps.at(-1)).toMatchObject({
      name: 'incident in the security account',
      status: 'fail',
    });
    expect(report.tripwire!.steps.at(-1)!.detail).toContain(`names ${SG}`);
  });

  it('refuses, creating nothing, when the role cannot be assumed', async () => {
    sts.on(AssumeRoleCommand).rejects(
      Object.assign(new Error('not authorized to perform: sts:AssumeRole'), {
        name: 'AccessDenied',
      }),
    );
    await expect(member()).rejects.toThrow(
      /^--account 222222222222: the tripwire group is created there; could not assume arn:aws:iam::222222222222:role\/SecurityResponder \(not authorized to perform: sts:AssumeRole\): pass --role NAME/,
    );
    expect(ec2.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
  });

  it('refuses a region that organization.regions does not watch', async () => {
    await expect(
      validate({
        clients: createAwsClients({ region: 'ap-south-1' }),
        config: ORG,
        tripwireVpcId: 'vpc-0a1b2c3d4e5f60718',
        member: { account: MEMBER },
      }),
    ).rejects.toThrow('--region ap-south-1 is not in organization.regions (eu-west-1, us-east-1)');
  });

  it.each([
    [
      ['validate', '--account', MEMBER],
      '--account runs the tripwire in a member account: give --tripwire --vpc-id VPC',
    ],
    [
      ['validate', '--account', '2222', '--tripwire', '--vpc-id', 'vpc-0a1b2c3d4e5f60718'],
      '--account: got "2222"; a 12-digit account ID',
    ],
  ])('%j is refused with exit 2', async (argv, message) => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(argv)).toBe(2);
      expect(err.mock.calls[0]![0]).toContain(message);
    } finally {
      err.mockRestore();
    }
  });
});

describe('the validate command line', () => {
  it.each([
    [
      ['validate', '--timeout', 'ten'],
      '--timeout: got "ten"; a whole number of seconds from 1 to 3600',
    ],
    [['validate', '--tripwire'], '--tripwire needs --vpc-id VPC'],
    [['validate', '--vpc-id', 'vpc-0a1b2c3d4e5f60718'], '--tripwire needs --vpc-id VPC'],
  ])('%j is refused with exit 2', async (argv, message) => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(argv)).toBe(2);
      expect(err.mock.calls[0]![0]).toContain(message);
      expect(gd.calls()).toHaveLength(0);
    } finally {
      err.mockRestore();
    }
  });

  it('--json prints the report and the exit code says whether it worked', async () => {
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await drive(main(['validate', '--region', 'eu-west-1', '--json']));
      expect(code).toBe(0);
      const report = JSON.parse(out.mock.calls[0]![0] as string) as {
        ok: boolean;
        steps: unknown[];
      };
      expect(report.ok).toBe(true);
      expect(report.steps).toHaveLength(7);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe('waiting with a bound', () => {
  it('returns the answer and how long it took', async () => {
    let n = 0;
    const result = await drive(
      waitFor('x', () => Promise.resolve(++n === 3 ? 'yes' : undefined), {
        intervalMs: 2000,
        progress: () => undefined,
      }),
    );
    expect(result).toEqual({ status: 'done', value: 'yes', elapsedMs: 4000 });
  });

  it('gives up at the bound, never later, with progress every 15 s', async () => {
    const seen: string[] = [];
    const result = await drive(
      waitFor('the thing', () => Promise.resolve(undefined), {
        timeoutMs: 32_000,
        intervalMs: 5000,
        progress: (l) => seen.push(l),
      }),
    );
    expect(result).toEqual({ status: 'timeout', elapsedMs: 32_000 });
    expect(seen).toEqual([
      'waiting for the thing (0 s of 32 s)',
      'waiting for the thing (15 s of 32 s)',
      'waiting for the thing (30 s of 32 s)',
    ]);
  });

  it('stops at once when aborted', async () => {
    const abort = new AbortController();
    const waiting = waitFor('x', () => Promise.resolve(undefined), {
      signal: abort.signal,
      progress: () => undefined,
    });
    await jest.advanceTimersByTimeAsync(1000);
    abort.abort();
    await expect(drive(waiting)).resolves.toMatchObject({ status: 'aborted' });
  });

  it.each([
    [850, '850 ms'],
    [4200, '4.2 s'],
    [48_000, '48 s'],
    [125_000, '2 min 05 s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
