/**
 * Organization mode in the response functions: the event's member account and region, its mode,
 * and the records. EC2 is two mocked clients: the function's own account, and the member session
 * (the factory records where it was asked to act). Incident Manager is mocked with documented shapes.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateTimelineEventCommand,
  SSMIncidentsClient,
  UpdateRelatedItemsCommand,
} from '@aws-sdk/client-ssm-incidents';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { MemberTarget } from '../../handlers/aws/member-session';
import { makeHandler as makeGuardDuty } from '../../handlers/guardduty-response';
import {
  memberEc2 as memberEc2For,
  responderFromSettings,
  type OrganizationResponder,
} from '../../handlers/respond/organization';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import type { Placement, ScopeSettings } from '../../handlers/policy/scope';
import { makeHandler, RemediationIncompleteError } from '../../handlers/reverter';
import { InputError } from '../../handlers/shared/errors';
import {
  fixture,
  guardDutyFinding,
  INCIDENT_ARN,
  mockIncidents,
  triggerData,
  written,
  writtenRecords,
} from '../incident/support';
import { described, EXAMPLE_POLICY, ingressRule } from '../support/groups';

const SG = 'sg-01f414f5313452cd1';
const MEMBER = '222222222222';
const REGION = 'eu-central-1';
const OTHER = '333333333333';
const OU_ENFORCE = 'ou-ab12-enforce1';
const OU_APPROVE = 'ou-ab12-approve1';
const OU_OBSERVE = 'ou-ab12-observe1';
const ROOT = 'r-ab12';
const SETTINGS: ScopeSettings = {
  targets: [
    { organizationalUnits: [OU_ENFORCE], mode: 'enforce' },
    { organizationalUnits: [OU_APPROVE], mode: 'approve' },
    { organizationalUnits: [OU_OBSERVE], mode: 'observe' },
  ],
};
const INCIDENT_ID = INCIDENT_ARN.split('/').pop()!;

/** The CloudTrail event as the member's forwarder delivers it: its account and region kept. */
function memberEvent(account = MEMBER, region = REGION): Record<string, unknown> {
  return { ...fixture('events', 'authorize-ingress-world-by-assumed-role.json'), account, region };
}

const ownEc2 = new EC2Client({});
const memberEc2 = new EC2Client({});
const own = mockClient(ownEc2);
const member = mockClient(memberEc2);
let incidents: ReturnType<typeof mockIncidents>;
/** Where the responder was asked to act, and which accounts it looked up. */
let targets: MemberTarget[];
let lookups: string[];

function responder(placement: Placement): OrganizationResponder {
  return {
    settings: SETTINGS,
    ec2: (target) => {
      targets.push(target);
      return memberEc2;
    },
    place: (account) => {
      lookups.push(account);
      return Promise.resolve(placement);
    },
    sourceIdentity: 'first-responder-reverter',
  };
}
const under = (ou: string): Placement => ({ found: true, parents: [ou, ROOT] });

const deps = (placement: Placement) => ({
  ec2: ownEc2,
  incidents: new SSMIncidentsClient({}),
  policy: () => EXAMPLE_POLICY,
  limits: () => DEFAULT_LIMITS,
  organization: () => responder(placement),
});
const reverter = (placement: Placement) => makeHandler(deps(placement));
const context = { awsRequestId: 'req-org-1' };

const writes = (m: typeof member) =>
  m.commandCalls(AuthorizeSecurityGroupIngressCommand).length +
  m.commandCalls(RevokeSecurityGroupIngressCommand).length;
const records = () => writtenRecords(incidents);
const notes = () =>
  written(incidents)
    .filter((r) => r.kind === 'first-responder/note')
    .map((r) => r.summary as string);

beforeEach(() => {
  own.reset();
  member.reset();
  targets = [];
  lookups = [];
  member
    .on(DescribeSecurityGroupsCommand)
    .resolves(described(SG, [ingressRule(SG, 1, 1521, '0.0.0.0/0')], { GroupName: 'db' }));
  member.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  member.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
  process.env.AWS_REGION = 'eu-west-1';
});
afterEach(() => incidents?.restore());

describe('the reverter in organization mode', () => {
  it('enforce: reverts in the member account and region only, and says where on the incident', async () => {
    // GIVEN an incident opened by an event from the member account, in an enforce OU
    incidents = mockIncidents(triggerData(memberEvent()));
    // WHEN the runbook invokes the reverter
    const res = await reverter(under(OU_ENFORCE))({ incidentRecordArn: INCIDENT_ARN }, context);
    // THEN it acted through a member session named for the incident and the function
    expect(targets).toEqual([
      {
        account: MEMBER,
        region: REGION,
        sessionName: `fr-${INCIDENT_ID}`,
        sourceIdentity: 'first-responder-reverter',
      },
    ]);
    expect(lookups).toEqual([MEMBER]);
    // and wrote in the member session only (the one revoke), never with its own account's client
    expect(writes(member)).toBe(1);
    expect(member).toReceiveCommandWith(RevokeSecurityGroupIngressCommand, { GroupId: SG });
    expect(own.calls()).toHaveLength(0);
    expect(res).toMatchObject({ ok: true, dryRun: false, mode: 'enforce', account: MEMBER });
    expect(res.region).toBe(REGION);
    // and the record names the place and the mode
    expect(records()).toEqual([
      expect.objectContaining({
        groupId: SG,
        status: 'remediated',
        account: MEMBER,
        region: REGION,
        mode: 'enforce',
        summary: expect.stringMatching(new RegExp(`^${MEMBER}/${REGION} ${SG}: revoked`)),
      }),
    ]);
    const memberArn = `arn:aws:ec2:${REGION}:${MEMBER}:security-group/${SG}`;
    expect(incidents).toReceiveCommandWith(CreateTimelineEventCommand, {
      eventReferences: [{ resource: memberArn }],
    });
    expect(incidents).toReceiveCommandWith(UpdateRelatedItemsCommand, {
      relatedItemsUpdate: {
        itemToAdd: expect.objectContaining({
          identifier: expect.objectContaining({ value: { arn: memberArn } }),
        }),
      },
    });
    expect(notes()).toEqual([expect.stringContaining(`${MEMBER}/${REGION} is in enforce mode`)]);
  });

  it('observe: the same planner as a dry run, the plan on the incident, zero writes', async () => {
    incidents = mockIncidents(triggerData(memberEvent()));
    const res = await reverter(under(OU_OBSERVE))({ incidentRecordArn: INCIDENT_ARN }, context);
    expect(writes(member)).toBe(0);
    expect(member.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
    expect(own.calls()).toHaveLength(0);
    expect(res).toMatchObject({ ok: true, dryRun: true, mode: 'observe' });
    expect(records()).toEqual([
      expect.objectContaining({
        status: 'planned',
        mode: 'observe',
        revoked: [expect.objectContaining({ fromPort: 1521, cidrIpv4: '0.0.0.0/0' })],
        summary: expect.stringContaining(`${MEMBER}/${REGION} ${SG} (observe mode): would revoke`),
      }),
    ]);
    expect(notes()[0]).toMatch(/observe mode.*the plan is recorded, nothing is changed/);
  });

  it.each([
    ['not passed', {}],
    ['false', { approved: false }],
    ['"false"', { approved: 'false' }],
  ])('approve, approval %s: behaves as observe, zero writes', async (_, approval) => {
    incidents = mockIncidents(triggerData(memberEvent()));
    const res = await reverter(under(OU_APPROVE))(
      { incidentRecordArn: INCIDENT_ARN, ...approval },
      context,
    );
    expect(writes(member)).toBe(0);
    expect(res).toMatchObject({ ok: true, dryRun: true, mode: 'approve' });
    expect(records()[0]).toMatchObject({
      status: 'planned',
      mode: 'approve',
      summary: expect.stringContaining('(approve mode, not approved: nothing changed)'),
    });
  });

  it('approve, approved by the runbook: reverts in the member account', async () => {
    incidents = mockIncidents(triggerData(memberEvent()));
    const res = await reverter(under(OU_APPROVE))(
      { incidentRecordArn: INCIDENT_ARN, approved: 'true' },
      context,
    );
    expect(writes(member)).toBe(1);
    expect(res).toMatchObject({ ok: true, dryRun: false, mode: 'approve' });
    expect(records()[0]).toMatchObject({ status: 'remediated', mode: 'approve' });
  });

  it('observe wins over an approval: approved in an observe account changes nothing', async () => {
    incidents = mockIncidents(triggerData(memberEvent()));
    await reverter(under(OU_OBSERVE))({ incidentRecordArn: INCIDENT_ARN, approved: true }, context);
    expect(writes(member)).toBe(0);
  });

  it('a failed OU lookup: observed (fail closed), zero writes', async () => {
    incidents = mockIncidents(triggerData(memberEvent()));
    const res = await reverter({ found: false, reason: 'ListParents failed: AccessDenied' })(
      { incidentRecordArn: INCIDENT_ARN },
      context,
    );
    expect(writes(member)).toBe(0);
    expect(res.mode).toBe('observe');
    expect(notes()[0]).toMatch(/could not be found: ListParents failed: AccessDenied.*fail closed/);
  });

  it('refuses a resource in another account than the event, and fails the step', async () => {
    // GIVEN the runbook names a group in another account beside the event's
    incidents = mockIncidents(triggerData(memberEvent()));
    const elsewhere = `arn:aws:ec2:${REGION}:${OTHER}:security-group/sg-0bbbbbbbbbbbbbbb1`;
    // WHEN the reverter runs
    const run = reverter(under(OU_ENFORCE))(
      { incidentRecordArn: INCIDENT_ARN, involvedResources: [elsewhere] },
      context,
    );
    // THEN the step fails, naming the refusal
    await expect(run).rejects.toThrow(RemediationIncompleteError);
    await expect(run).rejects.toThrow(/REFUSED: .*333333333333.* not in the event's account/);
    // and only the event's account was acted in, for the event's group
    expect(targets.map((t) => t.account)).toEqual([MEMBER]);
    expect(member.commandCalls(DescribeSecurityGroupsCommand).map((c) => c.args[0].input)).toEqual([
      { GroupIds: [SG] },
    ]);
  });

  it('cannot tell the place (trigger cut off, no involved resource): changes nothing, fails', async () => {
    incidents = mockIncidents(triggerData('{"version":"0","account":"2222'));
    await expect(
      reverter(under(OU_ENFORCE))({ incidentRecordArn: INCIDENT_ARN }, context),
    ).rejects.toThrow(/Could not tell which account and region/);
    expect(targets).toEqual([]);
    expect(member.calls()).toHaveLength(0);
    expect(own.calls()).toHaveLength(0);
  });

  it('a cut-off trigger: the one place every involved resource names (written by the intake)', async () => {
    incidents = mockIncidents(triggerData('{"version":"0","account":"2222'));
    await expect(
      reverter(under(OU_ENFORCE))(
        {
          incidentRecordArn: INCIDENT_ARN,
          involvedResources: [`arn:aws:ec2:${REGION}:${MEMBER}:security-group/${SG}`],
        },
        context,
      ),
    ).resolves.toMatchObject({ ok: true, account: MEMBER, region: REGION });
    expect(writes(member)).toBe(1);
  });

  it('refuses a list of groups without an incident: nothing says which account', async () => {
    incidents = mockIncidents(undefined);
    await expect(reverter(under(OU_ENFORCE))({ groupIds: [SG] }, context)).rejects.toThrow(
      InputError,
    );
    expect(member.calls()).toHaveLength(0);
    expect(own.calls()).toHaveLength(0);
  });
});

describe('the scope check (the runbook, before its approval step)', () => {
  it.each([
    [OU_ENFORCE, 'enforce'],
    [OU_APPROVE, 'approve'],
    [OU_OBSERVE, 'observe'],
  ])('an account under %s answers %s, and nothing is read in EC2 or written', async (ou, mode) => {
    incidents = mockIncidents(triggerData(memberEvent()));
    const res = await reverter(under(ou))(
      { incidentRecordArn: INCIDENT_ARN, scopeOnly: 'true' },
      context,
    );
    expect(res).toEqual({
      ok: true,
      dryRun: true,
      results: [],
      mode,
      reason: expect.stringContaining(ou),
      accounts: [{ account: MEMBER, region: REGION, mode, reason: expect.stringContaining(ou) }],
    });
    expect(incidents).toReceiveCommandTimes(CreateTimelineEventCommand, 0);
    expect(incidents).toReceiveCommandTimes(UpdateRelatedItemsCommand, 0);
    expect(targets).toEqual([]);
    expect(member.calls()).toHaveLength(0);
  });

  it('fails closed: an unknown place answers observe with no account', async () => {
    incidents = mockIncidents(undefined);
    const res = await reverter(under(OU_ENFORCE))(
      { incidentRecordArn: INCIDENT_ARN, scopeOnly: true },
      context,
    );
    expect(res).toMatchObject({ ok: true, mode: 'observe', accounts: [] });
    expect(res.reason).toMatch(/no trigger event.*fail closed/);
  });

  it('in a single account: enforce, with no account to name', async () => {
    incidents = mockIncidents(triggerData(memberEvent()));
    const single = makeHandler({ ...deps(under(OU_ENFORCE)), organization: () => undefined });
    const res = await single({ incidentRecordArn: INCIDENT_ARN, scopeOnly: true }, context);
    expect(res).toMatchObject({ ok: true, mode: 'enforce', accounts: [] });
    expect(own.calls()).toHaveLength(0);
  });

  it('is refused without an incident', async () => {
    await expect(reverter(under(OU_ENFORCE))({ groupIds: [SG], scopeOnly: true })).rejects.toThrow(
      /scopeOnly.*incidentRecordArn/,
    );
  });
});

describe('single-account records are unchanged', () => {
  it('no account, region or mode on the record, and the summary as before', async () => {
    incidents = mockIncidents(triggerData(memberEvent()));
    own
      .on(DescribeSecurityGroupsCommand)
      .resolves(described(SG, [ingressRule(SG, 1, 1521, '0.0.0.0/0')], { GroupName: 'db' }));
    own.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    own.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const single = makeHandler({ ...deps(under(OU_ENFORCE)), organization: () => undefined });
    const res = await single({ incidentRecordArn: INCIDENT_ARN, approved: false }, context);
    expect(Object.keys(res).sort()).toEqual(['dryRun', 'notes', 'ok', 'results']);
    const [record] = records();
    expect(record).toBeDefined();
    expect(Object.keys(record!)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(account|region|mode)$/)]),
    );
    expect(record!.summary).toMatch(new RegExp(`^${SG}: revoked`));
    expect(notes()).toEqual([]);
    expect(targets).toEqual([]);
  });
});

describe('the GuardDuty response in organization mode', () => {
  /** The finding as the delegated administrator's bus has it: the member in the detail. */
  function adminFinding(): Record<string, unknown> {
    const f = guardDutyFinding(9.5) as Record<string, unknown> & {
      detail: Record<string, unknown>;
    };
    f.account = '111111111111';
    f.region = 'eu-west-1';
    f.detail.accountId = MEMBER;
    f.detail.region = REGION;
    return f;
  }
  const GROUPS = ['sg-0a1b2c3d4e5f60002', 'sg-0a1b2c3d4e5f60001'];
  const guardDuty = (placement: Placement) =>
    makeGuardDuty({ ...deps(placement), revertMinSeverity: () => 9 });

  beforeEach(() => {
    member
      .on(DescribeSecurityGroupsCommand)
      .callsFake((i: { GroupIds: string[] }) =>
        described(i.GroupIds[0]!, [ingressRule(i.GroupIds[0]!, 1, 22, '0.0.0.0/0')]),
      );
  });

  it("acts in the finding's member account and region (detail), not the administrator's", async () => {
    incidents = mockIncidents(triggerData(adminFinding()));
    const res = await guardDuty(under(OU_ENFORCE))({ incidentRecordArn: INCIDENT_ARN }, context);
    expect(targets.map((t) => `${t.account}/${t.region}`)).toEqual([`${MEMBER}/${REGION}`]);
    expect(lookups).toEqual([MEMBER]);
    expect(res).toMatchObject({ reverted: true, mode: 'enforce', account: MEMBER, region: REGION });
    expect(member.commandCalls(DescribeSecurityGroupsCommand).map((c) => c.args[0].input)).toEqual(
      GROUPS.map((g) => ({ GroupIds: [g] })),
    );
    expect(writes(member)).toBe(4);
    expect(own.calls()).toHaveLength(0);
    expect(records().map((r) => [r.account, r.region, r.mode])).toEqual([
      [MEMBER, REGION, 'enforce'],
      [MEMBER, REGION, 'enforce'],
    ]);
  });

  it('observe: the plan for each instance group on the incident, zero writes', async () => {
    incidents = mockIncidents(triggerData(adminFinding()));
    const res = await guardDuty(under(OU_OBSERVE))({ incidentRecordArn: INCIDENT_ARN }, context);
    expect(writes(member)).toBe(0);
    expect(res).toMatchObject({ reverted: false, mode: 'observe' });
    expect(records().map((r) => [r.status, r.mode])).toEqual([
      ['planned', 'observe'],
      ['planned', 'observe'],
    ]);
  });

  it('approve with the approval: reverts', async () => {
    incidents = mockIncidents(triggerData(adminFinding()));
    const res = await guardDuty(under(OU_APPROVE))(
      { incidentRecordArn: INCIDENT_ARN, approved: 'true' },
      context,
    );
    expect(res).toMatchObject({ reverted: true, mode: 'approve' });
    expect(writes(member)).toBe(4);
  });
});

describe('responderFromSettings (the entries build it once per container)', () => {
  const config = { memberRoleName: 'first-responder-member', targets: SETTINGS.targets };

  it('is undefined in a single account, and kept while the settings are the same object', () => {
    let settings: typeof config | undefined;
    const read = responderFromSettings(() => settings, 'first-responder-reverter');
    expect(read()).toBeUndefined();
    settings = config;
    const first = read();
    expect(first).toBeDefined();
    expect(read()).toBe(first);
    settings = { ...config };
    expect(read()).not.toBe(first);
  });

  it.each([
    ['eu-west-1', 'arn:aws:iam::222222222222:role/first-responder-member'],
    ['cn-north-1', 'arn:aws-cn:iam::222222222222:role/first-responder-member'],
  ])('in %s assumes %s, named for the incident and the function', async (region, roleArn) => {
    const sts = new STSClient({ region });
    const stsMock = mockClient(sts);
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    const org = responderFromSettings(() => config, 'first-responder-reverter', {
      sts,
      env: { AWS_REGION: region },
    })()!;
    const client = memberEc2For(org, { account: MEMBER, region: REGION }, INCIDENT_ARN);
    expect(await client.config.region()).toBe(REGION);
    expect((await client.config.credentials()).accessKeyId).toBe('ASIAEXAMPLE');
    expect(stsMock.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: roleArn,
        RoleSessionName: `fr-${INCIDENT_ID}`,
        SourceIdentity: 'first-responder-reverter',
        DurationSeconds: 900,
      },
    ]);
  });
});
