/**
 * `first-responder drill`: replays events offline through the detection patterns, the intake's
 * own decision and the configuration, and shows what would happen: which rule matches, what the
 * intake decides (opens an incident, appends to the one already open, or opens none, and why,
 * with the dedupe key), the incident's title and impact, who is engaged in which order, which
 * runbook runs, and what that runbook would decide. Security groups are judged on snapshots
 * (`--groups`, DescribeSecurityGroups output) by the same planner the deployed intake runs.
 * Every decision comes from the same code the deployed functions run.
 *
 * Organization mode (a configuration with `organization:`): events come from many accounts and
 * regions; each event's account is placed in the organization from an offline placement file
 * (what Organizations ListParents returns, `--accounts`) and gets its mode from the same scope
 * resolver the functions run (enforce, approve or observe; an account that cannot be placed is
 * observed). The drill shows where the runbook would act and what it would do in that mode.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { InputError } from '../../handlers/shared/errors';
import { resolveMode, RESPONSE_MODES, type ResponseMode } from '../../handlers/policy/scope';
import { readTextFile } from '../../handlers/shared/text-file';
import { parseOrThrow, ValidationError } from '../../handlers/shared/validation';
import { findingFacts, revertDecision, summarizeFinding } from '../../handlers/incident/guardduty';
import { rootActivityFacts, summarizeRootActivity } from '../../handlers/incident/root-activity';
import { resolveTargets } from '../../handlers/incident/targets';
import {
  changedGroupId,
  decideIntake,
  placeOf,
  type GroupVerdict,
  type IntakeDecision,
  type RelatedResource,
} from '../../handlers/intake/decide';
import { nextStep, type DedupeRecord, type IncidentStatus } from '../../handlers/intake/dedupe';
import {
  BadEventError,
  parseIntakeRequest,
  type EventEnvelope,
} from '../../handlers/intake/request';
import type { SecurityGroupPolicy } from '../../handlers/policy/policy';
import { formatRule, ruleFromJson } from '../../handlers/policy/rules';
import { matchesPattern } from '../../patterns/match';
import { DETECTION_IDS, type DetectionId } from '../../patterns';
import {
  responsePlansOf,
  regionOf,
  type FirstResponderConfig,
  type IncidentBackendId,
} from '../../infra/config';
import { severityOfImpact } from '../../handlers/incident/opsitem';
import { ORGANIZATION_ROOT_ID, ORGANIZATIONAL_UNIT_ID } from '../../infra/aws-constraints';
import { memberRoleNameOf, type OrganizationConfig } from '../../infra/config-organization';
import { detectionPatterns, ruleNameOf } from '../../infra/detection-patterns';
import { RUNBOOK_FUNCTIONS } from '../../infra/runbooks';
import { contactsOf, type ContactSummary } from '../../infra/constructs/on-call-summary';
import { planGroups, renderPlans, type GroupPlanJson } from './plan';

export type IntakeVerdict = 'open' | 'append' | 'none';

export interface DrillEvent {
  readonly file: string;
  readonly event: Record<string, unknown>;
  /** The detections it should trigger; undefined: at least one. */
  readonly expected?: readonly DetectionId[];
  /** What the intake should decide, per detection; undefined: not checked. */
  readonly expectedDecisions?: Partial<Record<DetectionId, IntakeVerdict>>;
  /** Organization mode: the mode the event's account should get; undefined: not checked. */
  readonly expectedMode?: ResponseMode;
}

/** Organization mode: where a runbook acts for one event, and in which mode. */
export interface DrillPlace {
  readonly account: string;
  readonly region: string;
  readonly mode: ResponseMode;
  /** Why this mode, from the scope resolver. */
  readonly reason: string;
}

/** What the intake decides for one event and one detection that matched it. */
export interface DrillIntake {
  readonly decision: IntakeVerdict;
  readonly reason: string;
  readonly dedupeKey?: string;
  /** append: the file whose event opened the incident. */
  readonly appendsTo?: string;
  readonly incident?: {
    readonly title: string;
    readonly impact: number;
    readonly relatedItems: readonly RelatedResource[];
  };
}

export interface Engagement {
  readonly atMinute: number;
  readonly contact: string;
  /** Channel names, or "on shift" for a rotation. */
  readonly via: readonly string[];
}

export interface DrillIncident {
  readonly detection: DetectionId;
  readonly intake: DrillIntake;
  readonly rule: string;
  readonly responsePlan: string;
  /** Where the incident opens (incidents.backend). */
  readonly backend: IncidentBackendId;
  readonly title: string;
  readonly impact: number;
  readonly engagements: readonly Engagement[];
  readonly runbook: string;
  readonly invokes: string;
  /** What the runbook's function would decide, in sentences. */
  readonly response: readonly string[];
  /** Security-group events: the reverter's dry-run plan on the bundled example groups. */
  readonly plans?: readonly GroupPlanJson[];
  /** Organization mode: the account and region acted in, and the mode. */
  readonly place?: DrillPlace;
}

export interface DrillOutcome {
  readonly file: string;
  readonly what: string;
  readonly matched: readonly DetectionId[];
  readonly expected?: readonly DetectionId[];
  readonly verdict: 'as expected' | 'missed' | 'unexpected';
  /** Why the verdict is not "as expected". */
  readonly mismatch?: string;
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
    const entry = manifest?.[file];
    const expected = Array.isArray(entry) ? entry : entry?.detections;
    const decisions = Array.isArray(entry) ? undefined : entry?.decisions;
    const mode = Array.isArray(entry) ? undefined : entry?.mode;
    return {
      file,
      event,
      ...(expected ? { expected } : {}),
      ...(decisions ? { expectedDecisions: decisions } : {}),
      ...(mode ? { expectedMode: mode } : {}),
    };
  });
}

// Which detections each event file should open, as a list, or with the intake's decision per
// detection: {"file.json": ["rootActivity"]} or {"file.json": {"detections": [...], "decisions": {...}}},
// and in organization mode the mode of the event's account: {..., "mode": "observe"}.
const detectionId = z.enum(DETECTION_IDS, { error: `valid: ${DETECTION_IDS.join(', ')}` });
const detections = z.array(detectionId, { error: 'a list of detection IDs' });
const manifestSchema = z.record(
  z.string(),
  z.union(
    [
      detections,
      z.strictObject({
        detections,
        decisions: z
          .partialRecord(
            detectionId,
            z.enum(['open', 'append', 'none'], { error: 'valid: open, append, none' }),
          )
          .optional(),
        mode: z.enum(RESPONSE_MODES, { error: `valid: ${RESPONSE_MODES.join(', ')}` }).optional(),
      }),
    ],
    {
      error:
        'a list of detection IDs, or {"detections": [...], "decisions": {...}, "mode": "enforce" | "approve" | "observe"}',
    },
  ),
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

/** The verdict of every snapshot group, by the planner the intake runs (through `plan`). */
export function groupVerdicts(
  groups: readonly SecurityGroup[],
  policy: SecurityGroupPolicy,
): Map<string, GroupVerdict> {
  return new Map(
    planGroups(groups, policy).map((p): [string, GroupVerdict] => [
      p.groupId,
      // A group the reverter would refuse (the rule quota) is still noncompliant.
      p.status === 'noncompliant' || p.status === 'refused'
        ? {
            groupId: p.groupId,
            status: 'noncompliant',
            revoke: p.revoke.map((r) => formatRule(ruleFromJson(r))),
          }
        : {
            groupId: p.groupId,
            status: p.status,
            reason: p.reasons.join('; ') || 'nothing to change',
          },
    ]),
  );
}

/**
 * The dedupe table as a replay sees it: records in memory, the same state machine as the
 * deployed intake, and every incident still open (nothing resolves during a replay).
 */
export function replayDedupe(
  records: Map<string, DedupeRecord>,
  decision: IntakeDecision,
  eventId: string,
  file: string,
): Pick<DrillIntake, 'decision' | 'appendsTo'> {
  if (decision.kind === 'none') return { decision: 'none' };
  const key = decision.dedupeKey;
  let status: IncidentStatus | undefined;
  for (;;) {
    const step = nextStep(records.get(key), 0, eventId, status);
    switch (step.kind) {
      case 'claim':
        records.set(key, {
          key,
          state: 'open',
          generation: 1,
          owner: eventId,
          incidentRef: file,
          pending: [],
          seen: 1,
        });
        return { decision: 'open' };
      case 'check':
        status = 'open';
        break;
      case 'append':
        return { decision: 'append', appendsTo: step.incidentRef };
      case 'opened':
        // The same delivery twice (same EventBridge id): the incident it opened, once.
        return { decision: 'open' };
      default:
        throw new Error(`a replay never reaches the dedupe step ${step.kind}`);
    }
  }
}

/** Organization mode: where each account sits, as Organizations ListParents walks it. */
export interface Placements {
  /** Where they come from, named when an account is not among them. */
  readonly source: string;
  /** Account ID -> its parents, from the nearest OU up to the root. */
  readonly parents: ReadonlyMap<string, readonly string[]>;
}

const OU_OR_ROOT = new RegExp(`${ORGANIZATIONAL_UNIT_ID.source}|${ORGANIZATION_ROOT_ID.source}`);
const placementsSchema = z.record(
  z.string().regex(/^\d{12}$/),
  z
    .array(z.string().regex(OU_OR_ROOT, { error: 'an OU ID (ou-…) or the root ID (r-…)' }), {
      error: 'the parents, from the nearest OU to the root: ["ou-ab12-34cd5678", "r-ab12"]',
    })
    .min(1, { error: 'list the parents, ending with the root ID' })
    .refine((ids) => ORGANIZATION_ROOT_ID.test(ids.at(-1) ?? ''), {
      error: 'end with the root ID (r-…): ListParents walks up to the root',
    }),
  {
    // zod reports a bad key as invalid_key, with its own message lost: say it here.
    error: (issue) =>
      issue.code === 'invalid_key'
        ? 'each key is a 12-digit account ID (quoted, as JSON keys are)'
        : issue.code === 'invalid_type'
          ? 'an object: account ID -> its parents, from the nearest OU to the root'
          : undefined,
  },
);

/** Reads a placement file: {"222222222222": ["ou-ab12-sandbox1", "r-ab12"], ...}. */
export function loadPlacements(path: string): Placements {
  const parsed = parseOrThrow(placementsSchema, readJson(path), 'accounts', `${path}: `);
  return { source: basename(path), parents: new Map(Object.entries(parsed)) };
}

/** What the drill replays by default: the organization set when the configuration has one. */
export function exampleDrillInputs(
  examples: string,
  config: Pick<FirstResponderConfig, 'organization'>,
): { readonly events: string; readonly groups: string; readonly accounts?: string } {
  return config.organization
    ? {
        events: join(examples, 'organization-events'),
        groups: join(examples, 'organization-security-groups.json'),
        accounts: join(examples, 'organization-accounts.json'),
      }
    : { events: join(examples, 'events'), groups: join(examples, 'security-groups.json') };
}

/** The account's mode, placed from `placements`; an account not among them is observed. */
export function scopeOf(
  org: OrganizationConfig,
  placements: Placements | undefined,
  where: { readonly account: string; readonly region: string },
): DrillPlace {
  const parents = placements?.parents.get(where.account);
  const scope = resolveMode(
    org,
    where.account,
    parents
      ? { found: true, parents }
      : {
          found: false,
          reason: placements
            ? `not in ${placements.source}`
            : 'no placement file was given (--accounts)',
        },
  );
  return { ...where, mode: scope.mode, reason: scope.reason };
}

/** What a runbook that would change something does in the account's mode. */
export function modeAction(org: OrganizationConfig, prefix: string, place: DrillPlace): string {
  const at = `${place.account}/${place.region}`;
  switch (place.mode) {
    case 'enforce':
      return `enforce: the runbook makes these changes in ${at} through the member role ${memberRoleNameOf(org, prefix)}.`;
    case 'approve': {
      const a = org.approval;
      const who = a
        ? `${a.approverArns.join(', ')} (${a.minRequiredApprovals} approval${a.minRequiredApprovals === 1 ? '' : 's'} needed) through ${a.notificationTopicArn}`
        : 'the approvers';
      return `approve: the runbook asks ${who}, and makes these changes in ${at} once approved; rejected, or unanswered within ${a?.timeoutSeconds ?? '?'} seconds, it changes nothing.`;
    }
    case 'observe':
      return `observe: the runbook records this plan on the incident and changes nothing in ${at}.`;
  }
}

export interface DrillInput {
  readonly config: FirstResponderConfig;
  readonly events: readonly DrillEvent[];
  /** The groups the reverter's dry run is shown on (describe-security-groups output). */
  readonly groups: readonly SecurityGroup[];
  /**
   * Organization mode: where each account sits. @default none: every account is observed, as
   * one whose lookup failed
   */
  readonly placements?: Placements;
}

export function runDrill(input: DrillInput): DrillReport {
  const { config } = input;
  const patterns = detectionPatterns(config, []);
  const plans = responsePlansOf(config);
  const contacts = contactsOf(config);
  const byId = new Map(input.groups.map((g) => [g.GroupId, g]));
  const verdicts = groupVerdicts(input.groups, config.policy);
  const records = new Map<string, DedupeRecord>();
  const org = config.organization;

  const outcomes = input.events.map((e): DrillOutcome => {
    const matched = DETECTION_IDS.filter((id) => matchesPattern(patterns.get(id)!, e.event));
    const incidents = matched.map((detection): DrillIncident => {
      const plan = plans.find((p) => p.detection === detection)!;
      const intake = intakeFor(detection, plan.impact);
      const place = org
        ? scopeOf(org, input.placements, placeOf(detection, e.event as EventEnvelope))
        : undefined;
      const response: string[] = [];
      let groupPlans: GroupPlanJson[] | undefined;
      /** Whether the runbook would change something (what the mode decides on). */
      let changes = false;
      if (intake.decision !== 'open') {
        // Nobody is paged and no runbook starts.
      } else if (plan.runbook === 'root-activity-triage') {
        response.push(summarizeRootActivity(rootActivityFacts(e.event)));
      } else if (plan.runbook === 'guardduty-finding-response') {
        const finding = findingFacts(e.event);
        const min = config.remediation.guardDutyRevertMinSeverity;
        const decision = revertDecision(finding, min === 'never' ? undefined : min);
        response.push(summarizeFinding(finding));
        changes = !finding.sample && decision.revert;
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
          changes = unknown.length > 0 || groupPlans.some((p) => p.status === 'noncompliant');
        }
      }
      if (org && place && changes) response.push(modeAction(org, config.app.prefix, place));
      return {
        detection,
        intake,
        rule: ruleNameOf(config, detection),
        responsePlan: plan.name,
        backend: config.incidents.backend,
        title: intake.incident?.title ?? plan.title,
        impact: intake.incident?.impact ?? plan.impact,
        engagements: intake.decision === 'open' ? engagementOrder(plan.engagements, contacts) : [],
        runbook: plan.runbook,
        invokes: RUNBOOK_FUNCTIONS[plan.runbook],
        response,
        ...(groupPlans ? { plans: groupPlans } : {}),
        ...(place ? { place } : {}),
      };
    });
    const mismatch = mismatchOf(e, matched, incidents);
    return {
      file: e.file,
      what: formatEvent(e.event),
      matched,
      ...(e.expected ? { expected: e.expected } : {}),
      verdict: mismatch?.verdict ?? 'as expected',
      ...(mismatch ? { mismatch: mismatch.why } : {}),
      incidents,
    };

    function intakeFor(detection: DetectionId, planImpact: number): DrillIntake {
      let req;
      try {
        req = parseIntakeRequest({ detection, event: e.event });
      } catch (err) {
        if (!(err instanceof BadEventError)) throw err;
        return {
          decision: 'none',
          reason: `the intake refuses it (dead-letter queue): ${err.message}`,
        };
      }
      const groupId = changedGroupId(req.event.detail);
      const group = groupId
        ? (verdicts.get(groupId) ?? {
            groupId,
            status: 'unknown' as const,
            reason: 'not in the --groups file; the deployed intake reads it live',
          })
        : undefined;
      const decision = decideIntake({
        detection,
        event: req.event,
        planImpact,
        ...(detection === 'securityGroupOpened' && group ? { group } : {}),
        ...(config.organization ? { organization: true } : {}),
      });
      const replayed = replayDedupe(records, decision, req.event.id, e.file);
      return {
        ...replayed,
        reason: decision.reason,
        ...(decision.dedupeKey ? { dedupeKey: decision.dedupeKey } : {}),
        ...(decision.kind === 'incident'
          ? {
              incident: {
                title: decision.incident.title,
                impact: decision.incident.impact,
                relatedItems: decision.incident.relatedItems,
              },
            }
          : {}),
      };
    }
  });

  const notes: string[] = [];
  if (regionOf(config) !== 'us-east-1')
    notes.push(
      `Root console sign-ins are delivered only in us-east-1; the app forwards them to ${regionOf(config)}, where the root-activity rule matches them.`,
    );
  notes.push(
    "At deploy the security-group rule also ignores the app's own remediation roles, so its own changes open no incident.",
  );
  if (org)
    notes.push(
      `Organization mode: each account's mode comes from organization.targets and where the account sits (${input.placements ? input.placements.source : 'no placement file'}, what Organizations ListParents returns); an account that cannot be placed is observed, never enforced.`,
    );
  return { outcomes, ok: outcomes.every((o) => o.verdict === 'as expected'), notes };
}

/** How an event's outcome differs from its expectations, if it does. */
function mismatchOf(
  e: DrillEvent,
  matched: readonly DetectionId[],
  incidents: readonly DrillIncident[],
): { verdict: 'missed' | 'unexpected'; why: string } | undefined {
  const opened = incidents.filter((i) => i.intake.decision !== 'none').map((i) => i.detection);
  if (e.expected === undefined)
    return opened.length > 0 ? undefined : { verdict: 'missed', why: 'no incident opens' };
  const missing = e.expected.filter((id) => !matched.includes(id));
  if (missing.length) return { verdict: 'missed', why: `no rule ${missing.join(', ')} matches` };
  const extra = matched.filter((id) => !e.expected!.includes(id));
  if (extra.length)
    return {
      verdict: 'unexpected',
      why: `expected ${e.expected.length ? e.expected.join(', ') : 'no incident'}`,
    };
  for (const i of incidents) {
    const want = e.expectedDecisions?.[i.detection];
    if (want === undefined || want === i.intake.decision) continue;
    return {
      verdict: want === 'none' ? 'unexpected' : 'missed',
      why: `the intake decides ${i.intake.decision} for ${i.detection}, expected ${want}`,
    };
  }
  if (e.expectedMode)
    for (const i of incidents)
      if (i.place?.mode !== e.expectedMode)
        return {
          verdict: 'unexpected',
          why: i.place
            ? `account ${i.place.account} is in ${i.place.mode} mode, expected ${e.expectedMode}`
            : `mode ${e.expectedMode} expected, but the configuration has no organization section`,
        };
  return undefined;
}

/** The `--json` form: one entry per event and matching detection. */
export function drillJson(report: DrillReport) {
  return {
    events: report.outcomes.flatMap((o) =>
      o.incidents.map((i) => ({
        file: o.file,
        detection: i.detection,
        decision: i.intake.decision,
        reason: i.intake.reason,
        ...(i.intake.dedupeKey ? { dedupeKey: i.intake.dedupeKey } : {}),
        ...(i.intake.appendsTo ? { appendsTo: i.intake.appendsTo } : {}),
        ...(i.intake.incident ? { incident: i.intake.incident } : {}),
        ...(i.place
          ? { account: i.place.account, region: i.place.region, mode: i.place.mode }
          : {}),
      })),
    ),
    ok: report.ok,
  };
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
      const key = inc.intake.dedupeKey ? ` [dedupe key ${inc.intake.dedupeKey}]` : '';
      lines.push(`    rule ${inc.rule} -> intake${key}`);
      if (inc.place)
        lines.push(
          `      in ${inc.place.account}/${inc.place.region}, mode ${inc.place.mode}: ${inc.place.reason}`,
        );
      if (inc.intake.decision === 'none') {
        lines.push(`      no incident: ${inc.intake.reason}`);
        continue;
      }
      const ops = inc.backend === 'opscenter';
      if (inc.intake.decision === 'append') {
        lines.push(
          ops
            ? `      appended to the OpsItem opened by ${inc.intake.appendsTo} ("seen again" in its operational data); nobody is paged`
            : `      appended to the incident opened by ${inc.intake.appendsTo} ("seen again" on its timeline); nobody is paged`,
        );
        continue;
      }
      lines.push(
        ops
          ? `      opens an OpsItem (category Security, severity ${severityOfImpact(inc.impact)}): ${inc.intake.reason}`
          : `      opens an incident from ${inc.responsePlan}: ${inc.intake.reason}`,
      );
      lines.push(`      "${inc.title}", impact ${inc.impact} (${IMPACT[inc.impact] ?? '?'})`);
      const related = inc.intake.incident?.relatedItems ?? [];
      if (related.length) lines.push(`      related: ${related.map((r) => r.arn).join(', ')}`);
      const order = inc.engagements.map(
        (g) => `${g.atMinute} min ${g.contact} (${g.via.join(', ')})`,
      );
      lines.push(
        `      ${ops ? 'pages through SNS until the OpsItem is In progress' : 'engages'}: ${order.length ? order.join('; ') : 'nobody'}`,
      );
      lines.push(`      runbook: ${inc.runbook} -> function ${inc.invokes}`);
      for (const r of inc.response) lines.push(`      ${r}`);
      if (inc.plans?.length)
        for (const l of renderPlans(inc.plans).split('\n').slice(0, -1)) lines.push(`        ${l}`);
    }
    if (o.mismatch && o.incidents.length > 0)
      lines.push(`    ${o.verdict.toUpperCase()}: ${o.mismatch}`);
  });
  const count = (v: DrillOutcome['verdict']) =>
    report.outcomes.filter((o) => o.verdict === v).length;
  const decided = (d: IntakeVerdict) =>
    report.outcomes.reduce(
      (n, o) => n + o.incidents.filter((i) => i.intake.decision === d).length,
      0,
    );
  for (const n of report.notes) lines.push(`note: ${n}`);
  const modes = report.outcomes.flatMap((o) =>
    o.incidents.filter((i) => i.intake.decision === 'open' && i.place).map((i) => i.place!.mode),
  );
  if (modes.length)
    lines.push(
      `modes of the incidents that open: ${RESPONSE_MODES.map((m) => `${modes.filter((x) => x === m).length} ${m}`).join(', ')}`,
    );
  lines.push(
    `${report.outcomes.length} events: ${decided('open')} incidents would open, ${decided('append')} repeats appended, ${decided('none')} judged harmless; ${count('as expected')} as expected, ${count('missed')} missed, ${count('unexpected')} unexpected`,
  );
  return lines.join('\n');
}
