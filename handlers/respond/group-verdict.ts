/**
 * A security group's verdict for the intake: the reverter's own read and planner, in dry run,
 * so the intake judges exactly as the reverter would act, with the same call budget.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { GroupVerdict } from '../intake/decide';
import { formatRule, ruleFromJson } from '../policy/rules';
import type { GroupResult } from '../policy/results';
import { remediateGroup, type RemediationOptions } from './remediate';

export function verdictOf(result: GroupResult): GroupVerdict {
  const groupId = result.groupId;
  const reason = result.reason ?? '';
  switch (result.status) {
    case 'planned':
    case 'remediated':
      return {
        groupId,
        status: 'noncompliant',
        revoke: result.revoked.map((r) => formatRule(ruleFromJson(r))),
      };
    case 'compliant':
      return { groupId, status: 'compliant', reason: 'the reverter would change nothing' };
    case 'exempt':
    case 'gone':
      return { groupId, status: result.status, reason };
    case 'refused':
      // Refused with a plan: over the blast-radius limit, so certainly out of policy.
      return result.reasons?.length
        ? { groupId, status: 'noncompliant', revoke: result.reasons }
        : { groupId, status: 'unknown', reason };
    case 'failed':
    case 'not-attempted':
      return { groupId, status: 'unknown', reason: reason || result.status };
  }
}

export async function readGroupVerdict(
  ec2: EC2Client,
  groupId: string,
  options: Omit<RemediationOptions, 'dryRun'>,
): Promise<{ verdict: GroupVerdict; calls: number }> {
  const result = await remediateGroup(ec2, groupId, { ...options, dryRun: true });
  return { verdict: verdictOf(result), calls: result.calls };
}
