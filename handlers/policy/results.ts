/**
 * What the reverter reports for each group, and the blast-radius limits it works within. Pure
 * data: the workflows fill it in, the timeline records it, the handlers return it.
 */
import type { RuleJson } from './rules';

export const GROUP_STATUSES = [
  'compliant',
  'remediated',
  /** dryRun: what `remediated` would have done, nothing changed. */
  'planned',
  'exempt',
  'gone',
  'refused',
  'failed',
  /** The invocation's deadline came before this group's turn: nothing was read or changed. */
  'not-attempted',
] as const;

export type GroupStatus = (typeof GROUP_STATUSES)[number];

/** After these the caller must not report success (the runbook step fails). */
const INCOMPLETE: ReadonlySet<GroupStatus> = new Set(['refused', 'failed', 'not-attempted']);
export const isIncomplete = (r: { readonly status: GroupStatus }) => INCOMPLETE.has(r.status);

export interface GroupResult {
  readonly groupId: string;
  readonly status: GroupStatus;
  /** Why the group was refused, exempt, gone or failed. */
  readonly reason?: string;
  readonly before?: readonly RuleJson[];
  readonly revoked: readonly RuleJson[];
  readonly authorized: readonly RuleJson[];
  readonly after?: readonly RuleJson[];
  /** One line per change, from the planner. */
  readonly reasons?: readonly string[];
  /** EC2 calls made for this group. */
  readonly calls: number;
  /** True when a verification read (after a write with an unknown outcome) set the result. */
  readonly verified?: boolean;
}

export interface RemediationLimits {
  /** @default 50 */
  readonly maxRevokesPerGroup: number;
  /** @default 20 */
  readonly maxGroupsPerCall: number;
  /** EC2's inbound-rule quota per group, if the account raised it. @default 60 */
  readonly maxInboundRulesPerGroup?: number;
}

export const DEFAULT_LIMITS: RemediationLimits = { maxRevokesPerGroup: 50, maxGroupsPerCall: 20 };
