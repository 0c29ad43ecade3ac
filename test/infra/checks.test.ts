/**
 * The checks themselves: how acknowledgements are made, what the cfn-lint configuration
 * acknowledges, and the summary `npm start` prints, built from a real synth with esbuild bundling.
 */
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { parse as parseYaml } from 'yaml';
import { CFN_LINT_CONFIG } from '../../infra/cfn-lint';
import { acknowledge, isSentence } from '../../infra/nag';
import { synthesizeAndCheck, type AppSummary } from '../../infra/summary';
import { exampleConfig } from './support';

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
