/**
 * Organization mode: where an account sits, for the scope resolver (../policy/scope.ts). Walks
 * Organizations ListParents from the account up to the root. Any failure (access denied,
 * throttling, a timeout, an account not in the organization) is a placement that was not found,
 * so the account is observed, never enforced.
 *
 * Organizations has one endpoint per partition: the SDK resolves any region of the aws partition
 * to organizations.us-east-1.amazonaws.com, signed for us-east-1 (checked in the tests), so the
 * client is built in the function's own region.
 */
import { ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Placement } from '../policy/scope';
import { errorCode, errorMessage } from '../shared/errors';
import { clientSettings, type ClientTimeouts } from './clients';

/** Organizations with the shared timeouts and retries. */
export function createOrganizationsClient(options: ClientTimeouts = {}): OrganizationsClient {
  return new OrganizationsClient(clientSettings(options));
}

/** OUs nest at most five deep under the root: six hops from an account reach the root. */
export const MAX_DEPTH = 6;
/** Accounts move between OUs rarely; a move is seen within this long. */
export const PLACEMENT_TTL_MS = 5 * 60_000;
/** The whole walk; past it the account is observed rather than holding the response up. */
export const PLACEMENT_TIMEOUT_MS = 10_000;

export interface AccountPlacementsProps {
  readonly organizations: OrganizationsClient;
  /** @default PLACEMENT_TTL_MS */
  readonly ttlMs?: number;
  /** @default PLACEMENT_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Placements, cached per container: each child's parent (account -> OU -> ... -> root) for
 * `ttlMs`, so that accounts under the same OUs share the upper hops. Failures are not cached.
 */
export class AccountPlacements {
  private readonly parents = new Map<string, { parent: string; at: number }>();
  constructor(private readonly props: AccountPlacementsProps) {}

  /** The account's parents, nearest first, ending at the root; or why they could not be read. */
  async place(account: string): Promise<Placement> {
    const signal = AbortSignal.timeout(this.props.timeoutMs ?? PLACEMENT_TIMEOUT_MS);
    const parents: string[] = [];
    let child = account;
    try {
      for (let depth = 0; depth < MAX_DEPTH; depth++) {
        const parent = await this.parentOf(child, signal);
        parents.push(parent);
        if (parent.startsWith('r-')) return { found: true, parents };
        child = parent;
      }
    } catch (err) {
      return { found: false, reason: failureReason(account, err) };
    }
    return {
      found: false,
      reason: `ListParents did not reach the root within ${MAX_DEPTH} levels (${parents.join(' < ')})`,
    };
  }

  private async parentOf(child: string, signal: AbortSignal): Promise<string> {
    const now = (this.props.now ?? Date.now)();
    const cached = this.parents.get(child);
    if (cached && now - cached.at < (this.props.ttlMs ?? PLACEMENT_TTL_MS)) return cached.parent;
    const out = await this.props.organizations.send(new ListParentsCommand({ ChildId: child }), {
      abortSignal: signal,
    });
    // A child has exactly one parent (the Organizations API reference).
    const parent = out.Parents?.[0]?.Id;
    if (!parent) throw new Error(`ListParents named no parent for ${child}`);
    this.parents.set(child, { parent, at: now });
    return parent;
  }
}

function failureReason(account: string, err: unknown): string {
  const code = errorCode(err);
  switch (code) {
    case 'ChildNotFoundException':
      return `account ${account} is not in the organization (ListParents: ${code})`;
    case 'AccessDeniedException':
    case 'AWSOrganizationsNotInUseException':
      return `this account may not read the organization (ListParents: ${code}): it must be the management account or a delegated administrator, with organizations:ListParents`;
    case 'TimeoutError':
    case 'AbortError':
      return `ListParents did not answer in time (${code})`;
    default:
      return `ListParents failed: ${code ? `${code}: ` : ''}${errorMessage(err)}`;
  }
}
