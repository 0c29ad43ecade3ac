/**
 * Synthesizes every stack from a configuration, runs the checks, and returns what `npm start`
 * prints: stacks and regions, contacts with their stages, response plans with their runbooks,
 * rules with their patterns, and the results of cdk-nag and cfn-lint.
 *
 * The CLI owns the printing; this module only gathers data (plain JSON-able objects).
 *
 *   import { loadConfig } from '../infra/config';
 *   import { synthesizeAndCheck, EXAMPLE_CONFIG } from '../infra/summary';
 *   const summary = synthesizeAndCheck(loadConfig(EXAMPLE_CONFIG));
 *   if (!summary.ok) process.exitCode = 1;
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { PolicyValidationReportJson } from '@aws-cdk/cloud-assembly-schema';
import { buildApp } from './build';
import { runCfnLint, type CfnLintFinding, type CfnLintReport } from './cfn-lint';
import type { DetectionId } from '../patterns';
import type { FirstResponderConfig, IncidentBackendId, RunbookId } from './config';
import { contactsOf, type ContactSummary } from './constructs/on-call-summary';
import { NAG_PACKS } from './nag';
import { deploymentTargetsOf, type DeploymentTargetGroup } from './organization';
import { RUNBOOK_FUNCTIONS, REPO_ROOT } from './runbooks';
import type { FunctionId } from './functions';
import { ONBOARDING_NOTICE } from './stacks/first-responder-stack';

export { EXAMPLE_CONFIG, loadConfig } from './config';
export { REPO_ROOT };

export interface StackSummary {
  /** Construct id, as `cdk deploy <id>` takes it. */
  readonly id: string;
  readonly stackName: string;
  readonly region: string;
  /** Undefined when account-agnostic (resolved at deploy from the credentials). */
  readonly account?: string;
  readonly templatePath: string;
  readonly resourceCount: number;
}

/** Organization mode: a StackSet the main stack deploys to the member accounts. */
export interface StackSetSummary {
  readonly name: string;
  /** The regions of its instances. */
  readonly regions: readonly string[];
  /** Where it deploys, one entry per StackInstancesGroup entry, e.g. "ou-ab12-sandbox1 minus 555555555555". */
  readonly targets: readonly string[];
  /** Its template body, as written next to the cloud assembly. */
  readonly templatePath: string;
  readonly templateBytes: number;
  readonly resourceCount: number;
}

export interface ResponsePlanSummary {
  readonly detection: DetectionId;
  readonly name: string;
  readonly title: string;
  readonly impact: number;
  readonly engagements: readonly string[];
  readonly runbook: RunbookId;
  /** The function the runbook invokes. */
  readonly invokes: FunctionId;
}

export interface RuleSummary {
  readonly name: string;
  readonly stack: string;
  readonly region: string;
  readonly detection: DetectionId;
  /** What the rule targets: a response plan, or the home region's event bus. */
  readonly target: string;
  /** The event pattern as deployed (CDK references appear as CloudFormation intrinsics). */
  readonly pattern: unknown;
}

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly resources: readonly string[];
}

export interface NagAcknowledgement extends NagFinding {
  readonly reason: string;
}

export interface NagSummary {
  readonly packs: readonly string[];
  readonly errors: readonly NagFinding[];
  readonly warnings: readonly NagFinding[];
  readonly acknowledged: readonly NagAcknowledgement[];
}

export interface CfnLintSummary extends CfnLintReport {
  readonly errors: readonly CfnLintFinding[];
  readonly warnings: readonly CfnLintFinding[];
  readonly informational: readonly CfnLintFinding[];
}

export interface AnnotationSummary {
  readonly level: 'info' | 'warning' | 'error';
  readonly path: string;
  readonly message: string;
}

export interface AppSummary {
  /** The configuration file (or "config" for an in-memory one). */
  readonly config: string;
  readonly policyPath: string;
  /** The cloud assembly directory. */
  readonly outdir: string;
  readonly stacks: readonly StackSummary[];
  /** Organization mode's StackSets; empty in a single-account deployment. */
  readonly stackSets: readonly StackSetSummary[];
  /** Where incidents live (incidents.backend). */
  readonly backend: IncidentBackendId;
  readonly replicationSet: {
    readonly mode: 'existing' | 'create';
    readonly regions?: readonly string[];
    readonly notice?: string;
  };
  readonly contacts: readonly ContactSummary[];
  readonly responsePlans: readonly ResponsePlanSummary[];
  readonly rules: readonly RuleSummary[];
  readonly configRules: readonly string[];
  readonly nag: NagSummary;
  readonly cfnLint: CfnLintSummary;
  readonly annotations: readonly AnnotationSummary[];
  /** No cdk-nag error, cfn-lint ran, and it found no error. */
  readonly ok: boolean;
}

export interface SynthesizeOptions {
  /** @default a new temporary directory */
  readonly outdir?: string;
  /**
   * Run cfn-lint on the templates.
   * @default true
   */
  readonly cfnLint?: boolean;
  /**
   * Bundle the functions (as a deploy would).
   * @default true
   */
  readonly bundle?: boolean;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** Reads cdk-nag's findings from the validation report CDK writes into the cloud assembly. */
export function readNagReport(outdir: string): NagSummary {
  const path = join(outdir, 'validation-report.json');
  const empty: NagSummary = { packs: NAG_PACKS, errors: [], warnings: [], acknowledged: [] };
  if (!existsSync(path)) return empty;
  const report = JSON.parse(readFileSync(path, 'utf8')) as PolicyValidationReportJson;
  const errors: NagFinding[] = [];
  const warnings: NagFinding[] = [];
  const acknowledged: NagAcknowledgement[] = [];
  for (const plugin of report.pluginReports) {
    if (!(NAG_PACKS as readonly string[]).includes(plugin.pluginName)) continue;
    for (const v of plugin.violations) {
      const f: NagFinding = {
        rule: v.ruleName,
        severity: v.severity,
        description: v.description,
        resources: v.violatingConstructs.map((c) => c.constructPath),
      };
      (v.severity === 'warning' || v.severity === 'info' ? warnings : errors).push(f);
    }
    for (const s of plugin.suppressedViolations ?? [])
      acknowledged.push({
        rule: s.ruleName,
        severity: s.severity,
        description: s.description,
        resources: s.violatingConstructs.map((c) => c.constructPath),
        reason: s.reason ?? '',
      });
  }
  return { packs: NAG_PACKS, errors, warnings, acknowledged };
}

const ACKNOWLEDGED_RULES = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

/**
 * Every cdk-nag finding acknowledged in the app, with its reason. cdk-nag drops acknowledged
 * findings before CDK sees them, so they are read from the construct tree instead.
 */
export function acknowledgementsOf(root: IConstruct): NagAcknowledgement[] {
  const out = new Map<string, { reason: string; resources: string[] }>();
  for (const c of root.node.findAll())
    for (const m of c.node.metadata) {
      if (m.type !== ACKNOWLEDGED_RULES) continue;
      for (const [qualified, reason] of Object.entries(m.data as Record<string, string>)) {
        const rule = qualified.replace(/^annotation::/i, '');
        if (!NAG_PACKS.some((p) => rule.startsWith(`${p}-`))) continue;
        const key = JSON.stringify([rule, reason]);
        const entry = out.get(key) ?? { reason, resources: [] };
        entry.resources.push(c.node.path);
        out.set(key, entry);
      }
    }
  return [...out.entries()].map(([key, v]) => ({
    rule: (JSON.parse(key) as [string, string])[0],
    severity: 'acknowledged',
    description: '',
    resources: v.resources,
    reason: v.reason,
  }));
}

function resourceCountOf(template: unknown): number {
  return Object.keys((template as { Resources?: Record<string, unknown> }).Resources ?? {}).length;
}

/** A StackSet target as a person reads it. */
function describeTarget(t: DeploymentTargetGroup): string {
  const ous = t.organizationalUnitIds.join(', ');
  if (t.accountFilterType === 'INTERSECTION')
    return `accounts ${t.accounts!.join(', ')} (in ${ous})`;
  if (t.accountFilterType === 'DIFFERENCE') return `${ous} except ${t.accounts!.join(', ')}`;
  return ous;
}

/** cdk-nag's findings of the main app and of the StackSets' templates, together. */
function mergeNag(a: NagSummary, b: NagSummary | undefined): NagSummary {
  if (!b) return a;
  return {
    packs: a.packs,
    errors: [...a.errors, ...b.errors],
    warnings: [...a.warnings, ...b.warnings],
    acknowledged: [...a.acknowledged, ...b.acknowledged],
  };
}

/** Synthesizes the app in process, runs cdk-nag (during synth) and cfn-lint, and summarizes. */
export function synthesizeAndCheck(
  config: FirstResponderConfig,
  options: SynthesizeOptions = {},
): AppSummary {
  const outdir = options.outdir ?? mkdtempSync(join(tmpdir(), 'first-responder-'));
  const built = buildApp(config, {
    outdir,
    bundle: options.bundle ?? true,
    // Report cdk-nag's errors rather than throwing on the first synth.
    failOnValidationErrors: false,
    ...(options.env ? { env: options.env } : {}),
  });
  const assembly = built.app.synth();
  const { main, forwarder, organization } = built;

  const stacks: StackSummary[] = [
    main,
    ...(forwarder ? [forwarder] : []),
    ...(organization?.guardDutyForwarders ?? []),
    ...(organization?.management ?? []),
  ].map((s) => {
    const artifact = assembly.getStackByName(s.stackName);
    return {
      id: s.node.id,
      stackName: s.stackName,
      region: s.region,
      ...(Token.isUnresolved(s.account) ? {} : { account: s.account }),
      templatePath: artifact.templateFullPath,
      resourceCount: resourceCountOf(artifact.template),
    };
  });
  const stackSets: StackSetSummary[] = organization
    ? [organization.templates.roles, organization.templates.forwarders].map((t) => ({
        name: t.stackSetName,
        regions: t.regions,
        targets: deploymentTargetsOf(config.organization!).map(describeTarget),
        templatePath: t.templatePath,
        templateBytes: Buffer.byteLength(t.templateBody),
        resourceCount: resourceCountOf(JSON.parse(t.templateBody)),
      }))
    : [];

  const contacts = contactsOf(config);

  const responsePlans: ResponsePlanSummary[] = main.plans.map((p) => ({
    detection: p.detection,
    name: p.name,
    title: p.title,
    impact: p.impact,
    engagements: p.engagements,
    runbook: p.runbook,
    invokes: RUNBOOK_FUNCTIONS[p.runbook],
  }));

  const rules: RuleSummary[] = [];
  for (const p of main.plans) {
    const d = main.detections.get(p.detection)!;
    rules.push({
      name: d.name!,
      stack: main.stackName,
      region: main.region,
      detection: p.detection,
      target:
        (main.paging
          ? `intake -> OpsItem, runbook ${p.runbook}, escalation`
          : `intake -> response plan ${p.name}`) +
        (main.centralBus ? ` (on the central bus ${main.centralBus.bus.name})` : ''),
      pattern: main.resolve(main.patterns.get(p.detection)),
    });
  }
  if (organization) {
    const bus = `central bus in ${main.region}`;
    for (const [stack, rule] of [
      [main, main.guardDutyForwarder!] as const,
      ...organization.guardDutyForwarders.map((f) => [f, f.forwarder] as const),
    ])
      rules.push({
        name: rule.rule.name!,
        stack: stack.stackName,
        region: stack.region,
        detection: 'guardDutyFinding',
        target: bus,
        pattern: stack.resolve(main.patterns.get('guardDutyFinding')),
      });
    const member = organization.templates.forwarders.stack;
    for (const [detection, rule] of member.forwarders!.rules)
      rules.push({
        name: rule.name!,
        stack: `StackSet ${member.stackName}`,
        region: organization.templates.forwarders.regions.join(', '),
        detection,
        target: `${bus} (every target account)`,
        pattern: member.resolve(member.patterns.get(detection)),
      });
  }
  if (forwarder)
    rules.push({
      name: forwarder.forwarder.rule.name!,
      stack: forwarder.stackName,
      region: forwarder.region,
      detection: 'rootActivity',
      target: `default event bus in ${main.region}`,
      pattern: Stack.of(forwarder).resolve(forwarder.pattern),
    });

  const annotations: AnnotationSummary[] = assembly.stacks.flatMap((artifact) =>
    artifact.messages
      .filter((m) => m.entry.type !== ACKNOWLEDGED_RULES)
      .map((m) => ({
        level: m.level,
        path: m.id,
        message: typeof m.entry.data === 'string' ? m.entry.data : JSON.stringify(m.entry.data),
      })),
  );

  const nag = mergeNag(
    { ...readNagReport(assembly.directory), acknowledged: acknowledgementsOf(built.app) },
    organization
      ? {
          ...readNagReport(organization.templates.outdir),
          acknowledged: acknowledgementsOf(organization.templates.app),
        }
      : undefined,
  );
  const lint =
    options.cfnLint === false
      ? { available: false, hint: 'cfn-lint was not requested', templates: [], findings: [] }
      : runCfnLint([
          ...stacks.map((s) => ({ path: s.templatePath, region: s.region })),
          // The StackSets' templates, checked in the home region.
          ...stackSets.map((s) => ({ path: s.templatePath, region: main.region })),
        ]);
  const cfnLint: CfnLintSummary = {
    ...lint,
    errors: lint.findings.filter((f) => f.level === 'Error'),
    warnings: lint.findings.filter((f) => f.level === 'Warning'),
    informational: lint.findings.filter((f) => f.level === 'Informational'),
  };

  const rs = config.incidentManager.replicationSet;
  return {
    config: config.source,
    policyPath: config.policyPath,
    outdir: assembly.directory,
    stacks,
    stackSets,
    backend: config.incidents.backend,
    replicationSet:
      rs.mode === 'create'
        ? { mode: 'create', regions: rs.regions ?? [main.region] }
        : config.incidents.backend === 'opscenter'
          ? { mode: 'existing' }
          : { mode: 'existing', notice: ONBOARDING_NOTICE },
    contacts,
    responsePlans,
    rules,
    configRules: [...main.configRules.rules.keys()],
    nag,
    cfnLint,
    annotations,
    ok: nag.errors.length === 0 && cfnLint.available && cfnLint.errors.length === 0,
  };
}
