/**
 * The intake in organization mode, against moto server: STS's AssumeRole lands in the member
 * account (moto keeps each account's resources apart), so the group exists only in the member
 * account and region, and only a read through the member role finds it. Incident Manager is
 * mocked as documented.
 */
import { EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { CreateTimelineEventCommand, StartIncidentCommand } from '@aws-sdk/client-ssm-incidents';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { MemberSessions, type MemberTarget } from '../../handlers/aws/member-session';
import type { OrganizationSettings } from '../../handlers/env';
import { makeHandler } from '../../handlers/intake';
import { createGroup } from '../support/moto-ec2';
import { motoForFile } from '../support/moto';
import { eventFixture, intakeDepsIn, mockIncidentManager } from './support';

const moto = motoForFile();
const MEMBER = { account: '222222222222', region: 'us-east-1' };
const ROLE = 'first-responder-member';
const ORGANIZATION: OrganizationSettings = {
  organizationId: 'o-a1b2c3d4e5',
  memberRoleName: ROLE,
  homeRegion: 'eu-west-1',
  targets: [{ accounts: [MEMBER.account], mode: 'enforce' }],
  excludeAccounts: [],
};

/** EC2 in the member account and region of moto, through the member role in moto's STS. */
async function memberEc2Client(): Promise<EC2Client> {
  const sts = new STSClient(moto().clientConfig);
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${MEMBER.account}:role/${ROLE}`,
      RoleSessionName: 'test-setup',
    }),
  );
  const c = out.Credentials!;
  return new EC2Client({
    ...moto().clientConfig,
    region: MEMBER.region,
    credentials: {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    },
  });
}

async function setup(sts: STSClient = new STSClient(moto().clientConfig)) {
  const im = mockIncidentManager();
  const { deps } = await intakeDepsIn(moto());
  const targets: MemberTarget[] = [];
  let sessions: MemberSessions | undefined;
  const handler = makeHandler({
    ...deps,
    // The intake's own account: the member's group is not there.
    ec2: new EC2Client(moto().clientConfig),
    organization: () => ORGANIZATION,
    memberEc2: (settings, target) => {
      targets.push(target);
      sessions ??= new MemberSessions({ roleName: settings.memberRoleName, sts });
      const member = sessions;
      // As MemberSessions.ec2 builds it, with moto's endpoint.
      return new EC2Client({
        ...moto().clientConfig,
        region: target.region,
        credentials: () => member.credentialsFor(target),
      });
    },
    sourceIdentity: () => 'first-responder-intake',
  });
  return { im, handler, targets };
}

/** The CloudTrail fixture as forwarded from the member's bus: its account and region kept. */
function memberDelivery(file: string, groupId: string) {
  const text = JSON.stringify(eventFixture(file)).replace(/sg-0a1b2c3d4e5f6001\d/g, groupId);
  return {
    detection: 'securityGroupOpened',
    event: { ...(JSON.parse(text) as Record<string, unknown>), ...MEMBER },
  };
}

const world22: IpPermission[] = [
  {
    IpProtocol: 'tcp',
    FromPort: 22,
    ToPort: 22,
    IpRanges: [{ CidrIp: '0.0.0.0/1' }, { CidrIp: '128.0.0.0/1' }],
  },
];

describe('the intake in organization mode', () => {
  it('judges the group in the member account and region, and names the place', async () => {
    // GIVEN a world-open group that exists only in the member account and region
    const groupId = await createGroup(await memberEc2Client(), world22);
    const { im, handler, targets } = await setup();

    // WHEN the change, forwarded from the member, reaches the central intake
    const out = await handler(
      memberDelivery('authorize-ingress-evasion-ipv4-halves.json', groupId),
    );

    // THEN the group was read through the member role, named for the problem and the intake
    expect(targets).toEqual([
      {
        ...MEMBER,
        sessionName: `sg#222222222222#us-east-1#${groupId}`,
        sourceIdentity: 'first-responder-intake',
      },
    ]);
    // AND judged out of policy there (verified, not "unknown"), in an incident naming the place
    expect(out).toMatchObject({
      decision: 'open',
      dedupeKey: `sg#222222222222#us-east-1#${groupId}`,
    });
    const input = im.commandCalls(StartIncidentCommand)[0]!.args[0].input;
    expect(input.title).toBe(
      `${groupId} opened tcp 22 to 0.0.0.0/1, 128.0.0.0/1 by wrh@bu.edu in 222222222222/us-east-1`,
    );
    expect(input.relatedItems?.[0]?.identifier?.value?.arn).toBe(
      `arn:aws:ec2:us-east-1:222222222222:security-group/${groupId}`,
    );

    // AND a repeat is noted with the place, as data
    await handler(memberDelivery('modify-security-group-rules-ipv6-2000-3.json', groupId));
    const note = im.commandCalls(CreateTimelineEventCommand)[0]!.args[0].input;
    expect(JSON.parse(note.eventData!)).toMatchObject({
      summary: expect.stringMatching(/^Seen again: .* in 222222222222\/us-east-1$/) as unknown,
      account: '222222222222',
      region: 'us-east-1',
    });
  });

  it('opens "not verified" when the member role cannot be assumed: never a silent drop', async () => {
    // GIVEN STS refusing the member role
    const sts = new STSClient(moto().clientConfig);
    mockClient(sts)
      .on(AssumeRoleCommand)
      .rejects(
        Object.assign(new Error(`not authorized to perform: sts:AssumeRole on ${ROLE}`), {
          name: 'AccessDenied',
        }),
      );
    const { im, handler } = await setup(sts);

    // WHEN a change in the member account arrives
    const out = await handler(
      memberDelivery('authorize-ingress-evasion-ipv4-halves.json', 'sg-0a1b2c3d4e5f60011'),
    );

    // THEN an incident opens, saying the group could not be judged, and why
    expect(out).toMatchObject({ decision: 'open' });
    const input = im.commandCalls(StartIncidentCommand)[0]!.args[0].input;
    expect(input.title).toMatch(/; not verified in 222222222222\/us-east-1$/);
  });

  it('a group of the same ID in the intake’s own account is not the one judged', async () => {
    // GIVEN a compliant group in the intake's own account, and the event naming the member
    const { handler, im } = await setup();
    const own = await createGroup(new EC2Client(moto().clientConfig), []);
    // WHEN the member's event names that ID
    const out = await handler(memberDelivery('authorize-ingress-evasion-ipv4-halves.json', own));
    // THEN the member account has no such group: gone there, so nothing to open
    expect(out).toMatchObject({
      decision: 'none',
      reason: expect.stringMatching(/no longer exists/),
    });
    expect(im.commandCalls(StartIncidentCommand)).toHaveLength(0);
  });
});
