/**
 * The reverter's bundles, built with the settings the Lambda functions are deployed with
 * (infra/bundling.ts): `buildLambda` is what NodejsFunction's afterBundling hook runs, so the ESM
 * bundle measured here is the deployed `index.mjs`. The CommonJS baseline is the same handler
 * bundled from the SDK's CommonJS build, for comparison only.
 */
import { build, type Metafile } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildLambda,
  esbuildOptionsFor,
  type BundleVariant,
  type SchemaKeyStats,
} from '../infra/bundling';

export const REVERTER_ENTRY = join(__dirname, '..', 'handlers', 'reverter.ts');
export const OUT_DIR = join(__dirname, '..', '.bench');

export interface BuiltBundle {
  readonly variant: BundleVariant;
  readonly file: string;
  readonly format: 'esm' | 'cjs';
  readonly bytes: number;
  readonly metafile: Metafile;
  /** ESM only: what the schema-key plugin rewrote. */
  readonly schemaKeys?: SchemaKeyStats;
}

/** One variant of `entry`, in its own directory under .bench/ (cleared first). */
export async function buildBundle(
  variant: BundleVariant,
  entry = REVERTER_ENTRY,
): Promise<BuiltBundle> {
  const dir = join(OUT_DIR, variant);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (variant === 'esm') {
    const { file, bytes, metafile, schemaKeys } = await buildLambda(entry, dir);
    return { variant, file, format: 'esm', bytes, metafile, schemaKeys };
  }
  const file = join(dir, 'index.cjs');
  const { metafile } = await build(esbuildOptionsFor(entry, file, variant));
  return { variant, file, format: 'cjs', bytes: statSync(file).size, metafile };
}

/** Bytes in the output by npm package ("(project)" for the project's own files), largest first. */
export function bytesByPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const pkg = match ? match[1]! : '(project)';
      totals.set(pkg, (totals.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

/** The single input files that weigh most in the output, largest first. */
export function largestInputs(metafile: Metafile, count: number): [string, number][] {
  const all: [string, number][] = [];
  for (const output of Object.values(metafile.outputs))
    for (const [path, input] of Object.entries(output.inputs))
      all.push([path, input.bytesInOutput]);
  return all.sort((a, b) => b[1] - a[1]).slice(0, count);
}
