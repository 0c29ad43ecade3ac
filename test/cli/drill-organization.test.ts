import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  drillJson,
  exampleDrillInputs,
  loadDrillEvents,
  loadPlacements,
  renderDrill,
  runDrill,
  type DrillReport,
} from '../../cli/commands/drill';
import { readDescribeFile } from '../../cli/commands/plan';
import { main } from '../../cli/main';
import { loadConfig } from '../../infra/config';
import { ValidationError } from '../../handlers/shared/validation';
import { capture } from './support';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const ORG_CONFIG = loadConfig(join(EXAMPLES, 'organization.yaml'));
const INPUTS = exampleDrillInputs(EXAMPLES, ORG_CONFIG);

function drill(overrides: { events?: string; accounts?: string | null } = {}): DrillReport {
  const accounts = overrides.accounts === undefined ? INPUTS.accounts : overrides.accounts;
  return runDrill({
    config: ORG_CONFIG,
    events: loadDrillEvents(overrides.events ?? INPUTS.events),
    groups: readDescribeFile(INPUTS.groups),
    ...(accounts ? { placements: loadPlacements(accounts) } : {}),
  });
}

const incidentOf = (report: DrillReport, file: string) =>
  report.outcomes.find((o) => o.file === file)!.incidents[0]!;

describe('drill in organization mode (examples/organization.yaml)', () => {
  const report = drill();

  it('picks the organization set of example events, groups and placements', () => {
    expect(INPUTS).toEqual({
      events: join(EXAMPLES, 'organization-events'),
      groups: join(EXAMPLES, 'organization-security-groups.json'),
      accounts: join(EXAMPLES, 'organization-accounts.json'),
    });
  });

  it('every event does what examples/organization-events/expectations.json says, mode included', () => {
    expect(report.outcomes).toHaveLength(6);
    expect(report.outcomes.filter((o) => o.verdict !== 'as expected')).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('says root sign-ins come through the members in us-east-1, not a RootActivity stack', () => {
    expect(report.notes.join('\n')).toContain(
      "each member's forwarders there send them to the central bus in eu-west-1",
    );
    expect(report.notes.join('\n')).not.toContain('the app forwards them');
  });

  it('covers two member accounts in two regions, with security-group changes and GuardDuty findings', () => {
    const seen = report.outcomes.flatMap((o) =>
      o.incidents.map((i) => `${i.place!.account}/${i.place!.region} ${i.detection}`),
    );
    expect(seen).toEqual(
      expect.arrayContaining([
        '222222222222/us-east-1 securityGroupOpened',
        '222222222222/eu-west-1 guardDutyFinding',
        '333333333333/eu-west-1 securityGroupOpened',
        '333333333333/us-east-1 guardDutyFinding',
      ]),
    );
  });

  it.each([
    [
      'sandbox-authorize-ingress-world-us-east-1.json',
      { account: '222222222222', region: 'us-east-1', mode: 'enforce' },
      /under ou-ab12-sandbox1, in enforce mode/,
      'enforce: the runbook makes these changes in 222222222222/us-east-1 through the member role first-responder-member.',
    ],
    [
      'prodwork-modify-security-group-rules-world-eu-west-1.json',
      { account: '333333333333', region: 'eu-west-1', mode: 'approve' },
      // The nearest OU (ou-ab12-payments) is in no target: its parent decides.
      /under ou-ab12-prodwork, in approve mode/,
      'approve: the runbook asks arn:aws:iam::111111111111:role/SecurityLead (1 approval needed) through arn:aws:sns:eu-west-1:111111111111:AutomationApprovals, and makes these changes in 333333333333/eu-west-1 once approved; rejected, or unanswered within 86400 seconds, it changes nothing.',
    ],
    [
      'observed-authorize-ingress-world-eu-west-1.json',
      { account: '444444444444', region: 'eu-west-1', mode: 'observe' },
      /account 444444444444 is in observe mode/,
      'observe: the runbook records this plan on the incident and changes nothing in 444444444444/eu-west-1.',
    ],
    [
      'unplaced-authorize-ingress-world-us-east-1.json',
      { account: '666666666666', region: 'us-east-1', mode: 'observe' },
      /could not be found: not in organization-accounts\.json; observing only \(fail closed\)/,
      'observe: the runbook records this plan on the incident and changes nothing in 666666666666/us-east-1.',
    ],
  ])('%s: %j', (file, place, reason, action) => {
    // GIVEN the example event WHEN it is drilled THEN the account, region and mode are the
    // expected ones, and the runbook's plan is followed by what the mode lets it do
    const inc = incidentOf(report, file);
    expect(inc.intake.decision).toBe('open');
    expect(inc.place).toMatchObject(place);
    expect(inc.place!.reason).toMatch(reason);
    expect(inc.response).toContain(action);
    expect(inc.plans?.[0]).toMatchObject({ status: 'noncompliant' });
  });

  it("places a GuardDuty finding in the member's account and region from its detail, not the administrator's envelope", () => {
    const inc = incidentOf(report, 'prodwork-guardduty-ssh-brute-force-us-east-1.json');
    expect(inc.place).toMatchObject({
      account: '333333333333',
      region: 'us-east-1',
      mode: 'approve',
    });
    // Severity 8 is below the example's revert threshold: nothing to change, so no mode line.
    expect(inc.response.join('\n')).toContain('Security groups not reverted');
    expect(inc.response.join('\n')).not.toMatch(/^(enforce|approve|observe):/m);
  });

  it('prints each incident with where it acts and its mode, and the JSON carries them', () => {
    const text = renderDrill(report);
    expect(text).toContain(
      '      in 222222222222/us-east-1, mode enforce: account 222222222222 is under ou-ab12-sandbox1, in enforce mode (organization.targets[0])',
    );
    expect(text).toContain('note: Organization mode:');
    expect(text).toContain('modes of the incidents that open: 2 enforce, 2 approve, 2 observe');
    expect(drillJson(report).events[0]).toMatchObject({
      account: '222222222222',
      region: 'us-east-1',
      mode: 'enforce',
    });
  });

  it('without a placement file every account is observed, never enforced', () => {
    const modes = drill({ accounts: null }).outcomes.flatMap((o) =>
      o.incidents.map((i) => i.place!.mode),
    );
    expect(modes).toHaveLength(6);
    expect(new Set(modes)).toEqual(new Set(['observe']));
  });

  it('fails when an account gets another mode than expected', () => {
    // GIVEN the example events, expecting enforce for the account the placement file does not know
    const dir = mkdtempSync(join(tmpdir(), 'fr-org-drill-'));
    cpSync(INPUTS.events, dir, { recursive: true });
    const path = join(dir, 'expectations.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { mode: string }>;
    manifest['unplaced-authorize-ingress-world-us-east-1.json']!.mode = 'enforce';
    writeFileSync(path, JSON.stringify(manifest));
    // WHEN it is drilled THEN that event is flagged, and the drill fails
    const report = drill({ events: dir });
    expect(report.ok).toBe(false);
    expect(
      report.outcomes.find((o) => o.file === 'unplaced-authorize-ingress-world-us-east-1.json'),
    ).toMatchObject({
      verdict: 'unexpected',
      mismatch: 'account 666666666666 is in observe mode, expected enforce',
    });
  });
});

describe('the placement file', () => {
  it.each([
    [{ '22222222222': ['r-ab12'] }, /each key is a 12-digit account ID/],
    [{ '222222222222': ['ou-ab12-sandbox1'] }, /end with the root ID/],
    [{ '222222222222': ['sandbox'] }, /an OU ID \(ou-…\) or the root ID \(r-…\)/],
    [{ '222222222222': [] }, /list the parents/],
  ])('refuses %j, naming the field and what is valid', (doc, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-accounts-'));
    const path = join(dir, 'accounts.json');
    writeFileSync(path, JSON.stringify(doc));
    expect(() => loadPlacements(path)).toThrow(ValidationError);
    expect(() => loadPlacements(path)).toThrow(message);
  });
});

describe('first-responder drill --config examples/organization.yaml', () => {
  it('replays the organization events by default and exits 0', async () => {
    const { out } = capture();
    const code = await main(['drill', '--config', join(EXAMPLES, 'organization.yaml')]);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain(
      '6 events: 6 incidents would open, 0 repeats appended, 0 judged harmless; 6 as expected',
    );
  });

  it('takes another placement file with --accounts, and exits 1 when modes differ from the expectations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-accounts-'));
    const path = join(dir, 'accounts.json');
    writeFileSync(path, JSON.stringify({ '222222222222': ['ou-ab12-prodwork', 'r-ab12'] }));
    const { out } = capture();
    const code = await main([
      'drill',
      '--config',
      join(EXAMPLES, 'organization.yaml'),
      '--accounts',
      path,
    ]);
    expect(code).toBe(1);
    expect(out.join('\n')).toContain('account 222222222222 is in approve mode, expected enforce');
  });
});
