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
