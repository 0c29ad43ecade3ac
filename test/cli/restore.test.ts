/**
 * restore against aws-sdk-client-mock: an incident timeline as Incident Manager returns it and an
 * EC2 that keeps state, so every plan is checked by what the group holds afterwards.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { ListTimelineEventsCommand } from '@aws-sdk/client-ssm-incidents';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { formatRule } from '../../handlers/policy/rules';
import { InputError } from '../../handlers/shared/errors';
import { createAwsClients } from '../../cli/aws';
import { renderRestore, runRestore, type RestoreOptions } from '../../cli/commands/restore';
import { main } from '../../cli/main';
import {
  noteRecord,
  RECORD_IN_LOG_KIND,
  RECORD_KIND,
  remediationRecord,
} from '../../handlers/incident/timeline';
import {
  awsError,
  CALLER_ARN,
  capture,
  fakeEc2,
  fakeTimeline,
  groupArn,
  INCIDENT_ARN,
  mockSts,
  remediatedRecord,
  type FakeEc2,
  type FakeTimeline,
} from './support';

const SG = 'sg-0123456789abcdef0';
const SG2 = 'sg-0fedcba9876543210';
const SSH_WORLD = {
  protocol: 'tcp',
  fromPort: 22,
  toPort: 22,
  cidrIpv4: '0.0.0.0/0',
  description: 'ssh from anywhere',
  ruleId: 'sgr-0aaaaaaaaaaaaaaa1',
};
const RDP_WORLD = { protocol: 'tcp', fromPort: 3389, toPort: 3389, cidrIpv4: '0.0.0.0/0' };
const SSH_CORP = {
  protocol: 'tcp',
  fromPort: 22,
  toPort: 22,
  cidrIpv4: '10.0.0.0/8',
  description: 'ssh from anywhere',
};
const HTTPS_WORLD = { protocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0' };

let timeline: FakeTimeline;
let ec2: FakeEc2;
let sts: ReturnType<typeof mockSts>;

const POINTER = {
  logGroup: '/aws/lambda/first-responder-reverter',
  logStream: '2026/11/23/[$LATEST]abc',
  requestId: 'req-1',
};

/** What the reverter writes when even a group's changes do not fit on the timeline. */
function recordInLog(): string {
  const revoked = Array.from({ length: 300 }, (_, i) => ({
    protocol: 'tcp',
    fromPort: 1024 + i,
    toPort: 1024 + i,
    cidrIpv4: '0.0.0.0/0',
    description: 'opened by a deployment script',
  }));
  const data = remediationRecord(
    { groupId: SG, status: 'remediated', revoked, authorized: [SSH_CORP, SSH_CORP], calls: 4 },
    POINTER,
  );
  expect(JSON.parse(data)).toMatchObject({ kind: RECORD_IN_LOG_KIND });
  return data;
}

/** A record with its summary worded differently: restore must not care. */
const reworded = (data: string) =>
  JSON.stringify({ ...JSON.parse(data), summary: 'Worded differently, for people only.' });

/** The group as the reverter left it: ssh narrowed to 10.0.0.0/8, rdp gone, https kept. */
function givenRemediatedGroup(edit: (data: string) => string = (data) => data) {
  ec2 = fakeEc2({
    [SG]: [
      {
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh from anywhere' }],
      },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ],
  });
  timeline.add('SSM Incident Trigger', JSON.stringify({ rawData: '{}' }));
  return timeline.add(
    'Custom Event',
    edit(
      remediatedRecord(SG, {
        revoked: [SSH_WORLD, RDP_WORLD],
        authorized: [SSH_CORP],
        before: [SSH_WORLD, RDP_WORLD, HTTPS_WORLD],
      }),
    ),
    groupArn(SG),
  );
}

const ingress = (id = SG) => (ec2.groups.get(id) ?? []).map(formatRule).sort();

function restore(options: Partial<RestoreOptions> = {}) {
  return runRestore({
    clients: createAwsClients({ region: 'eu-west-1' }),
    incidentArn: INCIDENT_ARN,
    now: () => new Date('2026-11-23T10:00:00Z'),
    ...options,
  });
}

beforeEach(() => {
  timeline = fakeTimeline();
  sts = mockSts();
});
afterEach(() => {
  timeline.mock.restore();
  ec2?.mock.restore();
  sts.restore();
});

describe('restore from the record on the incident', () => {
  it('re-authorizes what was revoked, revokes what was authorized, authorize first', async () => {
    // GIVEN a group the reverter narrowed, and its record on the incident
    const eventId = givenRemediatedGroup();

    // WHEN restore runs with --yes
    const report = await restore({ yes: true });

    // THEN the group holds exactly its rules from before the remediation
    expect(ingress()).toEqual([
      'tcp 22 from 0.0.0.0/0',
      'tcp 3389 from 0.0.0.0/0',
      'tcp 443 from 0.0.0.0/0',
    ]);
    expect(report).toMatchObject({ ok: true, applied: true });
    expect(report.groups[0]).toMatchObject({ groupId: SG, status: 'restored', eventId });
    // with the description the rule had, and never less open than either state
    expect(ec2.groups.get(SG)!.find((r) => r.fromPort === 22)?.description).toBe(
      'ssh from anywhere',
    );
    expect(ec2.writes).toEqual(['authorize', 'revoke']);
    // one authorize with the recorded rules (no stale rule IDs), one revoke by content
    const auth = ec2.mock.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input;
    expect(JSON.stringify(auth)).not.toContain('sgr-0aaaaaaaaaaaaaaa1');
    const revoke = ec2.mock.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input;
    expect(revoke.SecurityGroupRuleIds).toBeUndefined();
    expect(revoke.IpPermissions).toHaveLength(1);
  });

  it('writes a note on the incident: who restored what, when, and which record', async () => {
    // GIVEN a remediated group
    const eventId = givenRemediatedGroup();
    // WHEN it is restored
    await restore({ yes: true });
    // THEN the timeline has a note naming the caller, the time and the record it undid
    const [note] = timeline.written();
    expect(note).toMatchObject({
      kind: 'first-responder/note',
      restoredEvents: [eventId],
      by: CALLER_ARN,
      at: '2026-11-23T10:00:00.000Z',
    });
    expect(note!.summary).toContain(`${SG}: re-authorize tcp 22 from 0.0.0.0/0, tcp 3389`);
  });

  it('a second restore finds the note and changes nothing', async () => {
    // GIVEN a restore already done
    givenRemediatedGroup();
    await restore({ yes: true });
    const writes = ec2.writes.length;
    // WHEN restore runs again
    const again = await restore({ yes: true });
    // THEN it says so and writes nothing
    expect(again.groups[0]).toMatchObject({ status: 'already restored' });
    expect(again.applied).toBe(false);
    expect(ec2.writes).toHaveLength(writes);
  });

  it('leaves alone an authorized rule the group already had before', async () => {
    // GIVEN a record whose authorized rule was also in the before-state
    ec2 = fakeEc2({
      [SG]: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    });
    timeline.add(
      'Custom Event',
      remediatedRecord(SG, {
        revoked: [RDP_WORLD],
        authorized: [SSH_CORP],
        before: [RDP_WORLD, { ...SSH_CORP, description: undefined }],
      }),
    );
    // WHEN restored
    const report = await restore({ yes: true });
    // THEN rdp comes back and ssh from 10.0.0.0/8 stays
    expect(ingress()).toEqual(['tcp 22 from 10.0.0.0/8', 'tcp 3389 from 0.0.0.0/0']);
    expect(report.groups[0]!.keptAsBefore).toHaveLength(1);
    expect(ec2.writes).toEqual(['authorize']);
  });

  it('restores only --group when given', async () => {
    // GIVEN records for two groups
    givenRemediatedGroup();
    ec2.groups.set(SG2, []);
    timeline.add('Custom Event', remediatedRecord(SG2, { revoked: [RDP_WORLD], authorized: [] }));
    // WHEN restore runs for the second only
    const report = await restore({ yes: true, groupId: SG2 });
    // THEN only that group changed
    expect(report.groups.map((g) => g.groupId)).toEqual([SG2]);
    expect(ingress(SG2)).toEqual(['tcp 3389 from 0.0.0.0/0']);
    expect(ingress()).toEqual(['tcp 22 from 10.0.0.0/8', 'tcp 443 from 0.0.0.0/0']);
  });

  it('also undoes what a failed remediation did before it failed, and nothing else', async () => {
    // GIVEN a failed record: the authorize went through, the revoke did not
    ec2 = fakeEc2({
      [SG]: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    });
    timeline.add(
      'Custom Event',
      remediatedRecord(SG, { status: 'failed', revoked: [], authorized: [SSH_CORP] }),
    );
    // WHEN restored
    await restore({ yes: true });
    // THEN the authorized rule is gone and the rest untouched
    expect(ingress()).toEqual(['tcp 22 from 0.0.0.0/0']);
  });
});

describe('restore asks before changing anything', () => {
  it('shows the plan, then asks; "no" changes nothing', async () => {
    // GIVEN a remediated group and a user who answers no
    givenRemediatedGroup();
    const shown: string[] = [];
    const confirm = jest.fn(() => Promise.resolve(false));
    // WHEN restore runs without --yes on a terminal
    const report = await restore({ confirm, showPlan: (r) => shown.push(renderRestore(r)) });
    // THEN the plan was shown before the question, and nothing changed
    expect(shown[0]).toContain('re-authorize  tcp 22 from 0.0.0.0/0 ("ssh from anywhere")');
    expect(shown[0]).toContain('revoke        tcp 22 from 10.0.0.0/8');
    expect(confirm).toHaveBeenCalledWith('Apply? [y/N] ');
    expect(report).toMatchObject({ ok: false, applied: false });
    expect(ec2.writes).toEqual([]);
    expect(timeline.written()).toEqual([]);
  });

  it('"yes" applies', async () => {
    givenRemediatedGroup();
    const report = await restore({ confirm: () => Promise.resolve(true) });
    expect(report.groups[0]!.status).toBe('restored');
  });

  it('refuses without --yes when stdin is not a terminal', async () => {
    // GIVEN no terminal to ask on
    givenRemediatedGroup();
    // WHEN restore runs without --yes THEN it refuses, saying how, and changes nothing
    await expect(restore({})).rejects.toThrow(/pass --yes/);
    expect(ec2.writes).toEqual([]);
  });

  it('--dry-run shows the plan and changes nothing', async () => {
    givenRemediatedGroup();
    const report = await restore({ dryRun: true });
    expect(report.groups[0]).toMatchObject({
      status: 'planned',
      reauthorize: [expect.objectContaining({ fromPort: 22 }), RDP_WORLD],
      revoke: [expect.objectContaining({ cidrIpv4: '10.0.0.0/8' })],
    });
    expect(report.applied).toBe(false);
    expect(ec2.writes).toEqual([]);
  });
});

describe('restore refuses bad input with one clear line', () => {
  it('an ARN that is not an incident', async () => {
    await expect(restore({ incidentArn: 'incident-1' })).rejects.toThrow(
      /--incident: got "incident-1"; an incident ARN looks like/,
    );
  });

  it('an OpsItem ID that is not one', async () => {
    await expect(restore({ incidentArn: undefined, opsItemId: 'oi-XYZ' })).rejects.toThrow(
      /--ops-item: got "oi-XYZ"; an OpsItem ID looks like oi-0123456789ab/,
    );
  });

  it('an unknown incident', async () => {
    // GIVEN an incident Incident Manager does not know
    const other = INCIDENT_ARN.replace('6ebcc812', '00000000');
    // WHEN restore runs THEN it says the incident does not exist, and where it looked
    const err = await restore({ incidentArn: other, yes: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `incident ${other} does not exist in eu-west-1 (or your role cannot see it): check the ARN, and --region for the incident's region`,
    );
  });

  it('an incident without a remediation record', async () => {
    // GIVEN an incident with a trigger and notes only
    timeline.add('SSM Incident Trigger', JSON.stringify({ rawData: '{}' }));
    timeline.add('Custom Event', noteRecord('Nothing to revert: the policy allows it.'));
    timeline.add(
      'Custom Event',
      JSON.stringify({
        kind: RECORD_KIND,
        version: 1,
        summary: '',
        groupId: SG,
        status: 'compliant',
        revoked: [],
        authorized: [],
      }),
    );
    // WHEN restore runs THEN it says there is nothing to restore
    await expect(restore({ yes: true })).rejects.toThrow(
      `incident ${INCIDENT_ARN} has no remediation record from first-responder (nothing was reverted on it): nothing to restore`,
    );
  });

  it('a --group without a record names the groups that have one', async () => {
    givenRemediatedGroup();
    await expect(restore({ yes: true, groupId: SG2 })).rejects.toThrow(
      `has no remediation record for ${SG2}; groups with one: ${SG}`,
    );
    await expect(restore({ yes: true, groupId: 'sg-nope' })).rejects.toThrow(/--group: got/);
  });

  it('a record for a group that no longer exists is skipped with a clear line', async () => {
    // GIVEN the record of a group deleted since
    givenRemediatedGroup();
    ec2.groups.delete(SG);
    // WHEN restore runs
    const report = await restore({ yes: true });
    // THEN it says so, changes nothing, and reports that nothing was restored
    expect(report.groups[0]).toMatchObject({
      status: 'gone',
      detail: `${SG} no longer exists in eu-west-1: skipped, nothing to restore`,
    });
    expect(report).toMatchObject({ ok: false, applied: false });
    expect(renderRestore(report)).toContain(`${SG} no longer exists in eu-west-1`);
  });

  it('a record only in the logs says where it is and that restore cannot proceed', async () => {
    // GIVEN the note the reverter writes when a record does not fit on the timeline
    ec2 = fakeEc2({});
    timeline.add('Custom Event', recordInLog());
    // WHEN restore runs
    const report = await restore({ yes: true });
    // THEN the group is reported as log-only with the pointer, and nothing is applied
    expect(report.groups[0]).toMatchObject({ groupId: SG, status: 'log only' });
    expect(report.groups[0]!.detail).toContain(
      'CloudWatch Logs group /aws/lambda/first-responder-reverter, stream 2026/11/23/[$LATEST]abc, request req-1',
    );
    expect(report.groups[0]!.detail).toContain('restore cannot proceed automatically');
    expect(report.ok).toBe(false);
    expect(ec2.writes).toEqual([]);
  });
});

describe('restore reads the records as data, never their summaries', () => {
  it('a record whose summary is worded differently is restored all the same', async () => {
    // GIVEN a remediated group whose record says something else in its summary
    givenRemediatedGroup(reworded);
    // WHEN restore runs
    const report = await restore({ yes: true });
    // THEN the group is restored from the record's fields
    expect(report.groups[0]).toMatchObject({ groupId: SG, status: 'restored' });
    expect(ingress()).toEqual([
      'tcp 22 from 0.0.0.0/0',
      'tcp 3389 from 0.0.0.0/0',
      'tcp 443 from 0.0.0.0/0',
    ]);
  });

  it('a record only in the logs, its summary worded differently, is still found', async () => {
    // GIVEN the reverter's too-large record, its summary reworded
    ec2 = fakeEc2({});
    timeline.add('Custom Event', reworded(recordInLog()));
    // WHEN restore runs
    const report = await restore({ yes: true });
    // THEN the group and the pointer come from the record's fields
    expect(report.groups[0]).toMatchObject({ groupId: SG, status: 'log only' });
    expect(report.groups[0]!.detail).toContain('request req-1');
  });
});

describe('the restore command line', () => {
  let out: jest.SpiedFunction<typeof console.log>;
  let err: jest.SpiedFunction<typeof console.error>;
  beforeEach(() => {
    out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    out.mockRestore();
    err.mockRestore();
  });

  it('--json prints the result for scripts and exits 0', async () => {
    givenRemediatedGroup();
    const code = await main([
      'restore',
      '--incident',
      INCIDENT_ARN,
      '--yes',
      '--json',
      '--region',
      'eu-west-1',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(out.mock.calls[0]![0] as string) as { groups: { status: string }[] };
    expect(printed.groups[0]!.status).toBe('restored');
  });

  it('no credentials: one line saying what to do, exit 2', async () => {
    // GIVEN the SDK finds no credentials
    timeline.mock
      .on(ListTimelineEventsCommand)
      .rejects(
        awsError('CredentialsProviderError', 'Could not load credentials from any providers'),
      );
    // WHEN restore runs
    const code = await main([
      'restore',
      '--incident',
      INCIDENT_ARN,
      '--yes',
      '--region',
      'eu-west-1',
    ]);
    // THEN one line says what is wrong and how to fix it
    expect(code).toBe(2);
    expect(err.mock.calls).toEqual([
      [
        "first-responder restore: no AWS credentials: set AWS_PROFILE or pass --profile; see 'aws configure'",
      ],
    ]);
  });

  it('a missing permission names the action', async () => {
    timeline.mock
      .on(ListTimelineEventsCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          `User: ${CALLER_ARN} is not authorized to perform: ssm-incidents:ListTimelineEvents`,
        ),
      );
    const code = await main([
      'restore',
      '--incident',
      INCIDENT_ARN,
      '--yes',
      '--region',
      'eu-west-1',
    ]);
    expect(code).toBe(2);
    expect(err.mock.calls[0]![0]).toMatch(
      /^first-responder restore: not allowed to call ssm-incidents:ListTimelineEvents \(AccessDeniedException\)/,
    );
  });
});

describe('restore across accounts (organization mode)', () => {
  const MEMBER = '222222222222';
  const inMember = (data: string) =>
    JSON.stringify({ ...JSON.parse(data), account: MEMBER, region: 'us-west-2' });
  const assumed = {
    AccessKeyId: 'ASIAEXAMPLEMEMBER',
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: new Date('2099-01-01T00:00:00Z'),
  };

  it("assumes --role in the record's account, the session named after the incident, and restores there", async () => {
    // GIVEN a record from a member account, and credentials for another account
    givenRemediatedGroup(inMember);
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumed });
    // WHEN restore runs with --role
    const report = await restore({ yes: true, roleName: 'SecurityResponder' });
    // THEN it assumed that role in the member account, without a source identity (which the
    // role's trust policy would have to allow), and restored the group in the record's region
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: `arn:aws:iam::${MEMBER}:role/SecurityResponder`,
        RoleSessionName: 'fr-restore-6ebcc812-85f5-b7eb-8b2f-283e4d844308',
        DurationSeconds: 900,
      },
    ]);
    expect(report.groups[0]).toMatchObject({
      account: MEMBER,
      region: 'us-west-2',
      status: 'restored',
    });
    expect(ingress()).toContain('tcp 3389 from 0.0.0.0/0');
    // and the EC2 calls went out with the assumed credentials, in the record's region
    const client = ec2.mock.call(0).thisValue as EC2Client;
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ASIAEXAMPLEMEMBER' });
    expect(await client.config.region()).toBe('us-west-2');
  });

  it('defaults --role to OrganizationAccountAccessRole', async () => {
    givenRemediatedGroup(inMember);
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumed });
    await restore({ dryRun: true });
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.RoleArn).toBe(
      `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
    );
  });

  it("refuses, changing nothing, when the role cannot be assumed in the record's account", async () => {
    givenRemediatedGroup(inMember);
    sts
      .on(AssumeRoleCommand)
      .rejects(
        awsError(
          'AccessDenied',
          `User: ${CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
        ),
      );
    const err: unknown = await restore({ yes: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(
      /^the record of this group is for account 222222222222, and your credentials are for 111122223333; could not assume arn:aws:iam::222222222222:role\/OrganizationAccountAccessRole \(User: .* is not authorized to perform: sts:AssumeRole .*\): pass --role NAME of a role you may assume in 222222222222, or use credentials for 222222222222\. Nothing was changed\.$/,
    );
    expect(ec2.writes).toEqual([]);
  });

  it("a record without an account acts with the CLI's credentials, assuming nothing", async () => {
    givenRemediatedGroup();
    await restore({ yes: true });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('--role is parsed and shown in --help', async () => {
    const { out } = capture();
    expect(await main(['restore', '--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/--role NAME +organization mode: the IAM role to assume/);
  });
});
