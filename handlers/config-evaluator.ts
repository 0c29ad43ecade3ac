/**
 * Lambda: the AWS Config custom rule for AWS::EC2::SecurityGroup.
 * Parse (zod, before any AWS call) -> decide (the planner the reverter uses) -> act (read the
 * group live only when Config could not deliver it; PutEvaluations). It never changes a group:
 * that is the reverter's job.
 */
import type { ConfigServiceClient } from '@aws-sdk/client-config-service';
import type { EC2Client, SecurityGroup } from '@aws-sdk/client-ec2';
import { createConfigClient, putEvaluations } from './aws/config';
import { createEc2Client, describeAllGroups, describeGroup } from './aws/ec2';
import {
  decide,
  evaluateGroup,
  goneEvaluation,
  parseConfigRuleEvent,
  toResourceEvaluation,
  unreadableEvaluation,
  type ConfigRuleRequest,
  type ResourceEvaluation,
} from './policy/config-item';
import type { SecurityGroupPolicy } from './policy/policy';
import { snapshotFromDescribe } from './policy/rules';
import { policyFromEnv } from './env';
import { logger } from './shared/logger';
import { ValidationError } from './shared/validation';

export interface ConfigEvaluatorDeps {
  readonly config: ConfigServiceClient;
  readonly ec2: EC2Client;
  readonly policy: () => SecurityGroupPolicy;
}

export interface ConfigEvaluatorResponse {
  readonly testMode: boolean;
  readonly evaluations: readonly ResourceEvaluation[];
}

/** A group EC2 described, judged as Config would have judged its configuration item. */
function evaluateDescribed(
  group: SecurityGroup,
  policy: SecurityGroupPolicy,
  orderingTimestamp: Date,
): ResourceEvaluation {
  // Rule IDs are not needed to judge a group, so DescribeSecurityGroups alone is enough.
  let snapshot;
  try {
    snapshot = snapshotFromDescribe(group);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    logger.warn('group not judged', { groupId: group.GroupId, problems: err.problems });
    return unreadableEvaluation(group.GroupId ?? '', err.summary, orderingTimestamp);
  }
  const result = evaluateGroup(snapshot, policy);
  logger.debug('plan', { groupId: snapshot.groupId, snapshot, plan: result.plan });
  return toResourceEvaluation(snapshot.groupId, result, orderingTimestamp);
}

async function evaluate(
  deps: ConfigEvaluatorDeps,
  request: ConfigRuleRequest,
  policy: SecurityGroupPolicy,
): Promise<ResourceEvaluation[]> {
  if (request.invocation.kind === 'change')
    logger.debug('configuration item', { configurationItem: request.invocation.item });
  const decision = decide(request, policy);
  switch (decision.kind) {
    case 'evaluated':
      logger.debug('plan', { plan: decision.plan });
      return [decision.evaluation];
    case 'readLive': {
      logger.info('reading the group from EC2', {
        groupId: decision.groupId,
        why: decision.why,
      });
      const read = await describeGroup(deps.ec2, decision.groupId);
      logger.debug('group read live', { read });
      return [
        read.found
          ? evaluateDescribed(read.group, policy, decision.orderingTimestamp)
          : goneEvaluation(decision.groupId, decision.orderingTimestamp),
      ];
    }
    case 'evaluateAll': {
      const groups = await describeAllGroups(deps.ec2);
      return groups
        .filter((g) => g.GroupId)
        .map((g) => evaluateDescribed(g, policy, decision.orderingTimestamp));
    }
  }
}

export function makeHandler(deps: ConfigEvaluatorDeps) {
  return async (event: unknown): Promise<ConfigEvaluatorResponse> => {
    const request = parseConfigRuleEvent(event);
    const policy = deps.policy();
    // The rule's debug parameter raises the level for this invocation only.
    const previousLevel = logger.getLevelName();
    if (request.debug) logger.setLogLevel('DEBUG');
    try {
      const evaluations = await evaluate(deps, request, policy);
      const { calls } = await putEvaluations(
        deps.config,
        request.resultToken,
        request.testMode,
        evaluations,
      );
      logger.info('config evaluation finished', {
        testMode: request.testMode,
        trigger: request.invocation.kind,
        calls,
        evaluations: evaluations.map((e) => ({
          resourceId: e.resourceId,
          complianceType: e.complianceType,
          annotation: e.annotation,
        })),
      });
      return { testMode: request.testMode, evaluations };
    } finally {
      if (request.debug) logger.setLogLevel(previousLevel);
    }
  };
}

// Module scope: one client each per container, reused across invocations.
const config = createConfigClient();
const ec2 = createEc2Client();
export const handler = makeHandler({ config, ec2, policy: () => policyFromEnv() });
