/**
 * restore across accounts against moto (EC2 and STS: moto keeps EC2 state per account, and
 * AssumeRole lands in the role's account): a record from member account A in region R is
 * restored in A/R, through the role assumed there, and nowhere else. Incident Manager is not in
 * moto: the timeline is kept in memory (./support.ts).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createAwsClients } from '../../cli/aws';
import { renderRestore, runRestore } from '../../cli/commands/restore';
import { startMoto, type MotoServer } from '../support/moto';
import { createGroup, ingressOf } from '../support/moto-ec2';
import { fakeTimeline, INCIDENT_ARN, remediatedRecord, type FakeTimeline } from './support';

const MEMBER = '222222222222';
const REGION = 'us-west-2';
const CLI_REGION = 'us-east-1';

let moto: MotoServer;
let timeline: FakeTimeline;

beforeAll(async () => {
  moto = await startMoto(CLI_REGION);
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  timeline = fakeTimeline();
});
afterEach(() => timeline.mock.restore());

/** EC2 in an account (through moto's STS) and region. */
async function ec2In(account: string | undefined, region: string): Promise<EC2Client> {
  if (!account) return new EC2Client({ ...moto.clientConfig, region });
  const sts = new STSClient(moto.clientConfig);
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/test-setup`,
      RoleSessionName: 'test-setup',
    }),
  );
  return new EC2Client({
    ...moto.clientConfig,
    region,
    credentials: {
      accessKeyId: c!.AccessKeyId!,
      secretAccessKey: c!.SecretAccessKey!,
      sessionToken: c!.SessionToken!,
    },
  });
}

/** A "bastion" group as the reverter left it: ssh from 10.0.0.0/8 only. */
const revertedBastion = (ec2: EC2Client) =>
  createGroup(
    ec2,
    [
      {
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh from anywhere' }],
      },
    ],
    { name: 'bastion' },
  );

const state = (ec2: EC2Client, groupId: string) => ingressOf(ec2, groupId, { descriptions: true });

/** The reverter's record of that group, naming the member account and region it acted in. */
function recordFor(groupId: string, account: string, region: string): string {
  const ssh = { protocol: 'tcp', fromPort: 22, toPort: 22 };
  const world = { ...ssh, cidrIpv4: '0.0.0.0/0', description: 'ssh' };
  const record = remediatedRecord(groupId, {
    revoked: [world],
    authorized: [{ ...ssh, cidrIpv4: '10.0.0.0/8', description: 'ssh from anywhere' }],
    before: [world],
  });
  return JSON.stringify({ ...JSON.parse(record), account, region, mode: 'enforce' });
}

it('restores a record from member account A in region R there, through the assumed role, and nowhere else', async () => {
  // GIVEN the same reverted group in A/R, in A in another region, and in the CLI's own account in R
  const inMember = await ec2In(MEMBER, REGION);
  const inMemberElsewhere = await ec2In(MEMBER, CLI_REGION);
  const inOwn = await ec2In(undefined, REGION);
  const target = await revertedBastion(inMember);
  const elsewhere = await revertedBastion(inMemberElsewhere);
  const own = await revertedBastion(inOwn);
  const untouched = {
    elsewhere: await state(inMemberElsewhere, elsewhere),
    own: await state(inOwn, own),
  };
  // and the record of A/R's group on the incident (the CLI's credentials are another account's)
  timeline.add('Custom Event', recordFor(target, MEMBER, REGION));
  const cli = createAwsClients({ region: CLI_REGION, clientConfig: moto.clientConfig });
  const caller = await cli.sts().send(new GetCallerIdentityCommand({}));
  expect(caller.Account).not.toBe(MEMBER);

  // WHEN restore runs from that record
  const report = await runRestore({ clients: cli, incidentArn: INCIDENT_ARN, yes: true });

  // THEN the group in A/R has its rules back, exactly
  expect(report).toMatchObject({ ok: true, applied: true });
  expect(report.groups[0]).toMatchObject({
    groupId: target,
    account: MEMBER,
    region: REGION,
    status: 'restored',
  });
  expect(await state(inMember, target)).toEqual(['tcp 22 from 0.0.0.0/0 "ssh"']);
  // and the same group in A's other region, and in the CLI's own account, did not change
  expect(await state(inMemberElsewhere, elsewhere)).toEqual(untouched.elsewhere);
  expect(await state(inOwn, own)).toEqual(untouched.own);
  expect(renderRestore(report)).toContain(`${target} (${MEMBER}/${REGION}, remediated`);
}, 60_000);

it("a record that names the CLI's own account is restored with the CLI's credentials", async () => {
  const cli = createAwsClients({ region: CLI_REGION, clientConfig: moto.clientConfig });
  const own = (await cli.sts().send(new GetCallerIdentityCommand({}))).Account!;
  const ec2 = await ec2In(undefined, REGION);
  const group = await revertedBastion(ec2);
  timeline.add('Custom Event', recordFor(group, own, REGION));
  const report = await runRestore({ clients: cli, incidentArn: INCIDENT_ARN, yes: true });
  expect(report.groups[0]).toMatchObject({ account: own, region: REGION, status: 'restored' });
  expect(await state(ec2, group)).toEqual(['tcp 22 from 0.0.0.0/0 "ssh"']);
}, 60_000);
