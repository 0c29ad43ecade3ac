/**
 * The intake's decision time per event, AWS excluded: for each sample event and each detection
 * it matches, the group's verdict (the planner, on the group's snapshot), the intake's decision
 * and the dedupe step, as the drill runs them. The target is the planner's own (a decision must
 * not cost more than a plan).
 */
import { join } from 'node:path';
import { groupVerdicts, loadDrillEvents } from '../cli/commands/drill';
import { readDescribeFile } from '../cli/commands/plan';
import { changedGroupId, decideIntake } from '../handlers/intake/decide';
import { nextStep } from '../handlers/intake/dedupe';
import { parseIntakeRequest } from '../handlers/intake/request';
import { loadConfig } from '../infra/config';
import { DETECTION_IDS } from '../patterns';
import { detectionPatterns } from '../infra/detection-patterns';
import { matchesPattern } from '../patterns/match';
import { PLAN_TARGET_MS } from './plan';
import { check, ms, type Figure } from './report';
import { median, nsToMs, percentile } from './stats';

const EXAMPLES = join(__dirname, '..', 'examples');
const ROUNDS = { warmup: 300, measure: 400 };

export function benchIntakeDecision(): Figure[] {
  const config = loadConfig(join(EXAMPLES, 'config.yaml'));
  const groups = readDescribeFile(join(EXAMPLES, 'security-groups.json'));
  const byId = new Map(groups.map((g) => [g.GroupId, g]));
  const patterns = detectionPatterns(config, []);
  const deliveries = loadDrillEvents(join(EXAMPLES, 'events')).flatMap((e) =>
    DETECTION_IDS.filter((d) => matchesPattern(patterns.get(d)!, e.event)).map((detection) =>
      parseIntakeRequest({ detection, event: e.event }),
    ),
  );
  const decideOnce = (req: (typeof deliveries)[number]) => {
    const groupId =
      req.detection === 'securityGroupOpened' ? changedGroupId(req.event.detail) : undefined;
    const sg = groupId ? byId.get(groupId) : undefined;
    // The group's verdict by the planner, from the snapshot the Lambda would have read.
    const group = sg ? groupVerdicts([sg], config.policy).get(groupId!) : undefined;
    const decision = decideIntake({
      detection: req.detection,
      event: req.event,
      planImpact: 2,
      ...(group ? { group } : {}),
    });
    return [decision, nextStep(undefined, 0, req.event.id)] as const;
  };
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS.warmup + ROUNDS.measure; round++)
    for (const req of deliveries) {
      const t0 = process.hrtime.bigint();
      decideOnce(req);
      const took = nsToMs(process.hrtime.bigint() - t0);
      if (round >= ROUNDS.warmup) samples.push(took);
    }
  const p50 = median(samples);
  const p99 = percentile(samples, 99);
  return [
    {
      section: 'intake',
      name: `decision per event, p50 (${deliveries.length} sample deliveries x ${ROUNDS.measure}, AWS excluded)`,
      value: ms(p50),
      target: `< ${PLAN_TARGET_MS} ms`,
      verdict: check(p50 < PLAN_TARGET_MS),
    },
    {
      section: 'intake',
      name: 'decision per event, p99',
      value: ms(p99),
      target: `< ${PLAN_TARGET_MS} ms`,
      verdict: check(p99 < PLAN_TARGET_MS),
    },
  ];
}
