/**
 * How the reverter Lambda is bundled, in one place.
 *
 * No exported bundling settings exist under infra/ (infra/constructs/remediation.ts spells its
 * NodejsFunction `bundling` props inline), so the settings live here, spelled as NodejsFunction
 * spells them (format, mainFields, banner, minify, target, externalModules). They should move to
 * one module that infra/ and the bench both import: the bench must measure what is deployed.
 *
 * Note for the CDK side: NodejsFunction marks `@aws-sdk/*` external by default on Node 18+
 * runtimes, which loads the runtime's own CommonJS SDK instead of bundling the ES modules.
 * `externalModules: []` (or `bundleAwsSDK: true`) is what makes the tree-shaken SDK the one
 * deployed.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface HandlerBundling {
  readonly format: 'esm' | 'cjs';
  /** Which package.json field names a package's entry point, in order. */
  readonly mainFields: readonly string[];
  /** Code put at the top of the bundle (a string, as NodejsFunction takes it). */
  readonly banner?: string;
  readonly minify: boolean;
  /** esbuild target, matching the Lambda runtime. */
  readonly target: string;
  /** Modules left out of the bundle; empty: the SDK is bundled (and tree-shaken). */
  readonly externalModules: readonly string[];
}

/**
 * Some dependencies (yaml's Node build) are CommonJS and call `require` for Node built-ins,
 * which an ES module does not have: the banner defines it.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __frCreateRequire } from 'node:module'; const require = __frCreateRequire(import.meta.url);";

/** The deployed bundle: ES modules from the SDK's `module` builds, tree-shaken, minified. */
export const LAMBDA_BUNDLING: HandlerBundling = {
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  target: 'node22',
  externalModules: [],
};

/** The baseline the target compares against: the same handler from the SDK's CommonJS build. */
export const CJS_BASELINE_BUNDLING: HandlerBundling = {
  format: 'cjs',
  mainFields: ['main'],
  minify: true,
  target: 'node22',
  externalModules: [],
};

export const REVERTER_ENTRY = join(__dirname, '..', 'handlers', 'reverter.ts');
export const OUT_DIR = join(__dirname, '..', '.bench');

/** The esbuild API options equivalent to a `HandlerBundling`. */
export function esbuildOptions(
  bundling: HandlerBundling,
  entry: string,
  outfile: string,
): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: bundling.format,
    mainFields: [...bundling.mainFields],
    minify: bundling.minify,
    target: bundling.target,
    external: [...bundling.externalModules],
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    metafile: true,
    logLevel: 'silent',
  };
}

export interface BuiltBundle {
  readonly file: string;
  readonly format: 'esm' | 'cjs';
  readonly bytes: number;
  readonly metafile: Metafile;
}

export async function buildBundle(
  bundling: HandlerBundling,
  name: string,
  entry = REVERTER_ENTRY,
): Promise<BuiltBundle> {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${name}.${bundling.format === 'esm' ? 'mjs' : 'cjs'}`);
  const { metafile } = await build(esbuildOptions(bundling, entry, file));
  if (!metafile) throw new Error('esbuild returned no metafile');
  return { file, format: bundling.format, bytes: statSync(file).size, metafile };
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
