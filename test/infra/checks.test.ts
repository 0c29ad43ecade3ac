/**
 * The checks themselves: how acknowledgements are made, what the cfn-lint configuration
 * acknowledges, and the summary `npm start` prints, built from a real synth with esbuild bundling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { parse as parseYaml } from 'yaml';
import { renderSummary } from '../../cli/commands/start';
import { CFN_LINT_CONFIG } from '../../infra/cfn-lint';
import { loadConfig } from '../../infra/config';
import { acknowledge, isSentence } from '../../infra/nag';
import { REPO_ROOT, synthesizeAndCheck, type AppSummary } from '../../infra/summary';
import { EXAMPLES_DIR, exampleConfig } from './support';

describe('acknowledgements', () => {
  it('accepts a reason that is a sentence', () => {
    expect(isSentence('The groups are only known when an incident names them.')).toBe(true);
  });

  it.each(['ok', 'needed', 'wildcard needed for ec2', 'Because.'])(
    'fails on the reason %j',
    (reason) => {
      const stack = new Stack(new App(), 'S');
      expect(() => acknowledge(stack, { id: 'AwsSolutions-IAM5', reason })).toThrow(
        /must be a sentence/,
      );
    },
  );
});

describe('.cfnlintrc.yaml', () => {
  it('gives a reason, in a comment right above it, for every check it ignores', () => {
    // GIVEN
    const text = readFileSync(CFN_LINT_CONFIG, 'utf8');
    const ignored = (parseYaml(text) as { ignore_checks?: string[] }).ignore_checks ?? [];
    const lines = text.split('\n');

    // THEN
    for (const id of ignored) {
      const at = lines.findIndex((l) => l.trim() === `- ${id}`);
      expect(at).toBeGreaterThan(0);
      expect(lines[at - 1]!.trim()).toMatch(/^#/);
      // Errors are never ignored: only warnings (W) and informational findings (I) may be.
      expect(id).toMatch(/^[WI]\d+/);
    }
  });
});

describe('summary (what npm start prints)', () => {
  let summary: AppSummary;
  beforeAll(() => {
    // A real synth: esbuild bundles the four functions, as `cdk deploy` would.
    summary = synthesizeAndCheck(exampleConfig(), { env: {} });
  }, 120_000);

  it('lists the stacks with their regions', () => {
    expect(summary.stacks.map((s) => [s.stackName, s.region])).toEqual([
      ['FirstResponder', 'eu-west-1'],
      ['FirstResponder-RootActivity', 'us-east-1'],
    ]);
    expect(summary.stackSets).toEqual([]);
    expect(summary.replicationSet).toMatchObject({
      mode: 'existing',
      notice: expect.stringContaining('2025-11-07'),
    });
  });

  it('lists contacts with their stages and response plans with their runbooks', () => {
    expect(summary.contacts.find((c) => c.alias === 'alice')?.stages).toEqual([
      { afterMinutes: 0, engages: ['email'] },
      { afterMinutes: 10, engages: ['sms'] },
      { afterMinutes: 20, engages: ['voice'] },
    ]);
    expect(summary.contacts.find((c) => c.alias === 'security-escalation')).toMatchObject({
      kind: 'escalation',
    });
    expect(summary.responsePlans.map((p) => [p.detection, p.runbook, p.invokes])).toEqual([
      ['rootActivity', 'root-activity-triage', 'rootTriage'],
      ['guardDutyFinding', 'guardduty-finding-response', 'guarddutyResponse'],
      ['configNoncompliance', 'revert-security-groups', 'reverter'],
      ['securityGroupOpened', 'revert-security-groups', 'reverter'],
    ]);
  });

  it('lists the rules with their patterns, including the us-east-1 forwarder', () => {
    expect(summary.rules.map((r) => [r.name, r.region])).toEqual([
      ['first-responder-root-activity', 'eu-west-1'],
      ['first-responder-guardduty-finding', 'eu-west-1'],
      ['first-responder-config-noncompliance', 'eu-west-1'],
      ['first-responder-security-group-opened', 'eu-west-1'],
      ['first-responder-root-activity-forwarder', 'us-east-1'],
    ]);
    for (const r of summary.rules) expect(r.pattern).toHaveProperty('source');
  });

  it('reports cdk-nag and cfn-lint clean, with every acknowledgement and its reason', () => {
    expect(summary.nag.errors).toEqual([]);
    expect(summary.nag.warnings).toEqual([]);
    expect(summary.nag.acknowledged.length).toBeGreaterThan(0);
    for (const a of summary.nag.acknowledged) expect(isSentence(a.reason)).toBe(true);
    expect(summary.cfnLint.available).toBe(true);
    expect(summary.cfnLint.errors).toEqual([]);
    expect(summary.cfnLint.warnings).toEqual([]);
    expect(summary.ok).toBe(true);
  });
});

describe('summary of an organization (examples/organization.yaml)', () => {
  let summary: AppSummary;
  beforeAll(() => {
    // Templates only: the StackSets' bodies and the extra stacks are what this reads.
    summary = synthesizeAndCheck(loadConfig(join(EXAMPLES_DIR, 'organization.yaml')), {
      env: {},
      bundle: false,
    });
  }, 120_000);

  it('lists the security account and management account stacks, each with its account', () => {
    expect(summary.stacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['FirstResponder', '111111111111', 'eu-west-1'],
      ['FirstResponder-Forward-us-east-1', '111111111111', 'us-east-1'],
      ['FirstResponder-Management-eu-west-1', '999999999999', 'eu-west-1'],
      ['FirstResponder-Management-us-east-1', '999999999999', 'us-east-1'],
    ]);
  });

  it('lists the StackSets with their regions and targets', () => {
    const targets = [
      'ou-ab12-sandbox1, ou-ab12-prodwork except 555555555555',
      'accounts 444444444444 (in r-ab12)',
    ];
    expect(summary.stackSets.map((s) => [s.name, s.regions, s.targets])).toEqual([
      ['first-responder-member-roles', ['eu-west-1'], targets],
      ['first-responder-member-forwarders', ['eu-west-1', 'us-east-1'], targets],
    ]);
    for (const s of summary.stackSets) expect(s.templateBytes).toBeLessThan(51_200);
    expect(renderSummary(summary, REPO_ROOT)).toMatch(
      /stack sets \(service-managed, from the delegated administrator\):\n {2}first-responder-member-roles in eu-west-1 -> ou-ab12-sandbox1, ou-ab12-prodwork except 555555555555; accounts 444444444444 \(in r-ab12\): 4 resources/,
    );
  });

  it('lists the forwarding rules next to the detection rules', () => {
    expect(
      summary.rules.filter((r) => r.target.startsWith('central bus')).map((r) => [r.name, r.stack]),
    ).toEqual([
      ['first-responder-forward-guardduty-finding', 'FirstResponder'],
      ['first-responder-forward-guardduty-finding', 'FirstResponder-Forward-us-east-1'],
      ['first-responder-forward-root-activity', 'StackSet first-responder-member-forwarders'],
      [
        'first-responder-forward-config-noncompliance',
        'StackSet first-responder-member-forwarders',
      ],
      [
        'first-responder-forward-security-group-opened',
        'StackSet first-responder-member-forwarders',
      ],
    ]);
  });

  it('runs cdk-nag and cfn-lint on the StackSet templates too, and both are clean', () => {
    expect(summary.cfnLint.templates.map((t) => t.path)).toEqual(
      expect.arrayContaining(summary.stackSets.map((s) => s.templatePath)),
    );
    expect(summary.cfnLint.templates).toHaveLength(6);
    expect(summary.cfnLint.errors).toEqual([]);
    expect(summary.cfnLint.warnings).toEqual([]);
    expect(summary.nag.errors).toEqual([]);
    // The member role's acknowledgements come from the StackSet templates' own app.
    expect(
      summary.nag.acknowledged.some((a) =>
        a.resources.some((r) => r.startsWith('first-responder-member-roles/')),
      ),
    ).toBe(true);
    for (const a of summary.nag.acknowledged) expect(isSentence(a.reason)).toBe(true);
    expect(summary.ok).toBe(true);
  });
});
