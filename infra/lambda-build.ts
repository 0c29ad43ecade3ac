/**
 * Builds one handler's deployed bundle: `node --import tsx infra/lambda-build.ts ENTRY OUTDIR`
 * writes OUTDIR/index.mjs. NodejsFunction runs it after its own esbuild run (the afterBundling
 * hook of `lambdaBundling` in infra/bundling.ts), because the bundle needs an esbuild plugin that
 * NodejsFunction cannot take; the bench builds with the same function.
 */
import { buildLambda } from './bundling';

async function main(args: readonly string[]): Promise<void> {
  const [entry, outdir, ...rest] = args;
  if (!entry || !outdir || rest.length > 0)
    throw new Error('usage: node --import tsx infra/lambda-build.ts ENTRY OUTDIR');
  await buildLambda(entry, outdir);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`lambda-build: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
