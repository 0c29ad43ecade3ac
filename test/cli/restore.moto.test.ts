/**
 * The round trip against moto's EC2 (an independent emulator): a group with world-open rules,
 * the real reverter (with an incident, so it writes its record on the timeline), then restore
 * from that record. Before and after restore must be the same rules, descriptions included.
 * Incident Manager is not in moto: the timeline is kept in memory (./support.ts).
 *
 * FIRST_RESPONDER_RECORD=1 npx jest test/cli/restore.moto.test.ts writes the three states to
 * .bench/restore-round-trip.txt (and .json), to quote.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAwsClients } from '../../cli/aws';
import { renderRestore, runRestore } from '../../cli/commands/restore';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { parseRemediationRecord } from '../../handlers/incident/timeline';
import { formatRule, rulesFromSecurityGroupRules, type Rule } from '../../handlers/policy/rules';
import { makeHandler } from '../../handlers/reverter';
import { startMoto, type MotoServer } from '../support/moto';
import { fakeTimeline, INCIDENT_ARN, mockSts, type FakeTimeline } from './support';
import { EXAMPLE_POLICY } from '../support/groups';

const ROOT = join(__dirname, '..', '..');
const POLICY = EXAMPLE_POLICY;

let moto: MotoServer;
let ec2: EC2Client;
let timeline: FakeTimeline;
let sts: ReturnType<typeof mockSts>;

beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  ec2 = new EC2Client(moto.clientConfig);
  timeline = fakeTimeline();
  sts = mockSts();
});
afterEach(() => {
  timeline.mock.restore();
  sts.restore();
});

/** Ingress as a responder reads it: one line per rule, description included. */
async function state(groupId: string): Promise<string[]> {
  const out = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return rulesFromSecurityGroupRules(out.SecurityGroupRules ?? [])
    .map((r: Rule) => `${formatRule(r)}${r.description ? ` "${r.description}"` : ''}`)
    .sort();
}

async function worldOpenGroup(): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'bastion',
      Description: 'bastion',
      VpcId: vpc.Vpc!.VpcId,
    }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh from anywhere' }],
          Ipv6Ranges: [{ CidrIpv6: '::/0', Description: 'ssh from anywhere, v6' }],
        },
        {
          IpProtocol: 'tcp',
          FromPort: 3389,
          ToPort: 3389,
          IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'rdp for the vendor' }],
        },
        { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '192.0.2.0/24' }] },
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        // moto reports no description on group references, so this rule has none.
        { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId }] },
      ],
    }),
  );
  return GroupId!;
}

it('before == after restore: the reverter narrows, restore puts back exactly what it took', async () => {
  // GIVEN a group in moto with world-open rules, and its state
  const groupId = await worldOpenGroup();
  const before = await state(groupId);

  // WHEN the reverter remediates it for an incident (writing its record on the timeline)
  const reverter = makeHandler({
    ec2,
    incidents: new SSMIncidentsClient({ region: 'us-east-1' }),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
  });
  process.env.AWS_REGION = 'us-east-1';
  const res = await reverter(
    { incidentRecordArn: INCIDENT_ARN, groupIds: [groupId], involvedResources: [], dryRun: false },
    { awsRequestId: 'round-trip-1' },
  );
  const afterRevert = await state(groupId);
  const record = parseRemediationRecord(JSON.stringify(timeline.written()[0]));

  // and restore runs from that record, against the same moto
  const report = await runRestore({
    clients: createAwsClients({ region: 'us-east-1', clientConfig: moto.clientConfig }),
    incidentArn: INCIDENT_ARN,
    yes: true,
  });
  const afterRestore = await state(groupId);

  // THEN the reverter did change the group, and restore brought back identical rules
  expect(res.results[0]).toMatchObject({ status: 'remediated' });
  expect(afterRevert).not.toEqual(before);
  expect(afterRevert).toEqual([
    `all traffic from ${groupId}`,
    'tcp 22 from 10.0.0.0/8 "ssh from anywhere"',
    'tcp 443 from 0.0.0.0/0',
  ]);
  expect(afterRestore).toEqual(before);
  expect(report).toMatchObject({ ok: true, applied: true });
  expect(report.groups[0]).toMatchObject({ groupId, status: 'restored', region: 'us-east-1' });
  // and the incident says who restored what
  expect(timeline.written()[1]).toMatchObject({
    kind: 'first-responder/note',
    restoredEvents: [timeline.events[0]!.eventId],
  });

  if (process.env.FIRST_RESPONDER_RECORD) {
    const dir = join(ROOT, '.bench');
    mkdirSync(dir, { recursive: true });
    const show = (title: string, rules: string[]) => [title, ...rules.map((r) => `  ${r}`)];
    const text = [
      `restore round trip against moto's EC2 (group ${groupId}, policy examples/policy.json)`,
      '',
      ...show('before:', before),
      '',
      ...show('after revert (reverter, remediated):', afterRevert),
      `  record on the incident: ${record?.summary ?? ''}`,
      '',
      ...show('after restore:', afterRestore),
      '',
      `identical before and after restore: ${JSON.stringify(before) === JSON.stringify(afterRestore)}`,
      '',
      renderRestore(report),
    ].join('\n');
    writeFileSync(join(dir, 'restore-round-trip.txt'), `${text}\n`);
    writeFileSync(
      join(dir, 'restore-round-trip.json'),
      JSON.stringify({ before, afterRevert, afterRestore, record, report }, null, 2),
    );
    console.log(text);
  }
});

it('a second restore finds its own note and leaves the group as it was', async () => {
  // GIVEN a remediated group, restored once
  const groupId = await worldOpenGroup();
  const before = await state(groupId);
  const reverter = makeHandler({
    ec2,
    incidents: new SSMIncidentsClient({ region: 'us-east-1' }),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
  });
  await reverter({ incidentRecordArn: INCIDENT_ARN, groupIds: [groupId] }, { awsRequestId: 'r2' });
  const clients = createAwsClients({ region: 'us-east-1', clientConfig: moto.clientConfig });
  await runRestore({ clients, incidentArn: INCIDENT_ARN, yes: true });
  // WHEN restore runs again
  const again = await runRestore({ clients, incidentArn: INCIDENT_ARN, yes: true });
  // THEN it finds its own note and leaves the group as before
  expect(again.groups[0]!.status).toBe('already restored');
  expect(await state(groupId)).toEqual(before);
});
