/**
 * Organization mode for the response functions: where an incident's event happened (account and
 * region), which mode that account is in, and an EC2 client there through the member role.
 * Fails closed: an incident whose place cannot be told changes nothing, and an account that
 * cannot be placed is observed.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { STSClient } from '@aws-sdk/client-sts';
import { createStsClient, MemberSessions, type MemberTarget } from '../aws/member-session';
import { AccountPlacements, createOrganizationsClient } from '../aws/organizations';
import { incidentPlace, partitionOf, placeName, type Place } from '../incident/place';
import type { IncidentTrigger } from '../incident/trigger';
import {
  mayChange,
  resolveMode,
  type Placement,
  type ResponseMode,
  type ScopeDecision,
  type ScopeSettings,
} from '../policy/scope';

/** What a response function needs to act in member accounts (built once per container). */
export interface OrganizationResponder {
  readonly settings: ScopeSettings;
  /** An EC2 client in a member account and region, through the member role (MemberSessions). */
  readonly ec2: (target: MemberTarget) => EC2Client;
  /** Where an account sits in the organization (AccountPlacements). */
  readonly place: (account: string) => Promise<Placement>;
  /** Names the function in the member account's CloudTrail (the session's SourceIdentity). */
  readonly sourceIdentity: string;
}

/** What the functions get from the stack in organization mode (OrganizationSettings). */
export interface MemberRoleSettings extends ScopeSettings {
  /** The member role, the same name in every account. */
  readonly memberRoleName: string;
}

export interface ResponderClients {
  /** @default createStsClient(): the function's own region and credentials */
  readonly sts?: STSClient;
  /** @default createOrganizationsClient() */
  readonly organizations?: OrganizationsClient;
  /** @default process.env (AWS_REGION, for the partition of the member role's ARN) */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The responder of one function, built once per container and kept while the settings are the
 * same object (organizationFromEnv parses once per text), so that the member sessions and the
 * placements stay cached across invocations. Undefined in a single-account deployment.
 * `sourceIdentity` names the function ("<prefix>-reverter", its service name).
 */
export function responderFromSettings(
  read: () => MemberRoleSettings | undefined,
  sourceIdentity: string,
  clients: ResponderClients = {},
): () => OrganizationResponder | undefined {
  const env = clients.env ?? process.env;
  let built: { settings: MemberRoleSettings; responder: OrganizationResponder } | undefined;
  return () => {
    const settings = read();
    if (!settings) return undefined;
    if (built?.settings !== settings) {
      const sessions = new MemberSessions({
        roleName: settings.memberRoleName,
        partition: partitionOf(env.AWS_REGION ?? ''),
        sts: clients.sts ?? createStsClient(),
      });
      const placements = new AccountPlacements({
        organizations: clients.organizations ?? createOrganizationsClient(),
      });
      built = {
        settings,
        responder: {
          settings,
          ec2: (target) => sessions.ec2(target),
          place: (account) => placements.place(account),
          sourceIdentity,
        },
      };
    }
    return built.responder;
  };
}

/** The place an incident is handled in, its mode, and whether this invocation may change it. */
export interface MemberScope {
  readonly place: Place;
  readonly decision: ScopeDecision;
  readonly changes: boolean;
  /** Why nothing is changed, when nothing is ("observe mode"); for the records' summaries. */
  readonly held?: string;
}

export type ScopeOutcome =
  | { readonly found: true; readonly scope: MemberScope }
  | { readonly found: false; readonly reason: string };

/**
 * The incident's place and mode. `approved`: the runbook's approval step passed (only the
 * approve mode reads it).
 */
export async function memberScope(
  org: OrganizationResponder,
  trigger: IncidentTrigger | undefined,
  involvedResources: readonly string[],
  approved: boolean,
): Promise<ScopeOutcome> {
  const where = incidentPlace(trigger, involvedResources);
  if (!where.found) return { found: false, reason: where.reason };
  const place = where.place;
  const decision = resolveMode(org.settings, place.account, await org.place(place.account));
  const changes = mayChange(decision.mode, approved);
  const held =
    decision.mode === 'approve' ? 'approve mode, not approved: nothing changed' : 'observe mode';
  return { found: true, scope: { place, decision, changes, ...(changes ? {} : { held }) } };
}

/** The member-account session for an incident: named for it, with the function as source. */
export function memberEc2(org: OrganizationResponder, place: Place, incidentId: string): EC2Client {
  return org.ec2({
    ...place,
    sessionName: sessionNameFor(incidentId),
    sourceIdentity: org.sourceIdentity,
  });
}

/**
 * "fr-<incident id>": the last part of the incident record ARN (a UUID), or the OpsItem ID,
 * so that the member account's CloudTrail names the incident on every call.
 */
export function sessionNameFor(incidentId: string): string {
  return `fr-${incidentId.split('/').pop() ?? incidentId}`;
}

/** One line for the incident: where it is handled, in which mode, and what happens. */
export function scopeNote(scope: MemberScope): string {
  const { place, decision } = scope;
  return `Organization mode: ${placeName(place)} is in ${decision.mode} mode (${decision.reason}). ${
    scope.changes
      ? 'Reverting there through the member role.'
      : `${scope.held ?? 'observe mode'}: the plan is recorded, nothing is changed.`
  }`;
}

/** What the scope check answers the runbook before its approval step. */
export interface ScopeCheck {
  /** The mode the runbook branches on: `approve` asks the approvers first. */
  readonly mode: ResponseMode;
  readonly reason: string;
  readonly accounts: readonly (Place & { readonly mode: ResponseMode; readonly reason: string })[];
}

export function scopeCheckOf(outcome: ScopeOutcome): ScopeCheck {
  if (!outcome.found)
    return {
      mode: 'observe',
      reason: `the incident's account and region could not be told: ${outcome.reason}; observing only (fail closed)`,
      accounts: [],
    };
  const { place, decision } = outcome.scope;
  return {
    mode: decision.mode,
    reason: decision.reason,
    accounts: [{ ...place, mode: decision.mode, reason: decision.reason }],
  };
}
