/**
 * Organization mode: the two StackSets that put a MemberStack in every watched account, deployed
 * from the security account as delegated administrator (service-managed permissions, so accounts
 * that join a target OU get them automatically).
 *
 * Their template bodies are MemberStacks synthesized in an app of their own with a bootstrapless
 * synthesizer: a StackSet instance cannot use the security account's bootstrap bucket or assets,
 * and has no BootstrapVersion parameter to check. The templates are written next to the cloud
 * assembly (`<outdir>/stacksets/`), where cfn-lint and `npm start` check them like any stack.
 */
import { join } from 'node:path';
import { App, BootstraplessSynthesizer } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import { Construct, type IConstruct } from 'constructs';
import type { FirstResponderConfig } from '../config';
import type { OrganizationConfig } from '../config-organization';
import { attachNagPacks } from '../nag';
import { deploymentTargetsOf, stackSetNamesOf } from '../organization';
import { MemberStack } from '../stacks/member-stack';

/** CloudFormation's limit on a TemplateBody given inline (bytes). */
export const TEMPLATE_BODY_MAX_BYTES = 51_200;

/** Where, under the cloud assembly, the StackSets' templates are written. */
export const STACK_SET_TEMPLATES_DIR = 'stacksets';

/** One StackSet's template, as synthesized. */
export interface MemberTemplate {
  readonly stackSetName: string;
  readonly stack: MemberStack;
  /** The template as compact JSON: the StackSet's TemplateBody. */
  readonly templateBody: string;
  /** The template file, for cfn-lint. */
  readonly templatePath: string;
  /** The regions its instances are deployed to. */
  readonly regions: readonly string[];
  /** The parameters the StackSet passes (their defaults, explicitly). */
  readonly parameters: Readonly<Record<string, string>>;
  /** Capabilities the template needs. */
  readonly capabilities: readonly string[];
}

export interface MemberTemplates {
  /** The app the templates were synthesized in (cdk-nag ran on it). */
  readonly app: App;
  /** Its cloud assembly directory. */
  readonly outdir: string;
  readonly forwarders: MemberTemplate;
  readonly roles: MemberTemplate;
}

export interface MemberTemplatesOptions {
  readonly securityAccount: string;
  readonly memberRoleName: string;
  /** The main app's cloud assembly directory: the templates go to its `stacksets/`. */
  readonly assemblyDir: string;
  /**
   * Attach the cdk-nag packs.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Throw when cdk-nag reports an error.
   * @default true
   */
  readonly failOnValidationErrors?: boolean;
}

/** The template as compact JSON, or an error when it does not fit a TemplateBody. */
export function checkedTemplateBody(stackSetName: string, template: unknown): string {
  const body = JSON.stringify(template);
  const bytes = Buffer.byteLength(body);
  if (bytes > TEMPLATE_BODY_MAX_BYTES)
    throw new Error(
      `StackSet ${stackSetName}: its template is ${bytes} bytes as compact JSON, more than the ${TEMPLATE_BODY_MAX_BYTES} bytes CloudFormation accepts as a TemplateBody; shorten what the configuration puts in it (detection.securityGroupOpened.excludedRoleArns, detection.config.ruleNames)`,
    );
  return body;
}

/** Synthesizes the two StackSets' templates and checks each fits a TemplateBody. */
export function synthesizeMemberTemplates(
  config: FirstResponderConfig,
  options: MemberTemplatesOptions,
): MemberTemplates {
  const org = config.organization!;
  const outdir = join(options.assemblyDir, STACK_SET_TEMPLATES_DIR);
  const app = new App({
    outdir,
    analyticsReporting: false,
    builtinCloudFormationValidation: false,
    context:
      options.failOnValidationErrors === false
        ? { '@aws-cdk/core:failSynthOnValidationErrors': false }
        : {},
  });
  const names = stackSetNamesOf(config.app.prefix);
  const stack = (name: string, description: string, parts: { forwarders: boolean }) =>
    new MemberStack(app, name, {
      stackName: name,
      description,
      synthesizer: new BootstraplessSynthesizer(),
      config,
      securityAccount: options.securityAccount,
      memberRoleName: options.memberRoleName,
      forwarders: parts.forwarders,
      roles: !parts.forwarders,
    });
  const forwarders = stack(
    names.forwarders,
    `first-responder: forwards this account's signals to the central bus in ${org.homeRegion} (StackSet ${names.forwarders}).`,
    { forwarders: true },
  );
  const roles = stack(
    names.roles,
    `first-responder: the member response role and the forwarder role (StackSet ${names.roles}, home region only).`,
    { forwarders: false },
  );
  if (options.nag !== false) attachNagPacks(app);
  const assembly = app.synth();

  const templateOf = (
    s: MemberStack,
    regions: readonly string[],
    capabilities: readonly string[],
  ): MemberTemplate => {
    const artifact = assembly.getStackByName(s.stackName);
    const templateBody = checkedTemplateBody(s.stackName, artifact.template);
    return {
      stackSetName: s.stackName,
      stack: s,
      templateBody,
      templatePath: artifact.templateFullPath,
      regions,
      parameters: s.parameterValues,
      capabilities,
    };
  };
  return {
    app,
    outdir: assembly.directory,
    forwarders: templateOf(forwarders, org.regions, []),
    // Named roles: CAPABILITY_NAMED_IAM.
    roles: templateOf(roles, [org.homeRegion], ['CAPABILITY_NAMED_IAM']),
  };
}

export interface MemberStackSetsProps {
  readonly organization: OrganizationConfig;
  readonly templates: MemberTemplates;
  /**
   * What the forwarders' StackSet waits for (the central bus and its policy).
   * @default none
   */
  readonly forwardersDependOn?: readonly IConstruct[];
}

/**
 * Deploys at most a quarter of the accounts of a region at once, regions in parallel, and
 * tolerates a tenth failing (an account whose SCPs refuse a resource) without stopping the rest.
 */
export const OPERATION_PREFERENCES: cloudformation.CfnStackSet.OperationPreferencesProperty = {
  regionConcurrencyType: 'PARALLEL',
  concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
  maxConcurrentPercentage: 25,
  failureTolerancePercentage: 10,
};

export class MemberStackSets extends Construct {
  readonly forwarders: cloudformation.CfnStackSet;
  readonly roles: cloudformation.CfnStackSet;

  constructor(scope: Construct, id: string, props: MemberStackSetsProps) {
    super(scope, id);
    const org = props.organization;
    const targets = deploymentTargetsOf(org);
    const stackSet = (constructId: string, t: MemberTemplate, description: string) =>
      new cloudformation.CfnStackSet(this, constructId, {
        stackSetName: t.stackSetName,
        description,
        permissionModel: 'SERVICE_MANAGED',
        // Deployed from the security account, registered as a delegated administrator.
        callAs: 'DELEGATED_ADMIN',
        autoDeployment: org.stackSets.autoDeployment
          ? {
              enabled: true,
              retainStacksOnAccountRemoval: org.stackSets.retainStacksOnAccountRemoval,
            }
          : { enabled: false },
        // StackSets queues conflicting operations instead of failing them.
        managedExecution: { Active: true },
        ...(t.capabilities.length ? { capabilities: [...t.capabilities] } : {}),
        operationPreferences: OPERATION_PREFERENCES,
        parameters: Object.entries(t.parameters).map(([parameterKey, parameterValue]) => ({
          parameterKey,
          parameterValue,
        })),
        stackInstancesGroup: targets.map((target) => ({
          deploymentTargets: {
            organizationalUnitIds: [...target.organizationalUnitIds],
            ...(target.accounts ? { accounts: [...target.accounts] } : {}),
            ...(target.accountFilterType ? { accountFilterType: target.accountFilterType } : {}),
          },
          regions: [...t.regions],
        })),
        templateBody: t.templateBody,
      });
    this.roles = stackSet(
      'Roles',
      props.templates.roles,
      'first-responder: the member response role and the forwarder role, once per account.',
    );
    this.forwarders = stackSet(
      'Forwarders',
      props.templates.forwarders,
      `first-responder: forwarding rules in every account and region, to the central bus in ${org.homeRegion}.`,
    );
    // The rules send with the forwarder role: let the roles reach existing accounts first.
    this.forwarders.addResourceDependency(this.roles);
    for (const c of props.forwardersDependOn ?? []) this.forwarders.node.addDependency(c);
  }
}
