/**
 * Cold load of a bundle: a fresh `node` process per sample, which imports (ESM) or requires (CJS)
 * the bundle, as the Lambda runtime does, and reports two times from inside the child:
 * the import alone, and process start (performance.timeOrigin) to module evaluated.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { BuiltBundle } from './bundle';
import { childEnv } from './env';

export interface LoadSample {
  /** From just before the import to the module evaluated. */
  readonly importMs: number;
  /** From the process's time origin to the module evaluated (Node's own start-up included). */
  readonly sinceStartMs: number;
}

/** After the timed load: the bundle must export the Lambda handler, or the figure means nothing. */
const REPORT =
  'const t1 = performance.now();' +
  "if (typeof m.handler !== 'function') throw new Error('the bundle exports no handler');" +
  'process.stdout.write(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1 }), () => process.exit(0));';

function childArgs(bundle: BuiltBundle): string[] {
  if (bundle.format === 'esm') {
    const url = JSON.stringify(pathToFileURL(bundle.file).href);
    return [
      '--input-type=module',
      '-e',
      `const t0 = performance.now(); const m = await import(${url});${REPORT}`,
    ];
  }
  const path = JSON.stringify(bundle.file);
  return ['-e', `const t0 = performance.now(); const m = require(${path});${REPORT}`];
}

export function loadOnce(bundle: BuiltBundle): LoadSample {
  const child = spawnSync(process.execPath, childArgs(bundle), {
    env: childEnv(),
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.status !== 0)
    throw new Error(
      `loading ${bundle.file} failed (exit ${child.status ?? child.signal}): ${child.stderr.trim().split('\n').slice(0, 3).join(' | ')}`,
    );
  return JSON.parse(child.stdout) as LoadSample;
}

/**
 * `runs` samples of each bundle, interleaved so that drift on the machine hits both alike, after
 * `warmups` discarded loads each, so that reading a file from disk the first time weighs on
 * neither bundle's figures.
 */
export function measureColdLoads(
  bundles: readonly BuiltBundle[],
  runs: number,
  warmups = 2,
): LoadSample[][] {
  const samples: LoadSample[][] = bundles.map(() => []);
  for (let i = 0; i < warmups; i++) for (const b of bundles) loadOnce(b);
  for (let i = 0; i < runs; i++) bundles.forEach((b, j) => samples[j]!.push(loadOnce(b)));
  return samples;
}
