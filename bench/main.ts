/**
 * `npm run bench`: the project's speed and size figures against their targets (issue 2).
 * It reports; it is not a test: it exits 0 whatever the figures, and the figures are never
 * asserted in a timed test.
 *
 *   plan    planGroup on 1,000-rule groups            median and p95 < 5 ms
 *   ec2     EC2 calls per group, against moto          remediated 1 read + 2 writes,
 *                                                      compliant 1 read
 *   faults  through the fault proxy, against moto      <= 2 reads after an unknown write;
 *                                                      20 groups throttled: every status
 *                                                      inside the 240 s Lambda timeout
 *   bundle  the reverter as deployed (infra/bundling)  ESM (tree-shaken SDK) < 900 KB
 *   load    cold load in fresh node processes          ESM <= 0.5 x the CJS-SDK bundle
 *   intake  decision per event, AWS excluded           p50 and p99 < 5 ms
 *           the intake's bundle and cold load          the reverter's targets
 *   cli     CPU of `first-responder --help` and `plan`  each <= 2.5 x `node -e 0` (issue 11)
 *           as npm ci installs it (the prebuilt bundle)
 *
 * `npm run bench -- cli` runs one section (or several, named).
 */
// First: the handlers read their environment when they load.
import { childEnv } from './env';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchCli } from './cli-cpu';
import { benchEc2Calls } from './ec2-calls';
import { benchIntakeDecision } from './intake';
import { benchFaults } from './faults';
import { benchPlan } from './plan';
import { formatTable, summary, type Figure } from './report';
import { benchSizeAndLoad } from './size-and-load';

/** `npm run bench -- cli intake` runs only the sections named; none named runs them all. */
const only = new Set(process.argv.slice(2));
const sections = new Set<string>();

async function section(name: string, run: () => Figure[] | Promise<Figure[]>): Promise<Figure[]> {
  sections.add(name);
  if (only.size && !only.has(name)) return [];
  const started = performance.now();
  process.stderr.write(`bench: ${name}...`);
  try {
    return await run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return [{ section: name, name: 'failed', value: message, target: '', verdict: 'ERROR' }];
  } finally {
    process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

async function main(): Promise<void> {
  const figures = [
    ...(await section('plan', benchPlan)),
    ...(await section('ec2', benchEc2Calls)),
    ...(await section('faults', benchFaults)),
    ...(await section('bundle+load', () => benchSizeAndLoad())),
    ...(await section('intake', benchIntakeDecision)),
    ...(await section('intake bundle+load', () =>
      benchSizeAndLoad(undefined, join(__dirname, '..', 'handlers', 'intake.ts'), 'intake'),
    )),
    ...(await section('cli', () => benchCli(childEnv()))),
  ];
  const unknown = [...only].filter((name) => !sections.has(name));
  if (unknown.length)
    throw new Error(`no section ${unknown.join(', ')}; the sections: ${[...sections].join(', ')}`);
  // Timings depend on the machine and on what else runs on it: print both with the figures.
  const [load1] = loadavg();
  process.stdout.write(
    `\nfirst-responder bench: node ${process.version}, ${process.platform}/${process.arch}, ` +
      `${cpus().length} CPUs, load average ${load1?.toFixed(2)} (1 min, when the bench ended)\n\n`,
  );
  process.stdout.write(formatTable(figures));
  process.stdout.write(`\n${summary(figures)}\n`);
}

// Figures that miss a target still exit 0; only the bench itself crashing does not.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
