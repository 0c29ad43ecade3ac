/**
 * The command line's cost: CPU time (user + system) of `first-responder --help` and of
 * `first-responder plan` on the example groups, each against a bare `node -e 0` measured in the
 * same run, so that the figure is a ratio the machine's speed and load mostly cancel out of.
 *
 * Each sample is a fresh `node` process running the installed command, bin/first-responder.js, as
 * `npm ci` leaves it: the bench first builds the command's bundle as `prepare` does
 * (bin/bundle.js) and checks that the command will run it, not the sources. Each process reports
 * its own CPU time at exit (`process.resourceUsage()`, all threads) through a small preloaded
 * probe; the baseline loads the same probe. Runs are interleaved, after discarded warm-ups that
 * fill the file cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, freshBundle } from '../bin/bundle';
import { check, ms, type Figure } from './report';
import { median } from './stats';

/** issue 11: `--help` and `plan` within 2.5 times the CPU time of `node -e 0`. */
export const MAX_CPU_RATIO = 2.5;

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'first-responder.js');

export interface CliCase {
  readonly name: string;
  /** Arguments to `node`, after the probe. */
  readonly args: readonly string[];
}

export const BASELINE: CliCase = { name: 'node -e 0', args: ['-e', '0'] };

export const CLI_CASES: readonly CliCase[] = [
  { name: 'first-responder --help', args: [BIN, '--help'] },
  {
    name: 'first-responder plan (examples)',
    args: [
      BIN,
      'plan',
      '--policy',
      join(ROOT, 'examples', 'policy.json'),
      '--from',
      join(ROOT, 'examples', 'security-groups.json'),
    ],
  },
];

/** CPU milliseconds of each sample: the baseline's, then each case's, in the order given. */
export interface CpuSamples {
  readonly baseline: readonly number[];
  readonly cases: readonly { readonly name: string; readonly samples: readonly number[] }[];
}

/** Median CPU time of each case, as a ratio to the baseline's median, against the target. */
export function cpuFigures(samples: CpuSamples, maxRatio = MAX_CPU_RATIO): Figure[] {
  const base = median(samples.baseline);
  const figures: Figure[] = [
    {
      section: 'cli',
      name: `${BASELINE.name}: CPU, median of ${samples.baseline.length} processes`,
      value: ms(base),
      target: '',
      verdict: 'INFO',
    },
  ];
  for (const c of samples.cases) {
    const cpu = median(c.samples);
    const ratio = cpu / base;
    figures.push({
      section: 'cli',
      name: `${c.name}: CPU / ${BASELINE.name} (${ms(cpu)}, median of ${c.samples.length})`,
      value: Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a',
      target: `<= ${maxRatio.toFixed(1)}x`,
      verdict: Number.isFinite(ratio) ? check(ratio <= maxRatio) : 'ERROR',
    });
  }
  return figures;
}

/** Reports the process's CPU time, all threads, to the file FR_BENCH_CPU_FILE names. */
const PROBE = `'use strict';
process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeFileSync(process.env.FR_BENCH_CPU_FILE, String(u.userCPUTime + u.systemCPUTime));
});
`;

/** One fresh process: its CPU time in milliseconds. Throws when it fails. */
function cpuOnce(dir: string, c: CliCase, env: NodeJS.ProcessEnv): number {
  const out = join(dir, 'cpu');
  rmSync(out, { force: true });
  const child = spawnSync(process.execPath, ['--require', join(dir, 'probe.js'), ...c.args], {
    env: { ...env, FR_BENCH_CPU_FILE: out },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.status !== 0)
    throw new Error(
      `${c.name} failed (exit ${child.status ?? child.signal}): ${child.stderr.trim().split('\n')[0]}`,
    );
  return Number(readFileSync(out, 'utf8')) / 1000;
}

/** `runs` interleaved samples of the baseline and each case, after `warmups` discarded ones. */
export function measureCliCpu(
  env: NodeJS.ProcessEnv,
  runs = 15,
  warmups = 2,
  cases: readonly CliCase[] = CLI_CASES,
): CpuSamples {
  const dir = mkdtempSync(join(tmpdir(), 'fr-bench-cli-'));
  try {
    writeFileSync(join(dir, 'probe.js'), PROBE);
    const all = [BASELINE, ...cases];
    const samples = all.map((): number[] => []);
    for (let i = 0; i < warmups; i++) for (const c of all) cpuOnce(dir, c, env);
    for (let i = 0; i < runs; i++) all.forEach((c, j) => samples[j]!.push(cpuOnce(dir, c, env)));
    return {
      baseline: samples[0]!,
      cases: cases.map((c, j) => ({ name: c.name, samples: samples[j + 1]! })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What every run pays before it runs a bundle: loading bin/bundle.js and checking dist/. */
const FRESHNESS_CHECK: CliCase = {
  name: 'the freshness check',
  args: ['-e', `require(${JSON.stringify(join(ROOT, 'bin', 'bundle.js'))}).freshBundle()`],
};

export async function benchCli(env: NodeJS.ProcessEnv): Promise<Figure[]> {
  const built = await buildBundle(ROOT);
  if (freshBundle(ROOT) === undefined)
    throw new Error('dist/ is stale right after its build: the command would run its sources');
  const info = (name: string, value: string): Figure => ({
    section: 'cli',
    name,
    value,
    target: '',
    verdict: 'INFO',
  });
  const { baseline, cases } = measureCliCpu(env, undefined, undefined, [
    ...CLI_CASES,
    FRESHNESS_CHECK,
  ]);
  const check = cases.find((c) => c.name === FRESHNESS_CHECK.name)!;
  return [
    ...cpuFigures({ baseline, cases: cases.filter((c) => c !== check) }),
    info(`the bundle npm ci builds (bin/bundle.js): ${built.files} files in`, `${built.ms} ms`),
    info(
      `its freshness check on every run: CPU over ${BASELINE.name} (medians of ${check.samples.length})`,
      ms(median(check.samples) - median(baseline)),
    ),
  ];
}
