/**
 * EC2's quota on inbound rules per security group, checked before any write. The reverter
 * authorizes before it revokes (the group never allows less than the result), so at its peak the
 * group holds its current rules plus every rule the plan adds; EC2 refuses an authorize past the
 * quota, and a plan cut short there would leave the group half changed.
 */
import type { Plan } from './planner';
import type { Rule } from './rules';

/** "Inbound or outbound rules per security group": 60 unless the account raised it. */
export const DEFAULT_MAX_INBOUND_RULES = 60;

/**
 * Rules as EC2 counts them, separately for IPv4 and IPv6: a rule that references a security group
 * counts in both. A prefix-list reference counts as its list's maximum entries, which is not known
 * offline; it is counted once here (so the check can only err on the side of writing).
 */
export function inboundRuleCounts(rules: readonly Rule[]): { ipv4: number; ipv6: number } {
  let ipv4 = 0;
  let ipv6 = 0;
  for (const r of rules) {
    if (r.source.kind !== 'cidrIpv6') ipv4++;
    if (r.source.kind !== 'cidrIpv4') ipv6++;
  }
  return { ipv4, ipv6 };
}

/** Why the plan would pass the quota while it runs, or undefined when it fits. */
export function quotaProblem(
  before: readonly Rule[],
  plan: Plan,
  limit = DEFAULT_MAX_INBOUND_RULES,
): string | undefined {
  if (plan.authorize.length === 0) return undefined; // revoking alone never adds a rule
  const peak = inboundRuleCounts([...before, ...plan.authorize.map((c) => c.rule)]);
  const over = (['ipv4', 'ipv6'] as const).filter((f) => peak[f] > limit);
  if (over.length === 0) return undefined;
  const f = over[0]!;
  return `the plan authorizes ${plan.authorize.length} rules before it revokes ${plan.revoke.length}, so the group would hold ${peak[f]} ${f === 'ipv4' ? 'IPv4' : 'IPv6'} inbound rules, above the quota of ${limit} per group; nothing was changed. Narrow the policy (fewer ports or sources per entry), or raise the quota in Service Quotas and the limit (maxInboundRulesPerGroup) to match`;
}
