import { ValidationError } from '../../handlers/shared/validation';
import { DETECTION_IDS } from '../../patterns';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadConfig,
  parseConfig,
  regionOf,
  responsePlansOf,
  type FirstResponderConfig,
} from '../../infra/config';
import { configFrom, exampleConfig, minimalInput } from './support';

/** The problems a configuration is refused with. */
function problemsOf(input: unknown): string[] {
  try {
    configFrom(input);
  } catch (err) {
    if (err instanceof ValidationError) return [...err.problems];
    throw err;
  }
  throw new Error('the configuration was accepted');
}

const alice = {
  alias: 'alice',
  displayName: 'Alice Example',
  channels: [
    { type: 'EMAIL', address: 'alice@example.com' },
    { type: 'SMS', address: '+1 206 555 0101' },
  ],
};

describe('configuration', () => {
  it('loads the example configuration with its policy', () => {
    // WHEN
    const config = exampleConfig();

    // THEN
    expect(config.contacts.map((c) => c.alias)).toEqual(['alice', 'bob']);
    expect(config.escalationPlans.map((e) => e.alias)).toEqual(['security-escalation']);
    expect(config.policy.exempt).toEqual({ tag: 'first-responder:exempt', value: 'true' });
    expect(JSON.parse(config.policyJson)).toMatchObject({ mode: 'restrict' });
    expect(config.incidentManager.replicationSet.mode).toBe('existing');
  });

  it('fills every default from an empty configuration', () => {
    // GIVEN
    const config: FirstResponderConfig = configFrom({});

    // THEN
    expect(config.app).toEqual({
      prefix: 'first-responder',
      stackName: 'FirstResponder',
      tags: {},
    });
    expect(config.incidentManager.replicationSet.mode).toBe('existing');
    expect(config.detection.config).toMatchObject({
      recorder: 'existing',
      rules: { s3PublicRead: true, s3PublicWrite: true, securityGroupPolicy: true },
    });
    expect(config.logs.retentionDays).toBe(365);
    expect(config.remediation.dryRun).toBe(false);
    expect(regionOf(config, {})).toBe('us-east-1');
    expect(regionOf(config, { CDK_DEFAULT_REGION: 'eu-central-1' })).toBe('eu-central-1');
    const plans = responsePlansOf(config);
    expect(plans.map((p) => p.detection)).toEqual([...DETECTION_IDS]);
    expect(plans[0]).toMatchObject({
      name: 'first-responder-root-activity',
      title: 'Root user activity',
      impact: 2,
      runbook: 'root-activity-triage',
      engagements: [],
    });
  });

  it('normalizes phone numbers to E.164 and names channels after their type', () => {
    // WHEN
    const config = configFrom(minimalInput({ contacts: [alice] }));

    // THEN
    expect(config.contacts[0]!.channels).toEqual([
      { type: 'EMAIL', address: 'alice@example.com', name: 'email' },
      { type: 'SMS', address: '+12065550101', name: 'sms' },
    ]);
  });

  it('fails on a phone number that is not E.164, naming the field, the value and the form', () => {
    // GIVEN
    const input = minimalInput({
      contacts: [{ ...alice, channels: [{ type: 'VOICE', address: '206-555-0101' }] }],
    });

    // THEN
    const [problem] = problemsOf(input);
    expect(problem).toMatch(/^config\.contacts\[0\]\.channels\[0\]\.address: got "206-555-0101"/);
    expect(problem).toContain('E.164');
  });

  it('fails on a GuardDuty revert severity outside 1-10, naming what is valid', () => {
    const problems = problemsOf(minimalInput({ remediation: { guardDutyRevertMinSeverity: 11 } }));
    expect(problems).toEqual([
      expect.stringMatching(
        /^config\.remediation\.guardDutyRevertMinSeverity: got 11; a severity from 1 to 10, or "never"/,
      ),
    ]);
  });

  it('fails on an email address without a domain', () => {
    const problems = problemsOf(
      minimalInput({ contacts: [{ ...alice, channels: [{ type: 'EMAIL', address: 'alice@' }] }] }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/channels\[0\]\.address: got "alice@"; an EMAIL/),
    ]);
  });

  it('fails on an unknown channel type, listing the valid ones', () => {
    const problems = problemsOf(
      minimalInput({ contacts: [{ ...alice, channels: [{ type: 'PAGER', address: 'x' }] }] }),
    );
    expect(problems[0]).toMatch(/channels\[0\]\.type: got "PAGER"; valid: EMAIL, SMS or VOICE/);
  });

  it('fails when a stage engages a channel the contact does not have', () => {
    const problems = problemsOf(
      minimalInput({ contacts: [{ ...alice, engagementPlan: [{ channels: ['voice'] }] }] }),
    );
    expect(problems).toEqual([
      'config.contacts[0].engagementPlan[0].channels[0]: got "voice"; valid: a channel name of this contact: email, sms',
    ]);
  });

  it('fails on a stage longer than 30 minutes', () => {
    const problems = problemsOf(
      minimalInput({
        contacts: [{ ...alice, engagementPlan: [{ channels: ['email'], durationMinutes: 45 }] }],
      }),
    );
    expect(problems[0]).toMatch(/engagementPlan\[0\]\.durationMinutes: got 45; .*0 to 30/);
  });

  it('fails when two contacts share an alias', () => {
    const problems = problemsOf(minimalInput({ contacts: [alice, alice] }));
    expect(problems[0]).toMatch(
      /^config\.contacts\[1\]\.alias: got "alice", already used by contacts\.0/,
    );
  });

  it('fails when an escalation stage names an unknown contact', () => {
    const problems = problemsOf(
      minimalInput({
        contacts: [alice],
        escalationPlans: [{ alias: 'esc', displayName: 'Esc', stages: [{ contacts: ['carol'] }] }],
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /escalationPlans\[0\]\.stages\[0\]\.contacts\[0\]: got "carol"; valid: .*: alice/,
      ),
    ]);
  });

  it('fails when a response plan engages an unknown alias, and accepts a contact ARN', () => {
    // GIVEN
    const arn = 'arn:aws:ssm-contacts:eu-west-1:123456789012:contact/existing-oncall';
    const input = minimalInput({
      contacts: [alice],
      responsePlans: { rootActivity: { engagements: ['alice', arn, 'carol'] } },
    });

    // THEN
    expect(problemsOf(input)).toEqual([
      expect.stringMatching(/^config\.responsePlans\.rootActivity\.engagements\[2\]: got "carol"/),
    ]);
  });

  it('fails on an impact outside 1-5', () => {
    const problems = problemsOf(
      minimalInput({ responsePlans: { guardDutyFinding: { impact: 6 } } }),
    );
    expect(problems[0]).toMatch(
      /responsePlans\.guardDutyFinding\.impact: got 6; .*1 \(critical\) to 5/,
    );
  });

  it('fails on an unknown runbook', () => {
    const problems = problemsOf(
      minimalInput({ responsePlans: { rootActivity: { runbook: 'nope' } } }),
    );
    expect(problems[0]).toMatch(/runbook: got "nope"; valid: revert-security-groups, /);
  });

  it('fails on a field it does not know', () => {
    const problems = problemsOf(minimalInput({ contactz: [] }));
    expect(problems[0]).toMatch(/contactz/);
  });

  it('fails on replication-set regions in "existing" mode', () => {
    const problems = problemsOf(
      minimalInput({ incidentManager: { replicationSet: { regions: ['eu-west-1'] } } }),
    );
    expect(problems[0]).toMatch(/replicationSet\.mode: got "existing" with regions/);
  });

  it('fails when every Config rule is off and no rule names are watched', () => {
    const problems = problemsOf(
      minimalInput({
        detection: {
          config: {
            rules: { s3PublicRead: false, s3PublicWrite: false, securityGroupPolicy: false },
          },
        },
      }),
    );
    expect(problems[0]).toMatch(/^config\.detection\.config\.ruleNames: .*never start/);
  });

  it('fails when the security-group policy file does not exist', () => {
    const problems = problemsOf(minimalInput({ securityGroupPolicy: 'missing.json' }));
    expect(problems[0]).toMatch(/^config\.securityGroupPolicy: got "missing\.json"/);
  });

  it.each<[string, string, RegExp | undefined]>([
    [
      'an empty restrict policy',
      '{"ingress": []}',
      /config\.securityGroupPolicy: .*policy\.ingress: got \[\]; a policy with no ingress would revoke every inbound rule of every security group not tagged first-responder:exempt=true: .*"revokeAll": true/,
    ],
    ['an empty policy that says revokeAll', '{"ingress": [], "revokeAll": true}', undefined],
    [
      'a YAML tag',
      'mode: !foo restrict\ningress: []\nrevokeAll: true\n',
      /config\.securityGroupPolicy: .*Unresolved tag: !foo/,
    ],
  ])('the policy it names: %s', (_name, text, message) => {
    // GIVEN a configuration naming a policy file WHEN loaded THEN refused or read, as the CLI would
    const dir = mkdtempSync(join(tmpdir(), 'fr-config-'));
    writeFileSync(join(dir, 'p.yaml'), text);
    const load = () =>
      parseConfig(minimalInput({ securityGroupPolicy: 'p.yaml' }), { baseDir: dir });
    if (message) expect(() => load()).toThrow(message);
    else expect(JSON.parse(load().policyJson)).toEqual({ ingress: [], revokeAll: true });
  });

  it('a configuration file that is missing is named, with no hint meant for another tool', () => {
    expect(() => loadConfig('/nonexistent/config.yaml')).toThrow(
      /cannot read \/nonexistent\/config\.yaml: .*; pass the path of an existing configuration file$/,
    );
  });

  it('fails on a log retention CloudWatch Logs does not offer', () => {
    const problems = problemsOf(minimalInput({ logs: { retentionDays: 10 } }));
    expect(problems[0]).toMatch(/logs\.retentionDays: got 10; valid: 1, 3, 5/);
  });

  it('fails on a rotation that names an escalation plan instead of a person', () => {
    const problems = problemsOf(
      minimalInput({
        contacts: [alice],
        escalationPlans: [{ alias: 'esc', displayName: 'Esc', stages: [{ contacts: ['alice'] }] }],
        rotations: [
          {
            alias: 'oncall',
            displayName: 'On call',
            contacts: ['esc'],
            startTime: '2026-01-05T09:00:00',
          },
        ],
      }),
    );
    expect(problems[0]).toMatch(
      /rotations\[0\]\.contacts\[0\]: got "esc"; valid: the alias of a personal contact: alice/,
    );
  });
});

describe('incidents.backend', () => {
  it('defaults to Incident Manager', () => {
    expect(configFrom({}).incidents.backend).toBe('incident-manager');
  });

  it('refuses an unknown backend, naming the field, the value and what is valid', () => {
    expect(problemsOf(minimalInput({ incidents: { backend: 'pagerduty' } }))).toEqual([
      expect.stringMatching(
        /^config\.incidents\.backend: got "pagerduty"; valid: "incident-manager" .* or "opscenter"/,
      ),
    ]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'Noncompliance 1: a VOICE channel',
      {
        contacts: [
          { ...alice, channels: [...alice.channels, { type: 'VOICE', address: '+12065550101' }] },
        ],
      },
      /^config\.contacts\[0\]\.channels\[2\]\.type: got "VOICE" with incidents\.backend "opscenter"; voice calls need Incident Manager/,
    ],
    [
      'Noncompliance 2: a rotation',
      {
        contacts: [alice],
        rotations: [
          {
            alias: 'week',
            displayName: 'Week',
            contacts: ['alice'],
            startTime: '2026-01-05T09:00:00',
          },
        ],
      },
      /^config\.rotations\[0\]: got rotation "week" .*on-call rotations need Incident Manager/,
    ],
    [
      'Noncompliance 3: an existing Incident Manager contact',
      {
        responsePlans: {
          rootActivity: {
            engagements: ['arn:aws:ssm-contacts:us-east-1:111122223333:contact/oncall'],
          },
        },
      },
      /^config\.responsePlans\.rootActivity\.engagements\[0\]: .*cannot be paged through SNS/,
    ],
    [
      'Noncompliance 4: a replication set to create',
      { incidentManager: { replicationSet: { mode: 'create' } } },
      /^config\.incidentManager\.replicationSet\.mode: got "create" with incidents\.backend "opscenter"/,
    ],
  ])('%s is refused under opscenter', (_name, extra, message) => {
    expect(problemsOf(minimalInput({ incidents: { backend: 'opscenter' }, ...extra }))).toEqual([
      expect.stringMatching(message),
    ]);
  });

  it('Compliance 1: email and SMS contacts and escalation plans are accepted under opscenter', () => {
    const config = configFrom(
      minimalInput({
        incidents: { backend: 'opscenter' },
        contacts: [alice],
        escalationPlans: [{ alias: 'esc', displayName: 'Esc', stages: [{ contacts: ['alice'] }] }],
        responsePlans: { rootActivity: { engagements: ['esc'] } },
      }),
    );
    expect(config.incidents.backend).toBe('opscenter');
  });
});
