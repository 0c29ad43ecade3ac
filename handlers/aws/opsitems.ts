/**
 * The thin layer that talks to OpsCenter: create an OpsItem (or find the one OpsCenter's dedup
 * kept), read it, write operational data, and add an entry to a bounded log with a re-read
 * that proves it landed. What to write is decided in ../incident/opsitem.ts.
 */
import {
  CreateOpsItemCommand,
  DescribeOpsItemsCommand,
  GetOpsItemCommand,
  UpdateOpsItemCommand,
  type OpsItem,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  addToLog,
  DATA_KEYS,
  parseLog,
  renderLog,
  type DataValue,
  type LogEntry,
  type OpsItemRequest,
} from '../incident/opsitem';
import { AwsCallError, errorCode, errorMessage, InputError } from '../shared/errors';

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

/** Tries to land an entry this often when other writers update the same log at once. */
const LOG_ATTEMPTS = 3;

/**
 * Adds an entry to a bounded log kept in one operational-data value. Read, add, write, then read
 * again: a concurrent writer of the same key may have replaced the value, so the entry counts
 * as written only once a read shows it. Idempotent by the entry's id. Returns the OpsItem as
 * last read.
 */
export async function appendToLog(
  client: SSMClient,
  opsItemId: string,
  key: string,
  entry: LogEntry,
  known?: OpsItem,
): Promise<OpsItem> {
  let item = known ?? (await getOpsItem(client, opsItemId));
  for (let attempt = 1; attempt <= LOG_ATTEMPTS; attempt++) {
    const next = addToLog(parseLog(item.OperationalData?.[key]?.Value), entry);
    if (!next) return item;
    await putOperationalData(client, opsItemId, {
      [key]: { Value: renderLog(next), Type: 'String' },
    });
    item = await getOpsItem(client, opsItemId);
    if (parseLog(item.OperationalData?.[key]?.Value).latest.some((e) => e.id === entry.id))
      return item;
  }
  throw new AwsCallError(
    'UpdateOpsItem',
    `${key} on ${opsItemId} kept changing under ${LOG_ATTEMPTS} writes; entry ${entry.id} is not recorded`,
  );
}
