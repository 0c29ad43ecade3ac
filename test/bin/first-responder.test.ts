import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundle, freshBundle } from '../../bin/bundle';
import { usage } from '../../cli/main';
import { edit, projectCopy, run, type Run } from './support';

const PLAN = [
  'plan',
  '--policy',
  'examples/policy.json',
  '--from',
  'examples/security-groups.json',
];
const PLANNED = '10 groups: 7 to change, 2 compliant, 1 exempt';

/** What `plan` must not load: the CDK, cdk-nag, cfn-lint (infra/), an AWS SDK client. */
const HEAVY = [
  /node_modules\/aws-cdk-lib\//,
  /node_modules\/cdk-nag\//,
  /node_modules\/@aws-sdk\/client-/,
  /^infra\//,
  /^cli\/aws\.ts$/,
];
/** All that `--help` may run of the project: the command table. */
const TABLE = ['cli/command-table.ts', 'cli/main.ts', 'cli/options.ts'];

/** The project's modules that ran: files tsx compiled, or modules the bundle initialized. */
const ran = (r: Run) => [...r.files.filter((f) => f.endsWith('.ts')), ...r.bundled];

describe.each([
  ['from its sources, through tsx (no bundle)', false],
  ['from the bundle npm ci builds', true],
])('the installed command, %s', (_name, bundled) => {
  let root: string;
  beforeAll(async () => {
    root = projectCopy();
    if (bundled) await buildBundle(root);
  });

  it('--help prints the usage and runs nothing of the commands, nor zod or yaml', () => {
    const r = run(root, ['--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${usage()}\n`);
    expect(r.files.includes('dist/cli.js')).toBe(bundled);
    expect(ran(r).filter((f) => !TABLE.includes(f))).toEqual([]);
    expect(r.files.filter((f) => /zod|yaml/.test(f))).toEqual([]);
  });

  it('plan runs the planner, and neither the CDK, cdk-nag, cfn-lint nor an AWS SDK client', () => {
    const r = run(root, PLAN);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(PLANNED);
    expect(ran(r)).toContain('handlers/policy/planner.ts');
    for (const heavy of HEAVY)
      expect([...r.files, ...r.bundled].filter((f) => heavy.test(f))).toEqual([]);
  });

  it.each([
    ['an unknown option', ['preflight', '--bogus'], "Unknown option '--bogus'"],
    [
      'restore without a record',
      ['restore', '--yes'],
      'restore needs --incident ARN or --ops-item ID',
    ],
    ['a bad value', ['validate', '--interval', '0'], '--interval: got "0"'],
  ])('%s: exit 2 and one line on stderr', (_case, args, message) => {
    const r = run(root, args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim()).not.toContain('\n');
    expect(r.stdout).toBe('');
  });
});

describe('the bundle finds the repository as the sources do', () => {
  it('drill, on the examples its options default to, prints the same from both', async () => {
    // GIVEN one copy run from its sources and one from its bundle
    const sources = projectCopy();
    const bundled = projectCopy();
    await buildBundle(bundled);
    // WHEN each runs the drill on its defaults (examples/, found through __dirname)
    const [a, b] = [run(sources, ['drill']), run(bundled, ['drill'])];
    // THEN both succeed with the same report, and the second ran from the bundle
    expect(b.files).toContain('dist/cli.js');
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(b.stdout).toBe(a.stdout);
    expect(b.stdout).not.toBe('');
  });
});

describe('never a stale bundle', () => {
  it('an edit after the build runs from the edited source; a new build, from the bundle', async () => {
    // GIVEN a fresh bundle
    const root = projectCopy();
    await buildBundle(root);
    expect(freshBundle(root)).toBe(join(root, 'dist', 'cli.js'));
    // WHEN a file that only `plan` loads is edited
    edit(root, 'cli/commands/plan.ts', 'groups: ${count(', 'groups (edited): ${count(');
    // THEN the bundle is stale and the command runs the edited source through tsx
    expect(freshBundle(root)).toBeUndefined();
    const edited = run(root, PLAN);
    expect(edited.stdout).toContain('10 groups (edited): 7 to change');
    expect(edited.files).toContain('cli/commands/plan.ts');
    expect(edited.files).not.toContain('dist/cli.js');
    // AND after a new build, the bundle runs, with the edit
    await buildBundle(root);
    const rebuilt = run(root, PLAN);
    expect(rebuilt.stdout).toContain('10 groups (edited): 7 to change');
    expect(rebuilt.files).toContain('dist/cli.js');
    expect(rebuilt.files.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  describe('freshBundle', () => {
    let root: string;
    beforeEach(async () => {
      root = projectCopy();
      await buildBundle(root);
    });

    it.each([
      [
        'a source saved again, unchanged',
        () => utimesSync(join(root, 'handlers/policy/planner.ts'), new Date(), new Date()),
      ],
      [
        'the recipe edited',
        () => edit(root, 'bin/bundle.js', "const DIST = 'dist';", "const DIST = 'dist'; "),
      ],
      [
        'tsconfig.json edited',
        () => edit(root, 'tsconfig.json', '"strict": true', '"strict":  true'),
      ],
      ['a source deleted', () => rmSync(join(root, 'handlers/policy/quota.ts'))],
      ['a bundle deleted', () => rmSync(join(root, 'dist', 'zod.js'))],
      ['the manifest deleted', () => rmSync(join(root, 'dist', 'manifest.json'))],
      [
        'the manifest unreadable',
        () => writeFileSync(join(root, 'dist', 'manifest.json'), '{"format":1,'),
      ],
    ])('is stale after %s', (_case, change) => {
      expect(freshBundle(root)).toBeDefined();
      change();
      expect(freshBundle(root)).toBeUndefined();
    });

    it('lists every project file the bundles hold, and an installed package as its package.json', () => {
      const { files } = JSON.parse(readFileSync(join(root, 'dist', 'manifest.json'), 'utf8')) as {
        files: Record<string, [number, number]>;
      };
      const names = Object.keys(files);
      expect(names).toEqual(
        expect.arrayContaining([
          'cli/main.ts',
          'cli/commands/drill.ts',
          'handlers/policy/planner.ts',
          'infra/config.ts',
          'patterns/index.ts',
          'dist/cli.js',
          'dist/zod.js',
          'dist/yaml.js',
        ]),
      );
      const packages = names.filter((f) => f.includes('node_modules/'));
      expect(packages.filter((f) => !f.endsWith('/package.json'))).toEqual([]);
      for (const name of ['zod', 'yaml', 'esbuild'])
        expect(packages.some((f) => f.endsWith(`node_modules/${name}/package.json`))).toBe(true);
    });
  });
});
