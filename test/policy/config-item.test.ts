/**
 * The Config evaluator's pure part: configuration items -> snapshots -> verdicts, the event
 * parser and the decision. Recorded items come from Cloud Custodian's fixtures; the rest are
 * written by hand (test/fixtures/config/SOURCES.md).
 */
import fc from 'fast-check';
import {
  decide,
  evaluateGroup,
  fitAnnotation,
  MAX_ANNOTATION,
  parseConfigRuleEvent,
  snapshotFromConfigItem,
  type ComplianceType,
} from '../../handlers/policy/config-item';
import { parsePolicy, type SecurityGroupPolicy } from '../../handlers/policy/policy';
import { formatRule, type Rule } from '../../handlers/policy/rules';
import { InputError } from '../../handlers/shared/errors';
import {
  changeEvent,
  examplePolicy,
  fixtureInvoking,
  fixtureItem,
  historyItem,
  perm,
  recordedEvent,
  recordedInvokingEvent,
  ruleEvent,
  selectResourceConfiguration,
  sgItem,
} from '../config-evaluator/support';

const exactPolicy = parsePolicy({
  mode: 'exact',
  ingress: [{ protocol: 'tcp', ports: [443], from: ['10.0.0.0/8'] }],
});

const shortRules = (rules: readonly Rule[]) => rules.map(formatRule);

describe('snapshotFromConfigItem: configuration items as Config delivers them', () => {
  it('reads the recorded rule event once per range although ipv4Ranges and ipRanges both list it', () => {
    // GIVEN the configuration of a real Config rule invocation (both forms of 0.0.0.0/0)
    const item = recordedInvokingEvent().configurationItem;
    // WHEN it is read
    const snap = snapshotFromConfigItem(item.configuration, item.tags as Record<string, string>);
    // THEN the range is one rule, with the group's identity
    expect(snap).toEqual({
      groupId: 'sg-e2fb6999',
      groupName: 'sg_open_ssh',
      vpcId: 'vpc-f16e4296',
      ownerId: '123456789012',
      tags: {},
      ingress: [
        {
          protocol: 'tcp',
          fromPort: 22,
          toPort: 22,
          source: { kind: 'cidrIpv4', value: '0.0.0.0/0' },
        },
      ],
    });
  });

  it('reads float ports (22.0) from SelectResourceConfig as whole ports', () => {
    // GIVEN a recorded SelectResourceConfig configuration with fromPort/toPort 22.0
    const configuration = selectResourceConfiguration();
    // WHEN it is read
    const snap = snapshotFromConfigItem(configuration);
    // THEN the ports are integers and the range counted once
    expect(shortRules(snap.ingress)).toEqual(['tcp 22 from 0.0.0.0/0']);
    expect(Number.isInteger(snap.ingress[0]!.fromPort)).toBe(true);
  });

  it('reads a configuration given as a JSON string with ipRanges strings only, and both tag forms', () => {
    // GIVEN a recorded GetResourceConfigHistory item (no ipv4Ranges; tags as a list and a map)
    const item = historyItem();
    // WHEN it is read
    const snap = snapshotFromConfigItem(item.configuration, item.tags);
    // THEN every legacy range becomes a rule and the tags are there
    expect(shortRules(snap.ingress)).toEqual([
      'tcp 8080 from 0.0.0.0/0',
      'tcp 443 from 10.42.1.0/24',
    ]);
    expect(snap.tags).toEqual({ App: 'blue-moon', NetworkLocation: 'DMZ' });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'null ports on protocol -1',
      perm('-1', null, null, { v4: ['10.0.0.0/8'] }),
      ['all traffic from 10.0.0.0/8'],
    ],
    [
      'null ports on tcp (all ports)',
      perm('tcp', null, null, { v4: ['10.0.0.0/8'] }),
      ['tcp 0-65535 from 10.0.0.0/8'],
    ],
    [
      'float port range',
      perm('tcp', 8000.0, 8080.0, { v4: ['10.0.0.0/8'] }),
      ['tcp 8000-8080 from 10.0.0.0/8'],
    ],
    ['protocol number 6', perm('6', 22, 22, { v4: ['10.0.0.0/8'] }), ['tcp 22 from 10.0.0.0/8']],
    [
      'icmp with type -1',
      perm('icmp', -1, -1, { v4: ['10.0.0.0/8'] }),
      ['icmp all from 10.0.0.0/8'],
    ],
    ['IPv6 range', perm('tcp', 22, 22, { v6: ['::/0'] }), ['tcp 22 from ::/0']],
    [
      'prefix list',
      perm('tcp', 443, 443, { prefixLists: ['pl-0123456789abcdef0'] }),
      ['tcp 443 from pl-0123456789abcdef0'],
    ],
    [
      'group pair across a peering',
      perm('tcp', 5432, 5432, {
        groups: [
          {
            groupId: 'sg-0bbbbbbbbbbbbbbbb',
            userId: '210987654321',
            vpcPeeringConnectionId: 'pcx-0123',
          },
        ],
      }),
      ['tcp 5432 from sg-0bbbbbbbbbbbbbbbb'],
    ],
    [
      'a legacy range that ipv4Ranges does not list is still read (once)',
      perm('tcp', 22, 22, { v4: ['10.0.0.0/8'], v4Legacy: ['10.0.0.0/8', '0.0.0.0/0'] }),
      ['tcp 22 from 10.0.0.0/8', 'tcp 22 from 0.0.0.0/0'],
    ],
  ])('reads %s', (_name, permission, expected) => {
    // GIVEN a hand-written item with one permission
    const item = sgItem([permission]);
    // WHEN it is read
    const snap = snapshotFromConfigItem(item.configuration);
    // THEN the rules are as EC2 would name them
    expect(shortRules(snap.ingress)).toEqual(expected);
  });

  it('keeps peering details on referenced groups', () => {
    // GIVEN a group pair with user and peering IDs
    const item = sgItem([
      perm('tcp', 5432, 5432, {
        groups: [
          {
            groupId: 'sg-0bbbbbbbbbbbbbbbb',
            userId: '210987654321',
            vpcPeeringConnectionId: 'pcx-0123',
          },
        ],
      }),
    ]);
    // WHEN it is read
    const snap = snapshotFromConfigItem(item.configuration);
    // THEN the source keeps them
    expect(snap.ingress[0]!.source).toEqual({
      kind: 'referencedGroupId',
      value: 'sg-0bbbbbbbbbbbbbbbb',
      userId: '210987654321',
      vpcPeeringConnectionId: 'pcx-0123',
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['no groupId', { ipPermissions: [] }, /configuration\.groupId/],
    [
      'a port as text',
      { groupId: 'sg-1', ipPermissions: [{ ipProtocol: 'tcp', fromPort: '22' }] },
      /configuration\.ipPermissions\[0\]\.fromPort: got "22"/,
    ],
    ['not JSON', '{nope', /not JSON/],
    ['null', null, /configuration: got null/],
  ])('refuses a configuration with %s, naming the field', (_name, configuration, message) => {
    // GIVEN a malformed configuration WHEN it is read THEN an InputError names the problem
    expect(() => snapshotFromConfigItem(configuration)).toThrow(InputError);
    expect(() => snapshotFromConfigItem(configuration)).toThrow(message);
  });
});

interface Case {
  readonly name: string;
  readonly item: Record<string, unknown>;
  readonly policy?: SecurityGroupPolicy;
  readonly complianceType: ComplianceType;
  readonly annotation?: string | RegExp;
}

const cases: Case[] = [
  {
    name: 'Compliance 1: the hand-written web group (HTTPS world, SSH from 10.20/16, self)',
    item: fixtureItem('item-compliant-web.json'),
    complianceType: 'COMPLIANT',
  },
  {
    name: 'Compliance 2: a group with no ingress',
    item: sgItem([]),
    complianceType: 'COMPLIANT',
  },
  {
    name: 'Compliance 3: SSH from inside 10.0.0.0/8, float ports',
    item: sgItem([perm('tcp', 22.0, 22.0, { v4: ['10.1.0.0/16'] })]),
    complianceType: 'COMPLIANT',
  },
  {
    name: 'Compliance 4: exempt by the item tag map, although SSH is open to the world',
    item: sgItem([perm('tcp', 22, 22, { v4: ['0.0.0.0/0'] })], {
      itemTags: { 'first-responder:exempt': 'true' },
    }),
    complianceType: 'COMPLIANT',
    annotation: 'exempt: tagged first-responder:exempt=true, so the policy is not applied',
  },
  {
    name: 'Compliance 5: exempt by the configuration tag list only',
    item: sgItem([perm('-1', null, null, { v4: ['0.0.0.0/0'] })], {
      configTags: [{ key: 'first-responder:exempt', value: 'true' }],
    }),
    complianceType: 'COMPLIANT',
    annotation: /^exempt: /,
  },
  {
    name: 'Compliance 6: exact mode, exactly the required rule',
    item: sgItem([perm('tcp', 443.0, 443.0, { v4: ['10.0.0.0/8'] })]),
    policy: exactPolicy,
    complianceType: 'COMPLIANT',
  },
  {
    name: 'Noncompliance 1: the recorded rule event (SSH from 0.0.0.0/0 in both range forms)',
    item: recordedInvokingEvent().configurationItem,
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 22 from 0.0.0.0/0',
  },
  {
    name: 'Noncompliance 2: the recorded SelectResourceConfig item (float ports)',
    item: { ...sgItem([]), configuration: selectResourceConfiguration() },
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 22 from 0.0.0.0/0',
  },
  {
    name: 'Noncompliance 3: the recorded history item (ipRanges strings only; 443 from 10.42.1/24 is fine)',
    item: { ...historyItem() },
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 8080 from 0.0.0.0/0',
  },
  {
    name: 'Noncompliance 4: SSH from ::/0',
    item: sgItem([perm('tcp', 22, 22, { v6: ['::/0'] })]),
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 22 from ::/0',
  },
  {
    name: 'Noncompliance 5: all traffic from the world, null ports',
    item: sgItem([perm('-1', null, null, { v4: ['0.0.0.0/0'] })]),
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: all traffic from 0.0.0.0/0',
  },
  {
    name: 'Noncompliance 6: a range only the legacy ipRanges list names',
    item: sgItem([perm('tcp', 3389, 3389, { v4: [], v4Legacy: ['0.0.0.0/0'] })]),
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 3389 from 0.0.0.0/0',
  },
  {
    name: 'Noncompliance 7: the exemption tag with another value does not exempt',
    item: sgItem([perm('tcp', 22, 22, { v4: ['0.0.0.0/0'] })], {
      itemTags: { 'first-responder:exempt': 'false' },
    }),
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 22 from 0.0.0.0/0',
  },
  {
    name: 'Noncompliance 8: exact mode names what is missing as well as what is extra',
    item: sgItem([perm('tcp', 22, 22, { v4: ['10.0.0.0/8'] })]),
    policy: exactPolicy,
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 22 from 10.0.0.0/8; missing: tcp 443 from 10.0.0.0/8',
  },
  {
    name: 'Noncompliance 9: a prefix list the policy does not name',
    item: sgItem([perm('tcp', 443, 443, { prefixLists: ['pl-0123456789abcdef0'] })]),
    complianceType: 'NON_COMPLIANT',
    annotation: 'revoke: tcp 443 from pl-0123456789abcdef0',
  },
  {
    name: 'Noncompliance 10: forty open ports fit in 256 characters with a count of the rest',
    item: sgItem(
      Array.from({ length: 40 }, (_, i) => perm('tcp', 1000 + i, 1000 + i, { v4: ['0.0.0.0/0'] })),
    ),
    complianceType: 'NON_COMPLIANT',
    annotation: /^revoke: tcp 1000 from 0\.0\.0\.0\/0; revoke: tcp 1001 from .*; … \(\+3\d more\)$/,
  },
];

describe('evaluateGroup: the verdict Config records', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // GIVEN a configuration item and a policy (the example policy unless stated)
    const item = c.item as { configuration: unknown; tags?: Record<string, string> };
    const snapshot = snapshotFromConfigItem(item.configuration, item.tags);
    // WHEN it is evaluated
    const result = evaluateGroup(snapshot, c.policy ?? examplePolicy);
    // THEN the compliance and the annotation are as expected, and the annotation fits
    expect(result.complianceType).toBe(c.complianceType);
    if (c.annotation === undefined) expect(result.annotation).toBeUndefined();
    else if (typeof c.annotation === 'string') expect(result.annotation).toBe(c.annotation);
    else expect(result.annotation).toMatch(c.annotation);
    expect((result.annotation ?? '').length).toBeLessThanOrEqual(MAX_ANNOTATION);
  });

  it('counts exactly the revokes left out of a truncated annotation', () => {
    // GIVEN forty open ports
    const item = sgItem(
      Array.from({ length: 40 }, (_, i) => perm('tcp', 1000 + i, 1000 + i, { v4: ['0.0.0.0/0'] })),
    );
    // WHEN evaluated
    const text = evaluateGroup(
      snapshotFromConfigItem(item.configuration),
      examplePolicy,
    ).annotation!;
    // THEN the named revokes plus the count make forty
    const named = text.split('; ').filter((p) => p.startsWith('revoke: ')).length;
    const more = Number(/\(\+(\d+) more\)$/.exec(text)![1]);
    expect(named + more).toBe(40);
    expect(text.length).toBeLessThanOrEqual(256);
  });
});

describe('fitAnnotation', () => {
  it('keeps parts that fit unchanged', () => {
    // GIVEN short parts WHEN fitted THEN they are joined as they are
    expect(fitAnnotation(['a', 'b'])).toBe('a; b');
  });

  it('cuts a single over-long part with an ellipsis, and still counts the rest', () => {
    // GIVEN a first part longer than the limit
    const long = 'x'.repeat(300);
    // WHEN fitted
    const one = fitAnnotation([long]);
    const many = fitAnnotation([long, 'y', 'z']);
    // THEN each is exactly at the limit and says what was cut
    expect(one).toHaveLength(256);
    expect(one.endsWith('x…')).toBe(true);
    expect(many).toHaveLength(256);
    expect(many.endsWith('… (+2 more)')).toBe(true);
  });

  it('never exceeds the limit, keeps whole leading parts, and counts the rest (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 20, max: 300 }),
        (parts, max) => {
          // GIVEN any parts and limit WHEN fitted
          const text = fitAnnotation(parts, max);
          // THEN it fits; it is the plain join when that fits; otherwise it says how many more
          expect(text.length).toBeLessThanOrEqual(max);
          const all = parts.join('; ');
          if (all.length <= max) return expect(text).toBe(all);
          const whole = /; … \(\+(\d+) more\)$/.exec(text);
          const cut = /… \(\+(\d+) more\)$/.exec(text);
          if (whole && text.startsWith(parts[0]!)) {
            // whole leading parts, then the count of the others
            const kept = parts.length - Number(whole[1]);
            expect(text).toBe(`${parts.slice(0, kept).join('; ')}${whole[0]}`);
          } else if (cut) {
            // the first part cut short, then the count of the others
            expect(Number(cut[1])).toBe(parts.length - 1);
            expect(parts[0]!.startsWith(text.slice(0, -cut[0].length))).toBe(true);
          } else {
            expect(parts).toHaveLength(1);
            expect(text.endsWith('…')).toBe(true);
            expect(parts[0]!.startsWith(text.slice(0, -1))).toBe(true);
          }
        },
      ),
    );
  });
});

describe('parseConfigRuleEvent: the invocation as Config sends it', () => {
  it('reads the recorded event: a real token, no test mode, no debug', () => {
    // GIVEN the recorded Config rule invocation
    const event = recordedEvent();
    // WHEN parsed
    const req = parseConfigRuleEvent(event);
    // THEN it is a change for sg-e2fb6999, ordered by the item's capture time
    expect(req.testMode).toBe(false);
    expect(req.debug).toBe(false); // the top-level "debug": true is Custodian's, not Config's
    expect(req.eventLeftScope).toBe(false);
    expect(req.resultToken).toBe(event.resultToken);
    expect(req.invocation.kind).toBe('change');
    expect(req.invocation.orderingTimestamp.toISOString()).toBe('2017-11-27T14:26:11.300Z');
  });

  it.each<[string, unknown, boolean]>([
    ['"true"', { debug: 'true' }, true],
    ['"TRUE"', { debug: 'TRUE' }, true],
    ['"false"', { debug: 'false' }, false],
    ['true (boolean)', { debug: true }, true],
    ['absent', {}, false],
    ['an empty string', '', false],
  ])('reads the debug parameter %s', (_name, params, expected) => {
    // GIVEN rule parameters WHEN parsed THEN debug is as set
    const event = changeEvent(sgItem([]), { ruleParameters: params as Record<string, unknown> });
    expect(parseConfigRuleEvent(event).debug).toBe(expected);
  });

  it('recognises test mode by the TESTMODE token', () => {
    // GIVEN an event whose result token is TESTMODE WHEN parsed THEN it is in test mode
    expect(parseConfigRuleEvent(changeEvent(sgItem([]))).testMode).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'hello', /event: got "hello"/],
    ['no resultToken', { invokingEvent: '{}' }, /event\.resultToken: got nothing/],
    ['an empty resultToken', { invokingEvent: '{}', resultToken: '' }, /event\.resultToken/],
    [
      'invokingEvent as an object',
      { invokingEvent: {}, resultToken: 'x' },
      /event\.invokingEvent: got \{\}; a JSON string/,
    ],
    ['invokingEvent not JSON', { invokingEvent: '{', resultToken: 'x' }, /invokingEvent: not JSON/],
    [
      'an unknown messageType',
      ruleEvent({ messageType: 'Nope' }),
      /invokingEvent\.messageType: got "Nope"; valid: ConfigurationItemChangeNotification/,
    ],
    [
      'an item without resourceId',
      ruleEvent({
        messageType: 'ConfigurationItemChangeNotification',
        configurationItem: {
          resourceType: 'AWS::EC2::SecurityGroup',
          configurationItemStatus: 'OK',
          configurationItemCaptureTime: '2024-01-01T00:00:00Z',
        },
      }),
      /invokingEvent\.configurationItem\.resourceId: got nothing/,
    ],
    [
      'a capture time that is not a time',
      changeEvent({ ...sgItem([]), configurationItemCaptureTime: 'yesterday' }),
      /configurationItemCaptureTime: got "yesterday"/,
    ],
    [
      'no time to order by',
      ruleEvent({
        messageType: 'ConfigurationItemChangeNotification',
        configurationItem: { ...sgItem([]), configurationItemCaptureTime: null },
      }),
      /configurationItemCaptureTime: got nothing; PutEvaluations needs a time/,
    ],
    [
      'a scheduled event without notificationCreationTime',
      ruleEvent({ messageType: 'ScheduledNotification' }),
      /invokingEvent\.notificationCreationTime: got nothing/,
    ],
    [
      'ruleParameters not JSON',
      changeEvent(sgItem([]), { ruleParameters: '{debug' }),
      /ruleParameters: not JSON/,
    ],
    [
      'a misspelt parameter',
      changeEvent(sgItem([]), { ruleParameters: { Debug: 'true' } }),
      /only key is "debug"/,
    ],
    [
      'debug neither true nor false',
      changeEvent(sgItem([]), { ruleParameters: { debug: 'yes' } }),
      /ruleParameters\.debug: got "yes"; "true" or "false"/,
    ],
    [
      'eventLeftScope as text',
      { ...changeEvent(sgItem([])), eventLeftScope: 'true' },
      /event\.eventLeftScope: got "true"; true or false/,
    ],
  ])('refuses %s with an InputError naming the field', (_name, event, message) => {
    // GIVEN a malformed invocation WHEN parsed THEN it is refused, saying where and why
    expect(() => parseConfigRuleEvent(event)).toThrow(InputError);
    expect(() => parseConfigRuleEvent(event)).toThrow(message);
  });
});

describe('decide: what an invocation calls for', () => {
  const at = new Date('2024-05-02T09:15:30.123Z');

  it('evaluates a change from the item alone, ordered by its capture time', () => {
    // GIVEN the recorded change event WHEN decided
    const d = decide(parseConfigRuleEvent(recordedEvent()), examplePolicy);
    // THEN the evaluation is complete, with the plan for debug logging
    expect(d).toMatchObject({
      kind: 'evaluated',
      evaluation: {
        resourceType: 'AWS::EC2::SecurityGroup',
        resourceId: 'sg-e2fb6999',
        complianceType: 'NON_COMPLIANT',
        annotation: 'revoke: tcp 22 from 0.0.0.0/0',
        orderingTimestamp: new Date('2017-11-27T14:26:11.300Z'),
      },
    });
    expect(d.kind === 'evaluated' && d.plan?.revoke).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'ResourceDeleted (configuration null)',
      changeEvent(fixtureItem('item-deleted.json')),
      /^deleted \(ResourceDeleted\)$/,
    ],
    [
      'ResourceDeletedNotRecorded',
      changeEvent({
        ...fixtureItem('item-deleted.json'),
        configurationItemStatus: 'ResourceDeletedNotRecorded',
      }),
      /^deleted \(ResourceDeletedNotRecorded\)$/,
    ],
    [
      'eventLeftScope, although the group is open',
      changeEvent(sgItem([perm('-1', null, null, { v4: ['0.0.0.0/0'] })]), {
        eventLeftScope: true,
      }),
      /left the rule's scope/,
    ],
    [
      'another resource type',
      changeEvent({
        ...sgItem([]),
        resourceType: 'AWS::EC2::Instance',
        resourceId: 'i-00000000',
        configuration: { foo: 'bar' },
      }),
      /evaluates AWS::EC2::SecurityGroup only, not AWS::EC2::Instance/,
    ],
    [
      'an oversized item for a deleted group',
      ruleEvent({
        ...fixtureInvoking('invoking-oversized.json'),
        configurationItemSummary: {
          ...(fixtureInvoking('invoking-oversized.json').configurationItemSummary as object),
          configurationItemStatus: 'ResourceDeleted',
        },
      }),
      /^deleted/,
    ],
  ])('NOT_APPLICABLE: %s, without reading anything', (_name, event, annotation) => {
    // GIVEN an invocation for a resource the rule does not judge WHEN decided
    const d = decide(parseConfigRuleEvent(event), examplePolicy);
    // THEN it is NOT_APPLICABLE with a reason, and nothing is read live
    expect(d.kind).toBe('evaluated');
    if (d.kind !== 'evaluated') return;
    expect(d.evaluation.complianceType).toBe('NOT_APPLICABLE');
    expect(d.evaluation.annotation).toMatch(annotation);
  });

  it('reads an oversized group live, ordered by the summary capture time', () => {
    // GIVEN an oversized change notification WHEN decided
    const d = decide(
      parseConfigRuleEvent(ruleEvent(fixtureInvoking('invoking-oversized.json'))),
      examplePolicy,
    );
    // THEN the group is to be read from EC2
    expect(d).toEqual({
      kind: 'readLive',
      groupId: 'sg-0123456789abcdef0',
      orderingTimestamp: new Date('2024-05-02T10:00:00.000Z'),
      why: 'the configuration item was too large to deliver',
    });
  });

  it('reads a group live when the item has no configuration but the group exists', () => {
    // GIVEN a ResourceNotRecorded item (configuration null)
    const base = sgItem([], { groupId: 'sg-0ddddddddddddddd1' });
    const item = {
      ...base,
      configuration: null,
      configurationItemStatus: 'ResourceNotRecorded',
    };
    // WHEN decided THEN it is read live rather than judged empty (and so compliant)
    expect(decide(parseConfigRuleEvent(changeEvent(item)), examplePolicy)).toMatchObject({
      kind: 'readLive',
      groupId: 'sg-0ddddddddddddddd1',
      orderingTimestamp: at,
    });
  });

  it('evaluates every group on a periodic trigger, ordered by the notification time', () => {
    // GIVEN a scheduled notification WHEN decided THEN all groups are to be evaluated
    expect(
      decide(
        parseConfigRuleEvent(ruleEvent(fixtureInvoking('invoking-scheduled.json'))),
        examplePolicy,
      ),
    ).toEqual({
      kind: 'evaluateAll',
      orderingTimestamp: new Date('2024-05-02T12:00:00.373Z'),
    });
  });

  it('refuses a security-group item whose configuration is malformed, before any call', () => {
    // GIVEN an SG item whose permissions are not a list
    const item = { ...sgItem([]), configuration: { groupId: 'sg-1', ipPermissions: 'all' } };
    // WHEN decided THEN it is an InputError naming the field
    expect(() => decide(parseConfigRuleEvent(changeEvent(item)), examplePolicy)).toThrow(
      /configuration\.ipPermissions: got "all"/,
    );
  });
});
