/**
 * `first-responder preflight --organization`: checks, read-only and from the security account,
 * what organization mode relies on: the organization itself, trusted access for StackSets, the
 * security account as delegated administrator, the central bus and its policy, the member
 * StackSets' instances per account and region, and the target OUs. Some Organizations calls are
 * answered only in the management account: when AWS refuses them here, the check says it could
 * not be checked and what to run there, rather than failing.
 */
import {
  DescribeOrganizationsAccessCommand,
  ListStackInstancesCommand,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedServicesForAccountCommand,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { AwsCallError, errorCode, InputError } from '../../handlers/shared/errors';
import type { FirstResponderConfig } from '../../infra/config';
import type { OrganizationConfig } from '../../infra/config-organization';
import {
  centralBusNameOf,
  guardDutyForwardStackNameOf,
  stackSetNamesOf,
} from '../../infra/organization';
import { accessProblem, call, whoAmI, type AwsClients } from '../aws';
import {
  accountMismatch,
  guarded,
  stackCheck,
  type Check,
  type PreflightReport,
} from './preflight';

/** The service principals the security account must be delegated administrator for. */
export const DELEGATED_SERVICES = [
  {
    principal: 'member.org.stacksets.cloudformation.amazonaws.com',
    name: 'CloudFormation StackSets',
    register: (account: string) =>
      `aws organizations register-delegated-administrator --service-principal member.org.stacksets.cloudformation.amazonaws.com --account-id ${account}`,
  },
  {
    principal: 'guardduty.amazonaws.com',
    name: 'GuardDuty',
    register: (account: string, regions: readonly string[]) =>
      `in each region (${regions.join(', ')}): aws guardduty enable-organization-admin-account --admin-account-id ${account} --region REGION`,
  },
  {
    principal: 'config.amazonaws.com',
    name: 'AWS Config',
    register: (account: string) =>
      `aws organizations register-delegated-administrator --service-principal config.amazonaws.com --account-id ${account}`,
  },
] as const;

export const STACKSETS_PRINCIPAL = DELEGATED_SERVICES[0].principal;

/** The two member StackSets, by infra's names, with the regions each deploys to. */
const memberStackSets = (prefix: string, org: OrganizationConfig) => {
  const names = stackSetNamesOf(prefix);
  return [
    { name: names.forwarders, regions: org.regions },
    { name: names.roles, regions: [org.homeRegion] },
  ];
};

interface OrgContext {
  readonly clients: AwsClients;
  readonly config: FirstResponderConfig;
  readonly org: OrganizationConfig;
  readonly account: string;
  /** ListDelegatedServicesForAccount, asked once for the three delegated-administrator checks. */
  readonly delegated: () => Promise<ReadonlySet<string>>;
}

type Outcome = Omit<Check, 'name'>;

const MANAGEMENT = 'the management account';

/** The AWS error code under the error `call` wraps. */
const codeOf = (err: unknown) => errorCode(err instanceof AwsCallError ? err.cause : err);

/**
 * A refused call that AWS answers only in the management account: not a failure here, but what
 * to run there. Anything else goes on to `guarded`.
 */
function onlyInManagement(err: unknown, what: string, command: string): Outcome {
  if (accessProblem(err) !== 'denied') throw err;
  return {
    status: 'unchecked',
    detail: `could not check ${what} from this account: AWS refused the call (${codeOf(err) ?? 'access denied'}), which it may answer only in ${MANAGEMENT}`,
    fix: `in ${MANAGEMENT}, run: ${command}`,
  };
}

export interface OrganizationPreflightOptions {
  readonly clients: AwsClients;
  readonly config: FirstResponderConfig;
}

export async function runOrganizationPreflight(
  options: OrganizationPreflightOptions,
): Promise<PreflightReport> {
  const { clients, config } = options;
  const org = config.organization;
  if (!org)
    throw new InputError(
      `${config.source} has no organization: section; preflight --organization checks organization mode (docs/organization.md), plain preflight checks one account`,
    );
  const me = await whoAmI(clients, org.homeRegion);
  let delegated: Promise<ReadonlySet<string>> | undefined;
  const ctx: OrgContext = {
    clients,
    config,
    org,
    account: me.account,
    delegated: () => (delegated ??= delegatedServices(clients, org.homeRegion, me.account)),
  };
  const checks: Check[] = [];
  const mismatch = accountMismatch(config, me.account);
  if (mismatch) checks.push({ ...mismatch, name: 'Credentials for the security account' });
  for (const [name, check] of organizationChecks(ctx))
    checks.push(await guarded(name, () => check(ctx)));
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    account: me.account,
    caller: me.arn,
    region: org.homeRegion,
    config: config.source,
    checks,
  };
}

function organizationChecks(
  ctx: OrgContext,
): (readonly [string, (ctx: OrgContext) => Promise<Outcome>])[] {
  return [
    ['Organization', organization],
    ['Trusted access for StackSets', trustedAccess],
    ...DELEGATED_SERVICES.map(
      (s) =>
        [`Delegated administrator: ${s.name}`, (c: OrgContext) => delegatedAdmin(c, s)] as const,
    ),
    ['Central event bus', centralBus],
    ...ctx.org.regions
      .filter((r) => r !== ctx.org.homeRegion)
      .map(
        (region) =>
          [
            `GuardDuty forwarder (${region})`,
            (c: OrgContext) =>
              stackCheck(
                { ...c, region },
                guardDutyForwardStackNameOf(c.config.app.stackName, region),
                region,
                `GuardDuty findings of ${region} do not reach the central bus in ${c.org.homeRegion}`,
              ),
          ] as const,
      ),
    ...memberStackSets(ctx.config.app.prefix, ctx.org).map(
      (s) => [`StackSet ${s.name}`, (c: OrgContext) => stackInstances(c, s)] as const,
    ),
    ['Target OUs exist', targetOus],
  ];
}

async function organization(ctx: OrgContext): Promise<Outcome> {
  let out;
  try {
    out = await call(
      ctx.clients.organizations(ctx.org.homeRegion),
      new DescribeOrganizationCommand({}),
    );
  } catch (err) {
    if (codeOf(err) !== 'AWSOrganizationsNotInUseException') throw err;
    return {
      status: 'fail',
      detail: `account ${ctx.account} is not in an organization`,
      fix: `run preflight --organization with credentials for the security account of ${ctx.org.organizationId}`,
    };
  }
  const o = out.Organization;
  const problems: string[] = [];
  if (o?.Id !== ctx.org.organizationId)
    problems.push(
      `account ${ctx.account} is in organization ${o?.Id ?? '?'}, not organization.organizationId ${ctx.org.organizationId}`,
    );
  if (o?.FeatureSet !== 'ALL')
    problems.push(
      `the organization has feature set ${o?.FeatureSet ?? '?'}; service-managed StackSets and delegated administrators need all features (ALL)`,
    );
  if (o?.MasterAccountId === ctx.account)
    problems.push(
      `account ${ctx.account} is the management account; organization mode runs in a member account registered as delegated administrator`,
    );
  const management = ctx.org.managementAccountId;
  if (management && o?.MasterAccountId && o.MasterAccountId !== management)
    problems.push(
      `the management account is ${o.MasterAccountId}, not organization.managementAccountId ${management}`,
    );
  if (problems.length)
    return {
      status: 'fail',
      detail: problems.join('; '),
      fix: `use credentials for the security account, and set organization.organizationId (and managementAccountId) in ${ctx.config.source} to what aws organizations describe-organization answers there`,
    };
  return {
    status: 'pass',
    detail: `organization ${o!.Id} (all features), management account ${o!.MasterAccountId ?? '?'}`,
  };
}

const ACTIVATE_STACKSETS = 'aws cloudformation activate-organizations-access';

async function trustedAccess(ctx: OrgContext): Promise<Outcome> {
  const orgs = ctx.clients.organizations(ctx.org.homeRegion);
  const enabled = new Set<string>();
  try {
    let token: string | undefined;
    do {
      const page = await call(
        orgs,
        new ListAWSServiceAccessForOrganizationCommand({ NextToken: token }),
      );
      for (const p of page.EnabledServicePrincipals ?? [])
        if (p.ServicePrincipal) enabled.add(p.ServicePrincipal);
      token = page.NextToken;
    } while (token);
  } catch (err) {
    if (accessProblem(err) !== 'denied') throw err;
    // CloudFormation answers the same question to its delegated administrator.
    return stackSetsAccessAsDelegatedAdmin(ctx, err);
  }
  if (!enabled.has(STACKSETS_PRINCIPAL))
    return {
      status: 'fail',
      detail: `trusted access for CloudFormation StackSets (${STACKSETS_PRINCIPAL}) is not enabled: service-managed StackSets cannot deploy to the member accounts`,
      fix: `in ${MANAGEMENT}: ${ACTIVATE_STACKSETS} (or CloudFormation console > StackSets > Activate trusted access)`,
    };
  return { status: 'pass', detail: `${STACKSETS_PRINCIPAL} has trusted access` };
}

async function stackSetsAccessAsDelegatedAdmin(
  ctx: OrgContext,
  refused: unknown,
): Promise<Outcome> {
  let status: string | undefined;
  try {
    status = (
      await call(
        ctx.clients.cloudformation(ctx.org.homeRegion),
        new DescribeOrganizationsAccessCommand({ CallAs: 'DELEGATED_ADMIN' }),
      )
    ).Status;
  } catch {
    return onlyInManagement(
      refused,
      'trusted access',
      `aws organizations list-aws-service-access-for-organization, and look for ${STACKSETS_PRINCIPAL}; if it is missing: ${ACTIVATE_STACKSETS}`,
    );
  }
  if (status === 'ENABLED')
    return {
      status: 'pass',
      detail: `trusted access for StackSets is ENABLED (CloudFormation DescribeOrganizationsAccess as delegated administrator)`,
    };
  return {
    status: 'fail',
    detail: `trusted access for StackSets is ${status ?? 'unknown'} (CloudFormation DescribeOrganizationsAccess as delegated administrator)`,
    fix: `in ${MANAGEMENT}: ${ACTIVATE_STACKSETS}`,
  };
}

/** The services the account is delegated administrator for; AccountNotRegistered is "none". */
async function delegatedServices(
  clients: AwsClients,
  region: string,
  account: string,
): Promise<ReadonlySet<string>> {
  const orgs = clients.organizations(region);
  const out = new Set<string>();
  let token: string | undefined;
  try {
    do {
      const page = await call(
        orgs,
        new ListDelegatedServicesForAccountCommand({ AccountId: account, NextToken: token }),
      );
      for (const s of page.DelegatedServices ?? [])
        if (s.ServicePrincipal) out.add(s.ServicePrincipal);
      token = page.NextToken;
    } while (token);
  } catch (err) {
    if (codeOf(err) === 'AccountNotRegisteredException') return out;
    throw err;
  }
  return out;
}

async function delegatedAdmin(
  ctx: OrgContext,
  service: (typeof DELEGATED_SERVICES)[number],
): Promise<Outcome> {
  let services: ReadonlySet<string>;
  try {
    services = await ctx.delegated();
  } catch (err) {
    return onlyInManagement(
      err,
      'the delegated administrators',
      `aws organizations list-delegated-services-for-account --account-id ${ctx.account} (AWS also refuses this call to an account that is delegated administrator for nothing)`,
    );
  }
  if (!services.has(service.principal))
    return {
      status: 'fail',
      detail: `account ${ctx.account} is not delegated administrator for ${service.name} (${service.principal})`,
      fix: `in ${MANAGEMENT}: ${service.register(ctx.account, ctx.org.regions)}`,
    };
  return {
    status: 'pass',
    detail: `account ${ctx.account} is delegated administrator for ${service.principal}`,
  };
}

type Json = Record<string, unknown>;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * Whether a bus policy admits only the organization: every Allow statement carries
 * aws:PrincipalOrgID equal to `orgId` (StringEquals), and one of them allows PutEvents.
 */
export function busPolicyProblem(
  policyJson: string | undefined,
  orgId: string,
): string | undefined {
  if (!policyJson) return 'the bus has no resource policy: member accounts cannot put events on it';
  let statements: Json[];
  try {
    statements = list((JSON.parse(policyJson) as Json).Statement) as Json[];
  } catch {
    return 'the bus policy is not JSON';
  }
  const allows = statements.filter((s) => s.Effect === 'Allow');
  const orgIdsOf = (s: Json) =>
    list(
      ((s.Condition as Json | undefined)?.StringEquals as Json | undefined)?.['aws:PrincipalOrgID'],
    );
  const open = allows.filter((s) => !orgIdsOf(s).length);
  if (open.length)
    return `${open.length} Allow statement${open.length === 1 ? '' : 's'} without an aws:PrincipalOrgID condition (${open.map((s) => (typeof s.Sid === 'string' ? s.Sid : 'no Sid')).join(', ')})`;
  const other = allows.flatMap(orgIdsOf).filter((id) => id !== orgId);
  if (other.length)
    return `the policy admits organization ${other.map(String).join(', ')}, not ${orgId}`;
  const puts = allows.some((s) =>
    list(s.Action).some((a) =>
      ['events:putevents', 'events:*', '*'].includes(String(a).toLowerCase()),
    ),
  );
  if (!puts) return `no statement allows events:PutEvents for ${orgId}`;
  return undefined;
}

async function centralBus(ctx: OrgContext): Promise<Outcome> {
  const name = centralBusNameOf(ctx.config.app.prefix);
  const region = ctx.org.homeRegion;
  let bus;
  try {
    bus = await call(ctx.clients.events(region), new DescribeEventBusCommand({ Name: name }));
  } catch (err) {
    if (codeOf(err) !== 'ResourceNotFoundException') throw err;
    return {
      status: 'fail',
      detail: `event bus ${name} does not exist in ${region}: member accounts have nowhere to send events`,
      fix: `deploy the app: npx cdk deploy --all -c config=${ctx.config.source}`,
    };
  }
  const problem = busPolicyProblem(bus.Policy, ctx.org.organizationId);
  if (problem)
    return {
      status: 'fail',
      detail: `event bus ${name} in ${region}: ${problem}`,
      fix: `redeploy the app (npx cdk deploy --all -c config=${ctx.config.source}), which sets the bus policy to admit only aws:PrincipalOrgID ${ctx.org.organizationId}`,
    };
  return {
    status: 'pass',
    detail: `event bus ${name} in ${region} admits only organization ${ctx.org.organizationId}`,
  };
}

/** Instances in these states are being deployed: wait, do not fix. */
const IN_PROGRESS = new Set(['PENDING', 'RUNNING']);

async function stackInstances(
  ctx: OrgContext,
  stackSet: { readonly name: string; readonly regions: readonly string[] },
): Promise<Outcome> {
  const cfn = ctx.clients.cloudformation(ctx.org.homeRegion);
  const instances: StackInstanceSummary[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await call(
        cfn,
        new ListStackInstancesCommand({
          StackSetName: stackSet.name,
          CallAs: 'DELEGATED_ADMIN',
          NextToken: token,
        }),
      );
      instances.push(...(page.Summaries ?? []));
      token = page.NextToken;
    } while (token);
  } catch (err) {
    if (codeOf(err) !== 'StackSetNotFoundException') throw err;
    return {
      status: 'fail',
      detail: `StackSet ${stackSet.name} does not exist in ${ctx.org.homeRegion}`,
      fix: `deploy the app from the security account: npx cdk deploy --all -c config=${ctx.config.source}`,
    };
  }
  if (instances.length === 0)
    return {
      status: 'warn',
      detail: `StackSet ${stackSet.name} has no stack instance yet: no account in the targets, or its first deployment has not run`,
      fix: `check organization.targets in ${ctx.config.source}, and the StackSet's operations (aws cloudformation list-stack-set-operations --stack-set-name ${stackSet.name} --call-as DELEGATED_ADMIN)`,
    };

  const items: string[] = [];
  let failed = 0;
  let running = 0;
  let current = 0;
  const regionsByAccount = new Map<string, Set<string>>();
  for (const i of [...instances].sort(
    (a, b) =>
      (a.Account ?? '').localeCompare(b.Account ?? '') ||
      (a.Region ?? '').localeCompare(b.Region ?? ''),
  )) {
    const account = i.Account ?? '?';
    const regions = regionsByAccount.get(account) ?? new Set<string>();
    regionsByAccount.set(account, regions.add(i.Region ?? '?'));
    const detailed = i.StackInstanceStatus?.DetailedStatus;
    if (i.Status === 'CURRENT' && (!detailed || detailed === 'SUCCEEDED')) {
      current++;
      continue;
    }
    if (i.Status === 'OUTDATED' && detailed && IN_PROGRESS.has(detailed)) running++;
    else failed++;
    items.push(
      `${account}/${i.Region ?? '?'}: ${i.Status ?? '?'}${detailed ? ` (${detailed})` : ''}${i.StatusReason ? `: ${i.StatusReason}` : ''}`,
    );
  }
  for (const [account, regions] of regionsByAccount) {
    const missing = stackSet.regions.filter((r) => !regions.has(r));
    if (missing.length) {
      failed++;
      items.push(`${account}: no instance in ${missing.join(', ')}`);
    }
  }
  const excluded = [...regionsByAccount.keys()].filter((a) => ctx.org.excludeAccounts.includes(a));
  for (const a of excluded) {
    failed++;
    items.push(`${a}: has stack instances, but is in organization.excludeAccounts`);
  }
  const counts = `${instances.length} instance${instances.length === 1 ? '' : 's'} in ${regionsByAccount.size} account${regionsByAccount.size === 1 ? '' : 's'}: ${current} CURRENT${running ? `, ${running} deploying` : ''}${failed ? `, ${failed} to fix` : ''}`;
  if (failed)
    return {
      status: 'fail',
      detail: counts,
      items,
      fix: `see each instance's reason (aws cloudformation list-stack-instances --stack-set-name ${stackSet.name} --call-as DELEGATED_ADMIN), fix it in the member account, then redeploy the app or retry the StackSet operation`,
    };
  if (running)
    return {
      status: 'warn',
      detail: counts,
      items,
      fix: 'a StackSet operation is running: run preflight again when it is done',
    };
  return { status: 'pass', detail: counts };
}

async function targetOus(ctx: OrgContext): Promise<Outcome> {
  const orgs = ctx.clients.organizations(ctx.org.homeRegion);
  const ids = [
    ...new Set([
      ...ctx.org.targets.flatMap((t) => t.organizationalUnits ?? []),
      ...(ctx.org.rootId ? [ctx.org.rootId] : []),
    ]),
  ];
  const missing: string[] = [];
  const found: string[] = [];
  const roots = ids.filter((id) => id.startsWith('r-'));
  if (roots.length) {
    const rootIds = new Set<string>();
    let token: string | undefined;
    do {
      const page = await call(orgs, new ListRootsCommand({ NextToken: token }));
      for (const r of page.Roots ?? []) if (r.Id) rootIds.add(r.Id);
      token = page.NextToken;
    } while (token);
    for (const r of roots) (rootIds.has(r) ? found : missing).push(r);
  }
  for (const id of ids.filter((i) => i.startsWith('ou-'))) {
    try {
      const ou = await call(
        orgs,
        new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }),
      );
      found.push(`${id}${ou.OrganizationalUnit?.Name ? ` (${ou.OrganizationalUnit.Name})` : ''}`);
    } catch (err) {
      if (codeOf(err) !== 'OrganizationalUnitNotFoundException') throw err;
      missing.push(id);
    }
  }
  if (missing.length)
    return {
      status: 'fail',
      detail: `not in organization ${ctx.org.organizationId}: ${missing.join(', ')}; StackSets deploy nothing there, and accounts under them cannot be placed (observed only)`,
      fix: `correct organization.targets / rootId in ${ctx.config.source} (aws organizations list-organizational-units-for-parent --parent-id ROOT-OR-OU lists them)`,
    };
  return {
    status: 'pass',
    detail: ids.length ? `all exist: ${found.join(', ')}` : 'the targets name no OU or root',
  };
}
