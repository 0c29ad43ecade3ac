/**
 * Builds the whole app from a configuration object, so that tests and `npm start` synthesize in
 * process, and `infra/app.ts` (what `cdk` runs) is a thin wrapper around it.
 */
import { Annotations, App, BootstraplessSynthesizer } from 'aws-cdk-lib';
import { ValidationError } from '../handlers/shared/validation';
import { INCIDENT_MANAGER_REGIONS } from './aws-constraints';
import { accountOf, alarmTopicRegionIssues, regionOf, type FirstResponderConfig } from './config';
import { attachNagPacks } from './nag';
import {
  MemberStackSets,
  synthesizeMemberTemplates,
  type MemberTemplates,
} from './constructs/member-stack-sets';
import {
  checkOrganizationStackNames,
  guardDutyForwardStackNameOf,
  managementStackNameOf,
  organizationOf,
} from './organization';
import { GuardDutyForwarderStack } from './stacks/guardduty-forwarder-stack';
import { centralArnsOf, MemberStack } from './stacks/member-stack';
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
  /** Present when the app's region is not us-east-1 (and the app is not in organization mode). */
  readonly forwarder?: RootActivityForwarderStack;
  /** Organization mode only (docs/organization.md). */
  readonly organization?: BuiltOrganization;
}

/** What organization mode adds to the app. */
export interface BuiltOrganization {
  /** The StackSets in the main stack. */
  readonly stackSets: MemberStackSets;
  /** Their template bodies, synthesized in an app of their own. */
  readonly templates: MemberTemplates;
  /** The security account's GuardDuty forwarders, one per region other than the home region. */
  readonly guardDutyForwarders: readonly GuardDutyForwarderStack[];
  /** The management account's stacks, one per region (when managementAccountId is set). */
  readonly management: readonly MemberStack[];
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
  // In organization mode the members' forwarders bring root activity to the central bus, the
  // security account's own included when it is a target: a second path would count it twice.
  const forwarder =
    region === ROOT_EVENTS_REGION || config.organization
      ? undefined
      : new RootActivityForwarderStack(app, forwarderStackName(config), {
          stackName: forwarderStackName(config),
          description: `first-responder: forwards root-user activity from us-east-1 to ${region}.`,
          env: { region: ROOT_EVENTS_REGION, ...(account ? { account } : {}) },
          prefix: config.app.prefix,
          homeRegion: region,
          tags: config.app.tags,
        });
  const organization = buildOrganization(app, config, main, account, options);
  if (options.nag !== false) attachNagPacks(app);
  return {
    app,
    config,
    region,
    ...(account ? { account } : {}),
    main,
    ...(forwarder ? { forwarder } : {}),
    ...(organization ? { organization } : {}),
  };
}

/** Organization mode's StackSets and extra stacks; undefined in a single-account deployment. */
function buildOrganization(
  app: App,
  config: FirstResponderConfig,
  main: FirstResponderStack,
  account: string | undefined,
  options: BuildOptions,
): BuiltOrganization | undefined {
  const found = organizationOf(config, account);
  if (!found) return undefined;
  const { org, securityAccount, memberRoleName } = found;
  checkOrganizationStackNames(config);
  const stackName = config.app.stackName;
  const templates = synthesizeMemberTemplates(config, {
    securityAccount,
    memberRoleName,
    assemblyDir: app.outdir,
    ...(options.nag === false ? { nag: false } : {}),
    ...(options.failOnValidationErrors === false ? { failOnValidationErrors: false } : {}),
  });
  const stackSets = new MemberStackSets(main, 'MemberStackSets', {
    organization: org,
    templates,
    forwardersDependOn: main.centralBus ? [main.centralBus] : [],
  });
  if (!org.regions.includes(ROOT_EVENTS_REGION))
    Annotations.of(main).addWarningV2(
      'first-responder:root-sign-ins-unwatched',
      `organization.regions has no ${ROOT_EVENTS_REGION}: root console sign-ins are delivered there only, so no member forwards them. Add ${ROOT_EVENTS_REGION} to organization.regions.`,
    );

  const central = centralArnsOf(config, securityAccount);
  const guardDutyForwarders = org.regions
    .filter((r) => r !== org.homeRegion)
    .map((r) => {
      const name = guardDutyForwardStackNameOf(stackName, r);
      return new GuardDutyForwarderStack(app, name, {
        stackName: name,
        // Nothing to upload: no CDK bootstrap needed in the other regions.
        synthesizer: new BootstraplessSynthesizer(),
        description: `first-responder: forwards GuardDuty findings from ${r} to the central bus in ${org.homeRegion}.`,
        env: { region: r, account: securityAccount },
        prefix: config.app.prefix,
        homeRegion: org.homeRegion,
        centralBusArn: central.centralBusArn,
        pattern: main.patterns.get('guardDutyFinding')!,
        tags: config.app.tags,
      });
    });

  // Service-managed StackSets never deploy to the management account: these stacks, deployed
  // with its own credentials, hold the same (docs/organization.md). Bootstrapless: nothing to
  // upload, so the management account needs no CDK bootstrap.
  const managementAccount = org.managementAccountId;
  const management: MemberStack[] = [];
  if (managementAccount) {
    // The roles (global) in the home region first; the other regions' rules send with them.
    const regions = [org.homeRegion, ...org.regions.filter((r) => r !== org.homeRegion)];
    for (const r of regions) {
      const name = managementStackNameOf(stackName, r);
      const home = r === org.homeRegion;
      const stack = new MemberStack(app, name, {
        stackName: name,
        description: `first-responder: the management account's ${home ? 'member roles and ' : ''}forwarders in ${r} (deploy with the management account's credentials).`,
        env: { region: r, account: managementAccount },
        synthesizer: new BootstraplessSynthesizer(),
        config,
        securityAccount,
        memberRoleName,
        forwarders: true,
        roles: home,
      });
      if (!home) stack.addStackDependency(management[0]!);
      management.push(stack);
    }
  }
  return { stackSets, templates, guardDutyForwarders, management };
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
