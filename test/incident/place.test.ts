/** Organization mode: where an incident's event happened, from its trigger or involved resources. */
import { arnPlace, eventPlace, incidentPlace, partitionOf } from '../../handlers/incident/place';
import {
  parseRemediationRecord,
  parseTimelineRecord,
  remediationRecord,
  summarize,
} from '../../handlers/incident/timeline';
import { fixture, guardDutyFinding } from './support';

const MEMBER = '222222222222';
const SG_ARN = (account: string, region: string) =>
  `arn:aws:ec2:${region}:${account}:security-group/sg-0123456789abcdef0`;

describe('eventPlace', () => {
  it('a forwarded event keeps its envelope: account and region', () => {
    const event = fixture('events', 'authorize-ingress-world-by-assumed-role.json');
    expect(eventPlace({ ...event, account: MEMBER, region: 'eu-central-1' })).toEqual({
      account: MEMBER,
      region: 'eu-central-1',
    });
  });

  it("a GuardDuty finding names the member in its detail, not the administrator's envelope", () => {
    const f = guardDutyFinding(8) as Record<string, unknown> & { detail: Record<string, unknown> };
    f.account = '111111111111';
    f.region = 'eu-west-1';
    f.detail.accountId = MEMBER;
    f.detail.region = 'us-east-1';
    expect(eventPlace(f)).toEqual({ account: MEMBER, region: 'us-east-1' });
  });

  it.each([
    ['no account', { region: 'us-east-1' }],
    ['an account that is not 12 digits', { account: '2222', region: 'us-east-1' }],
    ['a region that is not one', { account: MEMBER, region: 'us-east-1; rm' }],
    [
      'a GuardDuty finding without detail.accountId',
      { 'detail-type': 'GuardDuty Finding', account: MEMBER, region: 'us-east-1', detail: {} },
    ],
  ])('undefined for %s', (_, event) => expect(eventPlace(event)).toBeUndefined());
});

describe('incidentPlace', () => {
  const event = { status: 'event' as const, event: { account: MEMBER, region: 'us-east-1' } };
  const cut = { status: 'truncated' as const, reason: 'cut off', length: 10_000 };

  it('the trigger event first, whatever the involved resources say', () => {
    expect(incidentPlace(event, [SG_ARN('333333333333', 'eu-west-1')])).toEqual({
      found: true,
      place: { account: MEMBER, region: 'us-east-1' },
      from: 'event',
    });
  });

  it('without a readable trigger: the one place the involved resources name', () => {
    expect(
      incidentPlace(cut, [SG_ARN(MEMBER, 'us-east-1'), SG_ARN(MEMBER, 'us-east-1')]),
    ).toMatchObject({ found: true, from: 'involved-resources' });
  });

  it.each([
    [
      'two places',
      [SG_ARN(MEMBER, 'us-east-1'), SG_ARN(MEMBER, 'eu-west-1')],
      /cut off, and the involved resources name 2 places/,
    ],
    ['no place', ['arn:aws:s3:::bucket'], /cut off, and no involved resource names an account/],
  ])('never a guess: %s', (_, arns, reason) => {
    expect(incidentPlace(cut, arns)).toEqual({
      found: false,
      reason: expect.stringMatching(reason),
    });
  });
});

it.each([
  [
    'arn:aws:ec2:us-east-1:222222222222:security-group/sg-1',
    { account: MEMBER, region: 'us-east-1' },
  ],
  [
    'arn:aws-us-gov:ec2:us-gov-west-1:222222222222:instance/i-1',
    { account: MEMBER, region: 'us-gov-west-1' },
  ],
  ['arn:aws:s3:::bucket', undefined],
])('arnPlace(%s)', (arn, place) => expect(arnPlace(arn)).toEqual(place));

it.each([
  ['eu-west-1', 'aws'],
  ['cn-north-1', 'aws-cn'],
  ['us-gov-west-1', 'aws-us-gov'],
])('partitionOf(%s) is %s', (region, partition) => expect(partitionOf(region)).toBe(partition));

/** A group's result: tcp 22 from the world revoked (or planned to be). */
const sshResult = (status: 'planned' | 'remediated') => ({
  groupId: 'sg-0123456789abcdef0',
  status,
  revoked: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }],
  authorized: [],
  calls: status === 'planned' ? 1 : 2,
});

describe('summaries in organization mode', () => {
  const planned = sshResult('planned');
  it('start with "account/region" and say why a plan was only recorded', () => {
    expect(
      summarize(planned, {
        account: MEMBER,
        region: 'us-east-1',
        mode: 'observe',
        held: 'observe mode',
      }),
    ).toBe(
      '222222222222/us-east-1 sg-0123456789abcdef0 (observe mode): would revoke tcp 22 from 0.0.0.0/0; would authorize nothing',
    );
  });
  it('are unchanged without a scope (a single account)', () => {
    expect(summarize(planned)).toBe(
      'sg-0123456789abcdef0 (dry run): would revoke tcp 22 from 0.0.0.0/0; would authorize nothing',
    );
  });
});

describe('records keep their place for restore (read back through the one reader)', () => {
  const result = sshResult('remediated');

  it('organization mode: the member account and region, from the record as read back', () => {
    const text = remediationRecord(result, {}, undefined, {
      account: MEMBER,
      region: 'us-east-1',
      mode: 'enforce',
    });
    const record = parseRemediationRecord(text)!;
    expect(record).toMatchObject({ account: MEMBER, region: 'us-east-1', mode: 'enforce' });
  });

  it('a record too large for the timeline keeps the place too', () => {
    const text = remediationRecord(result, {}, (t) => t.includes('security-group-in-log'), {
      account: MEMBER,
      region: 'us-east-1',
      mode: 'enforce',
    });
    expect(parseTimelineRecord(text)).toMatchObject({
      kind: 'first-responder/security-group-in-log',
      account: MEMBER,
      region: 'us-east-1',
      summary: expect.stringMatching(/^222222222222\/us-east-1 sg-/),
    });
  });

  it('a single-account record: no account, region or mode, as before', () => {
    const record = parseRemediationRecord(remediationRecord(result, {}))!;
    for (const key of ['account', 'region', 'mode']) expect(record).not.toHaveProperty(key);
  });
});
