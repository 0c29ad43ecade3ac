import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import * as planner from '../../handlers/policy/planner';
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
    expect(text).toContain('10 groups: 7 to change, 2 compliant, 1 exempt');
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
      // Opened to the whole internet without a /0, and an allowed https opening.
      ['sg-0a1b2c3d4e5f60011', 'noncompliant'],
      ['sg-0a1b2c3d4e5f60012', 'noncompliant'],
      ['sg-0a1b2c3d4e5f60013', 'noncompliant'],
      ['sg-0a1b2c3d4e5f60014', 'compliant'],
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

  const groupsWith = (permission: object) =>
    JSON.stringify({
      SecurityGroups: [{ GroupId: 'sg-0123456789abcdef0', IpPermissions: [permission] }],
    });
  const SSH = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22 };

  it.each<[string, object, RegExp]>([
    [
      'IpRanges as strings (as AWS Config spells them)',
      { ...SSH, IpRanges: ['0.0.0.0/0'] },
      /g\.json: SecurityGroups\[0\]\.IpPermissions\[0\]\.IpRanges\[0\]: got "0\.0\.0\.0\/0"; an IpRange is an object \{CidrIp, Description\?\}$/,
    ],
    [
      'IpRanges as one string',
      { ...SSH, IpRanges: '0.0.0.0/0' },
      /IpPermissions\[0\]\.IpRanges: got "0\.0\.0\.0\/0"; a list of IpRange objects/,
    ],
    [
      'a port that is text',
      { ...SSH, FromPort: 'abc', IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      /IpPermissions\[0\]\.FromPort: got "abc"; a whole number from -1 to 65535/,
    ],
    [
      'a port that is true',
      { ...SSH, FromPort: true, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      /IpPermissions\[0\]\.FromPort: got true; a whole number from -1 to 65535/,
    ],
  ])(
    'refuses %s with its field path, never as compliant (exit 2)',
    async (_name, permission, message) => {
      // GIVEN a groups file whose world-open SSH rule is spelled in a shape EC2 does not use
      const io = capture();
      // WHEN planned
      const code = await main([
        'plan',
        '--policy',
        POLICY,
        '--from',
        tempFile('g.json', groupsWith(permission)),
      ]);
      // THEN refused on one line naming the field; no plan printed
      expect(code).toBe(2);
      expect(io.err).toHaveLength(1);
      expect(io.err[0]).toMatch(/^first-responder plan: /);
      expect(io.err[0]).toMatch(message);
      expect(io.out).toEqual([]);
    },
  );

  it.each<[string, (text: string) => Buffer, number, RegExp | undefined]>([
    [
      'UTF-8 with a byte-order mark',
      (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)]),
      0,
      undefined,
    ],
    [
      'UTF-16LE with a byte-order mark (PowerShell)',
      (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]),
      0,
      undefined,
    ],
    [
      'UTF-16BE with a byte-order mark',
      (t) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()]),
      0,
      undefined,
    ],
    [
      'UTF-16 without a byte-order mark',
      (t) => Buffer.from(t, 'utf16le'),
      2,
      /g\.json: contains NUL bytes, which looks like UTF-16 without a byte-order mark; save it as UTF-8/,
    ],
    [
      'Latin-1',
      (t) => Buffer.from(`${t} \u00e9`, 'latin1'),
      2,
      /g\.json: not valid UTF-8 text; save it as UTF-8/,
    ],
  ])('reads a groups file in %s, or says why not', async (_name, encode, expected, message) => {
    const io = capture();
    const path = join(mkdtempSync(join(tmpdir(), 'fr-plan-')), 'g.json');
    writeFileSync(path, encode(groupsWith({ ...SSH, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })));
    const code = await main(['plan', '--policy', POLICY, '--from', path]);
    expect(code).toBe(expected);
    if (message) expect(io.err[0]).toMatch(message);
    else expect(io.out.join('\n')).toMatch(/- revoke {4}tcp 22 from 0\.0\.0\.0\/0/);
  });

  it('refuses, before any write, a plan that would pass the rule quota, saying so', async () => {
    // GIVEN 58 rules the policy allows, and one world-open rule that narrows into 3 pieces
    const allowed = Array.from({ length: 58 }, (_, i) => ({ CidrIp: `10.${i}.0.0/16` }));
    const policy = tempFile(
      'p.json',
      JSON.stringify({
        ingress: [
          {
            protocol: 'tcp',
            ports: [443],
            from: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
          },
        ],
      }),
    );
    const groups = JSON.stringify({
      SecurityGroups: [
        {
          GroupId: 'sg-0123456789abcdef0',
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 443,
              ToPort: 443,
              IpRanges: [...allowed, { CidrIp: '0.0.0.0/0' }],
            },
          ],
        },
      ],
    });
    const io = capture();
    // WHEN planned
    const code = await main(['plan', '--policy', policy, '--from', tempFile('g.json', groups)]);
    // THEN the group is refused: 59 rules + 3 allowed pieces of 0.0.0.0/0 = 62 > 60
    expect(code).toBe(0);
    expect(io.out[0]).toMatch(
      /^sg-0123456789abcdef0: refused, the plan authorizes 3 rules before it revokes 1, so the group would hold 62 IPv4 inbound rules, above the quota of 60 per group; nothing was changed/,
    );
  });

  it('an unexpected exception is an internal error (exit 70) that says where to report it', async () => {
    // GIVEN a bug: something below the command throws what no parser produced
    const io = capture();
    jest.spyOn(planner, 'judge').mockImplementationOnce(() => {
      throw new TypeError("Cannot read properties of null (reading 'CidrIp')");
    });
    // WHEN the command runs
    const code = await main(['plan', '--policy', POLICY, '--from', GROUPS]);
    // THEN it is not dressed as bad input
    expect(code).toBe(70);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(
      /^first-responder plan: internal error: TypeError: Cannot read properties of null \(reading 'CidrIp'\) \(at .*\); this is a bug in first-responder, not in your input: report it with the command and input to the project's issue tracker$/,
    );
  });

  it('refuses bad input as an installed command too: exit 2, one line on stderr', () => {
    const from = tempFile('g.json', groupsWith({ ...SSH, IpRanges: ['0.0.0.0/0'] }));
    const res = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'first-responder.js'), 'plan', '--policy', POLICY, '--from', from],
      { encoding: 'utf8' },
    );
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(
      /^first-responder plan: .*g\.json: SecurityGroups\[0\]\.IpPermissions\[0\]\.IpRanges\[0\]: got "0\.0\.0\.0\/0"; an IpRange is an object \{CidrIp, Description\?\}\n$/,
    );
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
    expect((JSON.parse(res.stdout) as { groups: unknown[] }).groups).toHaveLength(10);
  });
});
