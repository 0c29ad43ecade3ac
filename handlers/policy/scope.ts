/**
 * Organization mode's scope: which response mode applies to an account, from the configured
 * targets and where the account sits in the organization. Pure: the caller looks up the
 * account's parents (Organizations ListParents, or a fixture in the drill) and passes what it
 * found, or that the lookup failed.
 *
 * It fails closed: an account that cannot be placed (an excluded account, a failed lookup, an
 * account in no target) is observed, never enforced.
 */

/** What first-responder may do in an account. */
export const RESPONSE_MODES = ['enforce', 'approve', 'observe'] as const;
/**
 * - `enforce`: revert at once;
 * - `approve`: the runbook asks the approvers, and reverts once approved;
 * - `observe`: record the plan on the incident and change nothing.
 */
export type ResponseMode = (typeof RESPONSE_MODES)[number];

/** One configured target: organizational units or accounts, and the mode they get. */
export interface ScopeTarget {
  /** OU IDs (ou-…) or the root ID (r-…). @default [] */
  readonly organizationalUnits?: readonly string[];
  /** 12-digit account IDs. @default [] */
  readonly accounts?: readonly string[];
  readonly mode: ResponseMode;
}

export interface ScopeSettings {
  readonly targets: readonly ScopeTarget[];
  /** Accounts never acted in, whatever their OU. @default [] */
  readonly excludeAccounts?: readonly string[];
}

/**
 * Where an account sits: its parents from the nearest OU up to the root, as ListParents walked
 * them, or why the lookup failed.
 */
export type Placement =
  | { readonly found: true; readonly parents: readonly string[] }
  | { readonly found: false; readonly reason: string };

export interface ScopeDecision {
  readonly account: string;
  readonly mode: ResponseMode;
  /** Why, in one line for the incident: "OU ou-ab12-34cd5678 is in enforce mode". */
  readonly reason: string;
  /** The target that placed it; undefined when the account fell back to observe. */
  readonly target?: number;
}

const observe = (account: string, reason: string): ScopeDecision => ({
  account,
  mode: 'observe',
  reason: `${reason}; observing only (fail closed)`,
});

/**
 * The mode for `account`. An account named in a target wins over its OUs; otherwise the nearest
 * OU (or the root) named in a target decides. Excluded, unplaced and untargeted accounts observe.
 */
export function resolveMode(
  settings: ScopeSettings,
  account: string,
  placement: Placement | undefined,
): ScopeDecision {
  if (settings.excludeAccounts?.includes(account))
    return observe(account, `account ${account} is excluded`);
  const byAccount = settings.targets.findIndex((t) => t.accounts?.includes(account));
  if (byAccount >= 0) {
    const mode = settings.targets[byAccount]!.mode;
    return {
      account,
      mode,
      reason: `account ${account} is in ${mode} mode (organization.targets[${byAccount}])`,
      target: byAccount,
    };
  }
  if (!placement) return observe(account, `account ${account} was not looked up`);
  if (!placement.found)
    return observe(account, `the OU of account ${account} could not be found: ${placement.reason}`);
  for (const parent of placement.parents) {
    const i = settings.targets.findIndex((t) => t.organizationalUnits?.includes(parent));
    if (i >= 0) {
      const mode = settings.targets[i]!.mode;
      return {
        account,
        mode,
        reason: `account ${account} is under ${parent}, in ${mode} mode (organization.targets[${i}])`,
        target: i,
      };
    }
  }
  return observe(
    account,
    `account ${account} is in none of the targets (its parents: ${placement.parents.join(' < ') || 'none'})`,
  );
}

/** Whether a mode lets a function change anything, with or without an approval given. */
export function mayChange(mode: ResponseMode, approved: boolean): boolean {
  return mode === 'enforce' || (mode === 'approve' && approved);
}
