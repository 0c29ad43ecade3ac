/**
 * The intake Lambda end to end against moto server: security groups in its EC2, the dedupe
 * table in its DynamoDB, the dead-letter queue in its SQS; Incident Manager mocked as documented.
 */
import { EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { CreateTimelineEventCommand, StartIncidentCommand } from '@aws-sdk/client-ssm-incidents';
import { DeadlineError, makeHandler } from '../../handlers/intake';
import { RAW_DATA_MAX } from '../../handlers/incident/trigger';
import { createGroup } from '../support/moto-ec2';
import { motoForFile } from '../support/moto';
import { eventFixture, intakeDepsIn, mockIncidentManager, PLAN_ARNS } from './support';

const moto = motoForFile();
afterEach(() => jest.restoreAllMocks());

async function setup() {
  const im = mockIncidentManager();
  const ec2 = new EC2Client(moto().clientConfig);
  const { deps, sqs, queueUrl: QueueUrl } = await intakeDepsIn(moto());
  const handler = makeHandler({ ec2, ...deps });
  const deadLetters = async () => {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    return (out.Messages ?? []).map((m) => ({
      body: JSON.parse(m.Body!) as { reason: string; error: string; delivery?: unknown },
      attributes: m.MessageAttributes,
    }));
  };
  return { im, ec2, handler, deadLetters };
}

/** The CloudTrail fixture of a security-group change, pointed at a group created in moto. */
function securityGroupDelivery(file: string, groupId: string) {
  const event = eventFixture(file);
  const text = JSON.stringify(event).replace(/sg-0a1b2c3d4e5f6001\d/g, groupId);
  return { detection: 'securityGroupOpened', event: JSON.parse(text) as unknown };
}

const ipv4 = (port: number, ...cidrs: string[]): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: cidrs.map((CidrIp) => ({ CidrIp })),
});
const ipv6 = (port: number, ...cidrs: string[]): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  Ipv6Ranges: cidrs.map((CidrIpv6) => ({ CidrIpv6 })),
});

describe('security-group changes, judged on the group as EC2 now describes it', () => {
  it.each<[string, string, IpPermission[], RegExp]>([
    [
      'tcp 22 to 0.0.0.0/1 and 128.0.0.0/1',
      'authorize-ingress-evasion-ipv4-halves.json',
      [ipv4(22, '0.0.0.0/1', '128.0.0.0/1')],
      /opened tcp 22 to 0\.0\.0\.0\/1, 128\.0\.0\.0\/1 by wrh@bu\.edu$/,
    ],
    [
      'tcp 3389 to ::/1 and 8000::/1',
      'authorize-ingress-evasion-ipv6-halves.json',
      [ipv6(3389, '::/1', '8000::/1')],
      /opened tcp 3389 to ::\/1, 8000::\/1 by wrh@bu\.edu$/,
    ],
    [
      'tcp 22 to 2000::/3',
      'modify-security-group-rules-ipv6-2000-3.json',
      [ipv6(22, '2000::/3')],
      /opened tcp 22 to 2000::\/3 by wrh@bu\.edu$/,
    ],
    [
      'tcp 22 to a public /8 that is not /0',
      'authorize-ingress-evasion-ipv4-halves.json',
      [ipv4(22, '52.0.0.0/8')],
      /^sg-[0-9a-f]+ opened tcp 22 to /,
    ],
  ])('%s opens an incident with the group as a related item', async (_what, file, perms, title) => {
    // GIVEN the group in EC2 after the change
    const { im, ec2, handler } = await setup();
    const groupId = await createGroup(ec2, perms);
    // WHEN the intake receives the change
    const out = await handler(securityGroupDelivery(file, groupId));
    // THEN one incident, from the security-group plan, naming the group for the runbook
    expect(out).toMatchObject({ decision: 'open', dedupeKey: expect.stringContaining(groupId) });
    const starts = im.commandCalls(StartIncidentCommand);
    expect(starts).toHaveLength(1);
    const input = starts[0]!.args[0].input;
    expect(input.responsePlanArn).toBe(PLAN_ARNS.securityGroupOpened);
    expect(input.title).toMatch(title);
    expect(input.relatedItems).toEqual([
      {
        identifier: {
          type: 'INVOLVED_RESOURCE',
          value: { arn: `arn:aws:ec2:us-east-1:770203350335:security-group/${groupId}` },
        },
        title: `Security group ${groupId}`,
      },
    ]);
    // AND the trigger carries the whole event as JSON, and where it is logged
    const raw = JSON.parse(input.triggerDetails!.rawData!) as Record<string, unknown>;
    expect(raw['detail-type']).toBe('AWS API Call via CloudTrail');
    expect(raw).toHaveProperty('first-responder');
  });

  it('tcp 443 to the world, which the policy allows, pages no one', async () => {
    const { im, ec2, handler } = await setup();
    const groupId = await createGroup(ec2, [ipv4(443, '0.0.0.0/0')]);
    const out = await handler(
      securityGroupDelivery('authorize-ingress-world-443-allowed.json', groupId),
    );
    expect(out).toMatchObject({
      decision: 'none',
      reason: expect.stringMatching(new RegExp(`^${groupId} complies with the policy`)),
    });
    expect(im.calls()).toHaveLength(0);
  });

  it('an exempt group pages no one, whatever it allows', async () => {
    const { im, ec2, handler } = await setup();
    const groupId = await createGroup(ec2, [ipv4(22, '0.0.0.0/1', '128.0.0.0/1')], {
      tags: { 'first-responder:exempt': 'true' },
    });
    const out = await handler(
      securityGroupDelivery('authorize-ingress-evasion-ipv4-halves.json', groupId),
    );
    expect(out).toMatchObject({ decision: 'none', reason: expect.stringMatching(/is exempt/) });
    expect(im.calls()).toHaveLength(0);
  });

  it('a second change to the same group is appended to its open incident', async () => {
    const { im, ec2, handler } = await setup();
    const groupId = await createGroup(ec2, [ipv4(22, '0.0.0.0/1', '128.0.0.0/1')]);
    const first = securityGroupDelivery('authorize-ingress-evasion-ipv4-halves.json', groupId);
    await handler(first);
    const second = securityGroupDelivery('modify-security-group-rules-ipv6-2000-3.json', groupId);
    expect(await handler(second)).toMatchObject({ decision: 'append' });
    expect(im.commandCalls(StartIncidentCommand)).toHaveLength(1);
    expect(im.commandCalls(CreateTimelineEventCommand)).toHaveLength(1);
  });
});

describe('a large event', () => {
  it('reaches the trigger compacted, never cut mid-JSON, with its groups still named', async () => {
    const { im, ec2, handler } = await setup();
    const groupId = await createGroup(ec2, [ipv4(22, '0.0.0.0/1', '128.0.0.0/1')]);
    const delivery = securityGroupDelivery(
      'authorize-ingress-evasion-ipv4-halves.json',
      groupId,
    ) as {
      event: { detail: Record<string, unknown> };
    };
    delivery.event.detail.userAgent = 'x'.repeat(15_000);
    await handler(delivery);
    const raw = im.commandCalls(StartIncidentCommand)[0]!.args[0].input.triggerDetails!.rawData!;
    expect(raw.length).toBeLessThanOrEqual(RAW_DATA_MAX);
    const parsed = JSON.parse(raw) as {
      detail: { requestParameters: { groupId: string } };
      'first-responder': { compacted: { kept: string } };
    };
    expect(parsed.detail.requestParameters.groupId).toBe(groupId);
    expect(parsed['first-responder'].compacted.kept).toBe('the fields the runbooks read');
  });
});

describe('bad deliveries go to the dead-letter queue with the reason, and open nothing', () => {
  const finding = () => eventFixture('guardduty-ssh-brute-force.json');
  it.each<[string, () => unknown, RegExp]>([
    ['not an object', () => 'hello', /request: got "hello"/],
    ['no detection', () => ({ event: finding() }), /request\.detection/],
    [
      'an unknown detection',
      () => ({ detection: 'other', event: finding() }),
      /request\.detection/,
    ],
    [
      'a finding without its ID',
      () => {
        const e = finding() as { detail: Record<string, unknown> };
        delete e.detail.id;
        return { detection: 'guardDutyFinding', event: e };
      },
      /request\.event\.detail\.id/,
    ],
    [
      'a severity that is a string',
      () => {
        const e = finding() as { detail: Record<string, unknown> };
        e.detail.severity = '8';
        return { detection: 'guardDutyFinding', event: e };
      },
      /request\.event\.detail\.severity: got "8"/,
    ],
    [
      'an account that is a number',
      () => ({ detection: 'guardDutyFinding', event: { ...finding(), account: 111122223333 } }),
      /request\.event\.account/,
    ],
    [
      'an event of 256 KB',
      () => {
        const e = finding() as { detail: Record<string, unknown> };
        e.detail.padding = 'x'.repeat(256 * 1024);
        return { detection: 'guardDutyFinding', event: e };
      },
      /bytes; the intake takes at most 204800/,
    ],
  ])('%s', async (_what, delivery, reason) => {
    const { im, handler, deadLetters } = await setup();
    // WHEN the intake receives it THEN it answers without throwing (no retry, no crash loop)
    const out = await handler(delivery());
    expect(out).toMatchObject({ decision: 'rejected', reason: expect.stringMatching(reason) });
    // AND the queue holds it with the reason; nothing was opened
    const letters = await deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]!.body.reason).toMatch(reason);
    expect(letters[0]!.body.error).toBe('BadEventError');
    expect(letters[0]!.attributes?.ErrorCode?.StringValue).toBe('BadEventError');
    expect(im.calls()).toHaveLength(0);
  });
});

describe('the deadline', () => {
  it('stops before a call it has no time for, so that Lambda retries', async () => {
    const { im, ec2, handler } = await setup();
    const groupId = await createGroup(ec2, [ipv4(22, '0.0.0.0/1')]);
    await expect(
      handler(securityGroupDelivery('authorize-ingress-evasion-ipv4-halves.json', groupId), {
        awsRequestId: 'r-1',
        getRemainingTimeInMillis: () => 1_000,
      }),
    ).rejects.toThrow(DeadlineError);
    expect(im.calls()).toHaveLength(0);
  });
});
