/** Plan time for 1,000-rule groups: the planner alone, on a fresh snapshot each iteration. */
import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import { planGroup, type Plan } from '../handlers/policy/planner';
import type { SecurityGroupPolicy } from '../handlers/policy/policy';
import { BENCH_POLICY, compliantGroupRules, mixedGroupRules, snapshotOf } from './groups';
import { check, ms, type Figure } from './report';
import { median, nsToMs, percentile } from './stats';

export const PLAN_TARGET_MS = 5;
const WARMUP = { iterations: 30, budgetMs: 1_500 };
const MEASURE = { iterations: 300, minIterations: 20, budgetMs: 4_000 };

interface PlanTiming {
  readonly samples: readonly number[];
  readonly plan: Plan;
}

/** Times `planGroup` only; building the snapshot is outside the timed interval. */
function timePlans(rules: readonly SecurityGroupRule[], policy: SecurityGroupPolicy): PlanTiming {
  let plan = planGroup(snapshotOf(rules), policy);
  const run = (limit: { iterations: number; budgetMs: number }, minimum: number) => {
    const samples: number[] = [];
    const started = performance.now();
    while (
      samples.length < limit.iterations &&
      (samples.length < minimum || performance.now() - started < limit.budgetMs)
    ) {
      const snapshot = snapshotOf(rules);
      const t0 = process.hrtime.bigint();
      plan = planGroup(snapshot, policy);
      samples.push(nsToMs(process.hrtime.bigint() - t0));
    }
    return samples;
  };
  run(WARMUP, 1);
  return { samples: run(MEASURE, MEASURE.minIterations), plan };
}

function planFigures(label: string, timing: PlanTiming): Figure[] {
  const med = median(timing.samples);
  const p95 = percentile(timing.samples, 95);
  const p = timing.plan;
  return [
    {
      section: 'plan',
      name: `${label}: median per plan (n=${timing.samples.length})`,
      value: ms(med),
      target: `< ${PLAN_TARGET_MS} ms`,
      verdict: check(med < PLAN_TARGET_MS),
    },
    {
      section: 'plan',
      name: `${label}: p95 per plan`,
      value: ms(p95),
      target: `< ${PLAN_TARGET_MS} ms`,
      verdict: check(p95 < PLAN_TARGET_MS),
    },
    {
      section: 'plan',
      name: `${label}: plan decided`,
      value: `${p.compliant ? 'compliant' : 'change'}: -${p.revoke.length} +${p.authorize.length} =${p.after.length}`,
      target: '',
      verdict: 'INFO',
    },
  ];
}

export function benchPlan(): Figure[] {
  const mixed = mixedGroupRules();
  const compliant = compliantGroupRules();
  const figures = [
    ...planFigures(`${mixed.length} rules, mixed`, timePlans(mixed, BENCH_POLICY)),
    ...planFigures(`${compliant.length} rules, compliant`, timePlans(compliant, BENCH_POLICY)),
  ];
  // The compliant group is generated to be compliant: say so loudly if the planner disagrees.
  const judged = planGroup(snapshotOf(compliant), BENCH_POLICY);
  if (!judged.compliant)
    figures.push({
      section: 'plan',
      name: 'compliant group judged non-compliant',
      value: `-${judged.revoke.length} +${judged.authorize.length}`,
      target: 'compliant',
      verdict: 'ERROR',
    });
  return figures;
}
