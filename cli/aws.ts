/**
 * The one place the live commands get AWS clients from: built from --profile and --region, with
 * adaptive retry, and tests can inject their own settings (a moto endpoint) or mock the classes.
 * Also turns credential and permission errors into one line that says what is wrong and the fix.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SSMContactsClient } from '@aws-sdk/client-ssm-contacts';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type {
  AwsCredentialIdentityProvider,
  CommandIO,
  GetOutputType,
  MetadataBearer,
} from '@smithy/types';
import { clientSettings } from '../handlers/aws/clients';
import { MemberSessions } from '../handlers/aws/member-session';
import { partitionOf } from '../handlers/incident/place';
import { AwsCallError, errorCode, errorMessage, InputError } from '../handlers/shared/errors';

export interface AwsOptions {
  /** A named profile of ~/.aws/config. @default the SDK's choice (AWS_PROFILE, else "default") */
  readonly profile?: string;
  /** @default the SDK's choice (AWS_REGION, else the profile's region) */
  readonly region?: string;
  /** More client settings, e.g. a moto endpoint and credentials in tests. @default {} */
  readonly clientConfig?: Readonly<Record<string, unknown>>;
}

export interface AwsClients {
  /** The region asked for, if any; `resolveRegion()` asks the SDK otherwise. */
  readonly region?: string;
  readonly profile?: string;
  /** The region the clients use: --region, else the SDK's (environment, profile). */
  resolveRegion(): Promise<string>;
  /** `region` overrides the default, for resources that live elsewhere (us-east-1, a trail's home). */
  ec2(region?: string): EC2Client;
  ssm(region?: string): SSMClient;
  incidents(region?: string): SSMIncidentsClient;
  contacts(region?: string): SSMContactsClient;
  sns(region?: string): SNSClient;
  guardduty(region?: string): GuardDutyClient;
  configService(region?: string): ConfigServiceClient;
  cloudtrail(region?: string): CloudTrailClient;
  cloudformation(region?: string): CloudFormationClient;
  sts(region?: string): STSClient;
  events(region?: string): EventBridgeClient;
  organizations(region?: string): OrganizationsClient;
  /** The same settings with other credentials: a role assumed in another account. */
  withCredentials(credentials: AwsCredentialIdentityProvider): AwsClients;
}

type Ctor<C> = new (config: Record<string, unknown>) => C;

/** Clients are made on first use and reused, one per service and region. */
export function createAwsClients(options: AwsOptions = {}): AwsClients {
  // On Node 20 the SDK prints an 8-line notice (Node 22 needed from January 2027) when the first
  // client is made; the CLI's stderr is for one line, and the README says which Node to use. This
  // is the SDK's documented switch (aws/aws-sdk-js-v3#7983); a value the user set wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const cache = new Map<string, unknown>();
  const make = <C>(Class: Ctor<C>, name: string, region?: string): C => {
    const r = region ?? options.region;
    const key = `${name}|${r ?? ''}`;
    let client = cache.get(key) as C | undefined;
    if (!client) {
      client = new Class({
        // Timeouts, so that a held response cannot hang the command; adaptive retry for throttling.
        requestHandler: clientSettings().requestHandler,
        retryMode: 'adaptive',
        maxAttempts: 5,
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.clientConfig ?? {}),
        ...(r ? { region: r } : {}),
      });
      cache.set(key, client);
    }
    return client;
  };
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    async resolveRegion() {
      if (options.region) return options.region;
      try {
        return await make(STSClient as Ctor<STSClient>, 'sts').config.region();
      } catch (err) {
        throw new AwsAccessError(NO_REGION, { cause: err });
      }
    },
    ec2: (r) => make(EC2Client as Ctor<EC2Client>, 'ec2', r),
    ssm: (r) => make(SSMClient as Ctor<SSMClient>, 'ssm', r),
    incidents: (r) => make(SSMIncidentsClient as Ctor<SSMIncidentsClient>, 'incidents', r),
    contacts: (r) => make(SSMContactsClient as Ctor<SSMContactsClient>, 'contacts', r),
    sns: (r) => make(SNSClient as Ctor<SNSClient>, 'sns', r),
    guardduty: (r) => make(GuardDutyClient as Ctor<GuardDutyClient>, 'guardduty', r),
    configService: (r) => make(ConfigServiceClient as Ctor<ConfigServiceClient>, 'config', r),
    cloudtrail: (r) => make(CloudTrailClient as Ctor<CloudTrailClient>, 'cloudtrail', r),
    cloudformation: (r) =>
      make(CloudFormationClient as Ctor<CloudFormationClient>, 'cloudformation', r),
    sts: (r) => make(STSClient as Ctor<STSClient>, 'sts', r),
    events: (r) => make(EventBridgeClient as Ctor<EventBridgeClient>, 'events', r),
    organizations: (r) =>
      make(OrganizationsClient as Ctor<OrganizationsClient>, 'organizations', r),
    withCredentials: (credentials) =>
      createAwsClients({ ...options, clientConfig: { ...options.clientConfig, credentials } }),
  };
}

/** The AWS environment (credentials, region, permissions) stops the command; nothing was changed. */
export class AwsAccessError extends InputError {
  override readonly name = 'AwsAccessError';
}

const NO_REGION =
  'no AWS region: pass --region, set AWS_REGION, or set a region in your profile (aws configure)';

const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'TokenProviderError']);
const EXPIRED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'RequestExpired',
]);
const REJECTED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AuthFailure',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidSignatureException',
  'InvalidAccessKeyId',
]);
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'AuthorizationError',
  'Client.UnauthorizedOperation',
]);

/** IAM's service prefixes, by client class, to name the missing permission exactly. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  EC2Client: 'ec2',
  SSMClient: 'ssm',
  SSMIncidentsClient: 'ssm-incidents',
  SSMContactsClient: 'ssm-contacts',
  SNSClient: 'sns',
  GuardDutyClient: 'guardduty',
  ConfigServiceClient: 'config',
  CloudTrailClient: 'cloudtrail',
  CloudFormationClient: 'cloudformation',
  STSClient: 'sts',
  EventBridgeClient: 'events',
  OrganizationsClient: 'organizations',
};

/** Any SDK v3 client, and any of its commands with the output it resolves to. */
interface Sendable {
  send(command: never): Promise<unknown>;
}
// The input type is invariant in a command (a property and a handler argument): only `any` fits all.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type SdkCommand = CommandIO<any, MetadataBearer>;

/**
 * Sends a command and names the action on failure ("guardduty:ListDetectors: ..."), so that a
 * permission error says which permission is missing.
 */
export async function call<C extends SdkCommand>(
  client: Sendable,
  command: C,
): Promise<GetOutputType<C>> {
  try {
    return (await client.send(command as never)) as GetOutputType<C>;
  } catch (err) {
    const prefix = IAM_PREFIX[(client as object).constructor.name] ?? 'aws';
    const action = `${prefix}:${command.constructor.name.replace(/Command$/, '')}`;
    throw new AwsCallError(action, firstLine(errorMessage(err)), { cause: err });
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** The innermost error with an AWS error code, and the action named on the way. */
function rootOf(err: unknown): { code?: string; message: string; action?: string } {
  let action: string | undefined;
  let e: unknown = err;
  for (let depth = 0; depth < 5; depth++) {
    if (e instanceof AwsCallError) action ??= e.operation;
    const cause = e instanceof Error ? e.cause : undefined;
    if (!(e instanceof AwsCallError) || cause === undefined) break;
    e = cause;
  }
  const code = errorCode(e);
  return {
    ...(code ? { code } : {}),
    message: firstLine(errorMessage(e)),
    ...(action ? { action } : {}),
  };
}

export type AccessProblem = 'credentials' | 'expired' | 'rejected' | 'denied' | 'region';

/** Which kind of access problem an error is, if any. */
export function accessProblem(err: unknown): AccessProblem | undefined {
  const { code, message } = rootOf(err);
  if (code && NO_CREDENTIALS.has(code)) return 'credentials';
  if (/could not (load|resolve) credentials|credentials? (are|is) missing/i.test(message))
    return 'credentials';
  if ((code && EXPIRED.has(code)) || /token.*(expired|refresh)/i.test(message)) return 'expired';
  if (code && REJECTED.has(code)) return 'rejected';
  if (code && DENIED.has(code)) return 'denied';
  if (/region is missing/i.test(message)) return 'region';
  return undefined;
}

/**
 * One line for an access problem: what is wrong and how to fix it. Undefined for other errors.
 * `context.profile` names the profile in the fix.
 */
export function explainAccess(
  err: unknown,
  context: { readonly profile?: string } = {},
): string | undefined {
  const problem = accessProblem(err);
  if (!problem) return undefined;
  const { message, action, code } = rootOf(err);
  const p = context.profile;
  switch (problem) {
    case 'credentials':
      return p
        ? `no usable AWS credentials for profile '${p}': check it in ~/.aws/config, then 'aws sso login --profile ${p}' or 'aws configure --profile ${p}'`
        : "no AWS credentials: set AWS_PROFILE or pass --profile; see 'aws configure'";
    case 'expired':
      return `your AWS session has expired: sign in again (e.g. 'aws sso login${p ? ` --profile ${p}` : ''}') and retry`;
    case 'rejected':
      return `AWS rejected the credentials (${code}): they are wrong or deleted; check ${p ? `profile '${p}'` : 'AWS_PROFILE / AWS_ACCESS_KEY_ID'} ('aws sts get-caller-identity' must work)`;
    case 'denied':
      return `not allowed to call ${action ?? 'AWS'} (${code}): use a role that may, see docs/validate.md, 'Permissions'. AWS said: ${message}`;
    case 'region':
      return NO_REGION;
  }
}

/** Runs a command; an access problem comes out as AwsAccessError with its one line. */
export async function explained<T>(
  clients: Pick<AwsClients, 'profile'>,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AwsAccessError) throw err;
    const line = explainAccess(err, clients.profile ? { profile: clients.profile } : {});
    if (line) throw new AwsAccessError(line, { cause: err });
    throw err;
  }
}

/** The caller's identity, first: the cheapest call that proves the credentials work. */
export async function whoAmI(
  clients: AwsClients,
  region?: string,
): Promise<{ readonly account: string; readonly arn: string }> {
  const out = await call(clients.sts(region), new GetCallerIdentityCommand({}));
  return { account: out.Account ?? '', arn: out.Arn ?? '' };
}

/** Clients from parsed --profile/--region values. */
export function clientsFromArgs(values: {
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
}): AwsClients {
  return createAwsClients({
    ...(values.profile ? { profile: values.profile } : {}),
    ...(values.region ? { region: values.region } : {}),
  });
}

/** Organization mode: the default role the CLI assumes in a member account (--role). */
export const DEFAULT_MEMBER_ROLE = 'OrganizationAccountAccessRole';

/**
 * The same clients in another account, through a role assumed there (the session named after
 * what the command does). Assumed at once, so that a refusal comes before anything changes: it
 * throws AwsAccessError, starting with `why`, saying what to do.
 */
export async function clientsInAccount(
  clients: AwsClients,
  target: {
    readonly account: string;
    /** @default DEFAULT_MEMBER_ROLE */
    readonly roleName?: string;
    /** RoleSessionName: what CloudTrail shows in the member account. */
    readonly sessionName: string;
    /** Why the command acts there, the start of the refusal's sentence. */
    readonly why: string;
  },
): Promise<AwsClients> {
  const sessions = new MemberSessions({
    roleName: target.roleName ?? DEFAULT_MEMBER_ROLE,
    // The role's ARN in the CLI's partition (aws-us-gov, aws-cn), not always "aws".
    partition: partitionOf(clients.region ?? ''),
    sts: clients.sts(),
  });
  // No source identity: the CLI's roles (OrganizationAccountAccessRole) do not trust
  // sts:SetSourceIdentity; the session name names what was done.
  const member = {
    account: target.account,
    region: clients.region ?? '',
    sessionName: target.sessionName,
  };
  try {
    await sessions.credentialsFor(member);
  } catch (err) {
    const role = sessions.roleArn(target.account);
    throw new AwsAccessError(
      `${target.why}; could not assume ${role} (${firstLine(errorMessage(err))}): pass --role NAME of a role you may assume in ${target.account}, or use credentials for ${target.account}. Nothing was changed.`,
      { cause: err },
    );
  }
  return clients.withCredentials(() => sessions.credentialsFor(member));
}
