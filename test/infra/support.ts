/** Shared by the infra tests: configurations, one synth per configuration, and cfn-lint. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { SynthesisMessageLevel, type CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildApp, type BuiltApp } from '../../infra/build';
import {
  runCfnLint,
  CFN_LINT_INSTALL_HINT,
  type CfnLintOptions,
  type CfnLintReport,
  type CfnLintTemplate,
} from '../../infra/cfn-lint';
import {
  EXAMPLE_CONFIG,
  loadConfig,
  parseConfig,
  type FirstResponderConfig,
} from '../../infra/config';

export const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');

/** The example configuration, as `npm start` and a bare `cdk synth` use it. */
export function exampleConfig(): FirstResponderConfig {
  return loadConfig(EXAMPLE_CONFIG);
}

/** A configuration from an object, with paths resolved against examples/ (for policy.json). */
export function configFrom(input: unknown): FirstResponderConfig {
  return parseConfig(input, { baseDir: EXAMPLES_DIR, source: 'test config' });
}

/** A config document: the smallest valid one, merged with `extra`. */
export function minimalInput(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { app: { region: 'us-east-1' }, ...extra };
}

export interface Synthesized extends BuiltApp {
  readonly assembly: CloudAssembly;
}

/**
 * Builds and synthesizes without bundling (templates are what these tests read) and with an
 * empty environment, so the CLI's account and region never leak in. cdk-nag runs: an
 * unacknowledged error throws here.
 */
export function synth(config: FirstResponderConfig): Synthesized {
  const built = buildApp(config, {
    outdir: mkdtempSync(join(tmpdir(), 'fr-infra-test-')),
    bundle: false,
    env: {},
  });
  return { ...built, assembly: built.app.synth() };
}

/** cfn-lint on every template of the assembly, each with its stack's region, and `extra` ones. */
export function lint(
  assembly: CloudAssembly,
  options: CfnLintOptions = {},
  extra: readonly CfnLintTemplate[] = [],
): CfnLintReport {
  const report = runCfnLint(
    [
      ...assembly.stacks.map((s) => ({ path: s.templateFullPath, region: s.environment.region })),
      ...extra,
    ],
    options,
  );
  if (!report.available) throw new Error(CFN_LINT_INSTALL_HINT);
  return report;
}

/** A statement of an IAM policy document, as the template holds it. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A resource of the template, with its properties in the shape a test expects. */
export interface Resource<P = Record<string, unknown>> {
  readonly id: string;
  readonly Properties: P;
  readonly DependsOn?: string[];
}

/** The resources of one type, typed as the caller describes their properties. */
export function resourcesOf<P = Record<string, unknown>>(
  template: Template,
  type: string,
  props?: Record<string, unknown>,
): Resource<P>[] {
  const found = template.findResources(type, props ? { Properties: props } : undefined) as Record<
    string,
    { Properties: P; DependsOn?: string[] }
  >;
  return Object.entries(found).map(([id, r]) => ({ id, ...r }));
}

/** The messages of one level that synth attached to a stack. */
export function messagesOf(
  assembly: CloudAssembly,
  stackName: string,
  level: 'info' | 'warning',
): string[] {
  const wanted = level === 'info' ? SynthesisMessageLevel.INFO : SynthesisMessageLevel.WARNING;
  return assembly
    .getStackByName(stackName)
    .messages.filter((m) => m.level === wanted)
    .map((m) => (typeof m.entry.data === 'string' ? m.entry.data : JSON.stringify(m.entry.data)));
}
