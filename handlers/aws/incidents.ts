/**
 * The thin layer that talks to Incident Manager: read the trigger, write on the timeline, add
 * related items. Decisions about what to write live in ../incident/.
 */
import {
  CreateTimelineEventCommand,
  GetTimelineEventCommand,
  ListTimelineEventsCommand,
  SSMIncidentsClient,
  UpdateRelatedItemsCommand,
} from '@aws-sdk/client-ssm-incidents';
import { createHash } from 'node:crypto';
import { clientSettings, type ClientTimeouts } from './clients';
import { noteRecord } from '../incident/timeline';
import { parseTrigger, TRIGGER_EVENT_TYPE, type IncidentTrigger } from '../incident/trigger';
import { AwsCallError, errorCode, errorMessage, InputError } from '../shared/errors';

export function createIncidentsClient(options: ClientTimeouts = {}): SSMIncidentsClient {
  return new SSMIncidentsClient(clientSettings(options));
}

/** The incident does not exist (or is not visible to this role): nothing to act for. */
export class IncidentNotFoundError extends InputError {
  override readonly name = 'IncidentNotFoundError';
}

function wrap(operation: string, incidentRecordArn: string, err: unknown): Error {
  if (errorCode(err) === 'ResourceNotFoundException')
    return new IncidentNotFoundError(`incident ${incidentRecordArn} does not exist`, {
      cause: err,
    });
  return new AwsCallError(operation, errorMessage(err), { cause: err });
}

/** Incident Manager's event type for events that API callers write. */
export const CUSTOM_EVENT_TYPE = 'Custom Event';

interface EventSummary {
  readonly eventId: string;
  readonly eventTime?: Date;
}

/** Events of one type, oldest first: `limit` of them, or every page when there is no limit. */
async function listEvents(
  client: SSMIncidentsClient,
  incidentRecordArn: string,
  eventType: string,
  limit?: number,
): Promise<EventSummary[]> {
  const out: EventSummary[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await client.send(
        new ListTimelineEventsCommand({
          incidentRecordArn,
          filters: [{ key: 'eventType', condition: { equals: { stringValues: [eventType] } } }],
          sortBy: 'EVENT_TIME',
          sortOrder: 'ASCENDING',
          maxResults: limit ?? 100,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const s of page.eventSummaries ?? [])
        if (s.eventId)
          out.push({ eventId: s.eventId, ...(s.eventTime ? { eventTime: s.eventTime } : {}) });
      nextToken = limit === undefined ? page.nextToken : undefined;
    } while (nextToken);
  } catch (err) {
    throw wrap('ListTimelineEvents', incidentRecordArn, err);
  }
  return out;
}

async function getEvent(client: SSMIncidentsClient, incidentRecordArn: string, eventId: string) {
  try {
    return (await client.send(new GetTimelineEventCommand({ incidentRecordArn, eventId }))).event;
  } catch (err) {
    throw wrap('GetTimelineEvent', incidentRecordArn, err);
  }
}

/** The event that opened the incident: one list call and one get call. */
export async function readTrigger(
  client: SSMIncidentsClient,
  incidentRecordArn: string,
): Promise<IncidentTrigger> {
  const [first] = await listEvents(client, incidentRecordArn, TRIGGER_EVENT_TYPE, 1);
  if (!first) return parseTrigger(undefined);
  return parseTrigger((await getEvent(client, incidentRecordArn, first.eventId))?.eventData);
}

export interface TimelineEvent extends EventSummary {
  readonly eventData?: string;
  /** ARNs of the resources the event is about. */
  readonly references: readonly string[];
}

/** Every event of one type on the timeline, oldest first: a list call a page, a get call each. */
export async function readTimelineEvents(
  client: SSMIncidentsClient,
  incidentRecordArn: string,
  eventType: string = CUSTOM_EVENT_TYPE,
): Promise<TimelineEvent[]> {
  const out: TimelineEvent[] = [];
  for (const summary of await listEvents(client, incidentRecordArn, eventType)) {
    const event = await getEvent(client, incidentRecordArn, summary.eventId);
    out.push({
      ...summary,
      ...(event?.eventData !== undefined ? { eventData: event.eventData } : {}),
      references: (event?.eventReferences ?? []).flatMap((r) => (r.resource ? [r.resource] : [])),
    });
  }
  return out;
}

export interface TimelineEntry {
  readonly eventData: string;
  /** ARNs of resources the event is about (at most 10). */
  readonly references?: readonly string[];
  /** Makes a retried invocation write the event once. */
  readonly clientToken?: string;
}

export async function addTimelineEvent(
  client: SSMIncidentsClient,
  incidentRecordArn: string,
  entry: TimelineEntry,
): Promise<void> {
  try {
    await client.send(
      new CreateTimelineEventCommand({
        incidentRecordArn,
        eventTime: new Date(),
        eventType: CUSTOM_EVENT_TYPE,
        eventData: entry.eventData,
        ...(entry.references?.length
          ? { eventReferences: entry.references.slice(0, 10).map((resource) => ({ resource })) }
          : {}),
        ...(entry.clientToken ? { clientToken: entry.clientToken } : {}),
      }),
    );
  } catch (err) {
    throw wrap('CreateTimelineEvent', incidentRecordArn, err);
  }
}

/** The same parts give the same token, so a retried invocation writes each event once. */
export function clientToken(...parts: (string | undefined)[]): string {
  return createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 64);
}

/** A note on the timeline: a summary a person reads, with details for scripts. */
export async function addNote(
  client: SSMIncidentsClient,
  incidentRecordArn: string,
  summary: string,
  options: { readonly details?: Record<string, unknown>; readonly requestId?: string } = {},
): Promise<void> {
  await addTimelineEvent(client, incidentRecordArn, {
    eventData: noteRecord(summary, options.details),
    clientToken: clientToken(incidentRecordArn, summary, options.requestId),
  });
}

/** Adds a resource as a related item; one that is already there counts as added. */
export async function addRelatedResource(
  client: SSMIncidentsClient,
  incidentRecordArn: string,
  resourceArn: string,
  title: string,
): Promise<void> {
  try {
    await client.send(
      new UpdateRelatedItemsCommand({
        incidentRecordArn,
        relatedItemsUpdate: {
          itemToAdd: {
            identifier: { type: 'INVOLVED_RESOURCE', value: { arn: resourceArn } },
            title,
          },
        },
      }),
    );
  } catch (err) {
    if (errorCode(err) === 'ConflictException') return;
    throw wrap('UpdateRelatedItems', incidentRecordArn, err);
  }
}

/** arn:aws:ssm-incidents::111122223333:incident-record/plan/id -> partition and account. */
export function incidentArnParts(arn: string): { partition: string; account: string } | undefined {
  const m = /^arn:(aws[a-z-]*):ssm-incidents:[a-z0-9-]*:(\d{12}):incident-record\/.+$/.exec(arn);
  return m ? { partition: m[1]!, account: m[2]! } : undefined;
}
