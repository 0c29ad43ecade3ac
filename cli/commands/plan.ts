/**
 * `first-responder plan`: what the reverter would do to groups described by
 * `aws ec2 describe-security-groups`, offline. Uses the same planner the Lambda uses.
 */
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { describeSecurityGroupsSchema } from '../../handlers/policy/ec2-shapes';
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
import { quotaProblem } from '../../handlers/policy/quota';
import { readTextFile } from '../../handlers/shared/text-file';
import { parseOrThrow, ValidationError } from '../../handlers/shared/validation';

/** refused: the reverter would not act (the plan would pass EC2's rule quota). */
export type PlanStatus = 'compliant' | 'noncompliant' | 'exempt' | 'refused';

export interface GroupPlanJson {
  readonly groupId: string;
  readonly groupName?: string;
  readonly status: PlanStatus;
  readonly revoke: readonly RuleJson[];
  readonly authorize: readonly RuleJson[];
  readonly after: readonly RuleJson[];
  readonly reasons: readonly string[];
}

/**
 * Reads `aws ec2 describe-security-groups --output json`: UTF-8 (with or without a byte-order
 * mark) or UTF-16 with one, checked against EC2's own shape (ec2-shapes.ts). What it cannot read
 * is refused with its field path, never read as "no rules".
 */
export function readDescribeFile(path: string): SecurityGroup[] {
  const text = readTextFile(path, 'groups file');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(
      'groups file',
      [`${path}: not JSON (${(err as Error).message.split('\n')[0]})`],
      { cause: err },
    );
  }
  return parseDescribeDocument(doc, path);
}

/** The groups of a describe-security-groups document already read; refusals name `name`. */
export function parseDescribeDocument(doc: unknown, name: string): SecurityGroup[] {
  return parseOrThrow(describeSecurityGroupsSchema, doc, 'groups file', `${name}: `).SecurityGroups;
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
    const quota = quotaProblem(snapshot.ingress, plan);
    if (quota)
      return {
        groupId: plan.groupId,
        ...name,
        // What the plan would do, which the reverter refuses to start.
        status: 'refused',
        revoke: json(plan.revoke.map((c) => c.rule)),
        authorize: json(plan.authorize.map((c) => c.rule)),
        after: json(snapshot.ingress),
        reasons: [quota],
      };
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
      const why = p.status === 'exempt' || p.status === 'refused' ? `, ${p.reasons[0]}` : '';
      lines.push(`${title}: ${p.status}${why}`);
      continue;
    }
    lines.push(`${title}: ${p.authorize.length} to authorize, ${p.revoke.length} to revoke`);
    for (const r of p.authorize) lines.push(`  + authorize ${rule(r)}`);
    for (const r of p.revoke) lines.push(`  - revoke    ${rule(r)}`);
    lines.push(`  = after: ${p.after.length ? p.after.map(rule).join('; ') : 'no ingress'}`);
  }
  const count = (s: PlanStatus) => plans.filter((p) => p.status === s).length;
  lines.push(
    `${plans.length} groups: ${count('noncompliant')} to change, ${count('compliant')} compliant, ${count('exempt')} exempt${count('refused') ? `, ${count('refused')} refused` : ''}`,
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
