/**
 * `first-responder plan`: what the reverter would do to groups described by
 * `aws ec2 describe-security-groups`, offline. Uses the same planner the Lambda uses.
 */
import { readFileSync } from 'node:fs';
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { judge } from '../../handlers/policy/planner';
import type { SecurityGroupPolicy } from '../../handlers/policy/policy';
import { loadPolicyFile } from '../../handlers/policy/policy-file';
import {
  formatRule,
  ruleFromJson,
  ruleToJson,
  snapshotFromDescribe,
  type Rule,
  type RuleJson,
} from '../../handlers/policy/rules';
import { parseOrThrow } from '../../handlers/shared/validation';

export type PlanStatus = 'compliant' | 'noncompliant' | 'exempt';

export interface GroupPlanJson {
  readonly groupId: string;
  readonly groupName?: string;
  readonly status: PlanStatus;
  readonly revoke: readonly RuleJson[];
  readonly authorize: readonly RuleJson[];
  readonly after: readonly RuleJson[];
  readonly reasons: readonly string[];
}

// Loose on purpose: the CLI's output has more fields than the planner needs.
const describeSchema = z.object({
  SecurityGroups: z.array(
    z
      .object({
        GroupId: z.string().regex(/^sg-[0-9a-f]+$/, { error: 'a security-group ID (sg-…)' }),
        IpPermissions: z.array(z.looseObject({ IpProtocol: z.string() })).optional(),
      })
      .loose(),
    { error: 'the list from `aws ec2 describe-security-groups --output json`' },
  ),
});

export function readDescribeFile(path: string): SecurityGroup[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseOrThrow(describeSchema, doc, path).SecurityGroups;
}

// The CLI's JSON names rules by their content; rule IDs are an EC2 detail.
const bare = ({ ruleId: _ruleId, ...rule }: RuleJson): RuleJson => rule;
const json = (rules: readonly Rule[]) => rules.map((r) => bare(ruleToJson(r)));

export function planGroups(
  groups: readonly SecurityGroup[],
  policy: SecurityGroupPolicy,
): GroupPlanJson[] {
  return groups.map((sg) => {
    const snapshot = snapshotFromDescribe(sg);
    const name = snapshot.groupName ? { groupName: snapshot.groupName } : {};
    const judgement = judge(snapshot, policy);
    if (judgement.exempt)
      return {
        groupId: snapshot.groupId,
        ...name,
        status: 'exempt',
        revoke: [],
        authorize: [],
        after: json(snapshot.ingress),
        reasons: [judgement.reason],
      };
    const plan = judgement.plan;
    return {
      groupId: plan.groupId,
      ...name,
      status: plan.compliant ? 'compliant' : 'noncompliant',
      revoke: json(plan.revoke.map((c) => c.rule)),
      authorize: json(plan.authorize.map((c) => c.rule)),
      after: json(plan.after),
      reasons: [...plan.authorize, ...plan.revoke].map((c) => c.reason),
    };
  });
}

export function renderPlans(plans: readonly GroupPlanJson[]): string {
  const lines: string[] = [];
  const rule = (r: RuleJson) => formatRule(ruleFromJson(r));
  for (const p of plans) {
    const title = p.groupName ? `${p.groupId} (${p.groupName})` : p.groupId;
    if (p.status !== 'noncompliant') {
      lines.push(`${title}: ${p.status}${p.status === 'exempt' ? `, ${p.reasons[0]}` : ''}`);
      continue;
    }
    lines.push(`${title}: ${p.authorize.length} to authorize, ${p.revoke.length} to revoke`);
    for (const r of p.authorize) lines.push(`  + authorize ${rule(r)}`);
    for (const r of p.revoke) lines.push(`  - revoke    ${rule(r)}`);
    lines.push(`  = after: ${p.after.length ? p.after.map(rule).join('; ') : 'no ingress'}`);
  }
  const count = (s: PlanStatus) => plans.filter((p) => p.status === s).length;
  lines.push(
    `${plans.length} groups: ${count('noncompliant')} to change, ${count('compliant')} compliant, ${count('exempt')} exempt`,
  );
  return lines.join('\n');
}

export interface PlanCommandOptions {
  readonly policy: string;
  readonly from: string;
  readonly json?: boolean;
}

export function runPlan(options: PlanCommandOptions): string {
  const policy = loadPolicyFile(options.policy);
  const plans = planGroups(readDescribeFile(options.from), policy);
  return options.json ? JSON.stringify({ groups: plans }, null, 2) : renderPlans(plans);
}
