/**
 * What first-responder writes on an incident's timeline, and the one reader of it: one record
 * per security group it touched (data, so `restore` can undo it), and notes for everything else.
 * The summaries are for people; code reads the fields, never the sentences.
 * Pure: rendering and parsing only.
 */
import * as z from 'zod';
import { GROUP_STATUSES, type GroupResult } from '../policy/results';
import { RESPONSE_MODES, type ResponseMode } from '../policy/scope';
import { formatRule, ruleFromJson, type RuleJson } from '../policy/rules';
import { placeName, type Place } from './place';

/** CreateTimelineEvent's documented maximum for eventData. */
export const TIMELINE_EVENT_DATA_MAX = 12_000;
export const RECORD_KIND = 'first-responder/security-group';
/** A group's record too large even without its before-state: counts, and where the rest is. */
export const RECORD_IN_LOG_KIND = 'first-responder/security-group-in-log';
export const NOTE_KIND = 'first-responder/note';

/** Whether a record's text fits in a timeline event. */
export const fitsTimeline = (eventData: string): boolean =>
  eventData.length <= TIMELINE_EVENT_DATA_MAX;

/** Where the complete record is when it does not fit on the timeline. */
export interface LogPointer {
  readonly logGroup?: string;
  readonly logStream?: string;
  readonly requestId?: string;
}

const ruleSchema = z
  .object({
    protocol: z.string(),
    fromPort: z.number(),
    toPort: z.number(),
    description: z.string().optional(),
    cidrIpv4: z.string().optional(),
    cidrIpv6: z.string().optional(),
    prefixListId: z.string().optional(),
    referencedGroupId: z.string().optional(),
    ruleId: z.string().optional(),
  })
  .refine(
    (r) =>
      [r.cidrIpv4, r.cidrIpv6, r.prefixListId, r.referencedGroupId].filter((v) => v !== undefined)
        .length === 1,
    { error: 'a rule has exactly one source' },
  );

/** Where a record too large for the timeline is kept in full. */
export const logPointerSchema = z.object({
  logGroup: z.string().optional(),
  logStream: z.string().optional(),
  requestId: z.string().optional(),
});

export const remediationRecordSchema = z.object({
  kind: z.literal(RECORD_KIND),
  version: z.literal(1),
  summary: z.string(),
  groupId: z.string(),
  /**
   * Organization mode: the member account and region of the group, and the mode it was handled
   * in. Absent in a single-account deployment: the incident's own account and region.
   */
  account: z.string().optional(),
  region: z.string().optional(),
  mode: z.enum(RESPONSE_MODES).optional(),
  status: z.enum(GROUP_STATUSES),
  reason: z.string().optional(),
  revoked: z.array(ruleSchema),
  authorized: z.array(ruleSchema),
  /** The complete ingress before; left out (and pointed to) when it does not fit. */
  before: z.array(ruleSchema).optional(),
  beforeCount: z.number().optional(),
  fullRecord: logPointerSchema.optional(),
});

export type RemediationRecord = z.infer<typeof remediationRecordSchema>;

export const recordInLogSchema = z.object({
  kind: z.literal(RECORD_IN_LOG_KIND),
  version: z.literal(1),
  summary: z.string(),
  groupId: z.string(),
  /**
   * Organization mode: the member account and region of the group, and the mode it was handled
   * in. Absent in a single-account deployment: the incident's own account and region.
   */
  account: z.string().optional(),
  region: z.string().optional(),
  mode: z.enum(RESPONSE_MODES).optional(),

  status: z.enum(GROUP_STATUSES),
  revokedCount: z.number(),
  authorizedCount: z.number(),
  fullRecord: logPointerSchema,
});

export type RecordInLog = z.infer<typeof recordInLogSchema>;

/** What `restore` writes in its note, so that a second restore knows what was undone. */
export interface RestoreDetails {
  /** The timeline events whose records were restored. */
  readonly restoredEvents: readonly string[];
  readonly groups: readonly {
    readonly groupId: string;
    readonly reauthorized: readonly RuleJson[];
    readonly revoked: readonly RuleJson[];
  }[];
  /** The caller's ARN. */
  readonly by: string;
  /** ISO 8601. */
  readonly at: string;
}

/** A note: a summary a person reads, and details for scripts (loose: each writer adds its own). */
export const noteSchema = z.looseObject({
  kind: z.literal(NOTE_KIND),
  version: z.literal(1),
  summary: z.string(),
  restoredEvents: z.array(z.string()).optional(),
});

export type TimelineNote = z.infer<typeof noteSchema>;

const timelineRecordSchema = z.discriminatedUnion('kind', [
  remediationRecordSchema,
  recordInLogSchema,
  noteSchema,
]);

/** Anything first-responder wrote on a timeline, told apart by its `kind`. */
export type TimelineRecord = z.infer<typeof timelineRecordSchema>;

const list = (rules: readonly RuleJson[]) =>
  rules.map((r) => formatRule(ruleFromJson(r))).join(', ');

/**
 * Organization mode: where a record's group is and the mode it was handled in. Absent in a
 * single-account deployment, whose records stay as they were.
 */
export interface RecordScope extends Place {
  readonly mode: ResponseMode;
  /** Why a plan was only recorded ("observe mode"); @default "dry run" */
  readonly held?: string;
}

const scopeFields = (scope: RecordScope | undefined) =>
  scope ? { account: scope.account, region: scope.region, mode: scope.mode } : {};

/** One sentence a responder reads first; in organization mode it starts with "account/region". */
export function summarize(result: GroupResult, scope?: RecordScope): string {
  const sentence = summarizeGroup(result, scope?.held ?? 'dry run');
  return scope ? `${placeName(scope)} ${sentence}` : sentence;
}

function summarizeGroup(result: GroupResult, held: string): string {
  const g = result.groupId;
  switch (result.status) {
    case 'remediated':
      return `${g}: revoked ${list(result.revoked) || 'nothing'}; authorized ${list(result.authorized) || 'nothing'}`;
    case 'planned':
      return `${g} (${held}): would revoke ${list(result.revoked) || 'nothing'}; would authorize ${list(result.authorized) || 'nothing'}`;
    case 'compliant':
      return `${g}: already complies with the policy, nothing changed`;
    case 'exempt':
      return `${g}: exempt (${result.reason ?? 'tagged'}), nothing changed`;
    case 'gone':
      return `${g}: no longer exists, nothing to change`;
    case 'refused':
      return `${g}: REFUSED, nothing changed: ${result.reason ?? ''}`;
    case 'failed':
      return `${g}: FAILED: ${result.reason ?? ''}${result.authorized.length ? `; already authorized ${list(result.authorized)}` : ''}${result.revoked.length ? `; already revoked ${list(result.revoked)}` : ''}`;
    case 'not-attempted':
      return `${g}: NOT ATTEMPTED, nothing changed: ${result.reason ?? 'deadline'}`;
  }
}

/**
 * The timeline record for one group: complete when it fits in a timeline event; otherwise the
 * before-state is left out and the record points to the log line that has everything.
 */
export function remediationRecord(
  result: GroupResult,
  pointer: LogPointer,
  fits: (eventData: string) => boolean = fitsTimeline,
  scope?: RecordScope,
): string {
  const record: RemediationRecord = {
    kind: RECORD_KIND,
    version: 1,
    summary: summarize(result, scope),
    groupId: result.groupId,
    ...scopeFields(scope),
    status: result.status,
    ...(result.reason ? { reason: result.reason } : {}),
    revoked: [...result.revoked],
    authorized: [...result.authorized],
    ...(result.before ? { before: [...result.before] } : {}),
  };
  const full = JSON.stringify(record);
  if (fits(full)) return full;
  const { before: _before, ...rest } = record;
  const short = JSON.stringify({
    ...rest,
    beforeCount: result.before?.length ?? 0,
    fullRecord: pointer,
  });
  if (fits(short)) return short;
  // Even the changes do not fit: the counts and the pointer, as data.
  const inLog: RecordInLog = {
    kind: RECORD_IN_LOG_KIND,
    version: 1,
    summary: `${scope ? `${placeName(scope)} ` : ''}${result.groupId}: ${result.status}, ${result.revoked.length} revoked and ${result.authorized.length} authorized; the complete record is in the function's log`,
    groupId: result.groupId,
    ...scopeFields(scope),
    status: result.status,
    revokedCount: result.revoked.length,
    authorizedCount: result.authorized.length,
    fullRecord: pointer,
  };
  return JSON.stringify(inLog);
}

export function noteRecord(
  summary: string,
  details: Record<string, unknown> = {},
  fits: (eventData: string) => boolean = fitsTimeline,
): string {
  const text = JSON.stringify({ kind: NOTE_KIND, version: 1, summary, ...details });
  return fits(text)
    ? text
    : JSON.stringify({ kind: NOTE_KIND, version: 1, summary: summary.slice(0, 4000) });
}

/** Reads back what first-responder wrote; undefined for anything else on the timeline. */
export function parseTimelineRecord(eventData: string | undefined): TimelineRecord | undefined {
  if (!eventData) return undefined;
  try {
    const parsed = timelineRecordSchema.safeParse(JSON.parse(eventData));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A group's record (for restore); undefined for anything else on the timeline. */
export function parseRemediationRecord(
  eventData: string | undefined,
): RemediationRecord | undefined {
  const record = parseTimelineRecord(eventData);
  return record?.kind === RECORD_KIND ? record : undefined;
}
