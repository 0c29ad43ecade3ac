/**
 * `npm start`: the main job on the built-in example, offline and without credentials: synthesize
 * every stack, run cdk-nag and cfn-lint, show the reverter's plan for the example groups, and
 * replay the sample events through the patterns and the configuration (the drill).
 */
import { join, relative } from 'node:path';
import { loadConfig, type FirstResponderConfig } from '../../infra/config';
import { synthesizeAndCheck, type AppSummary } from '../../infra/summary';
import { loadDrillEvents, renderDrill, runDrill } from './drill';
import { planGroups, readDescribeFile, renderPlans } from './plan';

export interface StartOptions {
  /** The repository root, where `examples/` is. */
  readonly root: string;
  /** @default examples/config.yaml */
  readonly config?: string;
  readonly out: (line: string) => void;
}

/** Relative to the repository when inside it, absolute otherwise. */
const shortPath = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel.startsWith('..') ? path : rel;
};

const list = (items: readonly string[]) => (items.length ? items.join(', ') : 'none');

export function renderSummary(s: AppSummary, root: string): string {
  const lines: string[] = [];
  lines.push('stacks:');
  for (const st of s.stacks)
    lines.push(
      `  ${st.stackName} in ${st.region}: ${st.resourceCount} resources (${shortPath(root, st.templatePath)})`,
    );
  if (s.stackSets.length)
    lines.push('stack sets (service-managed, from the delegated administrator):');
  for (const ss of s.stackSets)
    lines.push(
      `  ${ss.name} in ${ss.regions.join(', ')} -> ${ss.targets.join('; ')}: ${ss.resourceCount} resources, ${ss.templateBytes} bytes (${shortPath(root, ss.templatePath)})`,
    );
  if (s.backend === 'opscenter')
    lines.push(
      'incidents: OpsCenter OpsItems (incidents.backend: opscenter); pages by email and SMS through SNS, escalated by a Step Functions state machine; no Incident Manager resource',
    );
  else
    lines.push(
      `replication set: mode ${s.replicationSet.mode}${s.replicationSet.regions ? ` in ${s.replicationSet.regions.join(', ')}` : ''}`,
    );
  if (s.replicationSet.notice) lines.push(`  ${s.replicationSet.notice}`);
  lines.push('contacts (stage start in minutes: what it engages):');
  for (const c of s.contacts)
    lines.push(
      `  ${c.alias} (${c.kind}${c.channels.length ? `; ${c.channels.map((ch) => `${ch.name} ${ch.type}`).join(', ')}` : ''}): ${c.stages.map((st) => `${st.afterMinutes}: ${st.engages.join(' + ')}`).join(' | ')}`,
    );
  lines.push('response plans:');
  for (const p of s.responsePlans)
    lines.push(
      `  ${p.name}: "${p.title}", impact ${p.impact}, engages ${list(p.engagements)}; runbook ${p.runbook} -> function ${p.invokes}`,
    );
  lines.push('rules:');
  for (const r of s.rules) lines.push(`  ${r.name} (${r.stack}, ${r.region}) -> ${r.target}`);
  lines.push(`config rules: ${list(s.configRules)}`);
  lines.push('checks:');
  lines.push(
    `  cdk-nag (${s.nag.packs.join(', ')}): ${s.nag.errors.length} errors, ${s.nag.warnings.length} warnings, ${s.nag.acknowledged.length} acknowledged with a reason`,
  );
  for (const f of [...s.nag.errors, ...s.nag.warnings])
    lines.push(`    ${f.severity} ${f.rule}: ${f.description} (${f.resources.join(', ')})`);
  lines.push(
    `  cfn-lint: ${s.cfnLint.errors.length} errors, ${s.cfnLint.warnings.length} warnings, ${s.cfnLint.informational.length} informational`,
  );
  for (const f of [...s.cfnLint.errors, ...s.cfnLint.warnings])
    lines.push(`    ${JSON.stringify(f)}`);
  for (const a of s.annotations.filter((x) => x.level !== 'info'))
    lines.push(`  ${a.level}: ${a.message} (${a.path})`);
  lines.push(`  ${s.ok ? 'all checks pass' : 'CHECKS FAILED'}`);
  return lines.join('\n');
}

export function runStart(options: StartOptions): Promise<number> {
  const examples = join(options.root, 'examples');
  const configPath = options.config ?? join(examples, 'config.yaml');
  const out = options.out;
  const config: FirstResponderConfig = loadConfig(configPath);

  out(`== 1. Synthesize every stack from ${relative(options.root, configPath)} and run the checks`);
  const summary = synthesizeAndCheck(config);
  out(renderSummary(summary, options.root));

  const groupsPath = join(examples, 'security-groups.json');
  const groups = readDescribeFile(groupsPath);
  out('');
  out(
    `== 2. The reverter's plan for ${relative(options.root, groupsPath)} under ${relative(options.root, config.policyPath)}`,
  );
  out(renderPlans(planGroups(groups, config.policy)));

  const eventsDir = join(examples, 'events');
  out('');
  out(`== 3. Drill: the sample events in ${relative(options.root, eventsDir)}, replayed offline`);
  const drill = runDrill({ config, events: loadDrillEvents(eventsDir), groups });
  out(renderDrill(drill));

  out('');
  out(
    summary.ok && drill.ok ? 'npm start: everything checks out.' : 'npm start: FAILED (see above).',
  );
  return Promise.resolve(summary.ok && drill.ok ? 0 : 1);
}
