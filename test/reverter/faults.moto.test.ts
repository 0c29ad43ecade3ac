/**
 * The fault suite (issue 10): the real reverter and its real SDK client, through a proxy that
 * injects faults in front of moto's EC2 (test/support/fault-proxy.ts). Each scenario checks the
 * same invariants:
 * - no sample of the group (taken after every write) allows less than the plan's result;
 * - each client authorizes before it revokes;
 * - the `revoking for` line, with the complete before-state, comes before the first write;
 * - the final state equals the plan, after at most one rerun;
 * - the reported result (authorized, revoked, after) is what EC2 shows.
 *
 * FIRST_RESPONDER_RECORD=1 npx jest test/reverter/faults.moto.test.ts writes each scenario's
 * calls and final status to .bench/faults.md.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAwsClients } from '../../cli/aws';
import { runRestore } from '../../cli/commands/restore';
import { clientSettings } from '../../handlers/aws/clients';
import { DEFAULT_LIMITS, type GroupResult } from '../../handlers/policy/results';
import type { TimeBudget } from '../../handlers/respond/remediate';
import { parseRemediationRecord } from '../../handlers/incident/timeline';
import { planGroup } from '../../handlers/policy/planner';
import {
  formatRule,
  ruleFromJson,
  ruleKey,
  rulesFromIpPermissions,
  type Rule,
} from '../../handlers/policy/rules';
import { logger } from '../../handlers/shared/logger';
import { makeHandler, RemediationIncompleteError } from '../../handlers/reverter';
import { fakeTimeline, INCIDENT_ARN, mockSts } from '../cli/support';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy';
import { EXAMPLE_POLICY } from '../support/groups';
import { startMoto, type MotoServer } from '../support/moto';

const POLICY = EXAMPLE_POLICY;
const AUTHORIZE = 'AuthorizeSecurityGroupIngress';
const REVOKE = 'RevokeSecurityGroupIngress';
const DESCRIBE = 'DescribeSecurityGroups';

/** Short timeouts so that held answers cost little; the production values are in clients.ts. */
const TIMEOUTS = { connectionTimeoutMs: 500, requestTimeoutMs: 400 };
const BUDGET: TimeBudget = { reserveMs: 0, groupMs: 10_000, verifyMs: 2_000 };

const world = (port: number, description?: string): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: [{ CidrIp: '0.0.0.0/0', ...(description ? { Description: description } : {}) }],
});
/** ssh narrowed to 10.0.0.0/8, rdp revoked, https kept (examples/policy.json). */
const INITIAL = [world(22, 'ssh'), world(3389), world(443)];
const PLAN_RESULT = ['tcp 22 from 10.0.0.0/8', 'tcp 443 from 0.0.0.0/0'];

let moto: MotoServer;
let proxy: FaultProxy;
let direct: EC2Client;
const table: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto);
  direct = new EC2Client(moto.clientConfig);
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  direct?.destroy();
  if (process.env.FIRST_RESPONDER_RECORD) {
    const dir = join(__dirname, '..', '..', '.bench');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'faults.md'),
      [
        '| scenario | EC2 requests (through the proxy) | status | reads | reruns |',
        '| --- | --- | --- | --- | --- |',
        ...table,
      ].join('\n') + '\n',
    );
  }
});
let info: jest.SpyInstance;
beforeEach(async () => {
  await moto.reset();
  proxy.reset();
  // The audit line goes into the proxy's sequence, so its order against the writes is known.
  const original = logger.info.bind(logger);
  info = jest.spyOn(logger, 'info').mockImplementation((message: unknown, ...rest: unknown[]) => {
    if (typeof message === 'string' && message.startsWith('revoking for '))
      proxy.mark('revoking for', rest[0]);
    return (original as (...a: unknown[]) => void)(message, ...rest);
  });
});
afterEach(() => info.mockRestore());

/** The handler's own client settings, pointed at the proxy, naming itself in a header. */
function clientFor(name: string): EC2Client {
  const ec2 = new EC2Client({
    ...clientSettings(TIMEOUTS),
    ...moto.clientConfig,
    endpoint: proxy.endpoint,
  });
  ec2.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-fault-client'] = name;
      return next(args);
    },
    { step: 'build', name: 'faultClientName' },
  );
  return ec2;
}

function reverter(ec2: EC2Client, budget: TimeBudget = BUDGET) {
  return makeHandler({
    ec2,
    incidents: new SSMIncidentsClient({ region: 'us-east-1' }),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
    budget,
  });
}

async function createGroup(permissions: readonly IpPermission[] = INITIAL): Promise<string> {
  const vpc = await direct.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await direct.send(
    new CreateSecurityGroupCommand({
      GroupName: `g-${Math.random().toString(36).slice(2)}`,
      Description: 'fault suite',
      VpcId: vpc.Vpc!.VpcId,
    }),
  );
  await direct.send(
    new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [...permissions] }),
  );
  return GroupId!;
}

const lines = (rules: readonly Rule[]) => rules.map(formatRule).sort();
const keys = (rules: readonly Rule[]) => new Set(rules.map(ruleKey));
const minus = (a: readonly Rule[], b: readonly Rule[]) => {
  const k = keys(b);
  return a.filter((r) => !k.has(ruleKey(r)));
};

/** Hooks: change the group behind the reverter's back, through moto directly. */
const hooks = {
  /** Revoke and re-add the same rule: same content, new sgr- ID. */
  replace: (groupId: string, permission: IpPermission): Fault => ({
    kind: 'hook',
    run: async () => {
      await direct.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
      );
      await direct.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
      );
    },
  }),
  add: (groupId: string, permission: IpPermission): Fault => ({
    kind: 'hook',
    run: async () => {
      await direct.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
      );
    },
  }),
  remove: (groupId: string, permission: IpPermission): Fault => ({
    kind: 'hook',
    run: async () => {
      await direct.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
      );
    },
  }),
  deleteGroup: (groupId: string): Fault => ({
    kind: 'hook',
    run: async () => {
      await direct.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
    },
  }),
};

interface Outcome {
  readonly results: readonly GroupResult[];
  readonly reruns: number;
}

/**
 * The invariants, for one group and every invocation that ran on it. `changedByHooks`: rules
 * the scenario itself added or removed, which no reported result may claim.
 */
async function checkInvariants(
  groupId: string,
  initial: readonly Rule[],
  results: readonly GroupResult[],
  changedByHooks: { added?: readonly Rule[]; removed?: readonly Rule[] } = {},
): Promise<number> {
  const plan = planGroup({ groupId, tags: {}, ingress: initial }, POLICY);
  const mustStay = plan.after.map(ruleKey);

  // no sample below the plan's result
  for (const s of proxy.samples(groupId)) {
    const have = keys(s.ingress);
    expect({ after: s.after, missing: mustStay.filter((k) => !have.has(k)) }).toEqual({
      after: s.after,
      missing: [],
    });
  }
  // authorize before revoke: within each client's round (between two reads), no authorize
  // follows a revoke (a client that read after another's authorize may only revoke)
  const writes = proxy.requests().filter((r) => r.action === AUTHORIZE || r.action === REVOKE);
  const round = new Map<string | undefined, string[]>();
  for (const r of proxy.requests()) {
    if (r.action === DESCRIBE) {
      round.set(r.client, []);
      continue;
    }
    const seen = round.get(r.client) ?? [];
    const wrong = r.action === AUTHORIZE && seen.includes(REVOKE);
    expect(wrong ? `${r.client}: authorize after revoke (call ${r.call})` : 'in order').toBe(
      'in order',
    );
    round.set(r.client, [...seen, r.action]);
  }
  // the audit line with the complete before-state, before the first write
  const marks = proxy.events.filter((e) => e.kind === 'mark' && e.label === 'revoking for');
  if (writes.length > 0) {
    expect(marks.length).toBeGreaterThan(0);
    expect(marks[0]!.seq).toBeLessThan(writes[0]!.seq);
    const first = marks[0]!.kind === 'mark' ? (marks[0]!.data as { before: [] }) : undefined;
    expect(lines(first!.before.map(ruleFromJson))).toEqual(lines(initial));
  }
  // the reported result is what EC2 shows
  const final = (await proxy.ingress(groupId)) ?? [];
  const gone = (await proxy.ingress(groupId)) === undefined;
  if (!gone) {
    // A hook's change in the plan's own direction is indistinguishable from our lost write: the
    // result claims it (the group went through it); any other change by a hook it never claims.
    const inPlan = (rules: readonly Rule[] | undefined, planned: readonly Rule[]) =>
      minus(rules ?? [], planned);
    const added = minus(
      minus(final, initial),
      inPlan(
        changedByHooks.added,
        plan.authorize.map((c) => c.rule),
      ),
    );
    const removed = minus(
      minus(initial, final),
      inPlan(
        changedByHooks.removed,
        plan.revoke.map((c) => c.rule),
      ),
    );
    const reportedAuth = results.flatMap((r) => r.authorized.map(ruleFromJson));
    const reportedRevoke = results.flatMap((r) => r.revoked.map(ruleFromJson));
    expect([...new Set(lines(reportedAuth))]).toEqual(lines(added));
    expect([...new Set(lines(reportedRevoke))]).toEqual(lines(removed));
    for (const r of results)
      if (r.verified) expect(lines((r.after ?? []).map(ruleFromJson))).toEqual(lines(final));
  }
  // the final state equals the plan after at most one rerun
  if (gone || results.every((r) => r.status === 'gone')) return 0;
  if (lines(final).join() === PLAN_RESULT.join()) return 0;
  proxy.clearFaults();
  const rerun = await reverter(clientFor('rerun'))({ groupIds: [groupId] });
  expect(rerun.results[0]?.status).toBe('remediated');
  expect(lines((await proxy.ingress(groupId)) ?? [])).toEqual(PLAN_RESULT);
  return 1;
}

function record(name: string, groupId: string, outcome: Outcome) {
  const reqs = proxy
    .requests()
    .filter((r) => r.groupId === groupId || r.action === DESCRIBE)
    .filter((r) => r.client !== 'rerun')
    .map(
      (r) =>
        `${r.action.replace('SecurityGroupIngress', '').replace('SecurityGroups', '')}${r.fault ? `(${r.fault})` : ''}`,
    );
  const reads = proxy.requests(DESCRIBE).filter((r) => r.client !== 'rerun').length;
  table.push(
    `| ${name} | ${reqs.join(', ')} | ${outcome.results.map((r) => r.status).join(', ')} | ${reads} | ${outcome.reruns} |`,
  );
}

interface Scenario {
  readonly name: string;
  readonly faults: (groupId: string) => [string, number | number[] | 'every', Fault][];
  readonly status: GroupResult['status'];
  /** DescribeSecurityGroups requests, SDK retries included. */
  readonly reads: number;
  readonly hooks?: { added?: IpPermission[]; removed?: IpPermission[] };
  readonly reruns?: number;
}

const scenarios: Scenario[] = [
  {
    name: 'no fault',
    faults: () => [],
    status: 'remediated',
    reads: 1,
  },
  {
    name: '1. stale rule IDs: the rule is replaced (new ID) before the revoke',
    faults: (g) => [[REVOKE, 1, hooks.replace(g, world(3389))]],
    status: 'remediated',
    reads: 1,
  },
  {
    name: '3. held answer to the authorize, applied: timeout, retry gets Duplicate',
    faults: () => [[AUTHORIZE, 1, { kind: 'hold', forward: true }]],
    status: 'remediated',
    reads: 2,
  },
  {
    name: '3. held request to the authorize, not applied: timeout, retry succeeds',
    faults: () => [[AUTHORIZE, 1, { kind: 'hold', forward: false }]],
    status: 'remediated',
    reads: 1,
  },
  {
    name: '4. authorize applied, answer lost on every attempt',
    faults: () => [[AUTHORIZE, 'every', { kind: 'drop' }]],
    status: 'remediated',
    reads: 2,
  },
  {
    name: '4. both writes applied, answers lost on every attempt',
    faults: () => [
      [AUTHORIZE, 'every', { kind: 'drop' }],
      [REVOKE, 'every', { kind: 'drop' }],
    ],
    status: 'remediated',
    reads: 3,
  },
  {
    name: '4. revoke applied, answer truncated on every attempt',
    faults: () => [[REVOKE, 'every', { kind: 'truncate' }]],
    status: 'remediated',
    reads: 2,
  },
  {
    name: '5xx: 500 on the first authorize, retried by the SDK',
    faults: () => [[AUTHORIZE, 1, { kind: 'status', status: 500 }]],
    status: 'remediated',
    reads: 1,
  },
  {
    name: '5xx: 503 on every revoke: failed, told truthfully; a rerun converges',
    faults: () => [[REVOKE, 'every', { kind: 'status', status: 503 }]],
    status: 'failed',
    reads: 3,
    reruns: 1,
  },
  {
    name: '2. throttled once per call (RequestLimitExceeded)',
    faults: () => [
      [DESCRIBE, 1, { kind: 'throttle' }],
      [AUTHORIZE, 1, { kind: 'throttle' }],
      [REVOKE, 1, { kind: 'throttle' }],
    ],
    status: 'remediated',
    reads: 2,
  },
  {
    name: '5. Duplicate: the narrowed rule appears before the authorize',
    faults: (g) => [
      [AUTHORIZE, 1, hooks.add(g, { ...world(22), IpRanges: [{ CidrIp: '10.0.0.0/8' }] })],
    ],
    status: 'remediated',
    reads: 2,
    hooks: { added: [{ ...world(22), IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] },
  },
  {
    name: '5. NotFound: a revoked rule disappears before the revoke',
    faults: (g) => [[REVOKE, 1, hooks.remove(g, world(3389))]],
    status: 'remediated',
    reads: 2,
    hooks: { removed: [world(3389)] },
  },
  {
    name: 'a world-open rule added before the revoke: a rerun takes it',
    faults: (g) => [[REVOKE, 1, hooks.add(g, world(8080))]],
    status: 'remediated',
    reads: 1,
    hooks: { added: [world(8080)] },
    reruns: 1,
  },
  {
    name: 'the group is deleted between the read and the write',
    faults: (g) => [[AUTHORIZE, 1, hooks.deleteGroup(g)]],
    status: 'gone',
    reads: 1,
  },
];

describe('the reverter under faults, against moto through the fault proxy', () => {
  it.each(scenarios)('$name', async (s) => {
    // GIVEN a world-open group and the scenario's faults
    const groupId = await createGroup();
    const initial = (await proxy.ingress(groupId))!;
    for (const [action, calls, fault] of s.faults(groupId)) proxy.inject(action, calls, fault);

    // WHEN the reverter runs once
    const res = await reverter(clientFor('a'))({ groupIds: [groupId] });

    // THEN its status and read count are the scenario's, and every invariant holds
    const result = res.results[0]!;
    expect({ status: result.status, reason: result.reason }).toEqual({
      status: s.status,
      reason: result.status === s.status ? result.reason : '',
    });
    expect(proxy.requests(DESCRIBE)).toHaveLength(s.reads);
    const reruns = await checkInvariants(groupId, initial, [result], {
      added: rulesFromIpPermissions(s.hooks?.added),
      removed: rulesFromIpPermissions(s.hooks?.removed),
    });
    expect(reruns).toBe(s.reruns ?? 0);
    record(s.name, groupId, { results: [result], reruns });
  });

  it.each([2, 5])('%i concurrent invocations on one group converge and agree', async (n) => {
    const groupId = await createGroup();
    const initial = (await proxy.ingress(groupId))!;
    const runs = await Promise.all(
      Array.from({ length: n }, (_, i) => reverter(clientFor(`c${i}`))({ groupIds: [groupId] })),
    );
    const results = runs.map((r) => r.results[0]!);
    for (const r of results) expect(['remediated', 'compliant']).toContain(r.status);
    // each invocation reads once, and once more only after an unknown write (twice at most)
    for (let i = 0; i < n; i++)
      expect(
        proxy.requests(DESCRIBE).filter((r) => r.client === `c${i}`).length,
      ).toBeLessThanOrEqual(3);
    const reruns = await checkInvariants(groupId, initial, results);
    expect(reruns).toBe(0);
    record(`${n} concurrent invocations`, groupId, { results, reruns });
  });

  it('2. the deadline: fully throttled, groups not reached are recorded as not-attempted and the step fails', async () => {
    // GIVEN 6 groups, every EC2 request throttled, an incident, and a 4 s fake deadline
    const groups: string[] = [];
    for (let i = 0; i < 6; i++) groups.push(await createGroup());
    proxy.inject(DESCRIBE, 'every', { kind: 'throttle' });
    proxy.inject(AUTHORIZE, 'every', { kind: 'throttle' });
    proxy.inject(REVOKE, 'every', { kind: 'throttle' });
    const timeline = fakeTimeline();
    const deadlineMs = 4_000;
    const started = Date.now();
    const context = {
      awsRequestId: 'deadline-1',
      getRemainingTimeInMillis: () => started + deadlineMs - Date.now(),
    };
    const budget = { reserveMs: 1_500, groupMs: 1_500, verifyMs: 250 };
    try {
      // WHEN the reverter runs for the incident
      const run = reverter(clientFor('a'), budget)(
        { incidentRecordArn: INCIDENT_ARN, groupIds: groups },
        context,
      );
      // THEN it fails visibly, before its deadline
      await expect(run).rejects.toThrow(RemediationIncompleteError);
      await expect(run).rejects.toThrow(/not-attempted: deadline/);
      expect(Date.now() - started).toBeLessThan(deadlineMs);
      // with every group's status on the incident: the ones it reached refused (unreadable),
      // the rest not attempted
      const records = timeline.written().map((w) => parseRemediationRecord(JSON.stringify(w))!);
      expect(records.map((r) => r.groupId)).toEqual(groups);
      const statuses = records.map((r) => r.status);
      expect(statuses[0]).toBe('refused');
      expect(statuses.at(-1)).toBe('not-attempted');
      expect(new Set(statuses)).toEqual(new Set(['refused', 'not-attempted']));
      // and nothing was changed on any group
      for (const g of groups)
        expect(lines((await proxy.ingress(g))!)).toEqual(lines(rulesFromIpPermissions(INITIAL)));
      table.push(
        `| 2. deadline: 6 groups fully throttled, 4 s fake deadline | every request RequestLimitExceeded | ${statuses.join(', ')} | ${proxy.requests(DESCRIBE).length} | 0 |`,
      );
    } finally {
      timeline.mock.restore();
    }
  });

  it('restore after a remediation whose write answers were all lost puts the group back', async () => {
    // GIVEN a remediation for an incident, every write applied but its answer lost
    const groupId = await createGroup();
    const initial = (await proxy.ingress(groupId))!;
    proxy.inject(AUTHORIZE, 'every', { kind: 'drop' });
    proxy.inject(REVOKE, 'every', { kind: 'drop' });
    const timeline = fakeTimeline();
    const sts = mockSts();
    try {
      const res = await reverter(clientFor('a'))(
        { incidentRecordArn: INCIDENT_ARN, groupIds: [groupId] },
        { awsRequestId: 'lost-1' },
      );
      // THEN the record on the incident is true: what EC2 shows, not "failed, nothing done"
      const written = parseRemediationRecord(JSON.stringify(timeline.written()[0]))!;
      expect(written).toMatchObject({ status: 'remediated' });
      const reruns = await checkInvariants(groupId, initial, res.results);
      expect(reruns).toBe(0);
      record('restore after lost write answers (the remediation)', groupId, {
        results: res.results,
        reruns,
      });

      // WHEN restore runs from that record
      const report = await runRestore({
        clients: createAwsClients({ region: 'us-east-1', clientConfig: moto.clientConfig }),
        incidentArn: INCIDENT_ARN,
        yes: true,
      });
      // THEN the group is as it was before the remediation
      expect(report).toMatchObject({ ok: true, applied: true });
      expect(lines((await proxy.ingress(groupId))!)).toEqual(lines(initial));
    } finally {
      timeline.mock.restore();
      sts.restore();
    }
  });
});
