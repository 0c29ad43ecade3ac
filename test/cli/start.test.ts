import { join } from 'node:path';
import { runStart } from '../../cli/commands/start';

const ROOT = join(__dirname, '..', '..');

describe('npm start', () => {
  it('synthesizes, checks, plans and drills the example, and says so', async () => {
    // GIVEN the example configuration WHEN npm start runs (bundling the functions as a deploy would)
    const lines: string[] = [];
    const code = await runStart({ root: ROOT, out: (l) => lines.push(l) });
    const text = lines.join('\n');
    // THEN every part ran and passed
    expect(code).toBe(0);
    expect(text).toMatch(/FirstResponder in eu-west-1: \d+ resources/);
    expect(text).toMatch(/FirstResponder-RootActivity in us-east-1: \d+ resources/);
    expect(text).toContain('AWS closed Incident Manager to new accounts on 2025-11-07');
    expect(text).toContain('security-escalation (escalation): 0: alice | 15: bob + alice');
    expect(text).toMatch(
      /cdk-nag \(AwsSolutions, NIST\.800\.53\.R5\): 0 errors, 0 warnings, \d+ acknowledged/,
    );
    expect(text).toContain('cfn-lint: 0 errors, 0 warnings');
    expect(text).toContain('sg-0a1b2c3d4e5f60002 (bastion): 1 to authorize, 2 to revoke');
    expect(text).toContain(
      '18 events: 12 incidents would open, 3 repeats appended, 1 judged harmless; 18 as expected, 0 missed, 0 unexpected',
    );
    expect(lines.at(-1)).toBe('npm start: everything checks out.');
  }, 120_000);
});

describe('npm start -- --config examples/organization.yaml', () => {
  it('synthesizes and checks the organization configuration, and drills events from member accounts in two regions', async () => {
    // GIVEN the organization example WHEN npm start runs on it
    const lines: string[] = [];
    const code = await runStart({
      root: ROOT,
      config: join(ROOT, 'examples', 'organization.yaml'),
      out: (l) => lines.push(l),
    });
    const text = lines.join('\n');
    // THEN it synthesizes and passes the checks, and drills the organization's events, each
    // account placed and shown with its mode
    expect(code).toBe(0);
    expect(text).toMatch(/FirstResponder in eu-west-1: \d+ resources/);
    expect(text).toMatch(/first-responder-member-forwarders in eu-west-1, us-east-1 -> /);
    expect(text).toMatch(/first-responder-member-roles in eu-west-1 -> /);
    expect(text).toContain('cfn-lint: 0 errors, 0 warnings');
    expect(text).toContain(
      '== 3. Drill: the sample events in examples/organization-events, replayed offline, each account placed from examples/organization-accounts.json',
    );
    for (const place of [
      '222222222222/us-east-1, mode enforce',
      '222222222222/eu-west-1, mode enforce',
      '333333333333/eu-west-1, mode approve',
      '333333333333/us-east-1, mode approve',
      '444444444444/eu-west-1, mode observe',
      '666666666666/us-east-1, mode observe',
    ])
      expect(text).toContain(`in ${place}:`);
    expect(text).toContain('6 events: 6 incidents would open');
    expect(lines.at(-1)).toBe('npm start: everything checks out.');
  }, 180_000);
});
