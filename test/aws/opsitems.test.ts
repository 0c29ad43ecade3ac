/**
 * The OpsItem as the response functions' record store (handlers/aws/opsitems.ts): one key per
 * record, idempotent by its token, every write read back; OpsCenter through aws-sdk-client-mock
 * with the documented shapes (test/support/opscenter.ts).
 */
import { UpdateOpsItemCommand } from '@aws-sdk/client-ssm';
import { opsItemRecords } from '../../handlers/aws/opsitems';
import { fitsRecordValue } from '../../handlers/incident/opsitem';
import {
  fitsTimeline,
  parseRemediationRecord,
  remediationRecord,
} from '../../handlers/incident/timeline';
import type { GroupResult } from '../../handlers/policy/results';
import type { RuleJson } from '../../handlers/policy/rules';
import { fakeOpsCenter, givenOpsItem, type FakeOpsCenter } from '../support/opscenter';

let ops: FakeOpsCenter;
beforeEach(() => {
  ops = fakeOpsCenter();
});
afterEach(() => ops.mock.restore());

/** What OpsCenter does with an UpdateOpsItem: add or replace the given keys. */
function applyUpdate(id: string, input: UpdateOpsItemCommand['input']) {
  const item = ops.items.get(id)!;
  ops.items.set(id, {
    ...item,
    OperationalData: { ...item.OperationalData, ...input.OperationalData },
  });
}

const record = (n: number) => JSON.stringify({ kind: 'first-responder/note', version: 1, n });

describe('records on an OpsItem', () => {
  it('a retried write with the same token keeps one record; another token adds one', async () => {
    // GIVEN an OpsItem
    const id = givenOpsItem(ops, {});
    const store = opsItemRecords(ops.client, id);
    // WHEN the same record is written twice (a retried invocation), then another
    await store.addRecord({ eventData: record(1), token: 'a'.repeat(64) });
    await store.addRecord({ eventData: record(1), token: 'a'.repeat(64) });
    await store.addRecord({ eventData: record(2), token: 'b'.repeat(64), references: ['arn:x'] });
    // THEN two records, in order, under keys within OpsCenter's 128 characters
    const read = await opsItemRecords(ops.client, id).readRecords();
    expect(read.map((r) => [r.eventData, r.references])).toEqual([
      [record(1), []],
      [record(2), ['arn:x']],
    ]);
    for (const r of read) expect(r.eventId.length).toBeLessThanOrEqual(128);
    expect(ops.mock.commandCalls(UpdateOpsItemCommand)).toHaveLength(2);
  });

  it.each<[string, (updates: number) => boolean, boolean, number]>([
    // an update answered but not applied the first time: written again until a read shows it
    ['a write that did not land is written again until a read shows it', (n) => n > 1, false, 2],
    // an update applied whose answer times out: the re-read shows it, so it is not written again
    ['a write whose answer is lost but which landed counts as written, once', () => true, true, 1],
  ])('%s', async (_name, applied, lostAnswer, writes) => {
    // GIVEN an OpsItem whose n-th update is applied when `applied(n)`, its answer lost or not
    const id = givenOpsItem(ops, {});
    let updates = 0;
    ops.mock.on(UpdateOpsItemCommand).callsFake((input: UpdateOpsItemCommand['input']) => {
      if (applied(++updates)) applyUpdate(id, input);
      if (lostAnswer) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return {};
    });
    // WHEN a record is written THEN it is there, after `writes` writes
    await opsItemRecords(ops.client, id).addRecord({ eventData: record(1), token: 'c'.repeat(64) });
    expect((await opsItemRecords(ops.client, id).readRecords()).map((r) => r.eventData)).toEqual([
      record(1),
    ]);
    expect(ops.mock.commandCalls(UpdateOpsItemCommand)).toHaveLength(writes);
  });

  it('a write that never lands fails after three attempts instead of claiming success', async () => {
    const id = givenOpsItem(ops, {});
    ops.mock.on(UpdateOpsItemCommand).resolves({});
    await expect(
      opsItemRecords(ops.client, id).addRecord({ eventData: record(1), token: 'd'.repeat(64) }),
    ).rejects.toThrow(/kept changing under 3 writes; it is not recorded/);
  });

  it('a write whose answer is lost and which did not land fails with the write error', async () => {
    // GIVEN an OpsItem whose update times out without being applied
    const id = givenOpsItem(ops, {});
    ops.mock
      .on(UpdateOpsItemCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    // WHEN a record is written THEN it fails, and the OpsItem has no record
    await expect(
      opsItemRecords(ops.client, id).addRecord({ eventData: record(1), token: 'f'.repeat(64) }),
    ).rejects.toThrow(/UpdateOpsItem: socket hang up/);
    expect(await opsItemRecords(ops.client, id).readRecords()).toEqual([]);
  });

  it('two writers adding related resources at once both end up in /aws/resources', async () => {
    // GIVEN an OpsItem with one resource, and two functions adding one each at the same time
    const id = givenOpsItem(ops, {}, { resources: ['arn:first'] });
    // WHEN they write concurrently (each read-modify-write of the same key)
    await Promise.all([
      opsItemRecords(ops.client, id).addRelatedResource('arn:a', 'a'),
      opsItemRecords(ops.client, id).addRelatedResource('arn:b', 'b'),
    ]);
    // THEN no write is lost
    expect(ops.data(id, '/aws/resources')).toEqual(
      expect.arrayContaining([{ arn: 'arn:first' }, { arn: 'arn:a' }, { arn: 'arn:b' }]),
    );
  });
});

describe('a security-group record and the OpsItem value limit (20 KB)', () => {
  const rules = (n: number): RuleJson[] =>
    Array.from({ length: n }, (_, i) => ({
      protocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: `10.${i % 256}.${Math.floor(i / 256)}.0/24`,
      description: `partner network number ${i} with a long description`,
    }));
  const result = (n: number): GroupResult => ({
    groupId: 'sg-0123456789abcdef0',
    status: 'remediated',
    before: rules(n),
    revoked: rules(1),
    authorized: [],
    calls: 2,
  });
  const pointer = { logGroup: '/aws/lambda/first-responder-reverter', requestId: 'req-1' };

  it('keeps a before-state that is too large for a timeline event but fits a value', () => {
    const full = remediationRecord(result(110), pointer, () => true);
    // GIVEN a record between the two limits
    expect(fitsTimeline(full)).toBe(false);
    expect(fitsRecordValue(full)).toBe(true);
    // THEN the OpsItem keeps it complete
    const kept = parseRemediationRecord(remediationRecord(result(110), pointer, fitsRecordValue));
    expect(kept?.before).toHaveLength(110);
    expect(kept?.fullRecord).toBeUndefined();
  });

  it('points to the log line when the before-state does not fit a value', () => {
    const text = remediationRecord(result(400), pointer, fitsRecordValue);
    expect(Buffer.byteLength(text)).toBeLessThan(20 * 1024);
    const parsed = parseRemediationRecord(text);
    expect(parsed).toMatchObject({ beforeCount: 400, fullRecord: pointer });
    expect(parsed?.before).toBeUndefined();
  });
});
