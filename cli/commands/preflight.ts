/**
 * `first-responder preflight`: checks, read-only, what a deployment relies on in the account and
 * prints a checklist with the fix for each failure. Each check is a small function that asks
 * AWS one question; a check that cannot ask (no permission) fails and says which permission.
 */
import { forwarderStackName } from '../../infra/build';
import {
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import {
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
  type ConfigurationRecorder,
} from '@aws-sdk/client-config-service';
import { GetDetectorCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { ListContactChannelsCommand, ListContactsCommand } from '@aws-sdk/client-ssm-contacts';
import {
  GetReplicationSetCommand,
  ListReplicationSetsCommand,
  ListResponsePlansCommand,
} from '@aws-sdk/client-ssm-incidents';
import { errorMessage } from '../../handlers/shared/errors';
import { regionOf, responsePlansOf, type FirstResponderConfig } from '../../infra/config';
import { ROOT_CONSOLE_SIGN_IN_REGION } from '../../patterns';
import { accessProblem, call, explainAccess, whoAmI, type AwsClients } from '../aws';

/** `unchecked`: AWS answers the question only elsewhere (the management account); not a failure. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'unchecked';

export interface Check {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found, in a sentence. */
  readonly detail: string;
  /** How to fix a failure or warning, or how to check it where AWS answers. */
  readonly fix?: string;
  /** One line per item, when the check covers many (stack instances per account and region). */
  readonly items?: readonly string[];
}

export interface PreflightReport {
  /** False when any check failed. */
  readonly ok: boolean;
  readonly account: string;
  readonly caller: string;
  readonly region: string;
  readonly config: string;
  readonly checks: readonly Check[];
}

export interface PreflightOptions {
  readonly clients: AwsClients;
  readonly config: FirstResponderConfig;
}

export interface Context {
  readonly clients: AwsClients;
  readonly config: FirstResponderConfig;
  readonly region: string;
  readonly account: string;
}

const SECURITY_GROUP_TYPE = 'AWS::EC2::SecurityGroup';
/** Stack states in which the stack's resources exist and match a completed deployment. */
const DEPLOYED = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

export { forwarderStackName };

const deployFix = (config: FirstResponderConfig) =>
  `deploy the app: npx cdk deploy --all -c config=${config.source}`;

export async function runPreflight(options: PreflightOptions): Promise<PreflightReport> {
  const { clients, config } = options;
  // --region wins; else the app's region from the configuration, which is where it is deployed.
  const region = clients.region ?? regionOf(config);
  const me = await whoAmI(clients, region);
  const ctx: Context = { clients, config, region, account: me.account };
  const checks: Check[] = [];
  const mismatch = accountMismatch(config, me.account);
  if (mismatch) checks.push(mismatch);
  const list = config.incidents.backend === 'opscenter' ? OPSCENTER_CHECKS : CHECKS;
  for (const [name, check] of list) checks.push(await guarded(name, () => check(ctx)));
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    account: me.account,
    caller: me.arn,
    region,
    config: config.source,
    checks,
  };
}

/** A check that cannot run fails with the reason; missing credentials stop everything. */
export async function guarded(
  name: string,
  check: () => Promise<Omit<Check, 'name'>>,
): Promise<Check> {
  try {
    return { name, ...(await check()) };
  } catch (err) {
    const problem = accessProblem(err);
    if (problem && problem !== 'denied') throw err;
    if (problem === 'denied')
      return {
        name,
        status: 'fail',
        detail: `could not check: ${explainAccess(err)}`,
        fix: 'run preflight with a role that may read this (the AWS managed policy ReadOnlyAccess covers every check)',
      };
    return { name, status: 'fail', detail: `could not check: ${errorMessage(err)}` };
  }
}

type CheckFn = (ctx: Context) => Promise<Omit<Check, 'name'>>;

/** The check of the credentials' account against app.account, when they differ. */
export function accountMismatch(config: FirstResponderConfig, account: string): Check | undefined {
  if (!config.app.account || config.app.account === account) return undefined;
  return {
    name: 'Credentials for the app account',
    status: 'fail',
    detail: `your credentials are for account ${account}; the configuration deploys to ${config.app.account}`,
    fix: `use a profile for account ${config.app.account} (--profile)`,
  };
}

async function replicationSet(ctx: Context): Promise<Omit<Check, 'name'>> {
  const incidents = ctx.clients.incidents(ctx.region);
  const list = await call(incidents, new ListReplicationSetsCommand({}));
  const arn = list.replicationSetArns?.[0];
  if (!arn) {
    const creates = ctx.config.incidentManager.replicationSet.mode === 'create';
    return {
      status: creates ? 'warn' : 'fail',
      detail: creates
        ? 'no replication set yet; the stack creates one (incidentManager.replicationSet.mode: create)'
        : 'Incident Manager is not onboarded: the account has no replication set',
      fix: creates
        ? deployFix(ctx.config)
        : `Incident Manager stopped onboarding new accounts on 2025-11-07, so an account that was not onboarded before then cannot start now: this account can use the OpsCenter backend (set incidents.backend: opscenter in ${ctx.config.source}; see docs/opscenter.md), or deploy to an account that already uses Incident Manager. If this account was onboarded and only its replication set is gone, set incidentManager.replicationSet.mode: create; see docs/configuration.md`,
    };
  }
  const got = await call(incidents, new GetReplicationSetCommand({ arn }));
  const set = got.replicationSet;
  const regions = Object.keys(set?.regionMap ?? {});
  if (!regions.includes(ctx.region))
    return {
      status: 'fail',
      detail: `the replication set covers ${regions.join(', ') || 'no region'}, not ${ctx.region}, where the app opens incidents`,
      fix: `add ${ctx.region} to the replication set (Incident Manager console, Settings), or deploy the app to one of its regions`,
    };
  if (set?.status !== 'ACTIVE')
    return {
      status: 'warn',
      detail: `the replication set is ${set?.status ?? 'in an unknown state'} (regions: ${regions.join(', ')})`,
      fix: 'wait until it is ACTIVE, then run preflight again',
    };
  return { status: 'pass', detail: `replication set ACTIVE in ${regions.join(', ')}` };
}

async function contactChannels(ctx: Context): Promise<Omit<Check, 'name'>> {
  const contacts = ctx.clients.contacts(ctx.region);
  const byAlias = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await call(
      contacts,
      new ListContactsCommand({ Type: 'PERSONAL', NextToken: token, MaxResults: 100 }),
    );
    for (const c of page.Contacts ?? [])
      if (c.Alias && c.ContactArn) byAlias.set(c.Alias, c.ContactArn);
    token = page.NextToken;
  } while (token);

  const wanted = ctx.config.contacts.map((c) => c.alias);
  const aliases = wanted.length ? wanted : [...byAlias.keys()];
  if (aliases.length === 0)
    return {
      status: 'warn',
      detail: 'the account has no personal contacts: incidents open, but nobody is engaged',
      fix: `add contacts to ${ctx.config.source} and deploy`,
    };
  const missing = aliases.filter((a) => !byAlias.has(a));
  const inactive: string[] = [];
  let active = 0;
  for (const alias of aliases) {
    const arn = byAlias.get(alias);
    if (!arn) continue;
    let next: string | undefined;
    do {
      const page = await call(
        contacts,
        new ListContactChannelsCommand({ ContactId: arn, NextToken: next }),
      );
      for (const ch of page.ContactChannels ?? []) {
        if (ch.ActivationStatus === 'ACTIVATED') active++;
        else inactive.push(`${alias}/${ch.Name ?? '?'} (${ch.Type ?? 'channel'})`);
      }
      next = page.NextToken;
    } while (next);
  }
  const problems = [
    ...(missing.length ? [`contacts not found: ${missing.join(', ')}`] : []),
    ...(inactive.length ? [`channels not activated: ${inactive.join(', ')}`] : []),
  ];
  if (problems.length)
    return {
      status: 'fail',
      detail: problems.join('; '),
      fix: [
        ...(missing.length ? [deployFix(ctx.config)] : []),
        ...(inactive.length
          ? [
              'activate each channel with the code Incident Manager sent to it (console: Incident Manager > Contacts > the contact > Activate); to get a new code: aws ssm-contacts send-activation-code --contact-channel-id ARN',
            ]
          : []),
      ].join('; '),
    };
  return {
    status: 'pass',
    detail: `${active} channel${active === 1 ? '' : 's'} of ${aliases.length} contact${aliases.length === 1 ? '' : 's'} activated (${aliases.join(', ')})`,
  };
}

async function guardDuty(ctx: Context): Promise<Omit<Check, 'name'>> {
  const gd = ctx.clients.guardduty(ctx.region);
  const list = await call(gd, new ListDetectorsCommand({}));
  const id = list.DetectorIds?.[0];
  if (!id)
    return {
      status: 'fail',
      detail: `GuardDuty has no detector in ${ctx.region}`,
      fix: `aws guardduty create-detector --enable --region ${ctx.region}`,
    };
  const detector = await call(gd, new GetDetectorCommand({ DetectorId: id }));
  if (detector.Status !== 'ENABLED')
    return {
      status: 'fail',
      detail: `GuardDuty detector ${id} is ${detector.Status ?? 'not enabled'}`,
      fix: `aws guardduty update-detector --detector-id ${id} --enable --region ${ctx.region}`,
    };
  return {
    status: 'pass',
    detail: `detector ${id} enabled${detector.FindingPublishingFrequency ? ` (findings updated every ${detector.FindingPublishingFrequency.toLowerCase().replace(/_/g, ' ')})` : ''}`,
  };
}

/** Whether a recorder's recording group includes security groups. */
export function recordsSecurityGroups(recorder: ConfigurationRecorder): boolean {
  const g = recorder.recordingGroup;
  if (!g) return true; // no group: Config's default, every supported type
  const strategy = g.recordingStrategy?.useOnly;
  if (strategy === 'EXCLUSION_BY_RESOURCE_TYPES')
    return !(g.exclusionByResourceTypes?.resourceTypes ?? []).includes(SECURITY_GROUP_TYPE);
  if (g.allSupported) return true;
  return (g.resourceTypes ?? []).includes(SECURITY_GROUP_TYPE);
}

async function configRecorder(ctx: Context): Promise<Omit<Check, 'name'>> {
  const cs = ctx.clients.configService(ctx.region);
  const recorders =
    (await call(cs, new DescribeConfigurationRecordersCommand({}))).ConfigurationRecorders ?? [];
  if (recorders.length === 0)
    return {
      status: 'fail',
      detail: `AWS Config has no configuration recorder in ${ctx.region}`,
      fix:
        ctx.config.detection.config.recorder === 'create'
          ? deployFix(ctx.config)
          : `set up AWS Config in ${ctx.region} (console: AWS Config > Get started), or set detection.config.recorder: create in ${ctx.config.source}`,
    };
  const statuses =
    (await call(cs, new DescribeConfigurationRecorderStatusCommand({})))
      .ConfigurationRecordersStatus ?? [];
  const recording = new Map(statuses.map((s) => [s.name, s.recording === true]));
  const good = recorders.find((r) => recordsSecurityGroups(r) && recording.get(r.name));
  if (good)
    return {
      status: 'pass',
      detail: `recorder ${good.name} is recording and includes ${SECURITY_GROUP_TYPE}`,
    };
  const covering = recorders.find(recordsSecurityGroups);
  if (covering)
    return {
      status: 'fail',
      detail: `recorder ${covering.name} includes ${SECURITY_GROUP_TYPE} but is not recording`,
      fix: `aws configservice start-configuration-recorder --configuration-recorder-name ${covering.name} --region ${ctx.region}`,
    };
  return {
    status: 'fail',
    detail: `no recorder records ${SECURITY_GROUP_TYPE} (recorders: ${recorders.map((r) => r.name).join(', ')})`,
    fix: `add ${SECURITY_GROUP_TYPE} to the recording group of ${recorders[0]!.name} (console: AWS Config > Settings)`,
  };
}

/** Whether a trail's selectors include management events that change something. */
export function logsManagementWrites(selectors: {
  readonly EventSelectors?: readonly {
    readonly ReadWriteType?: string;
    readonly IncludeManagementEvents?: boolean;
  }[];
  readonly AdvancedEventSelectors?: readonly {
    readonly FieldSelectors?: readonly {
      readonly Field?: string;
      readonly Equals?: readonly string[];
    }[];
  }[];
}): boolean {
  const basic = (selectors.EventSelectors ?? []).some(
    (s) =>
      s.IncludeManagementEvents !== false &&
      (s.ReadWriteType === undefined ||
        s.ReadWriteType === 'All' ||
        s.ReadWriteType === 'WriteOnly'),
  );
  const advanced = (selectors.AdvancedEventSelectors ?? []).some((s) => {
    const field = (name: string) => s.FieldSelectors?.find((f) => f.Field === name);
    const management = field('eventCategory')?.Equals?.includes('Management') ?? false;
    const readOnly = field('readOnly')?.Equals;
    return management && !(readOnly?.length === 1 && readOnly[0] === 'true');
  });
  return basic || advanced;
}

async function cloudTrail(ctx: Context): Promise<Omit<Check, 'name'>> {
  const trails =
    (
      await call(
        ctx.clients.cloudtrail(ctx.region),
        new DescribeTrailsCommand({ includeShadowTrails: true }),
      )
    ).trailList ?? [];
  const covering = trails.filter(
    (t: Trail) => t.TrailARN && (t.IsMultiRegionTrail || t.HomeRegion === ctx.region),
  );
  const notes: string[] = [];
  for (const t of covering) {
    // A trail answers in its home region; a shadow copy elsewhere may not.
    const ct = ctx.clients.cloudtrail(t.HomeRegion ?? ctx.region);
    const status = await call(ct, new GetTrailStatusCommand({ Name: t.TrailARN }));
    if (!status.IsLogging) {
      notes.push(`${t.Name} is not logging`);
      continue;
    }
    const selectors = await call(ct, new GetEventSelectorsCommand({ TrailName: t.TrailARN }));
    if (!logsManagementWrites(selectors)) {
      notes.push(`${t.Name} does not log management write events`);
      continue;
    }
    return {
      status: 'pass',
      detail: `trail ${t.Name} (${t.IsMultiRegionTrail ? 'all regions' : t.HomeRegion}) logs management events`,
    };
  }
  return {
    status: 'fail',
    detail: `no trail logs management write events in ${ctx.region}${notes.length ? ` (${notes.join('; ')})` : covering.length ? '' : ': the account has no trail covering it'}; EventBridge receives the CloudTrail API events the security-group and root patterns match only from a logging trail`,
    fix: `create a multi-region trail: aws cloudtrail create-trail --name management-events --s3-bucket-name BUCKET --is-multi-region-trail, then aws cloudtrail start-logging --name management-events (management events, read and write, are logged by default)`,
  };
}

function stackState(stack: Stack | undefined): CheckStatus {
  const s = stack?.StackStatus ?? '';
  if (DEPLOYED.has(s)) return 'pass';
  if (s === 'UPDATE_ROLLBACK_COMPLETE' || s.endsWith('_IN_PROGRESS')) return 'warn';
  return 'fail';
}

/** undefined when the stack does not exist. */
async function describeStack(
  ctx: Context,
  name: string,
  region: string,
): Promise<Stack | undefined> {
  try {
    const out = await call(
      ctx.clients.cloudformation(region),
      new DescribeStacksCommand({ StackName: name }),
    );
    return out.Stacks?.[0];
  } catch (err) {
    // CloudFormation answers ValidationError "Stack with id X does not exist".
    if (/does not exist/.test(errorMessage(err))) return undefined;
    throw err;
  }
}

export async function stackCheck(
  ctx: Context,
  name: string,
  region: string,
  what: string,
): Promise<Omit<Check, 'name'>> {
  const stack = await describeStack(ctx, name, region);
  if (!stack)
    return {
      status: 'fail',
      detail: `stack ${name} does not exist in ${region}${what ? `: ${what}` : ''}`,
      fix: deployFix(ctx.config),
    };
  const status = stackState(stack);
  return {
    status,
    detail: `stack ${name} in ${region} is ${stack.StackStatus}${stack.StackStatusReason && status !== 'pass' ? ` (${stack.StackStatusReason})` : ''}`,
    ...(status === 'pass'
      ? {}
      : {
          fix: `${status === 'warn' ? 'wait for the stack operation to finish, or ' : ''}${deployFix(ctx.config)}`,
        }),
  };
}

async function rootSignIns(ctx: Context): Promise<Omit<Check, 'name'>> {
  const org = ctx.config.organization;
  // Organization mode has no root-activity stack: the members' forwarders in us-east-1 bring them.
  if (org)
    return org.regions.includes(ROOT_CONSOLE_SIGN_IN_REGION)
      ? {
          status: 'pass',
          detail: `organization mode: the member forwarders in ${ROOT_CONSOLE_SIGN_IN_REGION} send root console sign-ins to the central bus (preflight --organization checks their instances)`,
        }
      : {
          status: 'fail',
          detail: `organization.regions leaves out ${ROOT_CONSOLE_SIGN_IN_REGION}, where root console sign-ins are delivered: no forwarder sends them to the central bus`,
          fix: `add ${ROOT_CONSOLE_SIGN_IN_REGION} to organization.regions and deploy again`,
        };
  if (ctx.region === ROOT_CONSOLE_SIGN_IN_REGION)
    return {
      status: 'pass',
      detail: `the app is in ${ROOT_CONSOLE_SIGN_IN_REGION}, where root console sign-ins are delivered`,
    };
  return stackCheck(
    ctx,
    forwarderStackName(ctx.config),
    ROOT_CONSOLE_SIGN_IN_REGION,
    `root console sign-ins arrive only in ${ROOT_CONSOLE_SIGN_IN_REGION} and nothing forwards them to ${ctx.region}`,
  );
}

/** Under OpsCenter: which backends the account can use (a replication set allows both). */
async function backendChoice(ctx: Context): Promise<Omit<Check, 'name'>> {
  const list = await call(ctx.clients.incidents(ctx.region), new ListReplicationSetsCommand({}));
  const onboarded = Boolean(list.replicationSetArns?.length);
  return {
    status: 'pass',
    detail: onboarded
      ? 'the account has an Incident Manager replication set: both backends are possible; this configuration uses opscenter'
      : 'the account has no Incident Manager replication set: opscenter is the backend it can use, and this configuration uses it',
  };
}

/** The app's SNS paging topics, from the deployed stack's resources. */
async function pagingTopics(ctx: Context): Promise<string[] | undefined> {
  if (!(await describeStack(ctx, ctx.config.app.stackName, ctx.region))) return undefined;
  const cfn = ctx.clients.cloudformation(ctx.region);
  const topics: string[] = [];
  let token: string | undefined;
  do {
    const page = await call(
      cfn,
      new ListStackResourcesCommand({ StackName: ctx.config.app.stackName, NextToken: token }),
    );
    for (const r of page.StackResourceSummaries ?? [])
      if (r.ResourceType === 'AWS::SNS::Topic' && r.PhysicalResourceId)
        topics.push(r.PhysicalResourceId);
    token = page.NextToken;
  } while (token);
  return topics;
}

/** Under OpsCenter: a page reaches an email address only once its owner confirmed it. */
async function subscriptionsConfirmed(ctx: Context): Promise<Omit<Check, 'name'>> {
  const topics = await pagingTopics(ctx);
  if (!topics)
    return {
      status: 'fail',
      detail: `stack ${ctx.config.app.stackName} does not exist in ${ctx.region}: no paging topics`,
      fix: deployFix(ctx.config),
    };
  const sns = ctx.clients.sns(ctx.region);
  const pending: string[] = [];
  let confirmed = 0;
  for (const topic of topics) {
    let token: string | undefined;
    do {
      const page = await call(
        sns,
        new ListSubscriptionsByTopicCommand({ TopicArn: topic, NextToken: token }),
      );
      for (const sub of page.Subscriptions ?? []) {
        // Unconfirmed subscriptions have no ARN yet: SNS answers "PendingConfirmation".
        if (sub.SubscriptionArn === 'PendingConfirmation')
          pending.push(`${sub.Endpoint ?? '?'} (${sub.Protocol ?? '?'})`);
        else confirmed++;
      }
      token = page.NextToken;
    } while (token);
  }
  if (pending.length)
    return {
      status: 'fail',
      detail: `subscriptions pending confirmation, which receive no page: ${pending.join(', ')}`,
      fix: 'each owner clicks "Confirm subscription" in the email SNS sent after the deploy; to resend it, delete and re-create the subscription (redeploy) or use aws sns subscribe with the same endpoint',
    };
  return {
    status: 'pass',
    detail: `${confirmed} subscription${confirmed === 1 ? '' : 's'} on ${topics.length} paging topic${topics.length === 1 ? '' : 's'} confirmed (SMS also needs the numbers verified while the account is in the SNS SMS sandbox)`,
  };
}

/** Physical ids (ARNs) of the resources of this app's stack; none when it is not deployed. */
async function ownResourceArns(ctx: Context): Promise<Set<string>> {
  const own = new Set<string>();
  let token: string | undefined;
  try {
    do {
      const page = await call(
        ctx.clients.cloudformation(ctx.region),
        new ListStackResourcesCommand({ StackName: ctx.config.app.stackName, NextToken: token }),
      );
      for (const r of page.StackResourceSummaries ?? [])
        if (r.PhysicalResourceId) own.add(r.PhysicalResourceId);
      token = page.NextToken;
    } while (token);
  } catch (err) {
    if (/does not exist/.test(errorMessage(err))) return own;
    throw err;
  }
  return own;
}

/** Every page of a List call, as a map of name to ARN; `page` answers its pairs and next token. */
async function namesToArns(
  page: (
    token: string | undefined,
  ) => Promise<readonly [(readonly [string?, string?])[], string | undefined]>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const [pairs, next] = await page(token);
    for (const [name, arn] of pairs) if (name && arn) out.set(name, arn);
    token = next;
  } while (token);
  return out;
}

/**
 * Contact aliases and response plan names are account-wide: a second deployment (or anything
 * else) that already holds one makes this deployment fail. Names this app's own stack holds are
 * fine: they are what a redeploy updates.
 */
async function namesFree(ctx: Context): Promise<Omit<Check, 'name'>> {
  const aliases = [
    ...ctx.config.contacts.map((c) => c.alias),
    ...ctx.config.escalationPlans.map((e) => e.alias),
    ...ctx.config.rotations.map((r) => r.alias),
  ];
  const plans = responsePlansOf(ctx.config).map((p) => p.name);
  const own = await ownResourceArns(ctx);

  const contacts = ctx.clients.contacts(ctx.region);
  const contactArns = await namesToArns(async (token) => {
    const got = await call(
      contacts,
      new ListContactsCommand({ NextToken: token, MaxResults: 100 }),
    );
    return [(got.Contacts ?? []).map((c) => [c.Alias, c.ContactArn]), got.NextToken];
  });
  const incidents = ctx.clients.incidents(ctx.region);
  const planArns = await namesToArns(async (token) => {
    const got = await call(
      incidents,
      new ListResponsePlansCommand({ nextToken: token, maxResults: 100 }),
    );
    return [(got.responsePlanSummaries ?? []).map((p) => [p.name, p.arn]), got.nextToken];
  });

  const taken = (names: string[], arns: Map<string, string>) =>
    names.filter((n) => arns.has(n) && !own.has(arns.get(n)!));
  const aliasesTaken = taken(aliases, contactArns);
  const plansTaken = taken(plans, planArns);
  if (aliasesTaken.length || plansTaken.length)
    return {
      status: 'fail',
      detail: (
        [
          ['contact aliases', aliasesTaken],
          ['response plan names', plansTaken],
        ] as const
      )
        .filter(([, names]) => names.length)
        .map(
          ([what, names]) =>
            `${what} already in the account, not from stack ${ctx.config.app.stackName}: ${names.join(', ')}`,
        )
        .join('; '),
      fix: `aliases and response plan names are account-wide: choose other aliases in ${ctx.config.source}${plansTaken.length ? ', and another app.prefix (response plans are named after it)' : ''}, or engage an existing contact by its ARN`,
    };
  return {
    status: 'pass',
    detail: `none of the ${aliases.length} contact alias${aliases.length === 1 ? '' : 'es'} and ${plans.length} response plan names is held by anything but stack ${ctx.config.app.stackName}`,
  };
}

/** The statement a chat channel topic's policy needs (docs/configuration.md says the same). */
export function chatTopicStatement(topicArn: string, account: string) {
  return {
    Sid: 'IncidentManagerPublishes',
    Effect: 'Allow',
    Principal: { Service: 'ssm-incidents.amazonaws.com' },
    Action: 'sns:Publish',
    Resource: topicArn,
    Condition: { StringEquals: { 'aws:SourceAccount': account } },
  };
}

/** Whether a topic policy lets Incident Manager publish. */
export function allowsIncidentManager(policyJson: string | undefined): boolean {
  if (!policyJson) return false;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(policyJson) as { Statement?: unknown };
  } catch {
    return false;
  }
  return list(policy.Statement).some((raw) => {
    const st = raw as { Effect?: string; Principal?: unknown; Action?: unknown };
    if (st.Effect !== 'Allow') return false;
    const principal = st.Principal as { Service?: unknown } | string | undefined;
    const services = typeof principal === 'object' ? list(principal.Service) : [];
    const actions = list(st.Action).map((a) => String(a).toLowerCase());
    return (
      services.includes('ssm-incidents.amazonaws.com') &&
      actions.some((a) => a === 'sns:publish' || a === 'sns:*' || a === '*')
    );
  });
}

/**
 * Incident Manager publishes a test message to each chat channel topic when the response plan is
 * created, and the plan fails to create when the topic's policy does not let it.
 */
async function chatTopics(ctx: Context): Promise<Omit<Check, 'name'>> {
  const topics = [
    ...new Set(responsePlansOf(ctx.config).flatMap((p) => p.chatChannelTopicArns ?? [])),
  ];
  if (topics.length === 0)
    return { status: 'pass', detail: 'no response plan has chat channel topics' };
  const refused: string[] = [];
  for (const arn of topics) {
    const region = arn.split(':')[3]!;
    const got = await call(
      ctx.clients.sns(region),
      new GetTopicAttributesCommand({ TopicArn: arn }),
    );
    if (!allowsIncidentManager(got.Attributes?.Policy)) refused.push(arn);
  }
  if (refused.length)
    return {
      status: 'fail',
      detail: `the policy of ${refused.join(', ')} does not let Incident Manager (ssm-incidents.amazonaws.com) publish; creating the response plan fails`,
      fix: `add to each topic's access policy: ${JSON.stringify(chatTopicStatement(refused[0]!, ctx.account))} (with each topic's own ARN), e.g. in the SNS console (Topics > the topic > Edit > Access policy); see docs/configuration.md`,
    };
  return {
    status: 'pass',
    detail: `${topics.length} chat channel topic${topics.length === 1 ? '' : 's'} let Incident Manager publish`,
  };
}

const CHECKS: readonly (readonly [string, CheckFn])[] = [
  ['Incident Manager onboarded', replicationSet],
  ['Contact channels activated', contactChannels],
  ['GuardDuty enabled', guardDuty],
  ['AWS Config records security groups', configRecorder],
  ['CloudTrail logs management events', cloudTrail],
  ['Root sign-ins covered (us-east-1)', (ctx) => rootSignIns(ctx)],
  ['Stacks deployed', (ctx) => stackCheck(ctx, ctx.config.app.stackName, ctx.region, '')],
  ['Aliases and plan names free', namesFree],
  ['Chat channel topics allow publishing', chatTopics],
];

/** What only an Incident Manager deployment relies on: replication set, contacts, plans, chat. */
const INCIDENT_MANAGER_ONLY: readonly CheckFn[] = [
  replicationSet,
  contactChannels,
  namesFree,
  chatTopics,
];

/** Under OpsCenter, the Incident Manager checks give way to the backend and the subscriptions. */
const OPSCENTER_CHECKS: readonly (readonly [string, CheckFn])[] = [
  ['Incident backend', backendChoice],
  ['Email subscriptions confirmed', subscriptionsConfirmed],
  ...CHECKS.filter(([, check]) => !INCIDENT_MANAGER_ONLY.includes(check)),
];

const MARK: Record<CheckStatus, string> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  unchecked: '----',
};

export function renderPreflight(report: PreflightReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = [
    `preflight for account ${report.account}, region ${report.region} (${report.config}), as ${report.caller}`,
    '',
  ];
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`);
    for (const item of c.items ?? []) lines.push(`        ${' '.repeat(width)}    ${item}`);
    if (c.fix) lines.push(`        ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  lines.push(
    '',
    `${count('pass')} passed, ${count('warn')} warning${count('warn') === 1 ? '' : 's'}, ${count('unchecked') ? `${count('unchecked')} could not be checked here, ` : ''}${count('fail')} failed${report.ok ? '' : ': fix the failures above, then run preflight again'}`,
  );
  return lines.join('\n');
}
