/**
 * The `organization:` section of the configuration: organization mode, where one security
 * account responds for every account and region (docs/organization.md). Absent, the app is a
 * single-account deployment, unchanged. Validated with the rest of the configuration
 * (infra/config.ts), against what the Organizations, CloudFormation StackSets, IAM and Systems
 * Manager APIs accept.
 */
import { z } from 'zod';
import type { OrganizationSettings } from '../handlers/env';
import { RESPONSE_MODES } from '../handlers/policy/scope';
import { show } from '../handlers/shared/validation';
import {
  APPROVE_MAX_APPROVERS,
  APPROVE_MAX_TIMEOUT_SECONDS,
  IAM_ROLE_NAME,
  ORGANIZATION_ID,
  ORGANIZATION_ROOT_ID,
  ORGANIZATIONAL_UNIT_ID,
} from './aws-constraints';

const ACCOUNT_HELP = 'a 12-digit account ID (quote it in YAML: "012345678901")';
const account = z.string({ error: ACCOUNT_HELP }).regex(/^\d{12}$/, { error: ACCOUNT_HELP });
const REGION_HELP = 'a region name such as eu-west-1';
const region = z
  .string({ error: REGION_HELP })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: REGION_HELP });
const OU_HELP = 'an OU ID such as ou-ab12-34cd5678, or the root ID such as r-ab12';
/** What StackSets' OrganizationalUnitIds accept: an OU ID or the root ID. */
const OU_OR_ROOT = new RegExp(`${ORGANIZATIONAL_UNIT_ID.source}|${ORGANIZATION_ROOT_ID.source}`);
const organizationalUnit = z.string({ error: OU_HELP }).regex(OU_OR_ROOT, { error: OU_HELP });
const APPROVER_HELP =
  'an IAM user or role ARN, such as arn:aws:iam::123456789012:role/SecurityLead (aws:approve Approvers)';
const approver = z
  .string({ error: APPROVER_HELP })
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]{1,512}$/, { error: APPROVER_HELP });
/**
 * aws:approve's NotificationArn: Systems Manager publishes approval requests only to a topic
 * whose name starts with "Automation" (the aws:approve reference).
 */
const APPROVAL_TOPIC_HELP =
  'a standard SNS topic whose name starts with "Automation", such as arn:aws:sns:eu-west-1:123456789012:AutomationApprovals (aws:approve publishes only to such topics)';
const approvalTopic = z
  .string({ error: APPROVAL_TOPIC_HELP })
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:Automation[A-Za-z0-9_-]{0,246}$/, {
    error: APPROVAL_TOPIC_HELP,
  });

export const targetSchema = z
  .object({
    /** OU IDs or the root ID: every account under them, now and later (auto-deployment). */
    organizationalUnits: z
      .array(organizationalUnit, { error: 'a list of OU IDs' })
      .min(1, { error: 'list at least one OU ID, or leave the field out' })
      .optional(),
    /** Account IDs, each deployed and placed on its own (needs organization.rootId). */
    accounts: z
      .array(account, { error: 'a list of account IDs' })
      .min(1, { error: 'list at least one account ID, or leave the field out' })
      .optional(),
    /**
     * "enforce" reverts; "approve" asks organization.approval's approvers first; "observe"
     * records the plan and changes nothing.
     */
    mode: z.enum(RESPONSE_MODES, { error: `valid: ${RESPONSE_MODES.join(', ')}` }),
  })
  .strict();

export const organizationSchema = z
  .object({
    /** The organization's ID (o-…): the central bus admits only its accounts (aws:PrincipalOrgID). */
    organizationId: z
      .string({ error: 'the organization ID, such as o-a1b2c3d4e5' })
      .regex(ORGANIZATION_ID, { error: 'the organization ID, such as o-a1b2c3d4e5' }),
    /**
     * The organization's root ID (r-…): account targets are deployed as the root filtered to
     * those accounts (StackSets' service-managed targets always name an OU or the root).
     * @default none; required when a target lists accounts
     */
    rootId: z
      .string({ error: 'the root ID, such as r-ab12' })
      .regex(ORGANIZATION_ROOT_ID, { error: 'the root ID, such as r-ab12' })
      .optional(),
    /** Where the central bus, the intake and the functions run: the app's region. */
    homeRegion: region,
    /** Every region watched, the home region included. */
    regions: z
      .array(region, { error: 'a list of regions' })
      .min(1, { error: 'list at least the home region' }),
    /** Which accounts are watched, and each one's mode. */
    targets: z
      .array(targetSchema, { error: 'a list of targets' })
      .min(1, { error: 'list at least one target' }),
    /**
     * Accounts never deployed to nor acted in, even under a target OU.
     * @default []
     */
    excludeAccounts: z.array(account, { error: 'a list of account IDs' }).default([]),
    /**
     * Name of the response role in every member account.
     * @default "<app.prefix>-member"
     */
    memberRoleName: z
      .string({ error: 'an IAM role name: 1-64 letters, digits or +=,.@_-' })
      .regex(IAM_ROLE_NAME, { error: 'an IAM role name: 1-64 letters, digits or +=,.@_-' })
      .optional(),
    stackSets: z
      .object({
        /**
         * Deploy to accounts that join a target OU, and remove from those that leave.
         * @default true
         */
        autoDeployment: z.boolean().default(true),
        /**
         * Keep an account's stacks when it leaves a target OU (only with autoDeployment).
         * @default false
         */
        retainStacksOnAccountRemoval: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /**
     * The management account, which service-managed StackSets skip: the app then also
     * synthesizes stacks to deploy there with its own credentials.
     * @default none: the management account is not watched
     */
    managementAccountId: account.optional(),
    /**
     * Who approves a revert in "approve" mode (aws:approve).
     * @default none; required when a target's mode is "approve"
     */
    approval: z
      .object({
        /** IAM users or roles that may approve or reject (1 to 10). */
        approverArns: z
          .array(approver, { error: 'a list of IAM user or role ARNs' })
          .min(1, { error: 'list at least one approver' })
          .max(APPROVE_MAX_APPROVERS, {
            error: `aws:approve takes at most ${APPROVE_MAX_APPROVERS} approvers`,
          }),
        /** Where approval requests are published. */
        notificationTopicArn: approvalTopic,
        /** @default 1 */
        minRequiredApprovals: z.number().int().min(1).default(1),
        /**
         * How long a request waits before the runbook gives up, changing nothing.
         * @default 86400 (one day)
         */
        timeoutSeconds: z
          .number()
          .int()
          .min(60)
          .max(APPROVE_MAX_TIMEOUT_SECONDS, {
            error: `aws:approve waits at most ${APPROVE_MAX_TIMEOUT_SECONDS} seconds (30 days)`,
          })
          .default(86_400),
      })
      .strict()
      .optional(),
  })
  .strict();

export type OrganizationConfig = z.output<typeof organizationSchema>;

type Issue = (path: PropertyKey[], message: string) => void;

/** Cross-field checks, run with the rest of the configuration's. */
export function organizationIssues(
  org: OrganizationConfig,
  app: { readonly region?: string | undefined },
  issue: Issue,
): void {
  const at = (...path: PropertyKey[]) => ['organization', ...path];
  if (app.region && org.homeRegion !== app.region)
    issue(
      at('homeRegion'),
      `got ${show(org.homeRegion)}, but app.region is ${show(app.region)}; the central bus, the intake and the functions run in the app's region: make them the same`,
    );
  if (!org.regions.includes(org.homeRegion))
    issue(
      at('regions'),
      `got ${show(org.regions)}, without the home region ${org.homeRegion}; list every region to watch, the home region included`,
    );
  const regions = new Set<string>();
  org.regions.forEach((r, i) => {
    if (regions.has(r)) issue(at('regions', i), `got ${show(r)} twice; list each region once`);
    regions.add(r);
  });

  const placed = new Map<string, string>();
  org.targets.forEach((t, i) => {
    if (!t.organizationalUnits === !t.accounts)
      issue(
        at('targets', i),
        'give either organizationalUnits or accounts (a target is one or the other, with one mode)',
      );
    if (t.accounts && !org.rootId)
      issue(
        at('targets', i, 'accounts'),
        'account targets need organization.rootId (r-…): StackSets deploy to accounts as the root filtered to them',
      );
    for (const [field, ids] of [
      ['organizationalUnits', t.organizationalUnits ?? []],
      ['accounts', t.accounts ?? []],
    ] as const)
      ids.forEach((id, k) => {
        const prior = placed.get(id);
        if (prior)
          issue(
            at('targets', i, field, k),
            `got ${show(id)}, already in ${prior}; each OU or account has one mode`,
          );
        else placed.set(id, `organization.targets[${i}]`);
        if (field === 'accounts' && org.excludeAccounts.includes(id))
          issue(
            at('targets', i, field, k),
            `got ${show(id)}, also in organization.excludeAccounts; remove it from one of them`,
          );
      });
    if (t.mode === 'approve' && !org.approval)
      issue(
        at('targets', i, 'mode'),
        'got "approve" without organization.approval: add approverArns and a notificationTopicArn, or use "enforce" or "observe"',
      );
  });
  if (org.stackSets.retainStacksOnAccountRemoval && !org.stackSets.autoDeployment)
    issue(
      at('stackSets', 'retainStacksOnAccountRemoval'),
      'got true with autoDeployment false; StackSets retain stacks on removal only with auto-deployment: remove it or switch autoDeployment on',
    );
  if (org.managementAccountId && org.excludeAccounts.includes(org.managementAccountId))
    issue(
      at('managementAccountId'),
      `got ${show(org.managementAccountId)}, also in excludeAccounts; leave managementAccountId out to not watch it`,
    );
  if (org.approval && org.approval.minRequiredApprovals > org.approval.approverArns.length)
    issue(
      at('approval', 'minRequiredApprovals'),
      `got ${org.approval.minRequiredApprovals} with ${org.approval.approverArns.length} approvers; it can be at most the number of approvers`,
    );
}

/** The member role's name: the configured one, else "<prefix>-member". */
export function memberRoleNameOf(org: OrganizationConfig, prefix: string): string {
  return org.memberRoleName ?? `${prefix}-member`;
}

/** What the functions receive in FIRST_RESPONDER_ORGANIZATION. */
export function organizationSettingsOf(
  org: OrganizationConfig,
  prefix: string,
): OrganizationSettings {
  return {
    organizationId: org.organizationId,
    memberRoleName: memberRoleNameOf(org, prefix),
    homeRegion: org.homeRegion,
    targets: org.targets.map((t) => ({
      ...(t.organizationalUnits ? { organizationalUnits: t.organizationalUnits } : {}),
      ...(t.accounts ? { accounts: t.accounts } : {}),
      mode: t.mode,
    })),
    excludeAccounts: org.excludeAccounts,
  };
}
