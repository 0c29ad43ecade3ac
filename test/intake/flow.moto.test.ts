/**
 * Deduplication against moto server's DynamoDB (conditional puts and updates, the TTL
 * attribute), with Incident Manager mocked as its API reference documents it.
 */
import { DescribeTimeToLiveCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTimelineEventCommand, StartIncidentCommand } from '@aws-sdk/client-ssm-incidents';
import { DedupeTable } from '../../handlers/aws/dedupe-table';
import { clientToken } from '../../handlers/aws/incidents';
import { applyDecision, openToken, type IntakeOutcome } from '../../handlers/respond/intake-flow';
import { decideIntake, type IntakeDecision } from '../../handlers/intake/decide';
import { LEASE_MS, RECORD_TTL_DAYS } from '../../handlers/intake/dedupe';
import { parseIntakeRequest } from '../../handlers/intake/request';
import { motoForFile } from '../support/moto';
import {
  createDedupeTable,
  eventFixture,
  incidentManagerBackend,
  mockIncidentManager,
} from './support';

const moto = motoForFile();

/** The finding fixture, delivered with its own EventBridge id (as each re-publication is). */
function delivery(id: string, file = 'guardduty-ssh-brute-force.json') {
  const event = { ...eventFixture(file), id };
  return parseIntakeRequest({ detection: 'guardDutyFinding', event });
}

function decide(id: string): IntakeDecision {
  const req = delivery(id);
  return decideIntake({ detection: req.detection, event: req.event, planImpact: 2 });
}

async function setup(options: Parameters<typeof mockIncidentManager>[0] = {}) {
  const im = mockIncidentManager(options);
  const { client, tableName } = await createDedupeTable(moto());
  const table = new DedupeTable(client, tableName);
  let clock = Date.parse('2026-11-30T04:00:00Z');
  const deps = {
    table,
    backend: incidentManagerBackend(),
    now: () => clock,
    checkDeadline: () => undefined,
  };
  return {
    im,
    client,
    tableName,
    table,
    deps,
    advance: (ms: number) => (clock += ms),
  };
}

afterEach(() => jest.restoreAllMocks());

describe('ten concurrent deliveries of one finding', () => {
  it.each([
    ['a fast StartIncident', 20],
    ['a slow StartIncident (the others find the record "opening")', 1_500],
  ])('open exactly one incident and make nine appends, with %s', async (_name, startMs) => {
    // GIVEN ten re-publications of one GuardDuty finding, delivered at the same moment
    const { im, deps } = await setup({ startMs });
    const ids = Array.from({ length: 10 }, (_, i) => `delivery-${i}`);
    // WHEN the intake handles them concurrently against one table
    const outcomes = await Promise.all(ids.map((id) => applyDecision(deps, decide(id), id)));
    // THEN one StartIncident, and nine "seen again" timeline events on that incident
    const starts = im.commandCalls(StartIncidentCommand);
    const appends = im.commandCalls(CreateTimelineEventCommand);
    const opened = outcomes.filter((o) => o.decision === 'open');
    const leftForOpener = outcomes.filter((o) => o.decision === 'append' && !o.incidentRef).length;
    console.info(
      `race: ${starts.length} StartIncident, ${appends.length} CreateTimelineEvent (${leftForOpener} recorded while opening, appended by the opener), decisions ${JSON.stringify(
        outcomes.reduce<Record<string, number>>(
          (n, o) => ({ ...n, [o.decision]: (n[o.decision] ?? 0) + 1 }),
          {},
        ),
      )}`,
    );
    expect(starts).toHaveLength(1);
    expect(opened).toHaveLength(1);
    expect(outcomes.filter((o) => o.decision === 'append')).toHaveLength(9);
    expect(appends).toHaveLength(9);
    const arn = (opened[0] as Extract<IntakeOutcome, { decision: 'open' }>).incidentRef;
    for (const a of appends) {
      expect(a.args[0].input.incidentRecordArn).toBe(arn);
      expect(a.args[0].input.eventData).toMatch(/Seen again: GuardDuty finding seen again/);
    }
    // AND each append carries its own idempotency token (one per repeat)
    expect(new Set(appends.map((a) => a.args[0].input.clientToken)).size).toBe(9);
    // AND while StartIncident is slow, the others leave their repeats for the opener
    if (startMs > 1_000) expect(leftForOpener).toBeGreaterThan(0);
  });
});

/** A promise resolved from outside: a gate that holds one delivery at a chosen point. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('a repeat racing the opener', () => {
  // Each write to the record is atomic, so a repeat's "record me" lands either before the
  // opener's "mark open" (which returns it, for the opener to append) or after it (refused: the
  // repeat reads the record again and appends itself). Both orders, forced, append it once.
  it('recorded just before the mark is appended by the opener', async () => {
    // GIVEN an opener held just before it marks the record open
    const { im, deps, table } = await setup();
    const markOpen = table.markOpen.bind(table);
    const atMark = gate();
    const release = gate();
    jest.spyOn(table, 'markOpen').mockImplementation(async (...args) => {
      atMark.open();
      await release.opened;
      return markOpen(...args);
    });
    const opener = applyDecision(deps, decide('d-1'), 'd-1');
    await atMark.opened;
    // WHEN a repeat arrives, finds the record "opening" and records itself
    const repeat = await applyDecision(deps, decide('d-2'), 'd-2');
    expect(repeat).toMatchObject({ decision: 'append', generation: 1 });
    expect(repeat).not.toHaveProperty('incidentRef');
    release.open();
    // THEN the opener's mark returns the repeat, and the opener appends it, once
    const opened = await opener;
    expect(opened).toMatchObject({ decision: 'open', appended: 1 });
    const appends = im.commandCalls(CreateTimelineEventCommand);
    expect(appends.map((a) => a.args[0].input.clientToken)).toEqual([
      clientToken('repeat', repeat.dedupeKey, '1', 'd-2'),
    ]);
  });

  it('that read "opening" but writes after the mark appends itself, once', async () => {
    // GIVEN a repeat that read the record while "opening", held before it records itself,
    // AND an opener that marks the record open meanwhile
    const { im, deps, table } = await setup();
    const markOpen = table.markOpen.bind(table);
    const record = table.record.bind(table);
    const repeatAtRecord = gate();
    const marked = gate();
    jest.spyOn(table, 'markOpen').mockImplementation(async (...args) => {
      await repeatAtRecord.opened;
      const out = await markOpen(...args);
      marked.open();
      return out;
    });
    jest.spyOn(table, 'record').mockImplementation(async (...args) => {
      repeatAtRecord.open();
      await marked.opened;
      return record(...args);
    });
    // WHEN both run
    const [opened, repeat] = await Promise.all([
      applyDecision(deps, decide('d-1'), 'd-1'),
      applyDecision(deps, decide('d-2'), 'd-2'),
    ]);
    // THEN the late "record me" is refused, and the repeat appends itself to the incident
    expect(opened).toMatchObject({ decision: 'open', appended: 0 });
    const arn = (opened as Extract<IntakeOutcome, { decision: 'open' }>).incidentRef;
    expect(repeat).toMatchObject({ decision: 'append', incidentRef: arn, generation: 1 });
    const appends = im.commandCalls(CreateTimelineEventCommand);
    expect(appends.map((a) => a.args[0].input.clientToken)).toEqual([
      clientToken('repeat', repeat.dedupeKey, '1', 'd-2'),
    ]);
    // AND nothing is left on the record for no one to append
    expect((await table.read(repeat.dedupeKey!))?.pending).toEqual([]);
  });
});

describe('a repeat', () => {
  it('while the incident is open is one timeline event on it, never a second incident', async () => {
    const { im, deps } = await setup();
    const first = await applyDecision(deps, decide('d-1'), 'd-1');
    const second = await applyDecision(deps, decide('d-2'), 'd-2');
    expect(first.decision).toBe('open');
    expect(second).toMatchObject({ decision: 'append', generation: 1 });
    expect(im.commandCalls(StartIncidentCommand)).toHaveLength(1);
    expect(im.commandCalls(CreateTimelineEventCommand)).toHaveLength(1);
  });

  it('after the incident was resolved opens a new incident, with a new idempotency token', async () => {
    let status: 'OPEN' | 'RESOLVED' = 'OPEN';
    const { im, deps } = await setup({ status: () => status });
    const key = decide('d-1').dedupeKey!;
    await applyDecision(deps, decide('d-1'), 'd-1');
    // WHEN a responder resolves it, and the finding is published again
    status = 'RESOLVED';
    const again = await applyDecision(deps, decide('d-2'), 'd-2');
    // THEN a second incident opens, as generation 2
    expect(again).toMatchObject({ decision: 'open', generation: 2 });
    const tokens = im.commandCalls(StartIncidentCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toEqual([openToken(key, 1), openToken(key, 2)]);
    expect(im.commandCalls(CreateTimelineEventCommand)).toHaveLength(0);
  });

  it('of the same delivery (a retried invocation) opens nothing more and appends nothing', async () => {
    const { im, deps } = await setup();
    await applyDecision(deps, decide('d-1'), 'd-1');
    const retried = await applyDecision(deps, decide('d-1'), 'd-1');
    expect(retried).toMatchObject({ decision: 'open', retried: true });
    expect(im.commandCalls(StartIncidentCommand)).toHaveLength(1);
    expect(im.commandCalls(CreateTimelineEventCommand)).toHaveLength(0);
  });
});

describe('a crash between the put and StartIncident', () => {
  it('blocks repeats only until the lease expires; then one takes over with the same token', async () => {
    // GIVEN an opener that claimed the record and died before StartIncident
    const { im, deps, table, advance } = await setup();
    const crashed = decide('d-crashed');
    if (crashed.kind !== 'incident') throw new Error('expected an incident');
    const claimed = await table.claim(
      crashed.dedupeKey,
      'd-crashed',
      JSON.stringify(crashed.incident),
      'guardDutyFinding',
      deps.now(),
    );
    expect(claimed.ok).toBe(true);
    // WHEN a repeat arrives while the lease runs THEN it is recorded for the opener, no incident
    const during = await applyDecision(deps, decide('d-during'), 'd-during');
    expect(during).toMatchObject({ decision: 'append', generation: 1 });
    expect(during).not.toHaveProperty('incidentRef');
    expect(im.commandCalls(StartIncidentCommand)).toHaveLength(0);
    // WHEN another arrives after the lease expired
    advance(LEASE_MS + 1);
    const after = await applyDecision(deps, decide('d-after'), 'd-after');
    // THEN it opens the crashed opener's incident (stored request, same token) and appends both
    expect(after).toMatchObject({ decision: 'open', generation: 1, appended: 2 });
    const start = im.commandCalls(StartIncidentCommand);
    expect(start).toHaveLength(1);
    expect(start[0]!.args[0].input.clientToken).toBe(openToken(crashed.dedupeKey, 1));
    expect(start[0]!.args[0].input.title).toBe(crashed.incident.title);
    expect(im.commandCalls(CreateTimelineEventCommand)).toHaveLength(2);
  });

  it('a failed StartIncident releases the lease, so the retry opens at once with the same token', async () => {
    const { im, deps } = await setup();
    im.on(StartIncidentCommand).rejectsOnce(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    await expect(applyDecision(deps, decide('d-1'), 'd-1')).rejects.toThrow(
      /StartIncident: Rate exceeded/,
    );
    // WHEN another delivery comes at once (no lease to wait out)
    im.on(StartIncidentCommand).resolves({
      incidentRecordArn: `arn:aws:ssm-incidents::111122223333:incident-record/first-responder-guardduty-finding/x`,
    });
    const next = await applyDecision(deps, decide('d-2'), 'd-2');
    expect(next).toMatchObject({ decision: 'open', generation: 1 });
    const tokens = im.commandCalls(StartIncidentCommand).map((c) => c.args[0].input.clientToken);
    expect(new Set(tokens).size).toBe(1);
  });
});

describe('the record', () => {
  it('is one item with a TTL attribute 30 days after it was last seen, on a table with TTL on', async () => {
    const { client, tableName, deps } = await setup();
    const decision = decide('d-1');
    const out = await applyDecision(deps, decision, 'd-1');
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: decision.dedupeKey! } } }),
    );
    expect(Item).toMatchObject({
      state: { S: 'open' },
      generation: { N: '1' },
      owner: { S: 'd-1' },
      incidentRef: { S: (out as { incidentRef: string }).incidentRef },
      expiresAt: { N: String(Math.floor(deps.now() / 1000) + RECORD_TTL_DAYS * 86_400) },
    });
    expect(Item).not.toHaveProperty('leaseUntil');
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('refuses a second claim of the same key (the conditional put)', async () => {
    const { table, deps } = await setup();
    const first = await table.claim('k', 'a', '{}', 'guardDutyFinding', deps.now());
    const second = await table.claim('k', 'b', '{}', 'guardDutyFinding', deps.now());
    expect([first.ok, second.ok]).toEqual([true, false]);
    expect((await table.read('k'))?.owner).toBe('a');
  });
});

describe('no incident', () => {
  it('writes nothing and calls no backend', async () => {
    const { im, deps, table } = await setup();
    const out = await applyDecision(
      deps,
      { kind: 'none', detection: 'securityGroupOpened', dedupeKey: 'sg#k', reason: 'compliant' },
      'd-1',
    );
    expect(out).toEqual({ decision: 'none', reason: 'compliant', dedupeKey: 'sg#k' });
    expect(await table.read('sg#k')).toBeUndefined();
    expect(im.calls()).toHaveLength(0);
  });
});
