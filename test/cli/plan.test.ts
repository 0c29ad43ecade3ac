import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { EXAMPLE_POLICY_PATH } from '../support/groups';
import { capture } from './support';

const ROOT = join(__dirname, '..', '..');
const POLICY = EXAMPLE_POLICY_PATH;
const GROUPS = join(ROOT, 'examples', 'security-groups.json');

function tempFile(name: string, text: string) {
  const path = join(mkdtempSync(join(tmpdir(), 'fr-plan-')), name);
  writeFileSync(path, text);
  return path;
}

afterEach(() => jest.restoreAllMocks());

describe('first-responder plan', () => {
  it('prints the plan for every group, readable by default', async () => {
    const io = capture();
    const code = await main(['plan', '--policy', POLICY, '--from', GROUPS]);
    expect(code).toBe(0);
    const text = io.out.join('\n');
    expect(text).toContain('sg-0a1b2c3d4e5f60002 (bastion): 1 to authorize, 2 to revoke');
    expect(text).toContain('  + authorize tcp 22 from 10.0.0.0/8');
    expect(text).toContain('  - revoke    tcp 3389 from 0.0.0.0/0');
    expect(text).toContain('sg-0a1b2c3d4e5f60004 (vendor-appliance): exempt');
    expect(text).toContain('6 groups: 4 to change, 1 compliant, 1 exempt');
  });

  it('--json gives groups with status, revoke, authorize and after, each rule with one source', async () => {
    const io = capture();
    await main(['plan', '--policy', POLICY, '--from', GROUPS, '--json']);
    const doc = JSON.parse(io.out.join('\n')) as {
      groups: {
        groupId: string;
        status: string;
        revoke: Record<string, unknown>[];
        authorize: Record<string, unknown>[];
        after: Record<string, unknown>[];
      }[];
    };
    expect(doc.groups.map((g) => [g.groupId, g.status])).toEqual([
      ['sg-0a1b2c3d4e5f60001', 'noncompliant'],
      ['sg-0a1b2c3d4e5f60002', 'noncompliant'],
      ['sg-0a1b2c3d4e5f60003', 'compliant'],
      ['sg-0a1b2c3d4e5f60004', 'exempt'],
      ['sg-01f414f5313452cd1', 'noncompliant'],
      ['sg-0db7d4784c4db8612', 'noncompliant'],
    ]);
    const bastion = doc.groups[1]!;
    expect(bastion.authorize).toEqual([
      { protocol: 'tcp', fromPort: 22, toPort: 22, description: 'ssh', cidrIpv4: '10.0.0.0/8' },
    ]);
    const sourceKeys = ['cidrIpv4', 'cidrIpv6', 'prefixListId', 'referencedGroupId'];
    for (const g of doc.groups)
      for (const r of [...g.revoke, ...g.authorize, ...g.after]) {
        expect(Object.keys(r).filter((k) => sourceKeys.includes(k))).toHaveLength(1);
        expect(
          Object.keys(r).every((k) =>
            ['protocol', 'fromPort', 'toPort', 'description', ...sourceKeys].includes(k),
          ),
        ).toBe(true);
      }
  });

  it.each<[string, () => string[], RegExp]>([
    [
      'fails on a file that is not JSON',
      () => ['--policy', POLICY, '--from', tempFile('g.json', '{ nope')],
      /g.json: .*JSON/,
    ],
    [
      'fails on the wrong shape',
      () => ['--policy', POLICY, '--from', tempFile('g.json', '{"Groups": []}')],
      /SecurityGroups: got nothing/,
    ],
    [
      'fails on a bad policy',
      () => [
        '--policy',
        tempFile('p.json', '{"ingress":[{"protocol":"tcp","from":["1.2.3.4/40"]}]}'),
        '--from',
        GROUPS,
      ],
      /policy.ingress\[0\].from\[0\]: got "1.2.3.4\/40"/,
    ],
    [
      'fails without --from',
      () => ['--policy', POLICY],
      /plan needs --policy FILE and --from FILE/,
    ],
    [
      'fails on an unknown option',
      () => ['--policy', POLICY, '--from', GROUPS, '--yes'],
      /Unknown option '--yes'/,
    ],
  ])('%s: one clear line on stderr, exit code 2', async (_name, args, message) => {
    const io = capture();
    const code = await main(['plan', ...args()]);
    expect(code).toBe(2);
    expect(io.err[0]).toMatch(message);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).not.toContain('\n');
    expect(io.out).toEqual([]);
  });

  it('runs as an installed command (bin/first-responder.js)', () => {
    const res = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'first-responder.js'),
        'plan',
        '--policy',
        POLICY,
        '--from',
        GROUPS,
        '--json',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(res.status).toBe(0);
    expect((JSON.parse(res.stdout) as { groups: unknown[] }).groups).toHaveLength(6);
  });
});
