import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildBundle, freshBundle, sourceDirnames } from '../../bin/bundle';
import { edit, projectCopy } from './support';

describe('sourceDirnames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fr-dirnames-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a bundled file its own directory and name, not the bundle’s', async () => {
    // GIVEN a source two folders down that reports where it is
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    writeFileSync(
      join(dir, 'src', 'deep', 'where.ts'),
      'export const where = { dir: __dirname, file: __filename };\n',
    );
    // WHEN it is bundled into another folder, and the bundle runs
    const outfile = join(dir, 'out', 'bundle.js');
    await build({
      entryPoints: [join(dir, 'src', 'deep', 'where.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
      plugins: [sourceDirnames(join(dir, 'out'))],
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle just written
    const { where } = require(outfile) as { where: { dir: string; file: string } };
    // THEN it sees the source's place, as it does unbundled
    expect(where).toEqual({
      dir: join(dir, 'src', 'deep'),
      file: join(dir, 'src', 'deep', 'where.ts'),
    });
  });
});

describe('buildBundle', () => {
  it('refuses a part of a bundled library, which would load a second copy of it', async () => {
    const root = projectCopy();
    edit(
      root,
      'cli/commands/plan.ts',
      'import type { SecurityGroup }',
      "import 'zod/mini';\nimport type { SecurityGroup }",
    );
    await expect(buildBundle(root)).rejects.toThrow(
      "'zod/mini': only zod, yaml themselves are bundled",
    );
  });
});

describe('npm run prepare (node bin/bundle.js)', () => {
  it('builds dist/ and says so', () => {
    const root = projectCopy();
    const child = spawnSync(process.execPath, [join(root, 'bin', 'bundle.js')], {
      encoding: 'utf8',
    });
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(
      /^first-responder: built dist\/cli\.js \(\d+ KB from \d+ files, \d+ ms\)\n$/,
    );
    expect(freshBundle(root)).toBe(join(root, 'dist', 'cli.js'));
  });

  it('when it cannot build, says why and where, lets the install go on, and leaves the command on its sources', () => {
    // GIVEN a source esbuild cannot read
    const root = projectCopy();
    edit(root, 'cli/commands/drill.ts', 'export function', 'export function (');
    // WHEN prepare runs
    const child = spawnSync(process.execPath, [join(root, 'bin', 'bundle.js')], {
      encoding: 'utf8',
    });
    // THEN it exits 0 with one line naming the file, and there is no bundle to run
    expect(child.status).toBe(0);
    expect(child.stdout).toBe('');
    expect(child.stderr).toMatch(
      /^first-responder: could not prebuild the command line \(cli\/commands\/drill\.ts:\d+: .+\); 'npx first-responder' still works, through tsx, only slower\. 'npm run prepare' tries again\.\n$/,
    );
    expect(freshBundle(root)).toBeUndefined();
  });
});

describe('loadBundle', () => {
  it('runs the bundle when V8 refuses its code cache (another Node.js, say)', async () => {
    // GIVEN a bundle whose code caches are not V8's
    const root = projectCopy();
    await buildBundle(root);
    for (const name of ['cli', 'zod', 'yaml'])
      writeFileSync(join(root, 'dist', `${name}.js.v8-cache`), 'not a code cache');
    // WHEN the bundle runs plan
    const script = `require(${JSON.stringify(join(root, 'bin', 'bundle.js'))}).loadBundle(${JSON.stringify(join(root, 'dist', 'cli.js'))}).main(['plan', '--policy', 'examples/policy.json', '--from', 'examples/security-groups.json']).then((code) => (process.exitCode = code));`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    // THEN V8 compiles it as it would without a cache, and the plan is the same
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('10 groups: 7 to change, 2 compliant, 1 exempt');
  });
});
