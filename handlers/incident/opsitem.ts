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
export const OPS_ITEM_ID = /^oi-[0-9a-f]{12}$/;
