/**
 * The intake's dedupe records in DynamoDB: one item per open problem, every write conditional,
 * so that concurrent deliveries agree on one opener (see ../intake/dedupe.ts for the design).
 * A write whose condition fails answers "changed"; the caller reads the item again.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  expiresAt,
  LEASE_MS,
  MAX_PENDING,
  type DedupeRecord,
  type PendingRepeat,
} from '../intake/dedupe';
import { AwsCallError, errorMessage } from '../shared/errors';

/** The table's partition key and TTL attribute names (the construct uses the same). */
export const KEY_ATTRIBUTE = 'pk';
export const TTL_ATTRIBUTE = 'expiresAt';

type Item = Record<string, AttributeValue>;

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });

function toRecord(item: Item | undefined): DedupeRecord | undefined {
  if (!item?.[KEY_ATTRIBUTE]?.S) return undefined;
  const n = (name: string) => (item[name]?.N !== undefined ? Number(item[name].N) : undefined);
  const s = (name: string) => item[name]?.S;
  const pending: PendingRepeat[] = (item.pending?.L ?? []).map((p) => ({
    eventId: p.M?.eventId?.S ?? '',
    gist: p.M?.gist?.S ?? '',
  }));
  const leaseUntil = n('leaseUntil');
  const incidentRef = s('incidentRef');
  const request = s('request');
  const dropped = n('pendingDropped');
  return {
    key: item[KEY_ATTRIBUTE].S,
    state: s('state') === 'open' ? 'open' : 'opening',
    generation: n('generation') ?? 1,
    owner: s('owner') ?? '',
    ...(leaseUntil !== undefined ? { leaseUntil } : {}),
    ...(incidentRef ? { incidentRef } : {}),
    ...(request ? { request } : {}),
    pending,
    ...(dropped ? { pendingDropped: dropped } : {}),
    seen: n('seen') ?? 1,
  };
}

export type WriteResult =
  { readonly ok: true; readonly record: DedupeRecord } | { readonly ok: false };

export class DedupeTable {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** A consistent read: what the last conditional write left. */
  async read(key: string): Promise<DedupeRecord | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [KEY_ATTRIBUTE]: S(key) },
          ConsistentRead: true,
        }),
      );
      return toRecord(out.Item);
    } catch (err) {
      throw new AwsCallError('GetItem', errorMessage(err), { cause: err });
    }
  }

  /** Puts the first record of a problem, only when there is none. */
  async claim(
    key: string,
    owner: string,
    request: string,
    detection: string,
    now: number,
  ): Promise<WriteResult> {
    const record: DedupeRecord = {
      key,
      state: 'opening',
      generation: 1,
      owner,
      leaseUntil: now + LEASE_MS,
      request,
      pending: [],
      seen: 1,
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [KEY_ATTRIBUTE]: S(key),
            state: S('opening'),
            generation: N(1),
            owner: S(owner),
            leaseUntil: N(now + LEASE_MS),
            request: S(request),
            pending: { L: [] },
            seen: N(1),
            detection: S(detection),
            firstSeenAt: S(new Date(now).toISOString()),
            [TTL_ATTRIBUTE]: N(expiresAt(now)),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': KEY_ATTRIBUTE },
        }),
      );
      return { ok: true, record };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { ok: false };
      throw new AwsCallError('PutItem', errorMessage(err), { cause: err });
    }
  }

  /** The opener's last step: "open" with the incident, and the repeats recorded meanwhile. */
  markOpen(key: string, generation: number, incidentRef: string, now: number) {
    return this.update(key, {
      set: { state: S('open'), incidentRef: S(incidentRef), openedAt: S(iso(now)) },
      remove: ['leaseUntil', 'request'],
      condition: '#state = :opening AND #generation = :g',
      values: { ':opening': S('opening'), ':g': N(generation) },
      now,
    });
  }

  /** Records a repeat for the opener to append, while it holds a live lease. */
  async record(key: string, generation: number, repeat: PendingRepeat, now: number) {
    const live = '#state = :opening AND #generation = :g AND #leaseUntil > :now';
    const values = { ':opening': S('opening'), ':g': N(generation), ':now': N(now) };
    const listed = await this.update(key, {
      append: { pending: { L: [{ M: { eventId: S(repeat.eventId), gist: S(repeat.gist) } }] } },
      add: { seen: N(1) },
      condition: `${live} AND size(#pending) < :max`,
      values: { ...values, ':max': N(MAX_PENDING) },
      now,
    });
    if (listed.ok) return listed;
    // A flood while opening: count the rest, so the record stays small.
    return this.update(key, {
      add: { pendingDropped: N(1), seen: N(1) },
      condition: live,
      values,
      now,
    });
  }

  /** Takes over an "opening" record whose lease ran out (or that this event owns). */
  takeOver(key: string, generation: number, owner: string, now: number) {
    return this.update(key, {
      set: { owner: S(owner), leaseUntil: N(now + LEASE_MS) },
      condition:
        '#state = :opening AND #generation = :g AND (#leaseUntil <= :now OR #owner = :owner)',
      values: { ':opening': S('opening'), ':g': N(generation), ':now': N(now), ':owner': S(owner) },
      now,
    });
  }

  /** Replaces an "open" record whose incident was resolved: the next generation opens. */
  reopen(key: string, generation: number, owner: string, request: string, now: number) {
    return this.update(key, {
      set: {
        state: S('opening'),
        generation: N(generation + 1),
        owner: S(owner),
        leaseUntil: N(now + LEASE_MS),
        request: S(request),
        pending: { L: [] },
        seen: N(1),
      },
      remove: ['incidentRef', 'pendingDropped'],
      condition: '#state = :open AND #generation = :g',
      values: { ':open': S('open'), ':g': N(generation) },
      now,
    });
  }

  /** Counts a repeat appended to the open incident. */
  touch(key: string, generation: number, now: number) {
    return this.update(key, {
      add: { seen: N(1) },
      condition: '#generation = :g',
      values: { ':g': N(generation) },
      now,
    });
  }

  /** Gives the lease up at once (StartIncident failed), so a retry need not wait it out. */
  release(key: string, generation: number, owner: string, now: number) {
    return this.update(key, {
      set: { leaseUntil: N(0) },
      condition: '#state = :opening AND #generation = :g AND #owner = :owner',
      values: { ':opening': S('opening'), ':g': N(generation), ':owner': S(owner) },
      now,
    });
  }

  /** One conditional UpdateItem; every update also refreshes the TTL and the last-seen time. */
  private async update(
    key: string,
    u: {
      readonly set?: Record<string, AttributeValue>;
      /** Lists to append to. */
      readonly append?: Record<string, AttributeValue>;
      /** Numbers to add to. */
      readonly add?: Record<string, AttributeValue>;
      readonly remove?: readonly string[];
      readonly condition: string;
      readonly values: Record<string, AttributeValue>;
      readonly now: number;
    },
  ): Promise<WriteResult> {
    const names: Record<string, string> = {};
    const name = (n: string) => {
      names[`#${n}`] = n;
      return `#${n}`;
    };
    for (const m of u.condition.matchAll(/#(\w+)/g)) name(m[1]!);
    const values: Record<string, AttributeValue> = { ...u.values };
    const value = (prefix: string, k: string, v: AttributeValue) => {
      values[`:${prefix}_${k}`] = v;
      return `:${prefix}_${k}`;
    };
    const sets = Object.entries({
      ...u.set,
      [TTL_ATTRIBUTE]: N(expiresAt(u.now)),
      lastSeenAt: S(iso(u.now)),
    }).map(([k, v]) => `${name(k)} = ${value('set', k, v)}`);
    for (const [k, v] of Object.entries(u.append ?? {}))
      sets.push(`${name(k)} = list_append(${name(k)}, ${value('append', k, v)})`);
    const parts = [`SET ${sets.join(', ')}`];
    const adds = Object.entries(u.add ?? {}).map(([k, v]) => `${name(k)} ${value('add', k, v)}`);
    if (adds.length) parts.push(`ADD ${adds.join(', ')}`);
    if (u.remove?.length) parts.push(`REMOVE ${u.remove.map(name).join(', ')}`);
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [KEY_ATTRIBUTE]: S(key) },
          UpdateExpression: parts.join(' '),
          ConditionExpression: `attribute_exists(${name(KEY_ATTRIBUTE)}) AND ${u.condition}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const record = toRecord(out.Attributes);
      return record ? { ok: true, record } : { ok: false };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { ok: false };
      throw new AwsCallError('UpdateItem', errorMessage(err), { cause: err });
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
