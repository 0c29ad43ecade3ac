/**
 * Organization mode's names and deployment targets, in one place: the CDK stacks, the StackSets,
 * the summary and the commands all name the central bus, the member roles, the StackSets and the
 * extra stacks from here (docs/organization.md).
 */
import { ValidationError } from '../handlers/shared/validation';
import { DETECTION_IDS, type DetectionId } from '../patterns';
import type { FirstResponderConfig } from './config';
import { memberRoleNameOf, type OrganizationConfig } from './config-organization';
import { FUNCTIONS, INTAKE_FUNCTION, type FunctionId } from './functions';

/** The central event bus, in the security account's home region. */
export function centralBusNameOf(prefix: string): string {
  return `${prefix}-central`;
}

/** The role the members' forwarding rules send events with (one per account). */
export function forwarderRoleNameOf(prefix: string): string {
  return `${prefix}-forwarder`;
}

/** The StackSets deployed from the security account as delegated administrator. */
export function stackSetNamesOf(prefix: string): { forwarders: string; roles: string } {
  return { forwarders: `${prefix}-member-forwarders`, roles: `${prefix}-member-roles` };
}

/** The security account's stack that forwards a non-home region's GuardDuty findings. */
export function guardDutyForwardStackNameOf(stackName: string, region: string): string {
  return `${stackName}-Forward-${region}`;
}

/** A stack deployed in the management account (which service-managed StackSets skip). */
export function managementStackNameOf(stackName: string, region: string): string {
  return `${stackName}-Management-${region}`;
}

/** The rule names of the members' forwarders, `<prefix>-forward-<detection name>`. */
export function forwardRuleNameOf(prefix: string, detectionName: string): string {
  return `${prefix}-forward-${detectionName}`;
}

/**
 * The signals the members forward to the central bus. GuardDuty findings are not among them:
 * every member's findings already reach the delegated administrator (the security account), whose
 * own rules forward them; a member forwarding them too would open two incidents for one finding.
 */
export const MEMBER_FORWARDED_DETECTIONS: readonly DetectionId[] = DETECTION_IDS.filter(
  (d) => d !== 'guardDutyFinding',
);

/**
 * The central functions that act in member accounts through the member role: the intake (it
 * reads the group it judges) and the functions whose catalogue entry says `actInMembers`.
 */
export const MEMBER_ACTING_FUNCTIONS: readonly FunctionId[] = (
  Object.keys(FUNCTIONS) as FunctionId[]
).filter((id) => FUNCTIONS[id].permissions.includes('actInMembers'));

/**
 * In organization mode the central functions' roles carry fixed names, so that the member role
 * can trust them by ARN in the StackSets and in the management account's stacks alike.
 */
export function centralRoleNameOf(prefix: string, functionName: string): string {
  return `${prefix}-${functionName}`;
}

/** The names of the roles the member role trusts: the intake's and the acting functions'. */
export function trustedRoleNamesOf(prefix: string): string[] {
  return [
    centralRoleNameOf(prefix, INTAKE_FUNCTION.name),
    ...MEMBER_ACTING_FUNCTIONS.map((id) => centralRoleNameOf(prefix, FUNCTIONS[id].name)),
  ];
}

/** The organization section and the security account, or a configuration error naming them. */
export function organizationOf(
  config: FirstResponderConfig,
  securityAccount: string | undefined,
): { org: OrganizationConfig; securityAccount: string; memberRoleName: string } | undefined {
  const org = config.organization;
  if (!org) return undefined;
  if (!securityAccount)
    throw new ValidationError('config', [
      'config.app.account: got nothing, and the CLI gave no account (CDK_DEFAULT_ACCOUNT); organization mode names the security account in the member role trust and the management-account stacks: set app.account to the security account (the delegated administrator)',
    ]);
  const memberRoleName = memberRoleNameOf(org, config.app.prefix);
  // The security account may be a target: its member role must not take a name it already uses.
  const taken = [...trustedRoleNamesOf(config.app.prefix), forwarderRoleNameOf(config.app.prefix)];
  if (taken.includes(memberRoleName))
    throw new ValidationError('config', [
      `config.organization.memberRoleName: got ${JSON.stringify(memberRoleName)}, the name of one of the app's own roles (${taken.join(', ')}); choose another name, or leave it out for "${config.app.prefix}-member"`,
    ]);
  return { org, securityAccount, memberRoleName };
}

/** One entry of a StackSet's StackInstancesGroup: where, and with which account filter. */
export interface DeploymentTargetGroup {
  readonly organizationalUnitIds: readonly string[];
  /** @default none: every account under the OUs */
  readonly accounts?: readonly string[];
  /** @default none */
  readonly accountFilterType?: 'INTERSECTION' | 'DIFFERENCE';
}

/**
 * The StackSets' deployment targets, one entry per distinct filter. Service-managed targets
 * always name OUs (or the root): OU targets are their OUs, minus excludeAccounts (DIFFERENCE);
 * account targets are the root intersected with the accounts (INTERSECTION).
 */
export function deploymentTargetsOf(org: OrganizationConfig): DeploymentTargetGroup[] {
  const ous = org.targets.flatMap((t) => t.organizationalUnits ?? []);
  const accounts = org.targets.flatMap((t) => t.accounts ?? []);
  const groups: DeploymentTargetGroup[] = [];
  if (ous.length)
    groups.push(
      org.excludeAccounts.length
        ? {
            organizationalUnitIds: ous,
            accounts: org.excludeAccounts,
            accountFilterType: 'DIFFERENCE',
          }
        : { organizationalUnitIds: ous },
    );
  if (accounts.length) {
    // Checked with the configuration (organizationIssues); repeated here for a direct caller.
    if (!org.rootId)
      throw new ValidationError('config', [
        'config.organization.rootId: got nothing, with account targets; StackSets deploy to accounts as the root filtered to them: set rootId (r-…)',
      ]);
    groups.push({
      organizationalUnitIds: [org.rootId],
      accounts,
      accountFilterType: 'INTERSECTION',
    });
  }
  return groups;
}

/** CloudFormation's longest stack name. */
const STACK_NAME_MAX = 128;

/** The extra stacks' names must fit CloudFormation's limit: say which and by how much. */
export function checkOrganizationStackNames(config: FirstResponderConfig): void {
  const org = config.organization;
  if (!org) return;
  const names = [
    ...org.regions.map((r) => guardDutyForwardStackNameOf(config.app.stackName, r)),
    ...(org.managementAccountId
      ? org.regions.map((r) => managementStackNameOf(config.app.stackName, r))
      : []),
  ];
  const long = names.filter((n) => n.length > STACK_NAME_MAX);
  if (long.length)
    throw new ValidationError('config', [
      `config.app.stackName: got ${JSON.stringify(config.app.stackName)}, which makes stack names of more than ${STACK_NAME_MAX} characters in organization mode (${long.join(', ')}): use a shorter stackName`,
    ]);
}

export { memberRoleNameOf };
