/**
 * The Lambda functions the app deploys, as data: the handler each runs, the runbooks that invoke
 * it, its limits, what it reads from its environment and what it may do. The ResponseFunctions
 * construct builds them from here; the runbooks, the drill and the summary name them from here.
 */
import { Duration } from 'aws-cdk-lib';
import type { RunbookId } from './config';

/** The functions, by id (also the construct ids under ResponseFunctions). */
export const FUNCTION_IDS = [
  'reverter',
  'guarddutyResponse',
  'rootTriage',
  'configEvaluator',
] as const;
export type FunctionId = (typeof FUNCTION_IDS)[number];

/** What a function reads from its environment, besides POWERTOOLS_SERVICE_NAME (all do). */
export type FunctionInput =
  /** The security-group policy (FIRST_RESPONDER_POLICY). */
  | 'policy'
  /** The reverter's limits, when configured (MAX_REVOKES_PER_GROUP, MAX_GROUPS_PER_CALL). */
  | 'revertLimits'
  /** GUARDDUTY_REVERT_MIN_SEVERITY, when configured. */
  | 'guardDutyRevertMinSeverity'
  /** FIRST_RESPONDER_ORGANIZATION, in organization mode only. */
  | 'organization';

/** What a function may do; the construct turns each into one IAM statement. */
export type FunctionPermission =
  /** ec2:DescribeSecurityGroups (tags and rules in one call). */
  | 'describeSecurityGroups'
  /** ec2:DescribeInstances, with the above (a GuardDuty finding names an instance). */
  | 'describeInstances'
  /** Revoke and authorize ingress, on groups without the policy's exempt tag only. */
  | 'changeIngress'
  /** Read and annotate the incident records of the app's response plans. */
  | 'incidentTimeline'
  /** config:PutEvaluations. */
  | 'reportEvaluations'
  /**
   * Organization mode only: assume the member role in any account of the organization and place
   * an account in its OU (organizations:ListParents). Its EC2 reads and writes then happen through
   * the member role, in every account including the security account, instead of its own role.
   */
  | 'actInMembers';

export interface FunctionSpec {
  /** The handler, relative to the repository root. */
  readonly entry: string;
  /** The function is `<app.prefix>-<name>` in its logs and role descriptions. */
  readonly name: string;
  /** The Lambda function's description. */
  readonly description: string;
  /** The runbooks (in runbooks/) whose steps invoke it; none for a function AWS Config invokes. */
  readonly invokedBy: readonly RunbookId[];
  /** Its Lambda limits: the timeout, and the memory in MB. */
  readonly limits: { readonly timeout: Duration; readonly memorySize: number };
  /** What it reads from its environment; the construct sets the variables. */
  readonly environment: readonly FunctionInput[];
  /** What it may do; the construct writes the IAM statements. */
  readonly permissions: readonly FunctionPermission[];
}

export const FUNCTIONS: Readonly<Record<FunctionId, FunctionSpec>> = {
  reverter: {
    entry: 'handlers/reverter.ts',
    name: 'reverter',
    description: 'Reverts security groups to the security-group policy.',
    invokedBy: ['revert-security-groups'],
    limits: { timeout: Duration.minutes(4), memorySize: 256 },
    environment: ['policy', 'revertLimits', 'organization'],
    permissions: [
      'describeSecurityGroups',
      'describeInstances',
      'changeIngress',
      'incidentTimeline',
      'actInMembers',
    ],
  },
  guarddutyResponse: {
    entry: 'handlers/guardduty-response.ts',
    name: 'guardduty-response',
    description: 'Responds to a GuardDuty finding incident.',
    invokedBy: ['guardduty-finding-response'],
    limits: { timeout: Duration.minutes(4), memorySize: 256 },
    environment: ['policy', 'revertLimits', 'guardDutyRevertMinSeverity', 'organization'],
    permissions: [
      'describeSecurityGroups',
      'describeInstances',
      'changeIngress',
      'incidentTimeline',
      'actInMembers',
    ],
  },
  rootTriage: {
    entry: 'handlers/root-triage.ts',
    name: 'root-triage',
    description: 'Triages root-user activity incidents.',
    invokedBy: ['root-activity-triage'],
    limits: { timeout: Duration.minutes(2), memorySize: 256 },
    environment: [],
    permissions: ['incidentTimeline'],
  },
  configEvaluator: {
    entry: 'handlers/config-evaluator.ts',
    name: 'config-evaluator',
    description: 'Evaluates security groups against the policy for AWS Config.',
    // The project's AWS Config rule invokes it (infra/constructs/config-rules.ts).
    invokedBy: [],
    limits: { timeout: Duration.minutes(1), memorySize: 256 },
    environment: ['policy'],
    permissions: ['describeSecurityGroups', 'reportEvaluations'],
  },
};

/** The function a runbook invokes: exactly one per runbook, or the catalogue is wrong. */
export function functionOfRunbook(runbook: RunbookId): FunctionId {
  const found = FUNCTION_IDS.filter((id) => FUNCTIONS[id].invokedBy.includes(runbook));
  if (found.length !== 1)
    throw new Error(
      `infra/functions.ts: runbook ${runbook} must be invoked by exactly one function; FUNCTIONS names ${found.length ? found.join(', ') : 'none'}`,
    );
  return found[0]!;
}

/**
 * The intake, which every detection rule invokes. Its own construct (infra/constructs/intake.ts)
 * builds it, because it comes with its table, dead-letter queue and rule targets; it is listed
 * here so that every function the app deploys is named in this file.
 */
export const INTAKE_FUNCTION = {
  entry: 'handlers/intake.ts',
  name: 'intake',
  description: 'Judges, deduplicates and opens incidents for the detection rules.',
  // A handful of calls, each with a 3 s request timeout; shorter than the dedupe lease.
  limits: { timeout: Duration.seconds(60), memorySize: 256 },
} as const;
