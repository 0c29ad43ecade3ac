/**
 * `first-responder drill`: replays events offline through the detection patterns and the
 * configuration, and shows what would happen: which rule matches, which response plan opens an
 * incident (title, impact), who is engaged in which order, which runbook runs, and what that
 * runbook would decide. Every decision comes from the same code the deployed functions run.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { InputError } from '../../handlers/shared/errors';
import { readTextFile } from '../../handlers/shared/text-file';
import { parseOrThrow, ValidationError } from '../../handlers/shared/validation';
import { findingFacts, revertDecision, summarizeFinding } from '../../handlers/incident/guardduty';
import { rootActivityFacts, summarizeRootActivity } from '../../handlers/incident/root-activity';
import { resolveTargets } from '../../handlers/incident/targets';
import { matchesPattern } from '../../patterns/match';
import { DETECTION_IDS, type DetectionId } from '../../patterns';
import { responsePlansOf, regionOf, type FirstResponderConfig } from '../../infra/config';
import { detectionPatterns, ruleNameOf } from '../../infra/detection-patterns';
import { RUNBOOK_FUNCTIONS } from '../../infra/runbooks';
import { contactsOf, type ContactSummary } from '../../infra/constructs/on-call-summary';
import { planGroups, renderPlans, type GroupPlanJson } from './plan';

export interface DrillEvent {
  readonly file: string;
  readonly event: Record<string, unknown>;
  /** The detections it should trigger; undefined: at least one. */
  readonly expected?: readonly DetectionId[];
}

export interface Engagement {
  readonly atMinute: number;
  readonly contact: string;
  /** Channel names, or "on shift" for a rotation. */
  readonly via: readonly string[];
}

export interface DrillIncident {
  readonly detection: DetectionId;
  readonly rule: string;
  readonly responsePlan: string;
  readonly title: string;
  readonly impact: number;
  readonly engagements: readonly Engagement[];
  readonly runbook: string;
  readonly invokes: string;
  /** What the runbook's function would decide, in sentences. */
  readonly response: readonly string[];
  /** Security-group events: the reverter's dry-run plan on the bundled example groups. */
  readonly plans?: readonly GroupPlanJson[];
}

export interface DrillOutcome {
  readonly file: string;
  readonly what: string;
  readonly matched: readonly DetectionId[];
  readonly expected?: readonly DetectionId[];
  readonly verdict: 'as expected' | 'missed' | 'unexpected';
  readonly incidents: readonly DrillIncident[];
}

export interface DrillReport {
  readonly outcomes: readonly DrillOutcome[];
  readonly ok: boolean;
  readonly notes: readonly string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads DIR/*.json, and DIR/expectations.json when there is one. */
export function loadDrillEvents(dir: string): DrillEvent[] {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such directory of events`);
  const manifestPath = join(dir, 'expectations.json');
  const manifest = existsSync(manifestPath)
    ? parseOrThrow(manifestSchema, readJson(manifestPath), 'expectations', `${manifestPath}: `)
    : undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'expectations.json')
    .sort((a, b) => {
      // The manifest's order tells the story; files it does not list come after, by name.
      const order = manifest ? Object.keys(manifest) : [];
      const ia = order.indexOf(a);
      const ib = order.indexOf(b);
      return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || a.localeCompare(b);
    });
  return files.map((file) => {
    const event = readJson(join(dir, file));
    if (typeof event !== 'object' || event === null || !('detail-type' in event))
      throw new InputError(`${join(dir, file)}: not an EventBridge event (no "detail-type")`);
    const expected = manifest?.[file];
    return { file, event, ...(expected ? { expected } : {}) };
  });
}

// Which detections each event file should open: {"file.json": ["rootActivity", ...]}.
const manifestSchema = z.record(
  z.string(),
  z.array(z.enum(DETECTION_IDS, { error: `valid: ${DETECTION_IDS.join(', ')}` }), {
    error: 'a list of detection IDs',
  }),
  { error: 'an object: event file name -> the detections it should open' },
);

function readJson(path: string): unknown {
  try {
    return JSON.parse(readTextFile(path, 'events'));
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new InputError(`${path}: not JSON (${(err as Error).message.split('\n')[0]})`, {
      cause: err,
    });
  }
}

/** One line on what an event is. */
export function formatEvent(event: Json): string {
  const d = obj(event.detail);
  const type = str(event['detail-type']) ?? 'event';
  if (type === 'GuardDuty Finding') return `${type}: ${str(d.type)} severity ${String(d.severity)}`;
  if (type === 'Config Rules Compliance Change')
    return `${type}: ${str(d.configRuleName)} ${str(obj(d.newEvaluationResult).complianceType)} for ${str(d.resourceType)} ${str(d.resourceId)}`;
  const who = obj(d.userIdentity);
  return `${type}: ${str(d.eventName)} by ${str(who.type)}${str(d.errorCode) ? ` (failed: ${str(d.errorCode)})` : ''}`;
}

/** Who is engaged, minute by minute, until someone acknowledges. */
export function engagementOrder(
  aliases: readonly string[],
  contacts: readonly ContactSummary[],
): Engagement[] {
  const byAlias = new Map(contacts.map((c) => [c.alias, c]));
  const out: Engagement[] = [];
  const engage = (alias: string, at: number, seen: Set<string>) => {
    const c = byAlias.get(alias);
    if (!c || seen.has(alias)) return;
    const next = new Set(seen).add(alias);
    if (c.kind === 'personal')
      for (const s of c.stages)
        out.push({ atMinute: at + s.afterMinutes, contact: alias, via: s.engages });
    else if (c.kind === 'on-call schedule')
      out.push({
        atMinute: at,
        contact: alias,
        via: [`whoever is on shift of ${c.stages[0]?.engages.join(', ')}`],
      });
    else for (const s of c.stages) for (const a of s.engages) engage(a, at + s.afterMinutes, next);
  };
  for (const a of aliases) engage(a, 0, new Set());
  return out.sort((x, y) => x.atMinute - y.atMinute);
}

export interface DrillInput {
  readonly config: FirstResponderConfig;
  readonly events: readonly DrillEvent[];
  /** The groups the reverter's dry run is shown on (describe-security-groups output). */
  readonly groups: readonly SecurityGroup[];
}

export function runDrill(input: DrillInput): DrillReport {
  const { config } = input;
  const patterns = detectionPatterns(config, []);
  const plans = responsePlansOf(config);
  const contacts = contactsOf(config);
  const byId = new Map(input.groups.map((g) => [g.GroupId, g]));

  const outcomes = input.events.map((e): DrillOutcome => {
    const matched = DETECTION_IDS.filter((id) => matchesPattern(patterns.get(id)!, e.event));
    const expected = e.expected;
    const verdict: DrillOutcome['verdict'] =
      expected === undefined
        ? matched.length > 0
          ? 'as expected'
          : 'missed'
        : expected.some((id) => !matched.includes(id))
          ? 'missed'
          : matched.some((id) => !expected.includes(id))
            ? 'unexpected'
            : 'as expected';

    const incidents = matched.map((detection): DrillIncident => {
      const plan = plans.find((p) => p.detection === detection)!;
      const response: string[] = [];
      let groupPlans: GroupPlanJson[] | undefined;
      if (plan.runbook === 'root-activity-triage') {
        response.push(summarizeRootActivity(rootActivityFacts(e.event)));
      } else if (plan.runbook === 'guardduty-finding-response') {
        const finding = findingFacts(e.event);
        const min = config.remediation.guardDutyRevertMinSeverity;
        const decision = revertDecision(finding, min === 'never' ? undefined : min);
        response.push(summarizeFinding(finding));
        response.push(
          finding.sample
            ? 'Sample finding: the runbook records that the pipeline works and changes nothing.'
            : decision.revert
              ? "The runbook reverts the instance's security groups to the policy."
              : `Security groups not reverted: ${decision.reason}.`,
        );
      } else {
        const targets = resolveTargets({ trigger: { status: 'event', event: e.event } });
        if (targets.groupIds.length === 0)
          response.push(`Nothing to revert: ${targets.notes.join('; ')}.`);
        else {
          const known = targets.groupIds
            .map((id) => byId.get(id))
            .filter((g): g is SecurityGroup => !!g);
          const unknown = targets.groupIds.filter((id) => !byId.has(id));
          response.push(
            `Reverts ${targets.groupIds.join(', ')} (named by the ${targets.source} event).`,
          );
          if (unknown.length)
            response.push(
              `${unknown.join(', ')}: not among the example groups; the reverter reads it live.`,
            );
          groupPlans = planGroups(known, config.policy);
        }
      }
      return {
        detection,
        rule: ruleNameOf(config, detection),
        responsePlan: plan.name,
        title: plan.title,
        impact: plan.impact,
        engagements: engagementOrder(plan.engagements, contacts),
        runbook: plan.runbook,
        invokes: RUNBOOK_FUNCTIONS[plan.runbook],
        response,
        ...(groupPlans ? { plans: groupPlans } : {}),
      };
    });
    return {
      file: e.file,
      what: formatEvent(e.event),
      matched,
      ...(expected ? { expected } : {}),
      verdict,
      incidents,
    };
  });

  const notes: string[] = [];
  if (regionOf(config) !== 'us-east-1')
    notes.push(
      `Root console sign-ins are delivered only in us-east-1; the app forwards them to ${regionOf(config)}, where the root-activity rule matches them.`,
    );
  notes.push(
    "At deploy the security-group rule also ignores the app's own remediation roles, so its own changes open no incident.",
  );
  return { outcomes, ok: outcomes.every((o) => o.verdict === 'as expected'), notes };
}

const IMPACT = ['', 'Critical', 'High', 'Medium', 'Low', 'No impact'];

export function renderDrill(report: DrillReport): string {
  const lines: string[] = [];
  report.outcomes.forEach((o, i) => {
    const mark = o.verdict === 'as expected' ? 'ok' : o.verdict.toUpperCase();
    lines.push(`[${i + 1}] ${o.file} (${mark})`);
    lines.push(`    ${o.what}`);
    if (o.incidents.length === 0) {
      lines.push(
        `    no rule matches: no incident${o.verdict === 'missed' ? `, but ${o.expected?.length ? o.expected.join(', ') : 'one'} was expected` : ''}`,
      );
    }
    for (const inc of o.incidents) {
      lines.push(`    rule ${inc.rule} -> response plan ${inc.responsePlan}`);
      lines.push(
        `      incident: "${inc.title}", impact ${inc.impact} (${IMPACT[inc.impact] ?? '?'})`,
      );
      const order = inc.engagements.map(
        (g) => `${g.atMinute} min ${g.contact} (${g.via.join(', ')})`,
      );
      lines.push(`      engages: ${order.length ? order.join('; ') : 'nobody'}`);
      lines.push(`      runbook: ${inc.runbook} -> function ${inc.invokes}`);
      for (const r of inc.response) lines.push(`      ${r}`);
      if (inc.plans?.length)
        for (const l of renderPlans(inc.plans).split('\n').slice(0, -1)) lines.push(`        ${l}`);
    }
    if (o.verdict === 'unexpected')
      lines.push(
        `    UNEXPECTED: expected ${o.expected?.length ? o.expected.join(', ') : 'no incident'}`,
      );
  });
  const count = (v: DrillOutcome['verdict']) =>
    report.outcomes.filter((o) => o.verdict === v).length;
  const opened = report.outcomes.reduce((n, o) => n + o.incidents.length, 0);
  for (const n of report.notes) lines.push(`note: ${n}`);
  lines.push(
    `${report.outcomes.length} events: ${opened} incidents would open; ${count('as expected')} as expected, ${count('missed')} missed, ${count('unexpected')} unexpected`,
  );
  return lines.join('\n');
}
