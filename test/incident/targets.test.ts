import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTargets, parseResourceArns } from '../../handlers/incident/targets';
import { parseTrigger, RAW_DATA_MAX } from '../../handlers/incident/trigger';

const EVENTS = join(__dirname, '..', 'fixtures', 'events');
const INCIDENT = join(__dirname, '..', 'fixtures', 'incident');

/** A trigger timeline event's eventData, as Incident Manager writes it for an EventBridge event. */
export function triggerData(event: unknown, source = 'aws.events'): string {
  return JSON.stringify({
    rawData: JSON.stringify(event),
    source,
    timestamp: '2026-11-23T09:00:00Z',
  });
}

function eventFile(dir: string, name: string): unknown {
  return JSON.parse(readFileSync(join(dir, name), 'utf8'));
}

type Expectation = { groups: string[]; instances?: string[]; sample?: boolean; note?: RegExp };
const SG = 'sg-01f414f5313452cd1';

/** Every event fixture the patterns use, with the groups an incident from it should act on. */
const EXPECTED: Record<string, Expectation> = {
  'authorize-ingress-group-reference.json': { groups: [SG] },
  'authorize-ingress-private-10-8-only.json': { groups: [SG] },
  'authorize-ingress-root-world-ipv4-ipv6.json': { groups: ['sg-0db7d4784c4db8612'] },
  'authorize-ingress-world-by-assumed-role.json': { groups: [SG] },
  'authorize-ingress-world-by-remediation-role.json': { groups: [SG] },
  'authorize-ingress-world-failed.json': { groups: [SG] },
  'authorize-ingress-evasion-ipv4-halves.json': { groups: ['sg-0a1b2c3d4e5f60011'] },
  'authorize-ingress-evasion-ipv6-halves.json': { groups: ['sg-0a1b2c3d4e5f60012'] },
  'authorize-ingress-world-443-allowed.json': { groups: ['sg-0a1b2c3d4e5f60014'] },
  'modify-security-group-rules-ipv6-2000-3.json': { groups: ['sg-0a1b2c3d4e5f60013'] },
  'guardduty-ssh-brute-force.json': { groups: ['sg-0a1b2c3d4e5f60002', 'sg-0a1b2c3d4e5f60001'] },
  'guardduty-ssh-brute-force-repeat.json': {
    groups: ['sg-0a1b2c3d4e5f60002', 'sg-0a1b2c3d4e5f60001'],
  },
  'guardduty-ssh-brute-force-member.json': {
    groups: ['sg-0a1b2c3d4e5f60002', 'sg-0a1b2c3d4e5f60001'],
  },
  'modify-security-group-rules-two-rules-world-ipv6.json': { groups: [SG] },
  'modify-security-group-rules-world-ipv4.json': { groups: [SG] },
  'config-security-group-policy-noncompliant.json': { groups: [SG] },
  'config-access-keys-rotated-noncompliant.json': {
    groups: [],
    note: /AWS::IAM::User .* not a security group/,
  },
  'config-s3-public-read-compliant.json': {
    groups: [],
    note: /AWS::S3::Bucket example-reports-bucket .* nothing to revert/,
  },
  'config-s3-public-read-noncompliant.json': { groups: [], note: /AWS::S3::Bucket/ },
  'config-s3-public-read-not-applicable.json': { groups: [], note: /AWS::S3::Bucket/ },
  'config-s3-public-write-noncompliant.json': { groups: [], note: /AWS::S3::Bucket/ },
  'guardduty-sample-finding-eventbridge.json': { groups: [], sample: true },
  'guardduty-severity-5.json': { groups: [], sample: true },
  'guardduty-severity-6.9.json': { groups: [], sample: true },
  'guardduty-severity-7.25.json': { groups: [], sample: true },
  'guardduty-severity-7.json': { groups: [], sample: true },
  'guardduty-severity-9.5-critical.json': { groups: [], sample: true },
  'guardduty-severity-string-8.json': { groups: [], sample: true },
  'signin-iam-user-failure-console-sample.json': { groups: [], note: /names no security group/ },
  'signin-iam-user-success-mfa.json': { groups: [], note: /names no security group/ },
  'signin-root-failure.json': { groups: [], note: /names no security group/ },
  'signin-root-success.json': { groups: [], note: /names no security group/ },
};

describe('target resolution from the incident trigger', () => {
  const files = readdirSync(EVENTS).filter((f) => f.endsWith('.json'));

  it('has an expectation for every event fixture', () => {
    const missing = files.filter((f) => !(f in EXPECTED) && !f.startsWith('root-api-call'));
    expect(missing).toEqual([]);
  });

  it.each(files.filter((f) => f in EXPECTED))('%s', (file) => {
    // GIVEN the incident's trigger is this real event
    const trigger = parseTrigger(triggerData(eventFile(EVENTS, file)));
    // WHEN the targets are resolved
    const t = resolveTargets({ trigger });
    // THEN
    const want = EXPECTED[file]!;
    expect(t.groupIds).toEqual(want.groups);
    expect(t.instanceIds).toEqual(want.instances ?? []);
    expect(t.sample).toBe(want.sample ?? false);
    expect(t.complete).toBe(true);
    if (want.note) expect(t.notes.join(' ')).toMatch(want.note);
  });

  it('a real (non-sample) finding names the groups of the instance network interfaces', () => {
    const trigger = parseTrigger(
      triggerData(eventFile(INCIDENT, 'guardduty-ssh-brute-force-instance.json')),
    );
    const t = resolveTargets({ trigger });
    expect(t).toMatchObject({
      groupIds: ['sg-0a1b2c3d4e5f60002', 'sg-0a1b2c3d4e5f60001'],
      source: 'guardduty',
      sample: false,
    });
  });

  it('an explicit list from a responder overrides the trigger', () => {
    const trigger = parseTrigger(
      triggerData(eventFile(EVENTS, 'config-security-group-policy-noncompliant.json')),
    );
    const t = resolveTargets({ trigger, explicitGroupIds: ['sg-0a1b2c3d4e5f60003'] });
    expect(t).toMatchObject({ groupIds: ['sg-0a1b2c3d4e5f60003'], source: 'explicit' });
  });

  it('involved resources that are security-group or instance ARNs are targets', () => {
    const t = resolveTargets({
      trigger: parseTrigger(undefined),
      involvedResources: [
        'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60001',
        'arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f60009',
        'arn:aws:s3:::example-reports-bucket',
      ],
    });
    expect(t).toMatchObject({
      groupIds: ['sg-0a1b2c3d4e5f60001'],
      instanceIds: ['i-0a1b2c3d4e5f60009'],
      source: 'involved-resources',
    });
  });

  it('a truncated trigger is not guessed at: no targets, marked incomplete, with the reason', () => {
    // GIVEN a large authorize call (400 CIDRs) cut at Incident Manager's 10,000-character cap
    const event = eventFile(EVENTS, 'authorize-ingress-world-by-assumed-role.json') as {
      detail: {
        requestParameters: { ipPermissions: { items: { ipRanges: { items: unknown[] } }[] } };
      };
    };
    event.detail.requestParameters.ipPermissions.items[0]!.ipRanges.items = Array.from(
      { length: 400 },
      (_, i) => ({
        cidrIp: `198.${51 + (i >> 8)}.${i & 255}.0/24`,
      }),
    );
    const raw = JSON.stringify(event);
    expect(raw.length).toBeGreaterThan(RAW_DATA_MAX);
    const data = JSON.stringify({ rawData: raw.slice(0, RAW_DATA_MAX) });
    const t = resolveTargets({ trigger: parseTrigger(data) });
    expect(t).toMatchObject({ groupIds: [], complete: false });
    expect(t.notes[0]).toMatch(/not complete JSON .* at most 10000/);
  });

  it.each<[string, string | undefined, RegExp]>([
    ['no trigger event', undefined, /has no trigger event/],
    ['eventData that is not JSON', '{', /not JSON/],
    [
      'a trigger without raw data (opened by hand)',
      JSON.stringify({ source: 'aws.ssm-incidents' }),
      /carries no raw event/,
    ],
  ])('a missing trigger (%s) is reported, not thrown', (_name, data, reason) => {
    const trigger = parseTrigger(data);
    expect(trigger).toMatchObject({ status: 'missing', reason: expect.stringMatching(reason) });
    expect(resolveTargets({ trigger }).complete).toBe(false);
  });

  it('parses ARNs in every partition and ignores what is not EC2', () => {
    expect(
      parseResourceArns([
        'arn:aws-us-gov:ec2:us-gov-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60001',
        'arn:aws:ec2:us-east-1:111122223333:security-group/sg-bad',
        'arn:aws:iam::111122223333:role/x',
      ]),
    ).toEqual({ groupIds: ['sg-0a1b2c3d4e5f60001'], instanceIds: [] });
  });
});
