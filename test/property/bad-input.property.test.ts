/**
 * Bad input, generated: policies, groups files, handler requests and event payloads, valid and
 * malformed (fast-check). Every input must be either accepted with every rule accounted for, or
 * refused with one line naming a field; never an internal error; and a refused handler request
 * makes no AWS call at all (aws-sdk-client-mock). The counts are printed at the end.
 */
import { ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { parseDescribeDocument } from '../../cli/commands/plan';
import { EXIT } from '../../cli/errors';
import { main } from '../../cli/main';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { makeHandler as configEvaluator } from '../../handlers/config-evaluator';
import { makeHandler as guardDutyResponse } from '../../handlers/guardduty-response';
import { findingFacts } from '../../handlers/incident/guardduty';
import { rootActivityFacts } from '../../handlers/incident/root-activity';
import { parseTrigger } from '../../handlers/incident/trigger';
import { planGroup } from '../../handlers/policy/planner';
import { parsePolicy, type SecurityGroupPolicy } from '../../handlers/policy/policy';
import { parsePolicyText } from '../../handlers/policy/policy-file';
import { snapshotFromDescribe } from '../../handlers/policy/rules';
import { makeHandler as reverter } from '../../handlers/reverter';
import { makeHandler as rootTriage } from '../../handlers/root-triage';
import { InputError } from '../../handlers/shared/errors';
import { logger } from '../../handlers/shared/logger';
import { ValidationError } from '../../handlers/shared/validation';
import {
  configNoncompliancePattern,
  guardDutyFindingPattern,
  rootActivityPattern,
  securityGroupOpenedPattern,
} from '../../patterns';
import { matchesPattern } from '../../patterns/match';
import { INCIDENT_ARN, mockIncidents, triggerData } from '../incident/support';
import { EXAMPLE_POLICY, ingressRule } from '../support/groups';

/** Runs per property; the total is checked at the end (at least 10,000). */
const RUNS = {
  policies: 3000,
  policyText: 600,
  groups: 3000,
  cli: 250,
  reverter: 1000,
  incidentRequests: 700,
  configEvaluator: 1000,
  events: 1200,
} as const;

type Tally = Record<string, { accepted: number; refused: number }>;
const tally: Tally = {};
const count = (category: string, outcome: 'accepted' | 'refused') => {
  tally[category] ??= { accepted: 0, refused: 0 };
  tally[category][outcome]++;
};

/** A refusal: one line, each problem starting with a field path under one of `roots`. */
function expectRefusal(err: unknown, roots: readonly string[]): void {
  if (err instanceof ValidationError) {
    expect(err.summary).not.toMatch(/\n/);
    expect(err.summary.length).toBeLessThan(2600);
    for (const p of err.problems)
      if (!roots.some((r) => p.startsWith(r))) throw new Error(`no field path: ${p}`);
    return;
  }
  if (err instanceof InputError) {
    expect(err.message).not.toMatch(/\n/);
    expect(err.message.length).toBeLessThan(3000);
    if (!roots.some((r) => err.message.includes(r)))
      throw new Error(`no field path: ${err.message}`);
    return;
  }
  throw err; // anything else is an internal error: the property fails with it
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 6 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.constant('x'.repeat(400)),
);
/** Mostly `good`, sometimes `bad`: each field is wrong rarely, so whole inputs are often valid. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: bad });
/** Mostly `arb`, sometimes something of the wrong type. */
const maybe = <T>(arb: fc.Arbitrary<T>) => mostly(arb, junk);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
/** Sometimes adds a field nobody defined. */
const withStray = <T extends object>(arb: fc.Arbitrary<T>, key: string) =>
  fc.tuple(arb, fc.nat(40)).map(([o, n]) => (n === 0 ? { ...o, [key]: 'stray' } : o));

const portSpec = mostly(
  fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('22', '0-255', '0-65535', '022', ' 22 ', '443 - 444'),
    fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
  ),
  fc.oneof(
    fc.constantFrom(-1, 65536, 70000, 1.5, '80-79', '1-2-3', '', 'abc', '65536'),
    fc.integer({ min: -5, max: 70000 }),
  ),
);
const policySource = mostly(
  fc.constantFrom(
    '0.0.0.0/0',
    '::/0',
    '10.0.0.0/8',
    '10.1.2.3/8',
    '2001:db8::/32',
    'self',
    ' self ',
    'pl-12345678',
    'sg-12345678',
  ),
  fc.oneof(
    fc.constantFrom('192.168.0.0/33', '300.0.0.0/8', 'SELF', 'sg-xyz', ''),
    fc.string({ maxLength: 10 }),
  ),
);
const PORTED = ['tcp', 'udp', 'icmp', 'icmpv6', '06', '6', '017', 'TCP', ' udp ', 6, 1, 58];
const PORTLESS = ['-1', 'all', '50'];
/** A list that is rarely empty (an empty list is refused), sometimes not a list at all. */
const list = <T>(item: fc.Arbitrary<T>, max: number) =>
  maybe(mostly(fc.array(maybe(item), { minLength: 1, maxLength: max }), fc.constant([])));
const policyEntry = withStray(
  fc
    .record(
      {
        protocol: mostly(
          fc.constantFrom(...PORTED, ...PORTLESS),
          fc.oneof(fc.constantFrom('256', 'foo', -1, '0x6'), junk),
        ),
        ports: list(portSpec, 3),
        from: list(policySource, 3),
        description: optional(
          mostly(
            fc.constantFrom('web (prod) #1', 'a'.repeat(255), 'ssh: 10.0.0.0/8 [ops]'),
            fc.oneof(
              fc.constantFrom('bad\nline', "it's", 'a'.repeat(256), 'café'),
              fc.string({ maxLength: 10 }),
            ),
          ),
        ),
      },
      { requiredKeys: ['protocol', 'from'] },
    )
    // Ports where the protocol has them, mostly; every port (no "ports") a third of the time.
    .chain((e) =>
      fc.nat(30).map((n) => {
        const { ports, ...rest } = e;
        const keep = PORTED.includes(e.protocol as never) ? n % 3 !== 0 : n === 0;
        return keep && ports !== undefined ? { ...rest, ports } : rest;
      }),
    ),
  'port',
);
const policyDoc = maybe(
  withStray(
    fc.record(
      {
        mode: optional(
          mostly(fc.constantFrom('restrict', 'exact'), fc.constantFrom('deny', 'EXACT', 5)),
        ),
        ingress: maybe(
          fc
            .array(maybe(policyEntry), { minLength: 1, maxLength: 3 })
            .chain((l) => fc.constantFrom(l, l, l, l, l, l, l, l, [])),
        ),
        revokeAll: optional(maybe(fc.boolean())),
        exempt: optional(
          maybe(
            fc.record({
              tag: maybe(fc.string({ maxLength: 8 })),
              value: maybe(fc.string({ maxLength: 8 })),
            }),
          ),
        ),
        egress: mostly(fc.constant(undefined), fc.constant([])),
      },
      { requiredKeys: ['ingress'] },
    ),
    'ingres',
  ),
);

const cidr4 = fc.oneof(
  fc.constantFrom('0.0.0.0/0', '10.0.0.0/8', '10.1.2.3/32', '192.168.1.0/24'),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(32)).map(([a, b, p]) => `${a}.${b}.0.0/${p}`),
);
const cidr6 = fc.constantFrom('::/0', '2001:db8::/32', '2001:db8::1/128', 'fe80::/10');
const badCidr = fc.constantFrom('10.0.0.0/33', 'abc', '', '0.0.0.0', '2001:db8::/129');
const description = optional(fc.string({ maxLength: 8 }));
const rangeOf = (key: string, good: fc.Arbitrary<string>) =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(good, description)
        .map(([v, d]) => ({ [key]: v, ...(d === undefined ? {} : { Description: d }) })),
    },
    { weight: 1, arbitrary: good }, // the AWS Config spelling: a bare string
    { weight: 1, arbitrary: badCidr.map((v) => ({ [key]: v })) },
    { weight: 1, arbitrary: junk },
  );
const groupRef = fc.constantFrom('sg-0123456789abcdef0', 'sg-12345678', 'sg-bad', 'sg-0A');
const ipPermission = withStray(
  fc.record(
    {
      IpProtocol: mostly(
        fc.constantFrom('tcp', 'udp', 'icmp', 'icmpv6', '-1', '6', '50', 'TCP'),
        fc.oneof(fc.constantFrom('sctp-ish', '256'), junk),
      ),
      IpRanges: optional(maybe(fc.array(rangeOf('CidrIp', cidr4), { maxLength: 3 }))),
      Ipv6Ranges: optional(maybe(fc.array(rangeOf('CidrIpv6', cidr6), { maxLength: 2 }))),
      PrefixListIds: optional(
        maybe(
          fc.array(maybe(fc.record({ PrefixListId: fc.constantFrom('pl-12345678', 'pl-x') })), {
            maxLength: 2,
          }),
        ),
      ),
      UserIdGroupPairs: optional(
        maybe(
          fc.array(
            maybe(
              fc.record(
                { GroupId: groupRef, UserId: optional(fc.constant('111122223333')) },
                { requiredKeys: [] },
              ),
            ),
            { maxLength: 2 },
          ),
        ),
      ),
    },
    { requiredKeys: ['IpProtocol'] },
  ),
  'VpcEndpointServiceIds',
);
/** Ports: mostly a pair EC2 could return, sometimes not. */
const portPair = fc.oneof(
  { weight: 8, arbitrary: fc.constant({}) },
  {
    weight: 8,
    arbitrary: fc.constantFrom({ FromPort: -1, ToPort: -1 }, { FromPort: 8, ToPort: -1 }),
  },
  {
    weight: 16,
    arbitrary: fc
      .tuple(fc.nat(65535), fc.nat(65535))
      .map(([a, b]) => ({ FromPort: Math.min(a, b), ToPort: Math.max(a, b) })),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        FromPort: fc.constantFrom(-1, 0, 22, 80, 70000, 1.5, '22', true, 'abc'),
        ToPort: fc.constantFrom(-2, -1, 22, 'abc', null),
      },
      { requiredKeys: [] },
    ),
  },
);
const ipPermissionWithPorts = fc
  .tuple(ipPermission, portPair)
  .map(([p, ports]) => ({ ...p, ...ports }));
const securityGroup = withStray(
  fc.record(
    {
      GroupId: maybe(groupRef),
      GroupName: optional(fc.string({ maxLength: 6 })),
      Tags: optional(
        maybe(
          fc.array(
            maybe(
              fc.record(
                {
                  Key: fc.constantFrom('first-responder:exempt', 'Name'),
                  Value: fc.constantFrom('true', 'TRUE', 'no'),
                },
                { requiredKeys: ['Key'] },
              ),
            ),
            { maxLength: 2 },
          ),
        ),
      ),
      IpPermissions: optional(maybe(fc.array(maybe(ipPermissionWithPorts), { maxLength: 3 }))),
    },
    { requiredKeys: ['GroupId'] },
  ),
  'IpPermisions',
);
const groupsDoc = maybe(
  withStray(
    fc.record({ SecurityGroups: maybe(fc.array(securityGroup, { maxLength: 3 })) }),
    'Groups',
  ),
);

/** How many sources the input lists: each must come back as exactly one rule. */
function sourcesIn(group: { IpPermissions?: unknown }): string[] {
  const out: string[] = [];
  for (const p of (group.IpPermissions as Record<string, { [k: string]: string }[]>[]) ?? []) {
    for (const r of p.IpRanges ?? []) out.push(r.CidrIp!);
    for (const r of p.Ipv6Ranges ?? []) out.push(r.CidrIpv6!);
    for (const r of p.PrefixListIds ?? []) out.push(r.PrefixListId!);
    for (const r of p.UserIdGroupPairs ?? []) out.push(r.GroupId!);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

beforeAll(() => logger.setLogLevel('SILENT'));

describe('bad input, generated', () => {
  it('policies: accepted with every entry and source accounted for, or refused naming a field', () => {
    fc.assert(
      fc.property(policyDoc, (doc) => {
        let policy: SecurityGroupPolicy;
        try {
          policy = parsePolicy(doc);
        } catch (err) {
          expectRefusal(err, ['policy']);
          count('policies', 'refused');
          return;
        }
        count('policies', 'accepted');
        const input = doc as {
          ingress: { from: unknown[]; ports?: (string | number)[]; protocol: unknown }[];
        };
        expect(policy.ingress).toHaveLength(input.ingress.length);
        if (policy.ingress.length === 0) expect(policy.revokeAll).toBe(true);
        policy.ingress.forEach((entry, i) => {
          const raw = input.ingress[i]!;
          expect(entry.from).toHaveLength(raw.from.length);
          for (const spec of raw.ports ?? []) {
            const [a, b = a] = String(spec)
              .split('-')
              .map((x) => Number(x.trim()));
            // Every listed port is allowed (ICMP 0-255 became "every type": no ports).
            const ok =
              entry.ports === undefined || entry.ports.some((r) => r.from <= a! && b! <= r.to);
            expect(ok).toBe(true);
          }
        });
      }),
      { numRuns: RUNS.policies },
    );
  });

  it('policy text (JSON and YAML): read as the same document, or refused naming the file or a field', () => {
    fc.assert(
      fc.property(policyDoc, fc.boolean(), (doc, asYaml) => {
        const text = asYaml ? toYaml(doc ?? null) : (JSON.stringify(doc) ?? 'null');
        let direct: unknown;
        try {
          direct = parsePolicy(doc);
        } catch {
          direct = undefined;
        }
        try {
          const read = parsePolicyText(text, 'p.yaml');
          count('policy text', 'accepted');
          expect(read).toEqual(direct);
        } catch (err) {
          expectRefusal(err, ['policy', 'p.yaml: ']);
          count('policy text', 'refused');
          expect(direct).toBeUndefined();
        }
      }),
      { numRuns: RUNS.policyText },
    );
  });

  it('groups files: every source becomes one rule and every rule is kept or revoked, or refused naming a field', () => {
    fc.assert(
      fc.property(groupsDoc, (doc) => {
        let groups;
        try {
          groups = parseDescribeDocument(doc, 'groups.json');
        } catch (err) {
          expectRefusal(err, ['groups.json: ']);
          count('groups files', 'refused');
          return;
        }
        count('groups files', 'accepted');
        for (const g of groups) {
          const snapshot = snapshotFromDescribe(g);
          const sources = sourcesIn(g);
          expect(snapshot.ingress.map((r) => r.source.value)).toEqual(sources);
          const plan = planGroup(snapshot, EXAMPLE_POLICY);
          const revoked = new Set(plan.revoke.map((c) => c.rule));
          for (const r of snapshot.ingress)
            expect(revoked.has(r) || plan.after.includes(r)).toBe(true);
        }
      }),
      { numRuns: RUNS.groups },
    );
  });

  describe('through the command line', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'fr-property-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const encodings = fc.constantFrom('utf8', 'utf8-bom', 'utf16le-bom', 'utf16le', 'latin1');
    function encode(text: string, how: string): Buffer {
      if (how === 'utf8-bom')
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
      if (how === 'utf16le-bom')
        return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      if (how === 'utf16le') return Buffer.from(text, 'utf16le');
      if (how === 'latin1') return Buffer.from(`${text}\u00e9`, 'latin1');
      return Buffer.from(text);
    }

    it('plan exits 0, or 2 with one stderr line naming a file or field; never an internal error', async () => {
      const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await fc.assert(
          fc.asyncProperty(
            policyDoc,
            groupsDoc,
            encodings,
            fc.boolean(),
            async (policy, groups, how, yaml) => {
              err.mockClear();
              out.mockClear();
              const policyPath = join(dir, yaml ? 'p.yaml' : 'p.json');
              const groupsPath = join(dir, 'g.json');
              writeFileSync(
                policyPath,
                yaml ? toYaml(policy ?? null) : (JSON.stringify(policy) ?? 'null'),
              );
              writeFileSync(groupsPath, encode(JSON.stringify(groups) ?? 'null', how));
              const code = await main(['plan', '--policy', policyPath, '--from', groupsPath]);
              expect([EXIT.ok, EXIT.badInput]).toContain(code);
              if (code === EXIT.ok) {
                expect(err).not.toHaveBeenCalled();
                count('cli plan', 'accepted');
              } else {
                expect(err).toHaveBeenCalledTimes(1);
                const line = String(err.mock.calls[0]![0]);
                expect(line).not.toMatch(/\n/);
                expect(line).toMatch(
                  new RegExp(`^first-responder plan: (${dir}/[pg]\\.(json|yaml)|policy)`),
                );
                count('cli plan', 'refused');
              }
            },
          ),
          { numRuns: RUNS.cli },
        );
      } finally {
        err.mockRestore();
        out.mockRestore();
      }
    });
  });

  describe('handler requests', () => {
    const ec2 = mockClient(EC2Client);
    const config = mockClient(ConfigServiceClient);
    let incidents = mockIncidents(undefined);
    const SG = 'sg-0123456789abcdef0';
    const writes = () =>
      ec2.commandCalls(AuthorizeSecurityGroupIngressCommand).length +
      ec2.commandCalls(RevokeSecurityGroupIngressCommand).length;

    beforeEach(() => {
      ec2.reset();
      config.reset();
      ec2.on(DescribeSecurityGroupsCommand).resolves({
        SecurityGroups: [
          {
            GroupId: SG,
            GroupName: 'web',
            Tags: [],
            IpPermissions: [
              { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            ],
          },
        ],
      });
      ec2.on(DescribeSecurityGroupRulesCommand).resolves({
        SecurityGroupRules: [ingressRule(SG, 1, 22, '0.0.0.0/0')],
      });
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
      ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
      ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
      config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
    });

    const deps = () => ({
      ec2: new EC2Client({}),
      incidents: new SSMIncidentsClient({}),
      policy: () => EXAMPLE_POLICY,
      limits: () => DEFAULT_LIMITS,
    });

    /** Runs a handler; a refusal must be an InputError naming `request` and no AWS call made. */
    async function run(category: string, call: () => Promise<unknown>, allowed: readonly string[]) {
      ec2.resetHistory();
      config.resetHistory();
      incidents.resetHistory();
      try {
        await call();
        count(category, 'accepted');
      } catch (err) {
        if (err instanceof Error && allowed.includes(err.name)) {
          count(category, 'accepted'); // the request was read; the work could not finish
          return;
        }
        expectRefusal(err, [
          'request',
          'event',
          'invokingEvent',
          'ruleParameters',
          'configuration',
        ]);
        expect(ec2.calls()).toHaveLength(0);
        expect(config.calls()).toHaveLength(0);
        expect(incidents.calls()).toHaveLength(0);
        count(category, 'refused');
      }
      expect(writes()).toBeLessThanOrEqual(2);
    }

    const groupIdText = mostly(
      fc.constantFrom(SG, 'sg-12345678'),
      fc.oneof(fc.constantFrom('sg-bad', 'sg-0A'), fc.string({ maxLength: 6 })),
    );
    const listParam = <T>(item: fc.Arbitrary<T>) =>
      fc.oneof(
        { weight: 5, arbitrary: fc.array(item, { maxLength: 3 }) },
        { weight: 1, arbitrary: fc.array(item, { maxLength: 3 }).map((l) => JSON.stringify(l)) },
        { weight: 1, arbitrary: fc.constantFrom('[not json', '["sg-1",', '[]') },
      );
    const arn = mostly(
      fc.constant(INCIDENT_ARN),
      fc.constantFrom('', 'arn:aws:ssm-incidents::1:incident-record/x', 'x'.repeat(300)),
    );
    const involved = optional(
      maybe(
        listParam(
          fc.constantFrom(`arn:aws:ec2:us-east-1:111122223333:security-group/${SG}`, 'arn:bad', ''),
        ),
      ),
    );

    it('the reverter', async () => {
      const handler = reverter(deps());
      await fc.assert(
        fc.asyncProperty(
          maybe(
            withStray(
              fc.record(
                {
                  groupIds: optional(maybe(listParam(groupIdText))),
                  dryRun: optional(maybe(fc.constantFrom(true, false, 'true', 'false', 'yes'))),
                  incidentRecordArn: optional(maybe(arn)),
                  involvedResources: involved,
                },
                { requiredKeys: [] },
              ),
              'groupId',
            ),
          ),
          async (event) => {
            incidents = mockIncidents(undefined);
            await run('reverter requests', () => handler(event), ['RemediationIncompleteError']);
          },
        ),
        { numRuns: RUNS.reverter },
      );
    });

    const incidentRequest = maybe(
      withStray(
        fc.record(
          { incidentRecordArn: maybe(arn), involvedResources: involved },
          { requiredKeys: [] },
        ),
        'incidentArn',
      ),
    );

    it('guardduty-response and root-triage', async () => {
      const guardDuty = guardDutyResponse({ ...deps(), revertMinSeverity: () => 9 });
      const triage = rootTriage({ incidents: new SSMIncidentsClient({}) });
      await fc.assert(
        fc.asyncProperty(incidentRequest, fc.boolean(), async (event, gd) => {
          incidents = mockIncidents(undefined);
          if (gd)
            await run('guardduty-response requests', () => guardDuty(event), [
              'ResponseIncompleteError',
            ]);
          else await run('root-triage requests', () => triage(event), ['TriageIncompleteError']);
        }),
        { numRuns: RUNS.incidentRequests },
      );
    });

    const configPermission = withStray(
      fc.record(
        {
          ipProtocol: maybe(fc.constantFrom('tcp', '-1', 'icmp', 6, 'nope')),
          fromPort: optional(maybe(fc.constantFrom(22, 22.0, null, -1, 80))),
          toPort: optional(maybe(fc.constantFrom(22, null, -1, 80))),
          ipv4Ranges: optional(
            maybe(
              fc.array(maybe(fc.record({ cidrIp: fc.oneof(cidr4, badCidr) })), { maxLength: 2 }),
            ),
          ),
          ipRanges: optional(
            maybe(fc.array(fc.oneof(cidr4, fc.record({ cidrIp: cidr4 })), { maxLength: 2 })),
          ),
          userIdGroupPairs: optional(
            maybe(
              fc.array(fc.record({ groupId: optional(groupRef) }, { requiredKeys: [] }), {
                maxLength: 1,
              }),
            ),
          ),
        },
        { requiredKeys: ['ipProtocol'] },
      ),
      'vpcEndpointServiceIds',
    );
    const configItem = fc.record(
      {
        resourceType: maybe(fc.constantFrom('AWS::EC2::SecurityGroup', 'AWS::S3::Bucket')),
        resourceId: maybe(fc.constantFrom(SG, '')),
        configurationItemStatus: maybe(
          fc.constantFrom('OK', 'ResourceDiscovered', 'ResourceDeleted', 'ResourceNotRecorded'),
        ),
        configurationItemCaptureTime: optional(
          mostly(fc.constant('2026-11-23T09:00:00.000Z'), fc.constantFrom('yesterday', 5)),
        ),
        configuration: optional(
          maybe(
            fc.record(
              {
                groupId: maybe(fc.constant(SG)),
                ipPermissions: optional(maybe(fc.array(maybe(configPermission), { maxLength: 3 }))),
              },
              { requiredKeys: ['groupId'] },
            ),
          ),
        ),
        tags: optional(maybe(fc.constant({ Name: 'web' }))),
      },
      { requiredKeys: ['resourceType', 'resourceId', 'configurationItemStatus'] },
    );
    const invokingEvent = fc.oneof(
      fc.record({
        messageType: mostly(
          fc.constant('ConfigurationItemChangeNotification'),
          fc.constantFrom('Unknown', 5),
        ),
        configurationItem: maybe(configItem),
        notificationCreationTime: optional(fc.constant('2026-11-23T09:00:01.000Z')),
      }),
      fc.record({
        messageType: fc.constantFrom(
          'ScheduledNotification',
          'OversizedConfigurationItemChangeNotification',
        ),
        notificationCreationTime: maybe(fc.constantFrom('2026-11-23T09:00:01.000Z', 'soon')),
        configurationItemSummary: optional(configItem),
      }),
    );
    const configEvent = maybe(
      withStray(
        fc.record(
          {
            invokingEvent: fc.oneof(
              { weight: 60, arbitrary: invokingEvent.map((e) => JSON.stringify(e)) },
              { weight: 1, arbitrary: fc.constantFrom('{not json', '[]', 'null') },
              { weight: 1, arbitrary: junk },
            ),
            ruleParameters: optional(
              mostly(
                fc.constantFrom('{}', '{"debug":"false"}', ''),
                fc.constantFrom('{"Debug":"x"}', 'not json', '[]'),
              ),
            ),
            resultToken: mostly(fc.constantFrom('TESTMODE', 'token-1'), fc.constantFrom('', 5)),
            eventLeftScope: optional(maybe(fc.boolean())),
          },
          { requiredKeys: ['invokingEvent', 'resultToken'] },
        ),
        'configRuleName',
      ),
    );

    it('the Config evaluator', async () => {
      const handler = configEvaluator({
        config: new ConfigServiceClient({}),
        ec2: new EC2Client({}),
        policy: () => EXAMPLE_POLICY,
      });
      await fc.assert(
        fc.asyncProperty(configEvent, async (event) => {
          await run('config-evaluator requests', () => handler(event), []);
          // The Config rule never changes a group.
          expect(writes()).toBe(0);
        }),
        { numRuns: RUNS.configEvaluator },
      );
    });
  });

  describe('event payloads', () => {
    const patterns = [
      rootActivityPattern(),
      guardDutyFindingPattern(),
      configNoncompliancePattern(),
      securityGroupOpenedPattern(),
    ];
    const eventArb = fc.oneof(
      fc.record({
        'detail-type': maybe(
          fc.constantFrom(
            'GuardDuty Finding',
            'AWS API Call via CloudTrail',
            'AWS Console Sign In via CloudTrail',
            'Config Rules Compliance Change',
          ),
        ),
        source: maybe(fc.constantFrom('aws.guardduty', 'aws.signin', 'aws.ec2', 'aws.config')),
        region: maybe(fc.constant('us-east-1')),
        detail: maybe(
          fc.record(
            {
              severity: maybe(
                fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), fc.constant('8')),
              ),
              type: maybe(fc.string({ maxLength: 8 })),
              resource: maybe(
                fc.record({
                  resourceType: maybe(fc.constant('Instance')),
                  instanceDetails: maybe(
                    fc.record({ instanceId: maybe(fc.constantFrom('i-0123456789abcdef0', 'i-x')) }),
                  ),
                }),
              ),
              userIdentity: maybe(
                fc.record({
                  type: maybe(fc.constant('Root')),
                  arn: maybe(fc.string({ maxLength: 8 })),
                }),
              ),
              eventName: maybe(fc.constantFrom('ConsoleLogin', 'AuthorizeSecurityGroupIngress')),
              requestParameters: maybe(fc.object({ maxDepth: 2 })),
              service: maybe(
                fc.record({ additionalInfo: maybe(fc.record({ sample: maybe(fc.boolean()) })) }),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
      }),
      fc.object({ maxDepth: 3 }),
    );
    const eventData = fc.oneof(
      { weight: 6, arbitrary: eventArb.map((e) => triggerData(e)) },
      { weight: 1, arbitrary: eventArb.map((e) => triggerData(JSON.stringify(e).slice(0, 20))) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('', '{}', 'not json', '{"rawData": 5}', '{"rawData": "[1]"}'),
      },
    );

    it('triggers, findings, root activity and patterns never throw; handlers finish or say why', async () => {
      const ec2 = mockClient(EC2Client);
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
      const handlerDeps = {
        ec2: new EC2Client({}),
        incidents: new SSMIncidentsClient({}),
        policy: () => EXAMPLE_POLICY,
        limits: () => DEFAULT_LIMITS,
        revertMinSeverity: () => 7,
      };
      const guardDuty = guardDutyResponse(handlerDeps);
      const triage = rootTriage({ incidents: new SSMIncidentsClient({}) });
      await fc.assert(
        fc.asyncProperty(eventData, eventArb, async (data, event) => {
          for (const p of patterns) expect(typeof matchesPattern(p, event)).toBe('boolean');
          findingFacts(event);
          rootActivityFacts(event);
          const trigger = parseTrigger(data);
          if (trigger.status === 'event') count('event payloads', 'accepted');
          else {
            expect(trigger.reason).not.toMatch(/\n/);
            count('event payloads', 'refused');
          }
          mockIncidents(data);
          for (const h of [guardDuty, triage])
            await h({ incidentRecordArn: INCIDENT_ARN }).catch((err: Error) => {
              // A trigger that cannot be read is recorded on the incident and fails the step.
              if (!['ResponseIncompleteError', 'TriageIncompleteError'].includes(err.name))
                throw err;
            });
        }),
        { numRuns: RUNS.events },
      );
      ec2.restore();
    });
  });

  it(`ran at least 10,000 generated inputs`, () => {
    const rows = Object.entries(tally).map(
      ([k, v]) => `${k}: ${v.accepted} accepted, ${v.refused} refused`,
    );
    const total = Object.values(tally).reduce((n, v) => n + v.accepted + v.refused, 0);
    console.info(`bad input, generated (${total} inputs):\n  ${rows.join('\n  ')}`);
    expect(total).toBeGreaterThanOrEqual(10_000);
    // Both outcomes were exercised in every category, so neither side of the property is vacuous.
    for (const [k, v] of Object.entries(tally)) {
      expect([k, v.accepted > 0]).toEqual([k, true]);
      expect([k, v.refused > 0]).toEqual([k, true]);
    }
  });
});
