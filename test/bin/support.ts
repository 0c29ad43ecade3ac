/**
 * The installed command, run as a user runs it: a fresh `node` on bin/first-responder.js, in a
 * copy of the project (the sources, bin/ and examples/; node_modules linked), so that a test can
 * build, edit or delete the bundle without touching the checkout the other tests read.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** What the command needs at run time and at build time; tests, bench and docs are left out. */
const PROJECT = ['bin', 'cli', 'handlers', 'infra', 'patterns', 'runbooks', 'examples'];
const FILES = ['package.json', 'tsconfig.json'];

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the project, without dist/: the command runs its sources through tsx. */
export function projectCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'fr-installed-'));
  copies.push(root);
  for (const name of [...PROJECT, ...FILES])
    cpSync(join(ROOT, name), join(root, name), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Files in `require.cache` at exit, relative to the copy (installed packages stay absolute). */
  readonly files: readonly string[];
  /**
   * Project modules that ran inside dist/cli.js (esbuild names each module it loads on demand by
   * its source path), read from V8's coverage of the process. Empty when no bundle ran.
   */
  readonly bundled: readonly string[];
}

interface FunctionCoverage {
  readonly functionName: string;
  readonly ranges: readonly { readonly count: number }[];
}
interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly FunctionCoverage[];
}

/** `node <root>/bin/first-responder.js ...args`, with the cwd at the copy. */
export function run(root: string, args: readonly string[]): Run {
  const work = mkdtempSync(join(tmpdir(), 'fr-run-'));
  try {
    const bin = join(root, 'bin', 'first-responder.js');
    const report = join(work, 'loaded.json');
    const coverage = join(work, 'coverage');
    const script =
      `process.argv = [process.argv[0], ${JSON.stringify(bin)}, ...${JSON.stringify(args)}];` +
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));` +
      `require(${JSON.stringify(bin)});`;
    const child = spawnSync(process.execPath, ['-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_V8_COVERAGE: coverage },
    });
    const files = (JSON.parse(readFileSync(report, 'utf8')) as string[]).map((f) =>
      f.startsWith(root) ? relative(root, f) : f,
    );
    const bundle = `${join(root, 'dist', 'cli.js')}`;
    const bundled = readdirSync(coverage)
      .flatMap(
        (f) =>
          (JSON.parse(readFileSync(join(coverage, f), 'utf8')) as { result: ScriptCoverage[] })
            .result,
      )
      .filter((s) => s.url === `file://${bundle}`)
      .flatMap((s) => s.functions)
      .filter((fn) => /\.ts$/.test(fn.functionName) && (fn.ranges[0]?.count ?? 0) > 0)
      .map((fn) => fn.functionName);
    return { status: child.status, stdout: child.stdout, stderr: child.stderr, files, bundled };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Replaces `from` (which must be there) by `to` in a file of the copy, as an editor would. */
export function edit(root: string, file: string, from: string, to: string): void {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  writeFileSync(path, text.replace(from, to));
}
