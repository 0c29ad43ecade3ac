/**
 * The reverter bundled as it is deployed: it builds, exports the handler, loads on its own in a
 * fresh node process, and NodejsFunction with `lambdaBundling` stages exactly this file, so the
 * bundle `npm run bench` measures is the deployed one. (Sizes and load times are the bench's
 * business, never a test's.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import {
  buildLambda,
  LAMBDA_OUTFILE,
  LAMBDA_RUNTIME,
  lambdaBundling,
  type LambdaBundle,
} from '../../infra/bundling';

const ROOT = join(__dirname, '..', '..');
const ENTRY = 'handlers/reverter.ts';

describe('the deployed reverter bundle', () => {
  let bundle: LambdaBundle;
  beforeAll(async () => {
    bundle = await buildLambda(ENTRY, mkdtempSync(join(tmpdir(), 'fr-bundle-')));
  });

  it('is one ES module that exports the handler', () => {
    const outputs = Object.values(bundle.metafile.outputs);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.exports).toContain('handler');
    expect(bundle.file.endsWith(LAMBDA_OUTFILE)).toBe(true);
  });

  it('is built from the SDK ES modules, with the schema keys made literal', () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs).toContainEqual(expect.stringMatching(/@aws-sdk\/client-ec2\/dist-es\//));
    expect(inputs).not.toContainEqual(expect.stringMatching(/@aws-sdk\/[^/]+\/dist-cjs\//));
    // The plugin found the SDK in the shape it relies on (else the bundle silently grows).
    expect(bundle.schemaKeys.files).toBeGreaterThan(0);
  });

  it('needs no `require` (esbuild would have left a shim that throws at run time)', () => {
    expect(readFileSync(bundle.file, 'utf8')).not.toContain('Dynamic require of');
  });

  it('loads in a fresh node process, away from node_modules, and exports a function', () => {
    // GIVEN only the bundle, in a directory where no node_modules can be found
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'us-east-1' };
    delete env.NODE_OPTIONS;
    // WHEN node imports it, as the Lambda runtime does
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(pathToFileURL(bundle.file).href)});` +
          'process.stdout.write(typeof m.handler);',
      ],
      { cwd: tmpdir(), env, encoding: 'utf8', timeout: 30_000 },
    );
    // THEN it loads, and the handler is a function
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.status).toBe(0);
    expect(child.stdout).toBe('function');
  });

  it('is the file NodejsFunction stages with lambdaBundling', () => {
    // GIVEN a NodejsFunction with the deployed bundling settings
    const outdir = mkdtempSync(join(tmpdir(), 'fr-bundling-cdk-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundling');
    new NodejsFunction(stack, 'Reverter', {
      entry: join(ROOT, ENTRY),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      bundling: lambdaBundling(ENTRY),
    });
    // WHEN the app is synthesized (local esbuild, then the afterBundling rebuild)
    app.synth();
    // THEN the one asset holds only index.mjs, byte for byte the bundle built above
    const assets = readdirSync(outdir).filter((f) => f.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const asset = join(outdir, assets[0]!);
    expect(readdirSync(asset)).toEqual([LAMBDA_OUTFILE]);
    expect(readFileSync(join(asset, LAMBDA_OUTFILE)).equals(readFileSync(bundle.file))).toBe(true);
  });
});
