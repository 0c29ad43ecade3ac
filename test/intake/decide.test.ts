/** The intake's pure decision and dedupe state machine, table-driven. */
import {
  decideIntake,
  describeGrants,
  grantsOf,
  impactOfSeverity,
  pickPaths,
  placeOf,
  triggerRawData,
  TITLE_MAX,
  type GroupVerdict,
} from '../../handlers/intake/decide';
import { LEASE_MS, nextStep, type DedupeRecord } from '../../handlers/intake/dedupe';
import {
  parseIntakeRequest,
  type EventEnvelope,
  type IntakeDetection,
} from '../../handlers/intake/request';
import { RAW_DATA_MAX } from '../../handlers/incident/trigger';
import { eventFixture } from './support';

function decide(detection: IntakeDetection, file: string, group?: GroupVerdict) {
  const req = parseIntakeRequest({ detection, event: eventFixture(file) });
  return decideIntake({ detection, event: req.event, planImpact: 3, ...(group ? { group } : {}) });
}

const noncompliant = (groupId: string): GroupVerdict => ({
  groupId,
  status: 'noncompliant',
  revoke: ['tcp 22 from 0.0.0.0/1'],
});

describe('dedupe keys', () => {
  it.each<[IntakeDetection, string, string]>([
    [
      'guardDutyFinding',
      'guardduty-ssh-brute-force.json',
      'guardduty#247574246160#us-west-2#c4c2d3e5a1b0f9e8d7c6b5a4f3e2d1c0',
    ],
    [
      'securityGroupOpened',
      'authorize-ingress-evasion-ipv4-halves.json',
      'sg#770203350335#us-east-1#sg-0a1b2c3d4e5f60011',
    ],
    [
      'configNoncompliance',
      'config-s3-public-read-noncompliant.json',
      'config#477575873490#us-east-1#s3-bucket-public-read-prohibited#AWS::S3::Bucket#example-reports-bucket',
    ],
    // A group is one problem whether Config or CloudTrail saw it: the same key.
    [
      'configNoncompliance',
      'config-security-group-policy-noncompliant.json',
      'sg#477575873490#us-east-1#sg-01f414f5313452cd1',
    ],
    [
      'rootActivity',
      'signin-root-success.json',
      'root#111122223333#arn:aws:iam::111122223333:root#192.0.2.0#2018-08-29',
    ],
  ])('%s %s: %s', (detection, file, key) => {
    const group = noncompliant('sg-0a1b2c3d4e5f60011');
    expect(decide(detection, file, group).dedupeKey).toBe(key);
  });

  it('a sample finding is never folded into another delivery (validate must see its own incident)', () => {
    const req = parseIntakeRequest({
      detection: 'guardDutyFinding',
      event: eventFixture('guardduty-sample-finding-eventbridge.json'),
    });
    const key = (id: string) =>
      decideIntake({ detection: 'guardDutyFinding', event: { ...req.event, id }, planImpact: 2 })
        .dedupeKey;
    expect(key('a')).not.toBe(key('b'));
    expect(key('a')).toMatch(/#sample#a$/);
  });

  it('the re-publication of a finding has the key of the first publication', () => {
    expect(decide('guardDutyFinding', 'guardduty-ssh-brute-force-repeat.json').dedupeKey).toBe(
      decide('guardDutyFinding', 'guardduty-ssh-brute-force.json').dedupeKey,
    );
  });
});

describe('a security-group change', () => {
  const file = 'authorize-ingress-evasion-ipv4-halves.json';
  const id = 'sg-0a1b2c3d4e5f60011';
  it.each<[string, GroupVerdict | undefined, 'incident' | 'none', RegExp]>([
    ['noncompliant', noncompliant(id), 'incident', /is out of policy: the reverter would revoke/],
    [
      'compliant',
      { groupId: id, status: 'compliant', reason: 'nothing to change' },
      'none',
      /complies with the policy/,
    ],
    ['exempt', { groupId: id, status: 'exempt', reason: 'tagged' }, 'none', /is exempt/],
    ['gone', { groupId: id, status: 'gone', reason: 'deleted' }, 'none', /no longer exists/],
    [
      'unreadable',
      { groupId: id, status: 'unknown', reason: 'AccessDenied' },
      'incident',
      /could not be judged \(AccessDenied\); opened to be safe/,
    ],
    ['not read at all', undefined, 'incident', /could not be judged/],
  ])('%s: %s', (_name, group, kind, reason) => {
    const d = decide('securityGroupOpened', file, group);
    expect(d.kind).toBe(kind);
    expect(d.reason).toMatch(reason);
  });

  it('reads the grants of both CloudTrail shapes, IPv4 and IPv6', () => {
    const show = (f: string) =>
      describeGrants(grantsOf(eventFixture(f).detail as Record<string, unknown>));
    expect(show(file)).toBe('tcp 22 to 0.0.0.0/1, 128.0.0.0/1');
    expect(show('authorize-ingress-root-world-ipv4-ipv6.json')).toBe('tcp 22 to 0.0.0.0/0, ::/0');
    expect(show('modify-security-group-rules-ipv6-2000-3.json')).toBe('tcp 22 to 2000::/3');
    expect(show('modify-security-group-rules-two-rules-world-ipv6.json')).toMatch(
      /tcp 443 to ::\/0/,
    );
  });
});

describe('titles and impact', () => {
  it.each<[IntakeDetection, string, string, number]>([
    [
      'guardDutyFinding',
      'guardduty-ssh-brute-force.json',
      'GuardDuty High: UnauthorizedAccess:EC2/SSHBruteForce on i-0a1b2c3d4e5f60009',
      2,
    ],
    [
      'guardDutyFinding',
      'guardduty-sample-finding-eventbridge.json',
      'GuardDuty SAMPLE High: Backdoor:EC2/DenialOfService.Tcp on i-99999999',
      5,
    ],
    [
      'rootActivity',
      'signin-root-success.json',
      'Root user ConsoleLogin from 192.0.2.0, MFA no',
      3,
    ],
    [
      'rootActivity',
      'signin-root-failure.json',
      'Root user ConsoleLogin (FAILED) from 192.0.2.0, MFA no',
      3,
    ],
    [
      'configNoncompliance',
      'config-s3-public-read-noncompliant.json',
      'AWS Config s3-bucket-public-read-prohibited: AWS::S3::Bucket example-reports-bucket is noncompliant',
      3,
    ],
  ])('%s %s', (detection, file, title, impact) => {
    const d = decide(detection, file);
    if (d.kind !== 'incident') throw new Error(d.reason);
    expect(d.incident.title).toBe(title);
    expect(d.incident.impact).toBe(impact);
    expect(d.incident.title.length).toBeLessThanOrEqual(TITLE_MAX);
  });

  it.each([
    [9.5, 1],
    [9, 1],
    [8.9, 2],
    [7, 2],
    [6.9, 3],
    [4, 3],
    [3.9, 4],
  ])('GuardDuty severity %s is impact %s', (severity, impact) => {
    expect(impactOfSeverity(severity, false)).toBe(impact);
  });

  it.each<[string, string, boolean, string]>([
    ['in a single account', 'guardduty-ssh-brute-force.json', false, 'us-west-2:247574246160'],
    // The delegated administrator delivers a member's finding: the member's account and region.
    [
      'in organization mode',
      'guardduty-ssh-brute-force-member.json',
      true,
      'us-east-1:222222222222',
    ],
  ])(
    'a finding on an instance relates the instance and its security groups, %s',
    (_w, file, organization, place) => {
      const req = parseIntakeRequest({ detection: 'guardDutyFinding', event: eventFixture(file) });
      const d = decideIntake({
        detection: 'guardDutyFinding',
        event: req.event,
        planImpact: 3,
        ...(organization ? { organization } : {}),
      });
      if (d.kind !== 'incident') throw new Error(d.reason);
      expect(d.incident.relatedItems.map((r) => r.arn)).toEqual([
        `arn:aws:ec2:${place}:instance/i-0a1b2c3d4e5f60009`,
        `arn:aws:ec2:${place}:security-group/sg-0a1b2c3d4e5f60002`,
        `arn:aws:ec2:${place}:security-group/sg-0a1b2c3d4e5f60001`,
      ]);
    },
  );
});

describe('the trigger', () => {
  const event = () =>
    parseIntakeRequest({
      detection: 'guardDutyFinding',
      event: eventFixture('guardduty-ssh-brute-force.json'),
    }).event;
  const log = {
    logGroup: '/aws/lambda/intake',
    logStream: '2026/11/30/[$LATEST]abc',
    requestId: 'r-1',
  };

  it('is the whole event when it fits, with the log line that has it', () => {
    const raw = JSON.parse(triggerRawData('guardDutyFinding', event(), log)) as Record<
      string,
      unknown
    >;
    expect(raw.detail).toEqual(event().detail);
    expect(raw['first-responder']).toEqual({ fullEventLog: log });
  });

  it.each([12_000, 50_000, 200_000])(
    'is complete JSON within %s-character events, never cut',
    (size) => {
      const e = event();
      e.detail.padding = 'x'.repeat(size);
      const text = triggerRawData('guardDutyFinding', e, log);
      expect(text.length).toBeLessThanOrEqual(RAW_DATA_MAX);
      const raw = JSON.parse(text) as { detail: Record<string, unknown> };
      expect(raw.detail.id).toBe('c4c2d3e5a1b0f9e8d7c6b5a4f3e2d1c0');
      expect(raw.detail).not.toHaveProperty('padding');
    },
  );

  it('keeps the envelope alone when even the fields the runbooks read do not fit', () => {
    const e = event();
    e.detail.type = 'y'.repeat(20_000);
    const raw = JSON.parse(triggerRawData('guardDutyFinding', e, log)) as Record<string, unknown>;
    expect(raw).not.toHaveProperty('detail');
    expect(raw['first-responder']).toMatchObject({ compacted: { kept: 'the envelope' } });
  });

  it('picks paths through arrays as EventBridge reads them', () => {
    expect(pickPaths({ a: [{ b: 1, c: 2 }, { b: 3 }], d: 4 }, ['a.b'])).toEqual({
      a: [{ b: 1 }, { b: 3 }],
    });
  });
});

describe('the dedupe state machine', () => {
  const base: DedupeRecord = {
    key: 'k',
    state: 'open',
    generation: 2,
    owner: 'a',
    incidentRef: 'arn:x',
    pending: [],
    seen: 1,
  };
  const opening: DedupeRecord = { ...base, state: 'opening', leaseUntil: 1_000 };
  it.each<
    [
      string,
      DedupeRecord | undefined,
      number,
      string,
      'open' | 'resolved' | 'gone' | undefined,
      object,
    ]
  >([
    ['no record: claim', undefined, 0, 'b', undefined, { kind: 'claim' }],
    [
      'open, not yet asked: check',
      base,
      0,
      'b',
      undefined,
      { kind: 'check', incidentRef: 'arn:x' },
    ],
    ['open and open: append', base, 0, 'b', 'open', { kind: 'append', generation: 2 }],
    ['open but resolved: reopen', base, 0, 'b', 'resolved', { kind: 'reopen', generation: 2 }],
    ['open but deleted: reopen', base, 0, 'b', 'gone', { kind: 'reopen', generation: 2 }],
    ['opened by this very delivery: done', base, 0, 'a', undefined, { kind: 'opened' }],
    ['opening, lease live: record', opening, 999, 'b', undefined, { kind: 'record' }],
    [
      'opening, lease over: take over',
      opening,
      1_000,
      'b',
      undefined,
      { kind: 'takeOver', own: false },
    ],
    [
      'opening by this delivery: take over',
      opening,
      0,
      'a',
      undefined,
      { kind: 'takeOver', own: true },
    ],
  ])('%s', (_name, record, now, eventId, status, step) => {
    expect(nextStep(record, now, eventId, status)).toMatchObject(step);
  });

  it('leases longer than the intake may run', () => {
    expect(LEASE_MS).toBeGreaterThan(60_000);
  });
});

describe('organization mode', () => {
  const MEMBER = { account: '222222222222', region: 'us-east-1' };
  /** A fixture as forwarded from the member's bus: its own account and region, kept. */
  function fromMember(file: string): EventEnvelope {
    return { ...eventFixture(file), ...MEMBER } as EventEnvelope;
  }
  function decideIn(
    detection: IntakeDetection,
    event: EventEnvelope,
    organization: boolean,
    group?: GroupVerdict,
  ) {
    const req = parseIntakeRequest({ detection, event });
    return decideIntake({
      detection,
      event: req.event,
      planImpact: 3,
      ...(group ? { group } : {}),
      ...(organization ? { organization: true } : {}),
    });
  }
  const SG = 'sg-0a1b2c3d4e5f60011';
  const member = 'guardduty-ssh-brute-force-member.json';

  it.each<[string, IntakeDetection, () => EventEnvelope, string, string]>([
    [
      'a member finding at the delegated administrator: the finding’s account and region',
      'guardDutyFinding',
      () => eventFixture(member) as EventEnvelope,
      'guardduty#222222222222#us-east-1#c4c2d3e5a1b0f9e8d7c6b5a4f3e2d1c0',
      'GuardDuty High: UnauthorizedAccess:EC2/SSHBruteForce on i-0a1b2c3d4e5f60009 in 222222222222/us-east-1',
    ],
    [
      'a security-group change forwarded from a member',
      'securityGroupOpened',
      () => fromMember('authorize-ingress-evasion-ipv4-halves.json'),
      `sg#222222222222#us-east-1#${SG}`,
      `${SG} opened tcp 22 to 0.0.0.0/1, 128.0.0.0/1 by wrh@bu.edu in 222222222222/us-east-1`,
    ],
    [
      'a Config result forwarded from a member',
      'configNoncompliance',
      () => fromMember('config-s3-public-read-noncompliant.json'),
      'config#222222222222#us-east-1#s3-bucket-public-read-prohibited#AWS::S3::Bucket#example-reports-bucket',
      'AWS Config s3-bucket-public-read-prohibited: AWS::S3::Bucket example-reports-bucket is noncompliant in 222222222222/us-east-1',
    ],
    [
      'root activity forwarded from a member (the account names the session; see below for the region)',
      'rootActivity',
      () => fromMember('signin-root-success.json'),
      'root#222222222222#arn:aws:iam::111122223333:root#192.0.2.0#2018-08-29',
      'Root user ConsoleLogin from 192.0.2.0, MFA no in 222222222222/us-east-1',
    ],
  ])('%s', (_what, detection, event, key, title) => {
    // WHEN the intake decides in organization mode
    const d = decideIn(detection, event(), true, {
      groupId: SG,
      status: 'noncompliant',
      revoke: [],
    });
    // THEN the key and the title name the place, and the decision carries it for the notes
    if (d.kind !== 'incident') throw new Error(d.reason);
    expect(d.dedupeKey).toBe(key);
    expect(d.incident.title).toBe(title);
    expect(d.place).toEqual(MEMBER);
    expect(d.gist).toMatch(/ in 222222222222\/us-east-1$/);
  });

  it.each<[IntakeDetection, string]>([
    ['guardDutyFinding', 'guardduty-ssh-brute-force.json'],
    ['securityGroupOpened', 'authorize-ingress-evasion-ipv4-halves.json'],
    ['configNoncompliance', 'config-s3-public-read-noncompliant.json'],
    ['rootActivity', 'signin-root-success.json'],
  ])('a single account keeps %s decisions exactly as before (%s)', (detection, file) => {
    const group: GroupVerdict = { groupId: SG, status: 'noncompliant', revoke: [] };
    const single = decideIn(detection, eventFixture(file) as EventEnvelope, false, group);
    expect(single).not.toHaveProperty('place');
    if (single.kind !== 'incident') throw new Error(single.reason);
    expect(single.incident.title).not.toMatch(/ in \d{12}\//);
    expect(single.gist).not.toMatch(/ in \d{12}\//);
  });

  it('tells the same group in two accounts or two regions apart, and one place from itself', () => {
    const key = (place: object) =>
      decideIn(
        'securityGroupOpened',
        { ...fromMember('authorize-ingress-evasion-ipv4-halves.json'), ...place },
        true,
      ).dedupeKey;
    const a = key({});
    expect(key({ account: '333333333333' })).not.toBe(a);
    expect(key({ region: 'eu-west-1' })).not.toBe(a);
    expect(key({})).toBe(a);
  });

  it('keeps one root session one incident across regions, but not across accounts', () => {
    // The root user is global: its calls in two regions the same day from one address are one
    // session, appended to one incident; each note names its region.
    const key = (place: object) =>
      decideIn('rootActivity', { ...fromMember('signin-root-success.json'), ...place }, true);
    const here = key({});
    const there = key({ region: 'eu-west-1' });
    expect(there.dedupeKey).toBe(here.dedupeKey);
    expect(there.kind === 'incident' && there.gist).toMatch(/ in 222222222222\/eu-west-1$/);
    expect(key({ account: '333333333333' }).dedupeKey).not.toBe(here.dedupeKey);
  });

  it('falls back to the envelope when a finding names no valid account or region', () => {
    const event = eventFixture(member) as EventEnvelope;
    expect(
      placeOf('guardDutyFinding', {
        ...event,
        detail: { ...event.detail, accountId: 'not-an-account', region: '' },
      }),
    ).toEqual({ account: '111111111111', region: 'us-east-1' });
    expect(placeOf('guardDutyFinding', event)).toEqual(MEMBER);
  });

  it('keeps the place whole in a title at the length limit', () => {
    const event = fromMember('authorize-ingress-evasion-ipv4-halves.json');
    const long = { ...event, detail: { ...event.detail } } as EventEnvelope;
    const identity = long.detail.userIdentity as Record<string, unknown>;
    long.detail.userIdentity = {
      ...identity,
      arn: `arn:aws:sts::1:assumed-role/r/${'x'.repeat(300)}`,
    };
    const d = decideIn('securityGroupOpened', long, true);
    if (d.kind !== 'incident') throw new Error(d.reason);
    expect(d.incident.title.length).toBe(TITLE_MAX);
    expect(d.incident.title).toMatch(/… in 222222222222\/us-east-1$/);
  });

  it('names the place in a "no incident" reason too', () => {
    const d = decideIn(
      'securityGroupOpened',
      fromMember('authorize-ingress-world-443-allowed.json'),
      true,
      { groupId: 'sg-0a1b2c3d4e5f60014', status: 'compliant', reason: 'nothing to change' },
    );
    expect(d).toMatchObject({ kind: 'none', place: MEMBER });
    expect(d.reason).toMatch(/complies with the policy.* \(in 222222222222\/us-east-1\)$/);
  });
});
