/** What a handler reads from its environment, parsed once per cold start. */
import { parsePolicyJson, type SecurityGroupPolicy } from '../policy/policy';
import { InputError } from './errors';
import { DEFAULT_LIMITS, type RemediationLimits } from '../aws/remediate';
import { DEFAULT_MAX_INBOUND_RULES } from '../policy/quota';

export const POLICY_ENV = 'FIRST_RESPONDER_POLICY';

let cached: { text: string; policy: SecurityGroupPolicy } | undefined;

/** The security-group policy the stack put in the function's environment. */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): SecurityGroupPolicy {
  const text = env[POLICY_ENV];
  if (!text) throw new InputError(`${POLICY_ENV} is not set: the function has no policy to apply`);
  if (cached?.text !== text) cached = { text, policy: parsePolicyJson(text, POLICY_ENV) };
  return cached.policy;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new InputError(`${name} is ${JSON.stringify(raw)}; it must be a whole number above 0`);
  return n;
}

export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): RemediationLimits {
  return {
    maxRevokesPerGroup: positiveInt(
      env,
      'MAX_REVOKES_PER_GROUP',
      DEFAULT_LIMITS.maxRevokesPerGroup,
    ),
    maxGroupsPerCall: positiveInt(env, 'MAX_GROUPS_PER_CALL', DEFAULT_LIMITS.maxGroupsPerCall),
    maxInboundRulesPerGroup: positiveInt(
      env,
      'MAX_INBOUND_RULES_PER_GROUP',
      DEFAULT_MAX_INBOUND_RULES,
    ),
  };
}
