/**
 * The intake's decision, pure: from one delivered event (and, for a security-group change, the
 * group's verdict under the policy) to "no incident, because …" or the incident to open: its
 * dedupe key, title, impact, related resources and trigger. The Lambda and the drill both call
 * it; neither decides anything itself. Whether the incident is opened or the event appended to
 * one already open is the dedupe table's business (./dedupe.ts).
 */
import { findingFacts } from '../incident/guardduty';
import { eventPlace, partitionOf, placeName, type Place } from '../incident/place';
import { rootActivityFacts } from '../incident/root-activity';
import { GROUP_ID } from '../incident/targets';
import type { LogPointer } from '../incident/timeline';
import { RAW_DATA_MAX } from '../incident/trigger';
import { formatRule, makeRule, type Rule, type Source } from '../policy/rules';
import type { EventEnvelope, IntakeDetection } from './request';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined;

/** StartIncident's title limit. */
export const TITLE_MAX = 200;
/** What the intake names itself as in the trigger (TriggerDetails.source: at most 50 characters). */
export const TRIGGER_SOURCE = 'first-responder.intake';
/** The one-line gist of a repeat, as written on the timeline. */
export const GIST_MAX = 500;

/** A security group's verdict under the policy, as the reverter's read and planner give it. */
export type GroupVerdict =
  | {
      readonly groupId: string;
      readonly status: 'noncompliant';
      /** What the reverter would revoke, "tcp 22 from 0.0.0.0/0". */
      readonly revoke: readonly string[];
    }
  | {
      readonly groupId: string;
      readonly status: 'compliant' | 'exempt' | 'gone' | 'unknown';
      readonly reason: string;
    };

export interface RelatedResource {
  readonly arn: string;
  readonly title: string;
}

/** The incident to open, whatever the backend. */
export interface IncidentDraft {
  readonly detection: IntakeDetection;
  readonly title: string;
  /** 1 (critical) to 5 (no impact). */
  readonly impact: number;
  readonly relatedItems: readonly RelatedResource[];
  readonly trigger: {
    readonly source: string;
    /** When the event happened, ISO 8601. */
    readonly timestamp: string;
    /** The event as compact JSON: whole when it fits, never cut mid-JSON. */
    readonly rawData: string;
    readonly triggerArn?: string;
  };
}

export type IntakeDecision =
  | {
      readonly kind: 'none';
      readonly detection: IntakeDetection;
      readonly dedupeKey?: string;
      readonly reason: string;
      /** Organization mode: where the event happened. */
      readonly place?: Place;
    }
  | {
      readonly kind: 'incident';
      readonly detection: IntakeDetection;
      readonly dedupeKey: string;
      readonly reason: string;
      /** One line for the timeline when this event repeats an open incident. */
      readonly gist: string;
      readonly incident: IncidentDraft;
      /** Organization mode: where the event happened, also named on each repeat's note. */
      readonly place?: Place;
    };

export interface IntakeInput {
  readonly detection: IntakeDetection;
  readonly event: EventEnvelope;
  /** The EventBridge rule that matched, as the target's input transformer passes it. */
  readonly ruleArn?: string;
  /** The response plan's impact, used unless the event carries a severity. */
  readonly planImpact: number;
  /** Security-group changes: the group's verdict, read live (Lambda) or from a snapshot (drill). */
  readonly group?: GroupVerdict;
  /** Where the full event is logged, named in the trigger. */
  readonly log?: LogPointer;
  /**
   * Organization mode: the event may come from any account and region, so the place is read
   * from where the event happened (a GuardDuty finding's own account and region, not the
   * delegated administrator's that delivered it) and named in the title and the repeat notes.
   * @default false (a single account: the envelope's account and region, titles unchanged)
   */
  readonly organization?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Facts read from the event

export function groupArn(place: Place, groupId: string): string {
  return `arn:${partitionOf(place.region)}:ec2:${place.region}:${place.account}:security-group/${groupId}`;
}

/**
 * Where an event's resources are (../incident/place.ts): an event forwarded from a member keeps
 * its own `account` and `region`; a GuardDuty finding names the member's in its detail (the
 * envelope names the delegated administrator). The envelope when the finding names no valid place.
 */
export function placeOf(detection: IntakeDetection, event: EventEnvelope): Place {
  const envelope = { account: event.account, region: event.region };
  return detection === 'guardDutyFinding' ? (eventPlace(event) ?? envelope) : envelope;
}

/** Who made a CloudTrail call, in the fewest words a responder recognises. */
export function actorOf(detail: Json): string {
  const who = obj(detail.userIdentity);
  const arn = str(who.arn);
  const tail = arn?.slice(arn.lastIndexOf('/') + 1);
  switch (str(who.type)) {
    case 'Root':
      return 'root';
    case 'IAMUser':
      return str(who.userName) ?? tail ?? 'an IAM user';
    case 'AssumedRole':
      // The session name: the person or tool behind the role.
      return tail ?? str(who.principalId) ?? 'an assumed role';
    case 'AWSService':
      return str(who.invokedBy) ?? 'an AWS service';
    default:
      return str(who.userName) ?? tail ?? str(who.principalId) ?? 'an unknown caller';
  }
}

function source(kind: Source['kind'], value: unknown): Source | undefined {
  const v = str(value);
  return v ? { kind, value: v } : undefined;
}

/** The ingress a CloudTrail AuthorizeSecurityGroupIngress or ModifySecurityGroupRules granted. */
export function grantsOf(detail: Json): Rule[] {
  const req = obj(detail.requestParameters);
  const rules: Rule[] = [];
  const push = (p: unknown, from: unknown, to: unknown, sources: (Source | undefined)[]) => {
    const protocol = str(p) ?? (typeof p === 'number' ? String(p) : '-1');
    for (const s of sources)
      if (s) rules.push(makeRule(protocol, num(from) ?? -1, num(to) ?? -1, s));
  };
  for (const item of arr(obj(req.ipPermissions).items)) {
    const p = obj(item);
    push(p.ipProtocol, p.fromPort, p.toPort, [
      ...arr(obj(p.ipRanges).items).map((r) => source('cidrIpv4', obj(r).cidrIp)),
      ...arr(obj(p.ipv6Ranges).items).map((r) => source('cidrIpv6', obj(r).cidrIpv6)),
      ...arr(obj(p.prefixListIds).items).map((r) => source('prefixListId', obj(r).prefixListId)),
      ...arr(obj(p.groups).items).map((r) => source('referencedGroupId', obj(r).groupId)),
    ]);
  }
  // The legacy form: one CIDR at the top of the request.
  if (req.cidrIp !== undefined)
    push(req.ipProtocol, req.fromPort, req.toPort, [source('cidrIpv4', req.cidrIp)]);
  // One rule is an object, several an array (CloudTrail's rendering of the list).
  for (const item of arr(obj(req.ModifySecurityGroupRulesRequest).SecurityGroupRule)) {
    const r = obj(obj(item).SecurityGroupRule);
    push(r.IpProtocol, r.FromPort, r.ToPort, [
      source('cidrIpv4', r.CidrIpv4),
      source('cidrIpv6', r.CidrIpv6),
      source('prefixListId', r.PrefixListId),
      source('referencedGroupId', r.ReferencedGroupId),
    ]);
  }
  return rules;
}

/** "tcp 22 to 0.0.0.0/1, 128.0.0.0/1; udp 53 to ::/0": sources gathered per protocol and ports. */
export function describeGrants(rules: readonly Rule[]): string {
  const bySpan = new Map<string, string[]>();
  for (const r of rules) {
    const full = formatRule(r);
    const span = full.slice(0, full.length - ` from ${r.source.value}`.length);
    const list = bySpan.get(span);
    if (list) list.push(r.source.value);
    else bySpan.set(span, [r.source.value]);
  }
  return [...bySpan].map(([span, sources]) => `${span} to ${sources.join(', ')}`).join('; ');
}

/** The group a security-group call changed: the request names it, or the response does. */
export function changedGroupId(detail: Json): string | undefined {
  const req = obj(detail.requestParameters);
  const candidates = [
    str(req.groupId),
    str(obj(req.ModifySecurityGroupRulesRequest).GroupId),
    ...arr(obj(obj(detail.responseElements).securityGroupRuleSet).items).map((i) =>
      str(obj(i).groupId),
    ),
  ];
  return candidates.find((id): id is string => id !== undefined && GROUP_ID.test(id));
}

function utcDay(...times: (string | undefined)[]): string {
  for (const t of times) {
    const d = t ? new Date(t) : undefined;
    if (d && !Number.isNaN(d.getTime())) return d.toISOString().slice(0, 10);
  }
  return 'unknown-day';
}

function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `text`, cut so that `suffix` (the place) always fits whole after it. */
function fitWith(text: string, suffix: string, max: number): string {
  return `${fit(text, max - suffix.length)}${suffix}`;
}

// ---------------------------------------------------------------------------------------------
// The trigger: the compact event, never cut mid-JSON

/** What the runbooks and the incident handlers read from the trigger, per detection. */
const ESSENTIAL: Record<IntakeDetection, readonly string[]> = {
  guardDutyFinding: [
    'detail.id',
    'detail.type',
    'detail.title',
    'detail.severity',
    'detail.accountId',
    'detail.region',
    'detail.updatedAt',
    'detail.resource.resourceType',
    'detail.resource.instanceDetails.instanceId',
    'detail.resource.instanceDetails.networkInterfaces.securityGroups',
    'detail.resource.accessKeyDetails',
    'detail.service.additionalInfo.sample',
    'detail.service.count',
    'detail.service.eventLastSeen',
  ],
  configNoncompliance: [
    'detail.configRuleName',
    'detail.resourceType',
    'detail.resourceId',
    'detail.awsAccountId',
    'detail.awsRegion',
    'detail.messageType',
    'detail.newEvaluationResult.complianceType',
    'detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier',
  ],
  rootActivity: [
    'detail.eventName',
    'detail.eventSource',
    'detail.eventTime',
    'detail.awsRegion',
    'detail.sourceIPAddress',
    'detail.userAgent',
    'detail.errorCode',
    'detail.errorMessage',
    'detail.userIdentity',
    'detail.additionalEventData.MFAUsed',
    'detail.responseElements.ConsoleLogin',
  ],
  securityGroupOpened: [
    'detail.eventName',
    'detail.eventSource',
    'detail.eventTime',
    'detail.awsRegion',
    'detail.sourceIPAddress',
    'detail.userIdentity.type',
    'detail.userIdentity.arn',
    'detail.requestParameters.groupId',
    'detail.requestParameters.ModifySecurityGroupRulesRequest.GroupId',
    'detail.responseElements.securityGroupRuleSet.items.groupId',
  ],
};
const ENVELOPE = ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region'];

/** Copies only the given dotted paths of `value`, reading through arrays as EventBridge does. */
export function pickPaths(value: unknown, paths: readonly string[]): unknown {
  const split = paths.map((p) => p.split('.'));
  const pick = (v: unknown, rest: readonly string[][]): unknown => {
    if (rest.some((r) => r.length === 0)) return v;
    if (Array.isArray(v)) return v.map((x) => pick(x, rest));
    if (typeof v !== 'object' || v === null) return undefined;
    const out: Json = {};
    for (const key of new Set(rest.map((r) => r[0]!))) {
      const child = (v as Json)[key];
      if (child === undefined) continue;
      const picked = pick(
        child,
        rest.filter((r) => r[0] === key).map((r) => r.slice(1)),
      );
      if (picked !== undefined) out[key] = picked;
    }
    return out;
  };
  return pick(value, split);
}

/**
 * The trigger's rawData: the whole event when it fits in Incident Manager's 10,000 characters;
 * otherwise the fields the runbooks read; otherwise the envelope alone. Each form is complete
 * JSON and says where the full event is logged, and whether (and how) it was compacted.
 */
export function triggerRawData(
  detection: IntakeDetection,
  event: EventEnvelope,
  log: LogPointer | undefined,
): string {
  const full = JSON.stringify(event);
  const marker = (kept?: string) => ({
    'first-responder': {
      ...(log ? { fullEventLog: log } : {}),
      ...(kept ? { compacted: { originalChars: full.length, kept } } : {}),
    },
  });
  const whole = JSON.stringify({ ...event, ...marker() });
  if (whole.length <= RAW_DATA_MAX) return whole;
  const essential = pickPaths(event, [...ENVELOPE, ...ESSENTIAL[detection]]) as Json;
  const short = JSON.stringify({ ...essential, ...marker('the fields the runbooks read') });
  if (short.length <= RAW_DATA_MAX) return short;
  return JSON.stringify({ ...(pickPaths(event, ENVELOPE) as Json), ...marker('the envelope') });
}

// ---------------------------------------------------------------------------------------------
// Per detection

interface Judged {
  readonly dedupeKey: string;
  readonly title: string;
  readonly impact: number;
  readonly relatedItems: readonly RelatedResource[];
  readonly gist: string;
  readonly reason: string;
}

type Verdict = Judged | { readonly none: string; readonly dedupeKey?: string };

/** GuardDuty severity to incident impact: Critical 1, High 2, Medium 3, Low 4; samples 5. */
export function impactOfSeverity(severity: number, sample: boolean): number {
  if (sample) return 5;
  if (severity >= 9) return 1;
  if (severity >= 7) return 2;
  if (severity >= 4) return 3;
  return 4;
}

function guardDuty(event: EventEnvelope, place: Place): Verdict {
  const f = findingFacts(event);
  const d = obj(event.detail);
  const service = obj(d.service);
  const severity = f.severity ?? 0;
  const label = `${f.sample ? 'SAMPLE ' : ''}${f.severityLabel ?? 'unknown severity'}`;
  const on = f.instanceId ?? f.resourceType ?? 'a resource';
  const related: RelatedResource[] = [];
  // A sample finding names placeholder resources: nothing real to relate.
  if (!f.sample && f.instanceId) {
    const p = partitionOf(place.region);
    related.push({
      arn: `arn:${p}:ec2:${place.region}:${place.account}:instance/${f.instanceId}`,
      title: `Instance ${f.instanceId}`,
    });
    for (const eni of arr(obj(obj(d.resource).instanceDetails).networkInterfaces))
      for (const g of arr(obj(eni).securityGroups)) {
        const id = str(obj(g).groupId);
        if (id && GROUP_ID.test(id) && !related.some((r) => r.arn.endsWith(`/${id}`)))
          related.push({ arn: groupArn(place, id), title: `Security group ${id}` });
      }
  }
  return {
    // A sample finding is a test: CreateSampleFindings may publish the same finding ID again,
    // and each run of `first-responder validate` must see its own incident.
    dedupeKey: `guardduty#${place.account}#${place.region}#${f.id ?? event.id}${f.sample ? `#sample#${event.id}` : ''}`,
    title: `GuardDuty ${label}: ${f.type} on ${on}`,
    impact: impactOfSeverity(severity, f.sample),
    relatedItems: related,
    gist: `GuardDuty finding seen again: severity ${severity}, count ${num(service.count) ?? '?'}, last seen ${str(service.eventLastSeen) ?? str(d.updatedAt) ?? event.time}`,
    reason: `GuardDuty finding ${f.id ?? '?'} at severity ${severity} (${label})`,
  };
}

function configNoncompliance(event: EventEnvelope, place: Place, planImpact: number): Verdict {
  const d = obj(event.detail);
  const qualifier = obj(
    obj(obj(d.newEvaluationResult).evaluationResultIdentifier).evaluationResultQualifier,
  );
  const rule = str(d.configRuleName) ?? '?';
  const type = str(d.resourceType) ?? str(qualifier.resourceType) ?? 'resource';
  const id = str(d.resourceId) ?? str(qualifier.resourceId) ?? '?';
  const compliance = str(obj(d.newEvaluationResult).complianceType);
  if (compliance !== 'NON_COMPLIANT')
    return {
      none: `AWS Config reports ${type} ${id} ${compliance ?? 'without a result'}, not NON_COMPLIANT`,
    };
  const isGroup = type === 'AWS::EC2::SecurityGroup' && GROUP_ID.test(id);
  const related: RelatedResource[] = isGroup
    ? [{ arn: groupArn(place, id), title: `Security group ${id}` }]
    : type === 'AWS::S3::Bucket'
      ? [{ arn: `arn:${partitionOf(place.region)}:s3:::${id}`, title: `S3 bucket ${id}` }]
      : id.startsWith('arn:')
        ? [{ arn: id, title: `${type} ${id}` }]
        : [];
  return {
    // A group is one problem however it was seen: Config and CloudTrail share its key.
    dedupeKey: isGroup
      ? securityGroupKey(place, id)
      : `config#${place.account}#${place.region}#${rule}#${type}#${id}`,
    title: `AWS Config ${rule}: ${type} ${id} is noncompliant`,
    impact: planImpact,
    relatedItems: related,
    gist: `AWS Config rule ${rule} reported ${id} NON_COMPLIANT again at ${str(d.notificationCreationTime) ?? event.time}`,
    reason: `AWS Config rule ${rule} found ${type} ${id} noncompliant`,
  };
}

function rootActivity(event: EventEnvelope, place: Place, planImpact: number): Verdict {
  const d = obj(event.detail);
  const a = rootActivityFacts(event);
  const principal = str(obj(d.userIdentity).arn) ?? place.account;
  const ip = a.sourceIp ?? 'unknown-ip';
  const outcome = a.outcome === 'success' ? '' : ' (FAILED)';
  return {
    // One incident per root session as far as CloudTrail shows one: who, from where, which day.
    // No region: the root user is global, and one session acting in two regions is one incident
    // (each region's calls are appended to it, and the note names the region).
    dedupeKey: `root#${place.account}#${principal}#${ip}#${utcDay(a.time, event.time)}`,
    title: `Root user ${a.action}${outcome} from ${ip}, MFA ${a.mfa}`,
    impact: planImpact,
    relatedItems: [],
    gist: `Root user ${a.action}${outcome} from ${ip} at ${a.time ?? event.time}`,
    reason: `root user activity: ${a.action}${outcome}`,
  };
}

/** A security group's dedupe key: CloudTrail and Config share it, and it names the group's place. */
export function securityGroupKey(place: Place, groupId: string): string {
  return `sg#${place.account}#${place.region}#${groupId}`;
}

function securityGroupOpened(
  event: EventEnvelope,
  place: Place,
  planImpact: number,
  group: GroupVerdict | undefined,
): Verdict {
  const d = obj(event.detail);
  const groupId = changedGroupId(d);
  const actor = actorOf(d);
  const grants = describeGrants(grantsOf(d)) || 'a rule';
  if (!groupId)
    return {
      none: `the ${str(d.eventName)} call names no security-group ID; nothing to judge`,
    };
  const dedupeKey = securityGroupKey(place, groupId);
  const judged: GroupVerdict =
    group?.groupId === groupId
      ? group
      : { groupId, status: 'unknown', reason: 'the group was not read' };
  switch (judged.status) {
    case 'compliant':
    case 'exempt':
    case 'gone':
      return {
        dedupeKey,
        none: `${groupId} ${judged.status === 'gone' ? 'no longer exists' : judged.status === 'exempt' ? 'is exempt' : 'complies with the policy'} after ${actor} opened ${grants}: ${judged.reason}`,
      };
    case 'unknown':
    case 'noncompliant': {
      const verified = judged.status === 'noncompliant';
      return {
        dedupeKey,
        title: `${groupId} opened ${grants} by ${actor}${verified ? '' : '; not verified'}`,
        impact: planImpact,
        relatedItems: [{ arn: groupArn(place, groupId), title: `Security group ${groupId}` }],
        gist: `${str(d.eventName)} by ${actor} at ${str(d.eventTime) ?? event.time}: ${grants}`,
        reason: verified
          ? `${groupId} is out of policy: the reverter would revoke ${judged.revoke.join(', ')}`
          : `${groupId} could not be judged (${judged.reason}); opened to be safe`,
      };
    }
  }
}

/** The intake's decision for one delivered event. */
export function decideIntake(input: IntakeInput): IntakeDecision {
  const { detection, event } = input;
  // A single account keeps the envelope's place, exactly as before organization mode.
  const organization = input.organization === true;
  const place = organization
    ? placeOf(detection, event)
    : { account: event.account, region: event.region };
  const verdict: Verdict =
    detection === 'guardDutyFinding'
      ? guardDuty(event, place)
      : detection === 'configNoncompliance'
        ? configNoncompliance(event, place, input.planImpact)
        : detection === 'rootActivity'
          ? rootActivity(event, place, input.planImpact)
          : securityGroupOpened(event, place, input.planImpact, input.group);
  const where = organization ? { place } : {};
  if ('none' in verdict)
    return {
      kind: 'none',
      detection,
      ...(verdict.dedupeKey ? { dedupeKey: verdict.dedupeKey } : {}),
      reason: organization ? `${verdict.none} (in ${placeName(place)})` : verdict.none,
      ...where,
    };
  const suffix = organization ? ` in ${placeName(place)}` : '';
  return {
    kind: 'incident',
    detection,
    dedupeKey: verdict.dedupeKey,
    reason: verdict.reason,
    gist: fitWith(verdict.gist, suffix, GIST_MAX),
    ...where,
    incident: {
      detection,
      title: fitWith(verdict.title, suffix, TITLE_MAX),
      impact: verdict.impact,
      relatedItems: verdict.relatedItems,
      trigger: {
        source: TRIGGER_SOURCE,
        timestamp: event.time,
        rawData: triggerRawData(detection, event, input.log),
        ...(input.ruleArn ? { triggerArn: input.ruleArn } : {}),
      },
    },
  };
}
