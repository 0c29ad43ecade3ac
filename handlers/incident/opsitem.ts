/**
 * An incident as an OpsCenter OpsItem, pure: the CreateOpsItem fields from the intake's draft,
 * the operational-data keys first-responder writes, and the bounded logs ("seen again", pages)
 * kept in one operational-data value each. The SSM adapter is ../aws/opsitems.ts.
 *
 * OpsCenter's documented limits (CreateOpsItem / UpdateOpsItem API reference): Title 1-1024,
 * Description 1-2048 (Markdown), Source 1-128, Severity "1"-"4", Category one of Availability,
 * Cost, Performance, Recovery, Security; an operational-data key is at most 128 characters and
 * may not start with aws, amazon, amzn or ssm (with or without "/") except the reserved keys
 * below; a value is at most 20 KB.
 */
import type { IncidentDraft } from '../intake/decide';

export const OPSITEM_TYPE = '/aws/issue';
export const OPSITEM_CATEGORY = 'Security';
export const OPSITEM_SOURCE = 'first-responder';
export const TITLE_MAX = 1024;
export const DESCRIPTION_MAX = 2048;
/** Operational data: the documented maximum of one value, in bytes. */
export const DATA_VALUE_MAX = 20 * 1024;

/** The operational-data keys: reserved ones that OpsCenter reads, and first-responder's own. */
export const DATA_KEYS = {
  /** OpsCenter's deduplication: {"dedupString": …}. */
  dedup: '/aws/dedup',
  /** Related resources, shown in the console: [{"arn": …}]. */
  resources: '/aws/resources',
  /** Runbooks associated with the OpsItem: [{"automationType", "automationId"}]. */
  automations: '/aws/automations',
  detection: '/first-responder/detection',
  dedupeKey: '/first-responder/dedupe-key',
  /** The event that opened it (the trigger's rawData, at most 10,000 characters). */
  event: '/first-responder/event',
  /** The runbook execution the intake started. */
  runbook: '/first-responder/runbook',
  /** Repeats of the event: a bounded log. */
  seenAgain: '/first-responder/seen-again',
  /** Every page the escalation sent: a bounded log. */
  pages: '/first-responder/pages',
  /** The response functions' records (./timeline.ts), one key each: this prefix and a token. */
  recordPrefix: '/first-responder/record/',
} as const;

export interface DataValue {
  readonly Value: string;
  readonly Type: 'SearchableString' | 'String';
}

/** Incident impact (1 critical .. 5 none) to OpsItem severity ("1" critical .. "4" low). */
export function severityOfImpact(impact: number): '1' | '2' | '3' | '4' {
  if (impact <= 1) return '1';
  if (impact === 2) return '2';
  if (impact === 3) return '3';
  return '4';
}

function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export interface OpsItemRequest {
  readonly Title: string;
  readonly Description: string;
  readonly Source: string;
  readonly OpsItemType: string;
  readonly Category: string;
  readonly Severity: string;
  readonly Priority: number;
  readonly OperationalData: Record<string, DataValue>;
  readonly Notifications?: { Arn: string }[];
}

/** The CreateOpsItem request for an incident; `dedupeKey` becomes OpsCenter's dedup string. */
export function opsItemRequest(
  draft: IncidentDraft,
  dedupeKey: string,
  notificationTopicArn?: string,
): OpsItemRequest {
  const resources = draft.relatedItems.map((r) => `- ${r.title}: \`${r.arn}\``);
  const description = [
    `**${draft.title}**`,
    `Opened by first-responder for detection \`${draft.detection}\` from an event at ${draft.trigger.timestamp}.`,
    resources.length ? `Resources:\n${resources.join('\n')}` : 'No resource is named.',
    `The event is in operational data \`${DATA_KEYS.event}\`; repeats in \`${DATA_KEYS.seenAgain}\`, pages in \`${DATA_KEYS.pages}\`. Set the OpsItem to In progress to acknowledge and stop the paging.`,
  ].join('\n\n');
  const data: Record<string, DataValue> = {
    [DATA_KEYS.dedup]: {
      Value: JSON.stringify({ dedupString: dedupeKey }),
      Type: 'SearchableString',
    },
    [DATA_KEYS.detection]: { Value: draft.detection, Type: 'SearchableString' },
    [DATA_KEYS.dedupeKey]: { Value: dedupeKey, Type: 'SearchableString' },
    // The trigger's rawData is complete JSON of at most 10,000 characters: it fits in 20 KB.
    [DATA_KEYS.event]: { Value: draft.trigger.rawData, Type: 'String' },
  };
  if (draft.relatedItems.length)
    data[DATA_KEYS.resources] = {
      Value: JSON.stringify(draft.relatedItems.map((r) => ({ arn: r.arn }))),
      Type: 'SearchableString',
    };
  return {
    Title: fit(draft.title, TITLE_MAX),
    Description: fit(description, DESCRIPTION_MAX),
    Source: OPSITEM_SOURCE,
    OpsItemType: OPSITEM_TYPE,
    Category: OPSITEM_CATEGORY,
    Severity: severityOfImpact(draft.impact),
    Priority: Math.min(5, Math.max(1, Math.round(draft.impact))),
    OperationalData: data,
    ...(notificationTopicArn ? { Notifications: [{ Arn: notificationTopicArn }] } : {}),
  };
}

/** One entry of a bounded log: `id` makes a retried write find itself. */
export interface LogEntry {
  readonly id: string;
  readonly at: string;
  readonly text: string;
  readonly [key: string]: unknown;
}

/** A bounded log in one operational-data value: how many were written, and the latest. */
export interface BoundedLog {
  readonly count: number;
  readonly latest: readonly LogEntry[];
}

/** Entries kept in full; older ones are counted only. */
export const LOG_KEEP = 10;
/** An entry's text, at most: LOG_KEEP entries stay far below a value's 20 KB. */
export const LOG_TEXT_MAX = 1000;

export function parseLog(value: string | undefined): BoundedLog {
  if (!value) return { count: 0, latest: [] };
  try {
    const v = JSON.parse(value) as Partial<BoundedLog>;
    const latest = Array.isArray(v.latest)
      ? v.latest.filter(
          (e): e is LogEntry =>
            typeof e === 'object' && e !== null && typeof (e as LogEntry).id === 'string',
        )
      : [];
    return { count: typeof v.count === 'number' ? v.count : latest.length, latest };
  } catch {
    return { count: 0, latest: [] };
  }
}

/** The log with `entry` added, or undefined when it is there already (a retry). */
export function addToLog(log: BoundedLog, entry: LogEntry): BoundedLog | undefined {
  if (log.latest.some((e) => e.id === entry.id)) return undefined;
  const kept = { ...entry, text: fit(entry.text, LOG_TEXT_MAX) };
  return { count: log.count + 1, latest: [...log.latest, kept].slice(-LOG_KEEP) };
}

/** The log as an operational-data value, shrunk until it fits (it always does at LOG_KEEP). */
export function renderLog(log: BoundedLog): string {
  let latest = log.latest;
  let text = JSON.stringify({ count: log.count, latest });
  while (Buffer.byteLength(text) > DATA_VALUE_MAX && latest.length > 1) {
    latest = latest.slice(1);
    text = JSON.stringify({ count: log.count, latest });
  }
  return text;
}

/** OpsItem status to the intake's: Open and InProgress are open; Resolved (or any other) is not. */
export function intakeStatusOf(status: string | undefined): 'open' | 'resolved' {
  return status === 'Open' || status === 'InProgress' ? 'open' : 'resolved';
}

/** Anyone who set the OpsItem to InProgress or Resolved has acknowledged it. */
export function isAcknowledged(status: string | undefined): boolean {
  return status !== undefined && status !== 'Open';
}

/** OpsItem IDs: "oi-" and 12 hex digits. */
export { OPS_ITEM_ID } from '../shared/requests';

/** A record kept in operational data: the timeline text, when, and the resources it is about. */
export interface OpsItemRecord {
  readonly at: string;
  /** Its place among the records the writer saw (ties of `at` within one invocation). */
  readonly n: number;
  readonly references: readonly string[];
  readonly eventData: string;
}

/** The key of one record: the prefix and 32 hex digits of its token (keys are at most 128). */
export function recordKey(token: string): string {
  return `${DATA_KEYS.recordPrefix}${token.slice(0, 32)}`;
}

export function renderRecord(record: OpsItemRecord): string {
  return JSON.stringify(record);
}

/** Whether a record with this text fits in one value (the references and time take the rest). */
export function fitsRecordValue(eventData: string): boolean {
  // Room for the time and ten references: 11 x 256 bytes.
  return Buffer.byteLength(JSON.stringify(eventData)) <= DATA_VALUE_MAX - 11 * 256;
}

/** Every record in an OpsItem's operational data, oldest first; others keys are ignored. */
export function recordsIn(
  data: Record<string, { Value?: string | undefined }> | undefined,
): { readonly key: string; readonly record: OpsItemRecord }[] {
  const out: { key: string; record: OpsItemRecord }[] = [];
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!key.startsWith(DATA_KEYS.recordPrefix) || !value.Value) continue;
    try {
      const v = JSON.parse(value.Value) as Partial<OpsItemRecord>;
      if (typeof v.eventData === 'string' && typeof v.at === 'string')
        out.push({
          key,
          record: {
            at: v.at,
            n: typeof v.n === 'number' ? v.n : 0,
            eventData: v.eventData,
            references: Array.isArray(v.references)
              ? v.references.filter((r): r is string => typeof r === 'string')
              : [],
          },
        });
    } catch {
      // Not ours, or damaged by hand: not a record.
    }
  }
  return out.sort(
    (a, b) =>
      a.record.at.localeCompare(b.record.at) ||
      a.record.n - b.record.n ||
      a.key.localeCompare(b.key),
  );
}

/** The ARNs in `/aws/resources` ([{"arn": …}]); none when it is missing or not that shape. */
export function resourcesIn(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const v = JSON.parse(value) as unknown;
    return Array.isArray(v)
      ? v.flatMap((r) =>
          typeof r === 'object' && r !== null && typeof (r as { arn?: unknown }).arn === 'string'
            ? [(r as { arn: string }).arn]
            : [],
        )
      : [];
  } catch {
    return [];
  }
}

/** `/aws/resources` with `arn` added. */
export function renderResources(arns: readonly string[]): string {
  return JSON.stringify([...new Set(arns)].map((arn) => ({ arn })));
}
