/**
 * The functions' environment: every variable the stack sets for them, named once (infra/ imports
 * these names), and the readers that parse them once per cold start.
 */
import { DEFAULT_REVERT_MIN_SEVERITY } from './incident/guardduty';
import { parsePolicyJson, type SecurityGroupPolicy } from './policy/policy';
import { DEFAULT_MAX_INBOUND_RULES } from './policy/quota';
import { DEFAULT_LIMITS, type RemediationLimits } from './policy/results';
import { InputError } from './shared/errors';

/** The environment variables the stack sets on the functions. */
export const ENV = {
  /** The security-group policy as compact JSON. */
  policy: 'FIRST_RESPONDER_POLICY',
  /** Blast radius: most rules one group may lose in one run. */
  maxRevokesPerGroup: 'MAX_REVOKES_PER_GROUP',
  /** Blast radius: most groups one call may change. */
  maxGroupsPerCall: 'MAX_GROUPS_PER_CALL',
  /** EC2's inbound-rule quota per group: a plan that would pass it is refused before writing. */
  maxInboundRulesPerGroup: 'MAX_INBOUND_RULES_PER_GROUP',
  /** Lowest GuardDuty severity that reverts, or "never". */
  guardDutyRevertMinSeverity: 'GUARDDUTY_REVERT_MIN_SEVERITY',
  /** Powertools' service name, on every log line. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
} as const;

let cached: { text: string; policy: SecurityGroupPolicy } | undefined;

/** The security-group policy the stack put in the function's environment. */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): SecurityGroupPolicy {
  const text = env[ENV.policy];
  if (!text) throw new InputError(`${ENV.policy} is not set: the function has no policy to apply`);
  if (cached?.text !== text) cached = { text, policy: parsePolicyJson(text, ENV.policy) };
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
    maxRevokesPerGroup: positiveInt(env, ENV.maxRevokesPerGroup, DEFAULT_LIMITS.maxRevokesPerGroup),
    maxGroupsPerCall: positiveInt(env, ENV.maxGroupsPerCall, DEFAULT_LIMITS.maxGroupsPerCall),
    maxInboundRulesPerGroup: positiveInt(
      env,
      ENV.maxInboundRulesPerGroup,
      DEFAULT_MAX_INBOUND_RULES,
    ),
  };
}

/** "never" switches reverting off; a number from 1 to 10 is the lowest severity that reverts. */
export function revertMinSeverityFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const name = ENV.guardDutyRevertMinSeverity;
  const raw = env[name];
  if (raw === undefined || raw === '') return DEFAULT_REVERT_MIN_SEVERITY;
  if (raw === 'never') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 10)
    throw new InputError(
      `${name} is ${JSON.stringify(raw)}; use a number from 1 to 10, or "never"`,
    );
  return n;
}
