/**
 * The verdict table checked by an EventBridge we did not write: moto server's. Each detection's
 * rendered pattern becomes a rule with an SQS target; each fixture is put on the bus; the queues
 * say which rules matched. The offline evaluator must give moto's answer on every cell.
 *
 * What moto cannot express: it does not read through arrays of objects, which EventBridge does
 * (CloudTrail's ipPermissions.items[], ipRanges.items[], ...). Events are therefore put with
 * one-element arrays of objects unwrapped, which changes nothing for EventBridge (see the test
 * "moto reads through an array..."). An array of several objects on a pattern's path cannot be
 * unwrapped: such cells would be listed in the table's motoCannotDecide and checked here as gaps
 * (none today: since the intake judges security groups, no pattern reads a CIDR in an array).
 */
import fc from 'fast-check';
import type { DetectionId } from '../../patterns';
import { DETECTIONS } from '../../patterns';
import { matchesPattern } from '../../patterns/match';
import { startMoto, type MotoServer } from '../support/moto';
import { motoRules, withoutSingletonObjectArrays, type MotoRules } from './moto-eventbridge';
import {
  CELLS,
  PATTERNS,
  REMEDIATION_ROLE_ARN,
  VERDICTS,
  loadFixture,
  type Cell,
} from './verdicts';

let moto: MotoServer;
let rules: MotoRules<DetectionId>;
const motoSaw = new Map<string, Set<DetectionId>>();

beforeAll(async () => {
  moto = await startMoto();
  rules = await motoRules(moto, PATTERNS);
  for (const { file } of VERDICTS) {
    motoSaw.set(file, await rules.matching(withoutSingletonObjectArrays(loadFixture(file))));
  }
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

const decidable = CELLS.filter((c) => c.motoGap === undefined);
const gaps = CELLS.filter((c) => c.motoGap !== undefined);

describe('moto EventBridge decides the verdict table', () => {
  it.each(decidable)('$file, $detection: match is $expected', ({ file, detection, expected }) => {
    // GIVEN a moto rule per detection, WHEN the fixture was put on the bus (beforeAll)
    // THEN the detection's queue received it exactly when the table says so
    expect(motoSaw.get(file)?.has(detection)).toBe(expected);
  });

  // it.each refuses an empty table: the gaps are checked only when the table lists some.
  (gaps.length > 0 ? it.each(gaps) : it.skip.each([{} as Cell]))(
    '$file, $detection: moto cannot decide it ($motoGap)',
    ({ file, detection, expected }: Cell) => {
      // GIVEN a cell the table marks as beyond moto, WHEN moto judged it
      // THEN moto still answers "no match" where EventBridge matches: drop the mark when this fails
      expect(expected).toBe(true);
      expect(motoSaw.get(file)?.has(detection)).toBe(false);
    },
  );
});

describe('the offline evaluator agrees with moto', () => {
  it.each(decidable)('$file, $detection', ({ file, detection }) => {
    // GIVEN the fixture exactly as EventBridge delivers it, arrays and all
    const event = loadFixture(file);
    // WHEN the evaluator judges it THEN it gives moto's answer
    expect(matchesPattern(PATTERNS[detection], event)).toBe(motoSaw.get(file)?.has(detection));
  });

  it.each(VERDICTS.map((v) => v.file))(
    '%s: unwrapping one-element arrays of objects changes no verdict',
    (file) => {
      // GIVEN a fixture and its unwrapped form (what moto was given)
      const event = loadFixture(file);
      const unwrapped = withoutSingletonObjectArrays(event);
      // WHEN every detection judges both THEN the answers are the same
      for (const { id } of DETECTIONS) {
        expect([id, matchesPattern(PATTERNS[id], unwrapped)]).toEqual([
          id,
          matchesPattern(PATTERNS[id], event),
        ]);
      }
    },
  );

  it('moto reads through an array only once it holds a single object, unwrapped', async () => {
    // GIVEN a probe rule on a CIDR inside CloudTrail's arrays of objects, and a real event
    const probe = await motoRules(moto, {
      cidr: {
        source: ['aws.ec2'],
        detail: {
          requestParameters: {
            ipPermissions: { items: { ipRanges: { items: { cidrIp: ['0.0.0.0/0'] } } } },
          },
        },
      },
    });
    const event = loadFixture('authorize-ingress-root-world-ipv4-ipv6.json');
    // WHEN moto judges it as delivered and unwrapped
    const asDelivered = await probe.matching(event);
    const unwrapped = await probe.matching(withoutSingletonObjectArrays(event));
    // THEN moto misses it as delivered, which is why the table unwraps, and sees it unwrapped
    expect(asDelivered.has('cidr')).toBe(false);
    expect(unwrapped.has('cidr')).toBe(true);
  });

  it('agrees on generated variations of the fixtures', async () => {
    // GIVEN fixtures with fields the patterns read set to other values, or removed
    const bases = VERDICTS.filter((v) => v.motoCannotDecide === undefined).map((v) =>
      loadFixture(v.file),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...bases), variations(), async (base, changes) => {
        const event = applied(base, changes);
        // WHEN moto and the evaluator judge the variation
        const seen = await rules.matching(withoutSingletonObjectArrays(event));
        // THEN they agree for every detection
        for (const { id } of DETECTIONS) {
          expect([id, matchesPattern(PATTERNS[id], event)]).toEqual([id, seen.has(id)]);
        }
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});

describe('GuardDuty: numeric matching against the often-copied list of exact severities', () => {
  // 7, 7.0, 7.1 ... 8.9 as the JSON text those patterns carry (JSON.stringify would drop ".0").
  const tenths = (whole: number) =>
    [`${whole}`, ...Array.from({ length: 10 }, (_, i) => `${whole}.${i}`)].join(',');
  const listed = `{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[${tenths(7)},${tenths(8)}]}}`;
  let guardDuty: MotoRules<'listed' | 'numeric'>;

  beforeAll(async () => {
    guardDuty = await motoRules(moto, { listed, numeric: PATTERNS['guardDutyFinding'] });
  });

  it.each([
    { file: 'guardduty-sample-finding-eventbridge.json', severity: 8, listed: true, numeric: true },
    { file: 'guardduty-severity-7.25.json', severity: 7.25, listed: false, numeric: true },
    { file: 'guardduty-severity-9.5-critical.json', severity: 9.5, listed: false, numeric: true },
    { file: 'guardduty-severity-6.9.json', severity: 6.9, listed: false, numeric: false },
  ])(
    'severity $severity: the list matches: $listed, numeric matches: $numeric',
    async ({ file, listed: listedMatches, numeric }) => {
      // GIVEN both patterns as moto rules, WHEN the finding is put on the bus
      const matched = await guardDuty.matching(withoutSingletonObjectArrays(loadFixture(file)));
      // THEN only numeric matching catches severities between the tenths and Critical ones
      expect({ listed: matched.has('listed'), numeric: matched.has('numeric') }).toEqual({
        listed: listedMatches,
        numeric,
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Variations for the agreement property: each change sets a field the patterns read, or removes
// it, and applies only where the field's parent exists in the event.

const ABSENT = Symbol('absent');
type Change = { readonly path: readonly (string | number)[]; readonly value: unknown };

function variations(): fc.Arbitrary<Change[]> {
  const at = (
    path: (string | number)[],
    values: fc.Arbitrary<unknown>,
  ): fc.Arbitrary<Change | undefined> =>
    fc.option(
      values.map((value): Change => ({ path, value })),
      { nil: undefined },
    );
  const d = (...path: (string | number)[]) => ['detail', ...path];
  return fc
    .tuple(
      at(
        ['source'],
        fc.constantFrom('aws.ec2', 'aws.signin', 'aws.guardduty', 'aws.config', 'custom.app'),
      ),
      at(
        ['detail-type'],
        fc.constantFrom(
          'AWS API Call via CloudTrail',
          'AWS Console Sign In via CloudTrail',
          'GuardDuty Finding',
          'Config Rules Compliance Change',
        ),
      ),
      at(
        d('severity'),
        fc.oneof(
          fc.double({ min: 0, max: 11, noNaN: true }),
          fc.integer({ min: 0, max: 10 }),
          fc.constantFrom('8', ABSENT),
        ),
      ),
      at(d('userIdentity', 'type'), fc.constantFrom('Root', 'IAMUser', 'AssumedRole', ABSENT)),
      at(
        d('userIdentity', 'sessionContext', 'sessionIssuer', 'arn'),
        fc.constantFrom(REMEDIATION_ROLE_ARN, 'arn:aws:iam::770203350335:role/deployer', ABSENT),
      ),
      at(d('errorCode'), fc.constantFrom('Client.UnauthorizedOperation', ABSENT)),
      at(
        d('requestParameters', 'ipPermissions', 'items', 0, 'ipRanges', 'items', 0, 'cidrIp'),
        fc.constantFrom('0.0.0.0/0', '10.0.0.0/8', '1.2.3.4/0', '0.0.0.0/1', '10.1.0.0/10', ABSENT),
      ),
      at(
        d('eventName'),
        fc.constantFrom(
          'AuthorizeSecurityGroupIngress',
          'AuthorizeSecurityGroupEgress',
          'ModifySecurityGroupRules',
        ),
      ),
      at(
        d('configRuleName'),
        fc.constantFrom(
          's3-bucket-public-read-prohibited',
          'first-responder-security-group-policy',
          'securityhub-s3-bucket-public-read-prohibited-1a2b3c',
        ),
      ),
      at(
        d('newEvaluationResult', 'complianceType'),
        fc.constantFrom('NON_COMPLIANT', 'COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA'),
      ),
      at(
        d('messageType'),
        fc.constantFrom('ComplianceChangeNotification', 'ConfigRulesEvaluationStarted'),
      ),
    )
    .map((changes) => changes.filter((c): c is Change => c !== undefined));
}

function applied(base: unknown, changes: readonly Change[]): unknown {
  const event = structuredClone(base);
  for (const { path, value } of changes) {
    let parent: unknown = event;
    for (const key of path.slice(0, -1)) {
      parent = (parent as Record<string | number, unknown> | undefined)?.[key];
    }
    if (typeof parent !== 'object' || parent === null) continue;
    const last = path[path.length - 1]!;
    const target = parent as Record<string | number, unknown>;
    if (value === ABSENT) delete target[last];
    else target[last] = value;
  }
  return event;
}
