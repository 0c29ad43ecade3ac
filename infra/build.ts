/**
 * Builds the whole app from a configuration object, so that tests and `npm start` synthesize in
 * process, and `infra/app.ts` (what `cdk` runs) is a thin wrapper around it.
 */
import { App } from 'aws-cdk-lib';
import { ValidationError } from '../handlers/shared/validation';
import { INCIDENT_MANAGER_REGIONS } from './aws-constraints';
import { accountOf, alarmTopicRegionIssues, regionOf, type FirstResponderConfig } from './config';
import { attachNagPacks } from './nag';
import { FirstResponderStack } from './stacks/first-responder-stack';
import {
  ROOT_EVENTS_REGION,
  RootActivityForwarderStack,
} from './stacks/root-activity-forwarder-stack';

/** The name of the us-east-1 stack that forwards root activity (also what preflight looks for). */
export function forwarderStackName(config: FirstResponderConfig): string {
  return `${config.app.stackName}-RootActivity`;
}

export interface BuildOptions {
  /**
   * Build into this app (what `cdk` runs passes its own, which carries the CLI's context).
   * @default a new App
   */
  readonly app?: App;
  /**
   * Where the cloud assembly goes when a new App is made.
   * @default a temporary directory
   */
  readonly outdir?: string;
  /**
   * Bundle the functions with esbuild. Template-only tests turn it off to save time.
   * @default true
   */
  readonly bundle?: boolean;
  /**
   * Attach the cdk-nag packs.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Throw at synth when a validation plugin (cdk-nag) reports an error. The summary turns this off
   * to report the findings instead.
   * @default true
   */
  readonly failOnValidationErrors?: boolean;
  /**
   * Where CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION are read from.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
}

export interface BuiltApp {
  readonly app: App;
  readonly config: FirstResponderConfig;
  readonly region: string;
  /** Undefined when the app is account-agnostic. */
  readonly account?: string;
  readonly main: FirstResponderStack;
  /** Present when the app's region is not us-east-1. */
  readonly forwarder?: RootActivityForwarderStack;
}

export function buildApp(config: FirstResponderConfig, options: BuildOptions = {}): BuiltApp {
  const context: Record<string, unknown> = {};
  // An empty list of bundling stacks skips esbuild; CDK then stages a placeholder asset.
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  if (options.failOnValidationErrors === false)
    context['@aws-cdk/core:failSynthOnValidationErrors'] = false;
  const app =
    options.app ??
    new App({
      ...(options.outdir ? { outdir: options.outdir } : {}),
      context,
      // cfn-lint checks the same templates in the tests and `npm start`; the built-in check only
      // adds seconds per synth. `cdk synth` (infra/app.ts) keeps it.
      builtinCloudFormationValidation: false,
    });
  if (options.app) for (const [k, v] of Object.entries(context)) app.node.setContext(k, v);

  const env = options.env ?? process.env;
  const region = regionOf(config, env);
  checkResolvedRegion(config, region);
  const account = accountOf(config, env);
  const main = new FirstResponderStack(app, config.app.stackName, {
    stackName: config.app.stackName,
    description: 'first-responder: automated security incident response on Incident Manager.',
    env: { region, ...(account ? { account } : {}) },
    config,
  });
  const forwarder =
    region === ROOT_EVENTS_REGION
      ? undefined
      : new RootActivityForwarderStack(app, forwarderStackName(config), {
          stackName: forwarderStackName(config),
          description: `first-responder: forwards root-user activity from us-east-1 to ${region}.`,
          env: { region: ROOT_EVENTS_REGION, ...(account ? { account } : {}) },
          prefix: config.app.prefix,
          homeRegion: region,
          tags: config.app.tags,
        });
  if (options.nag !== false) attachNagPacks(app);
  return {
    app,
    config,
    region,
    ...(account ? { account } : {}),
    main,
    ...(forwarder ? { forwarder } : {}),
  };
}

/**
 * The region can come from the CLI's profile (CDK_DEFAULT_REGION) rather than the file: check it
 * as the configuration loader checks app.region.
 */
function checkResolvedRegion(config: FirstResponderConfig, region: string): void {
  if (config.app.region) return; // validated with the configuration
  const problems: string[] = [];
  if (!INCIDENT_MANAGER_REGIONS.includes(region))
    problems.push(
      `config.app.region: got nothing, so the CLI's region ${JSON.stringify(region)} (CDK_DEFAULT_REGION); Incident Manager and its contacts exist only in ${INCIDENT_MANAGER_REGIONS.join(', ')}: set app.region or deploy with a profile in one of them`,
    );
  const regions = config.incidentManager.replicationSet.regions;
  if (regions && !regions.includes(region))
    problems.push(
      `config.incidentManager.replicationSet.regions: got ${JSON.stringify(regions)}, without the app's region ${region} (CDK_DEFAULT_REGION); a replication set must include the region where the app opens incidents`,
    );
  for (const p of alarmTopicRegionIssues(config.alarms.topicArns, region))
    problems.push(
      `config.alarms.topicArns[${p.index}]: ${p.message} (the app's region here is the CLI's, CDK_DEFAULT_REGION)`,
    );
  if (problems.length) throw new ValidationError('config', problems);
}
