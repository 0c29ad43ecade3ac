/**
 * The thin layer that talks to OpsCenter: create an OpsItem (or find the one OpsCenter's dedup
 * kept), read it, write operational data, and add an entry to a bounded log with a re-read
 * that proves it landed. What to write is decided in ../incident/opsitem.ts.
 */
import {
  CreateOpsItemCommand,
  DescribeOpsItemsCommand,
  GetOpsItemCommand,
  SSMClient,
  UpdateOpsItemCommand,
  type OpsItem,
} from '@aws-sdk/client-ssm';
import { clientSettings, type ClientTimeouts } from './clients';
import {
  addToLog,
  DATA_KEYS,
  fitsRecordValue,
  parseLog,
  recordKey,
  recordsIn,
  renderLog,
  renderRecord,
  renderResources,
  resourcesIn,
  type DataValue,
  type LogEntry,
  type OpsItemRequest,
} from '../incident/opsitem';
import type { IncidentRecords } from '../incident/records';
import { parseRawEvent } from '../incident/trigger';
import { AwsCallError, errorCode, errorMessage, InputError } from '../shared/errors';

export function createSsmClient(options: ClientTimeouts = {}): SSMClient {
  return new SSMClient(clientSettings(options));
}

/** The OpsItem does not exist (or this role cannot see it). */
export class OpsItemNotFoundError extends InputError {
  override readonly name = 'OpsItemNotFoundError';
}

function wrap(operation: string, opsItemId: string, err: unknown): Error {
  if (errorCode(err) === 'OpsItemNotFoundException')
    return new OpsItemNotFoundError(`OpsItem ${opsItemId} does not exist`, { cause: err });
  return new AwsCallError(operation, errorMessage(err), { cause: err });
}

export async function getOpsItem(client: SSMClient, opsItemId: string): Promise<OpsItem> {
  try {
    const out = await client.send(new GetOpsItemCommand({ OpsItemId: opsItemId }));
    if (!out.OpsItem) throw new Error('GetOpsItem answered without an OpsItem');
    return out.OpsItem;
  } catch (err) {
    throw wrap('GetOpsItem', opsItemId, err);
  }
}

/**
 * Creates the OpsItem, or returns the open one OpsCenter's dedup found for the same dedup string
 * (a retry after a lost response, or a take-over): never two OpsItems for one open problem.
 */
export async function createOrFindOpsItem(
  client: SSMClient,
  request: OpsItemRequest,
  dedupeKey: string,
): Promise<string> {
  try {
    const out = await client.send(new CreateOpsItemCommand(request));
    if (!out.OpsItemId) throw new Error('CreateOpsItem answered without an OpsItemId');
    return out.OpsItemId;
  } catch (err) {
    if (errorCode(err) !== 'OpsItemAlreadyExistsException')
      throw new AwsCallError('CreateOpsItem', errorMessage(err), { cause: err });
    const known = (err as { OpsItemId?: string }).OpsItemId;
    if (known) return known;
    // The exception did not name it: find the open OpsItem by first-responder's own key.
    const found = await client
      .send(
        new DescribeOpsItemsCommand({
          OpsItemFilters: [
            {
              Key: 'OperationalData',
              Operator: 'Equal',
              Values: [JSON.stringify({ key: DATA_KEYS.dedupeKey, value: dedupeKey })],
            },
            { Key: 'Status', Operator: 'Equal', Values: ['Open', 'InProgress'] },
          ],
          MaxResults: 1,
        }),
      )
      .catch((e: unknown) => {
        throw new AwsCallError('DescribeOpsItems', errorMessage(e), { cause: e });
      });
    const id = found.OpsItemSummaries?.[0]?.OpsItemId;
    if (!id)
      throw new AwsCallError(
        'CreateOpsItem',
        `OpsCenter reports an OpsItem for ${dedupeKey} already exists, but none is open with that key`,
        { cause: err },
      );
    return id;
  }
}

/** Adds or replaces operational-data keys (UpdateOpsItem leaves the other keys alone). */
export async function putOperationalData(
  client: SSMClient,
  opsItemId: string,
  data: Record<string, DataValue>,
): Promise<void> {
  try {
    await client.send(new UpdateOpsItemCommand({ OpsItemId: opsItemId, OperationalData: data }));
  } catch (err) {
    throw wrap('UpdateOpsItem', opsItemId, err);
  }
}

/** Tries to land a write this often when other writers update the same OpsItem at once. */
const WRITE_ATTEMPTS = 3;

/**
 * Read, write, read again until a read shows the write: a concurrent writer of the same key may
 * have replaced the value, and a lost answer hides whether the write landed. `next` says what to
 * write given the OpsItem as read (undefined: it is there already); `landed` checks a read.
 */
async function writeUntilSeen(
  client: SSMClient,
  opsItemId: string,
  what: string,
  next: (item: OpsItem) => Record<string, DataValue> | undefined,
  landed: (item: OpsItem) => boolean,
  known?: OpsItem,
): Promise<OpsItem> {
  let item = known ?? (await getOpsItem(client, opsItemId));
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const data = next(item);
    if (!data) return item;
    try {
      await putOperationalData(client, opsItemId, data);
    } catch (err) {
      if (err instanceof OpsItemNotFoundError) throw err;
      // A timeout or lost answer: the write may have landed. Report what a read shows.
      item = await getOpsItem(client, opsItemId);
      if (landed(item)) return item;
      throw err;
    }
    item = await getOpsItem(client, opsItemId);
    if (landed(item)) return item;
  }
  throw new AwsCallError(
    'UpdateOpsItem',
    `${what} on ${opsItemId} kept changing under ${WRITE_ATTEMPTS} writes; it is not recorded`,
  );
}

/**
 * Adds an entry to a bounded log kept in one operational-data value, idempotent by the entry's
 * id; the entry counts as written only once a read shows it. Returns the OpsItem as last read.
 */
export async function appendToLog(
  client: SSMClient,
  opsItemId: string,
  key: string,
  entry: LogEntry,
  known?: OpsItem,
): Promise<OpsItem> {
  const logOf = (item: OpsItem) => parseLog(item.OperationalData?.[key]?.Value);
  return writeUntilSeen(
    client,
    opsItemId,
    `${key} entry ${entry.id}`,
    (item) => {
      const next = addToLog(logOf(item), entry);
      return next ? { [key]: { Value: renderLog(next), Type: 'String' } } : undefined;
    },
    (item) => logOf(item).latest.some((e) => e.id === entry.id),
    known,
  );
}

/**
 * The OpsItem as the response functions' record store: the event from `/first-responder/event`,
 * the resources from `/aws/resources`, each record under its own key (so concurrent writers never
 * replace each other's), every write read back.
 */
export function opsItemRecords(client: SSMClient, opsItemId: string): IncidentRecords {
  let read: Promise<OpsItem> | undefined;
  const item = () => (read ??= getOpsItem(client, opsItemId));
  return {
    id: opsItemId,
    noun: 'OpsItem',
    readTrigger: async () =>
      parseRawEvent((await item()).OperationalData?.[DATA_KEYS.event]?.Value),
    involvedResources: async () =>
      resourcesIn((await item()).OperationalData?.[DATA_KEYS.resources]?.Value),
    owner: async () => {
      const m = /^arn:(aws[a-z-]*):ssm:[a-z0-9-]*:(\d{12}):opsitem\//.exec(
        (await item()).OpsItemArn ?? '',
      );
      return m ? { partition: m[1]!, account: m[2]! } : undefined;
    },
    fits: fitsRecordValue,
    addRecord: async (entry) => {
      const key = recordKey(entry.token);
      const at = new Date().toISOString();
      const value = (now: OpsItem) =>
        renderRecord({
          at,
          n: recordsIn(now.OperationalData).length + 1,
          references: (entry.references ?? []).slice(0, 10),
          eventData: entry.eventData,
        });
      await writeUntilSeen(
        client,
        opsItemId,
        `record ${key}`,
        (now) =>
          now.OperationalData?.[key] ? undefined : { [key]: { Value: value(now), Type: 'String' } },
        (now) => now.OperationalData?.[key] !== undefined,
      );
    },
    addRelatedResource: async (arn) => {
      const arnsOf = (now: OpsItem) =>
        resourcesIn(now.OperationalData?.[DATA_KEYS.resources]?.Value);
      await writeUntilSeen(
        client,
        opsItemId,
        `${DATA_KEYS.resources} ${arn}`,
        (now) =>
          arnsOf(now).includes(arn)
            ? undefined
            : {
                [DATA_KEYS.resources]: {
                  Value: renderResources([...arnsOf(now), arn]),
                  Type: 'SearchableString',
                },
              },
        (now) => arnsOf(now).includes(arn),
      );
    },
    readRecords: async () =>
      recordsIn((await getOpsItem(client, opsItemId)).OperationalData).map(({ key, record }) => ({
        eventId: key,
        eventTime: new Date(record.at),
        eventData: record.eventData,
        references: record.references,
      })),
  };
}
