import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engagementOrder, loadDrillEvents, renderDrill, runDrill } from '../../cli/commands/drill';
import { readDescribeFile } from '../../cli/commands/plan';
import { main } from '../../cli/main';
import { loadConfig, parseConfig } from '../../infra/config';
import { contactsOf } from '../../infra/constructs/on-call-summary';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const CONFIG = loadConfig(join(EXAMPLES, 'config.yaml'));
const GROUPS = readDescribeFile(join(EXAMPLES, 'security-groups.json'));

interface ConfigDoc {
  detection: { guardDuty: { minSeverity?: number } };
}

function configWith(edit: (doc: ConfigDoc) => void) {
  const doc = parseYaml(readFileSync(join(EXAMPLES, 'config.yaml'), 'utf8')) as ConfigDoc;
  edit(doc);
  return parseConfig(doc, { baseDir: EXAMPLES });
}

function tempEvents(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fr-drill-'));
  for (const [name, body] of Object.entries(files))
    writeFileSync(join(dir, name), JSON.stringify(body));
  return dir;
}

const event = (name: string) =>
  JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'events', name), 'utf8')) as unknown;

describe('drill on the bundled sample events', () => {
  const report = runDrill({
    config: CONFIG,
    events: loadDrillEvents(join(EXAMPLES, 'events')),
    groups: GROUPS,
  });
  const outcome = (file: string) => report.outcomes.find((o) => o.file === file)!;

  it('every event does what examples/events/expectations.json says', () => {
    expect(report.outcomes).toHaveLength(18);
    expect(report.outcomes.filter((o) => o.verdict !== 'as expected')).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('a root API call that opens ssh to the world opens two incidents, with the reverter plan for its group', () => {
    const o = outcome('authorize-ingress-root-world-ipv4-ipv6.json');
    expect(o.matched).toEqual(['rootActivity', 'securityGroupOpened']);
    const [root, sg] = o.incidents;
    expect(root).toMatchObject({
      responsePlan: 'first-responder-root-activity',
      title: 'Root user AuthorizeSecurityGroupIngress from 165.225.243.77, MFA yes',
      impact: 1,
      runbook: 'root-activity-triage',
      invokes: 'rootTriage',
    });
    expect(root?.response[0]).toMatch(
      /^Root activity: AuthorizeSecurityGroupIngress by Root .* MFA yes, succeeded/,
    );
    expect(sg?.plans?.[0]).toMatchObject({
      groupId: 'sg-0db7d4784c4db8612',
      status: 'noncompliant',
      authorize: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '10.0.0.0/8' }],
    });
  });

  it('engages the escalation plan in order: alice at once, then bob and alice at 15 minutes', () => {
    const root = outcome('signin-root-success.json').incidents[0]!;
    expect(root.engagements.slice(0, 4)).toEqual([
      { atMinute: 0, contact: 'alice', via: ['email'] },
      { atMinute: 10, contact: 'alice', via: ['sms'] },
      { atMinute: 15, contact: 'bob', via: ['email', 'sms'] },
      { atMinute: 15, contact: 'alice', via: ['email'] },
    ]);
  });

  it('a sample finding opens an incident whose runbook changes nothing', () => {
    const gd = outcome('guardduty-sample-finding-eventbridge.json').incidents[0]!;
    expect(gd.response).toContain(
      'Sample finding: the runbook records that the pipeline works and changes nothing.',
    );
  });

  it('renders a report that ends with the counts', () => {
    const text = renderDrill(report);
    expect(text).toContain('[16] signin-iam-user-success-mfa.json (ok)');
    expect(text.split('\n').at(-1)).toBe(
      '18 events: 12 incidents would open, 3 repeats appended, 1 judged harmless; 18 as expected, 0 missed, 0 unexpected',
    );
  });
});

describe('the intake in the drill', () => {
  const report = runDrill({
    config: CONFIG,
    events: loadDrillEvents(join(EXAMPLES, 'events')),
    groups: GROUPS,
  });
  const sg = (file: string) =>
    report.outcomes
      .find((o) => o.file === file)!
      .incidents.find((i) => i.detection === 'securityGroupOpened')!;

  it.each([
    [
      'authorize-ingress-evasion-ipv4-halves.json',
      'sg-0a1b2c3d4e5f60011',
      'tcp 22 to 0.0.0.0/1, 128.0.0.0/1',
    ],
    [
      'authorize-ingress-evasion-ipv6-halves.json',
      'sg-0a1b2c3d4e5f60012',
      'tcp 3389 to ::/1, 8000::/1',
    ],
    ['modify-security-group-rules-ipv6-2000-3.json', 'sg-0a1b2c3d4e5f60013', 'tcp 22 to 2000::/3'],
  ])('%s: an evasion of a /0 test opens an incident about %s', (file, groupId, grants) => {
    // GIVEN the group as it is after the change, judged by the planner
    const { intake, title, engagements } = sg(file);
    // THEN the intake opens an incident, named after what was opened and by whom
    expect(intake).toMatchObject({
      decision: 'open',
      dedupeKey: `sg#770203350335#us-east-1#${groupId}`,
      incident: {
        impact: 2,
        relatedItems: [
          {
            arn: `arn:aws:ec2:us-east-1:770203350335:security-group/${groupId}`,
            title: `Security group ${groupId}`,
          },
        ],
      },
    });
    expect(intake.reason).toMatch(
      new RegExp(`^${groupId} is out of policy: the reverter would revoke`),
    );
    expect(title).toBe(`${groupId} opened ${grants} by wrh@bu.edu`);
    expect(engagements.length).toBeGreaterThan(0);
  });

  it('tcp 443 to the world, which the policy allows, pages no one', () => {
    const { intake, engagements, response } = sg('authorize-ingress-world-443-allowed.json');
    expect(intake.decision).toBe('none');
    expect(intake.reason).toMatch(/^sg-0a1b2c3d4e5f60014 complies with the policy/);
    expect(intake.incident).toBeUndefined();
    expect(engagements).toEqual([]);
    expect(response).toEqual([]);
  });

  it('a re-published GuardDuty finding is appended to its open incident, paging no one', () => {
    const first = report.outcomes.find((o) => o.file === 'guardduty-ssh-brute-force.json')!;
    const repeat = report.outcomes.find((o) => o.file === 'guardduty-ssh-brute-force-repeat.json')!;
    expect(first.incidents[0]!.intake).toMatchObject({
      decision: 'open',
      incident: {
        title: 'GuardDuty High: UnauthorizedAccess:EC2/SSHBruteForce on i-0a1b2c3d4e5f60009',
      },
    });
    expect(repeat.incidents[0]!.intake).toMatchObject({
      decision: 'append',
      dedupeKey: first.incidents[0]!.intake.dedupeKey,
      appendsTo: 'guardduty-ssh-brute-force.json',
    });
    expect(repeat.incidents[0]!.engagements).toEqual([]);
  });

  it('prints the documented JSON with --json', async () => {
    const out: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
    try {
      expect(await main(['drill', '--json'])).toBe(0);
    } finally {
      jest.restoreAllMocks();
    }
    const json = JSON.parse(out.join('\n')) as { events: Record<string, unknown>[] };
    expect(json.events).toContainEqual({
      file: 'authorize-ingress-evasion-ipv4-halves.json',
      detection: 'securityGroupOpened',
      decision: 'open',
      reason: expect.stringMatching(/out of policy/) as unknown,
      dedupeKey: 'sg#770203350335#us-east-1#sg-0a1b2c3d4e5f60011',
      incident: {
        title: 'sg-0a1b2c3d4e5f60011 opened tcp 22 to 0.0.0.0/1, 128.0.0.0/1 by wrh@bu.edu',
        impact: 2,
        relatedItems: [
          {
            arn: 'arn:aws:ec2:us-east-1:770203350335:security-group/sg-0a1b2c3d4e5f60011',
            title: 'Security group sg-0a1b2c3d4e5f60011',
          },
        ],
      },
    });
    expect(json.events.map((e) => e.decision)).toEqual(
      expect.arrayContaining(['open', 'append', 'none']),
    );
    for (const e of json.events)
      expect(Object.keys(e)).toEqual(
        expect.arrayContaining(['file', 'detection', 'decision', 'reason']),
      );
  });

  it('a group missing from --groups opens an incident marked not verified', () => {
    const r = runDrill({
      config: CONFIG,
      events: [
        {
          file: 'x.json',
          event: event('authorize-ingress-evasion-ipv4-halves.json') as Record<string, unknown>,
        },
      ],
      groups: [],
    });
    const { intake } = r.outcomes[0]!.incidents[0]!;
    expect(intake.decision).toBe('open');
    expect(intake.incident?.title).toMatch(/; not verified$/);
    expect(intake.reason).toMatch(/not in the --groups file/);
  });
});

describe('drill failures', () => {
  it('exits non-zero when an event that should open an incident would not', () => {
    // GIVEN a threshold above the Critical sample's 9.5
    const config = configWith((d) => (d.detection.guardDuty.minSeverity = 9.6));
    const report = runDrill({
      config,
      events: loadDrillEvents(join(EXAMPLES, 'events')),
      groups: GROUPS,
    });
    expect(report.ok).toBe(false);
    expect(
      report.outcomes.find((o) => o.file === 'guardduty-severity-9.5-critical.json')?.verdict,
    ).toBe('missed');
    expect(renderDrill(report)).toMatch(
      /\[11\] guardduty-severity-9\.5-critical\.json \(MISSED\)\n.*\n {4}no rule matches: no incident, but guardDutyFinding was expected/,
    );
  });

  it('without expectations.json every event in the directory must open an incident', async () => {
    const dir = tempEvents({
      'a.json': event('signin-root-success.json'),
      'b.json': event('signin-iam-user-success-mfa.json'),
    });
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['drill', '--events', dir])).toBe(1);
      const report = runDrill({ config: CONFIG, events: loadDrillEvents(dir), groups: GROUPS });
      expect(report.outcomes.map((o) => o.verdict)).toEqual(['as expected', 'missed']);
    } finally {
      jest.restoreAllMocks();
      rmSync(dir, { recursive: true });
    }
  });

  it('flags an incident that should not open', () => {
    const dir = tempEvents({
      'a.json': event('signin-root-success.json'),
      'expectations.json': { 'a.json': [] },
    });
    const report = runDrill({ config: CONFIG, events: loadDrillEvents(dir), groups: GROUPS });
    expect(report.outcomes[0]?.verdict).toBe('unexpected');
    expect(renderDrill(report)).toContain('UNEXPECTED: expected no incident');
  });

  it.each<[string, () => string, RegExp]>([
    ['a missing directory', () => '/nonexistent/events', /no such directory of events/],
    [
      'a file that is not an event',
      () => tempEvents({ 'x.json': { hello: 1 } }),
      /x\.json: not an EventBridge event/,
    ],
    [
      'an unknown detection in the manifest',
      () =>
        tempEvents({
          'a.json': event('signin-root-success.json'),
          'expectations.json': { 'a.json': ['root'] },
        }),
      /expectations\.json: a\.json: got \["root"\]; a list of detection IDs, or/,
    ],
  ])('fails on %s with a clear message', (_name, dir, message) => {
    expect(() => loadDrillEvents(dir())).toThrow(message);
  });

  it('copies of the bundled events replay the same way from another directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-drill-copy-'));
    cpSync(join(EXAMPLES, 'events'), dir, { recursive: true });
    expect(runDrill({ config: CONFIG, events: loadDrillEvents(dir), groups: GROUPS }).ok).toBe(
      true,
    );
  });
});

describe('engagement order', () => {
  it('follows an escalation plan into each contact plan, minute by minute', () => {
    expect(
      engagementOrder(['security-escalation'], contactsOf(CONFIG)).map(
        (e) => `${e.atMinute} ${e.contact} ${e.via.join('+')}`,
      ),
    ).toEqual([
      '0 alice email',
      '10 alice sms',
      '15 bob email+sms',
      '15 alice email',
      '20 alice voice',
      '25 alice sms',
      '30 bob voice',
      '35 alice voice',
    ]);
  });
});

describe('drill under the OpsCenter backend (examples/config-opscenter.yaml)', () => {
  const report = runDrill({
    config: loadConfig(join(EXAMPLES, 'config-opscenter.yaml')),
    events: loadDrillEvents(join(EXAMPLES, 'events')),
    groups: GROUPS,
  });

  it('every sample event does what it should, opening OpsItems that page through SNS', () => {
    expect(report.outcomes.filter((o) => o.verdict !== 'as expected')).toEqual([]);
    const text = renderDrill(report);
    expect(text).toContain('opens an OpsItem (category Security, severity 1)');
    expect(text).toContain(
      'pages through SNS until the OpsItem is In progress: 0 min alice (email); 10 min alice (sms); 15 min bob (email, sms)',
    );
    expect(text).toContain('appended to the OpsItem opened by');
    expect(text).not.toMatch(/voice|opens an incident/);
  });
});
