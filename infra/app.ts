/**
 * What `cdk` runs (cdk.json: "npx tsx infra/app.ts"). Reads the configuration named by
 * `-c config=PATH`, or the example configuration, and builds every stack with cdk-nag attached.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { ValidationError } from '../handlers/shared/validation';
import { buildApp } from './build';
import { EXAMPLE_CONFIG, loadConfig } from './config';

function main(): void {
  const app = new App();
  const path = app.node.tryGetContext('config') as string | undefined;
  try {
    buildApp(
      loadConfig(
        path ? resolve(path) : EXAMPLE_CONFIG,
        'pass an existing file with -c config=PATH',
      ),
      { app },
    );
  } catch (err) {
    if (err instanceof ValidationError) {
      // A configuration mistake is the user's to fix: say what, not where in our code.
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  app.synth();
}

if (require.main === module) main();
