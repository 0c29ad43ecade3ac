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
import { parseTrigger, TRIGGER_EVENT_TYPE, type Trigger } from '../incident/trigger';
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

/** The event that opened the incident: one list call and one get call. */
export async function readTrigger(
  client: SSMIncidentsClient,
  incidentRecordArn: string,
): Promise<Trigger> {
  let eventId: string | undefined;
  try {
    const list = await client.send(
      new ListTimelineEventsCommand({
        incidentRecordArn,
        filters: [
          { key: 'eventType', condition: { equals: { stringValues: [TRIGGER_EVENT_TYPE] } } },
        ],
        sortBy: 'EVENT_TIME',
        sortOrder: 'ASCENDING',
        maxResults: 1,
      }),
    );
    eventId = list.eventSummaries?.[0]?.eventId;
  } catch (err) {
    throw wrap('ListTimelineEvents', incidentRecordArn, err);
  }
  if (!eventId) return parseTrigger(undefined);
  try {
    const got = await client.send(new GetTimelineEventCommand({ incidentRecordArn, eventId }));
    return parseTrigger(got.event?.eventData);
  } catch (err) {
    throw wrap('GetTimelineEvent', incidentRecordArn, err);
  }
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
        eventType: 'Custom Event',
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
