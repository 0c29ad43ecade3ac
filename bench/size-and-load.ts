/** The handler's bundled size and cold load time: the deployed ESM bundle against CommonJS. */
import { LAMBDA_TARGET } from '../infra/bundling';
import { buildBundle, bytesByPackage, largestInputs, REVERTER_ENTRY } from './bundle';
import { measureColdLoads, type LoadSample } from './cold-load';
import { check, kb, ms, type Figure } from './report';
import { median } from './stats';

export const MAX_ESM_BYTES = 900 * 1024;
export const MAX_LOAD_RATIO = 0.5;
export const LOAD_RUNS = 15;

/** One handler's deployed bundle and its cold load; the same targets for every handler. */
export async function benchSizeAndLoad(
  runs = LOAD_RUNS,
  entry = REVERTER_ENTRY,
  label = 'reverter',
): Promise<Figure[]> {
  // The deployed bundle (infra/bundling.ts: buildLambda, as the afterBundling hook runs it).
  const esm = await buildBundle('esm', entry);
  const cjs = await buildBundle('cjs-baseline', entry);
  const figures: Figure[] = [
    {
      section: 'bundle',
      name: `${label} as deployed: ESM (SDK ES modules, tree-shaken), minified, ${LAMBDA_TARGET}`,
      value: kb(esm.bytes),
      target: `< ${kb(MAX_ESM_BYTES)}`,
      verdict: check(esm.bytes < MAX_ESM_BYTES),
    },
    {
      section: 'bundle',
      name: `${label} baseline: CJS (SDK CommonJS build), minified`,
      value: kb(cjs.bytes),
      target: '',
      verdict: 'INFO',
    },
    {
      section: 'bundle',
      name: `${label} ESM: SDK schema keys made literal (files)`,
      value: `${esm.schemaKeys?.keys ?? 0} (${esm.schemaKeys?.files ?? 0})`,
      target: '',
      verdict: 'INFO',
    },
  ];
  for (const [pkg, bytes] of bytesByPackage(esm.metafile).slice(0, 6))
    figures.push({
      section: 'bundle',
      name: `${label} ESM bytes from ${pkg}`,
      value: kb(bytes),
      target: '',
      verdict: 'NOTE',
    });
  const [largest] = largestInputs(esm.metafile, 1);
  if (largest)
    figures.push({
      section: 'bundle',
      name: `${label} ESM largest input: ${largest[0]}`,
      value: kb(largest[1]),
      target: '',
      verdict: 'NOTE',
    });

  let samples: LoadSample[][];
  try {
    samples = measureColdLoads([esm, cjs], runs);
  } catch (err) {
    figures.push({
      section: 'load',
      name: 'cold load',
      value: err instanceof Error ? err.message : String(err),
      target: '',
      verdict: 'ERROR',
    });
    return figures;
  }
  const [esmLoads, cjsLoads] = samples as [LoadSample[], LoadSample[]];
  const esmImport = median(esmLoads.map((s) => s.importMs));
  const cjsImport = median(cjsLoads.map((s) => s.importMs));
  const esmStart = median(esmLoads.map((s) => s.sinceStartMs));
  const cjsStart = median(cjsLoads.map((s) => s.sinceStartMs));
  const ratio = esmImport / cjsImport;
  figures.push(
    {
      section: 'load',
      name: `${label} ESM bundle: import, median of ${esmLoads.length} fresh processes`,
      value: ms(esmImport),
      target: '',
      verdict: 'INFO',
    },
    {
      section: 'load',
      name: `${label} CJS bundle: require, median of ${cjsLoads.length} fresh processes`,
      value: ms(cjsImport),
      target: '',
      verdict: 'INFO',
    },
    {
      section: 'load',
      name: `${label} ESM / CJS load time`,
      value: ratio.toFixed(2),
      target: `<= ${MAX_LOAD_RATIO.toFixed(2)}`,
      verdict: check(ratio <= MAX_LOAD_RATIO),
    },
    {
      section: 'load',
      name: `${label} ESM bundle: process start to handler loaded, median`,
      value: ms(esmStart),
      target: '',
      verdict: 'INFO',
    },
    {
      section: 'load',
      name: `${label} CJS bundle: process start to handler loaded, median`,
      value: ms(cjsStart),
      target: '',
      verdict: 'INFO',
    },
    {
      section: 'load',
      name: `${label} ESM / CJS, Node start-up included`,
      value: (esmStart / cjsStart).toFixed(2),
      target: '',
      verdict: 'INFO',
    },
  );
  return figures;
}
