/**
 * The functions' environment: every variable the stack sets for them, named once (infra/ imports
 * these names), and the readers that parse them once per cold start.
 */
import { DEFAULT_REVERT_MIN_SEVERITY } from './incident/guardduty';
import { parsePolicyJson, type SecurityGroupPolicy } from './policy/policy';
import { DEFAULT_MAX_INBOUND_RULES } from './policy/quota';
import { DEFAULT_LIMITS, type RemediationLimits } from './policy/results';
import * as z from 'zod';
import { INTAKE_DETECTIONS, type IntakeDetection } from './intake/request';
import { channelKey, type Page } from './incident/paging';
import type { OpsCenterSettings } from './aws/opscenter-backend';
import { RESPONSE_MODES, type ScopeSettings } from './policy/scope';
import { InputError } from './shared/errors';
import { parseOrThrow } from './shared/validation';

/** The environment variables the stack sets on the functions. */
export const ENV = {
  /** The security-group policy as compact JSON. */
  policy: 'FIRST_RESPONDER_POLICY',
  /** Blast radius: most rules one group may lose in one run. */
  maxRevokesPerGroup: 'MAX_REVOKES_PER_GROUP',
  /** Blast radius: most groups one call may change. */
  maxGroupsPerCall: 'MAX_GROUPS_PER_CALL',
  /** EC2's inbound-rule quota per group: a plan that would pass it is refused before writing. */
  maxInboundRulesPerGroup: 'MAX_INBOUND_RULES_PER_GROUP',
  /** Lowest GuardDuty severity that reverts, or "never". */
  guardDutyRevertMinSeverity: 'GUARDDUTY_REVERT_MIN_SEVERITY',
  /** Powertools' service name, on every log line. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** The intake's dedupe table. */
  intakeTable: 'INTAKE_TABLE_NAME',
  /** The intake's dead-letter queue, for deliveries it refuses. */
  intakeDeadLetterQueueUrl: 'INTAKE_DEAD_LETTER_QUEUE_URL',
  /** Each detection's response plan, as JSON: {"<detection>": {"arn", "impact"}}. */
  intakeResponsePlans: 'INTAKE_RESPONSE_PLANS',
  /** Where the intake opens incidents: "incident-manager" (when unset) or "opscenter". */
  intakeBackend: 'INTAKE_BACKEND',
  /** The OpsCenter backend's settings, as JSON: escalation, runbooks, notification topics. */
  intakeOpsCenter: 'INTAKE_OPSCENTER',
  /** Each detection's page schedule: {"rootActivity": [{atMinute, contact, channel}], ...}. */
  pagerSchedules: 'PAGER_SCHEDULES',
  /** The SNS topic of each contact's channel: {"alice/email": "arn:aws:sns:..."}. */
  pagerTopics: 'PAGER_TOPICS',
  /**
   * Organization mode, as JSON (OrganizationSettings): the member role to assume and each
   * target's mode. Unset in a single-account deployment.
   */
  organization: 'FIRST_RESPONDER_ORGANIZATION',
} as const;

let cached: { text: string; policy: SecurityGroupPolicy } | undefined;

/** The security-group policy the stack put in the function's environment. */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): SecurityGroupPolicy {
  const text = env[ENV.policy];
  if (!text) throw new InputError(`${ENV.policy} is not set: the function has no policy to apply`);
  if (cached?.text !== text) cached = { text, policy: parsePolicyJson(text, ENV.policy) };
  return cached.policy;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new InputError(`${name} is ${JSON.stringify(raw)}; it must be a whole number above 0`);
  return n;
}

export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): RemediationLimits {
  return {
    maxRevokesPerGroup: positiveInt(env, ENV.maxRevokesPerGroup, DEFAULT_LIMITS.maxRevokesPerGroup),
    maxGroupsPerCall: positiveInt(env, ENV.maxGroupsPerCall, DEFAULT_LIMITS.maxGroupsPerCall),
    maxInboundRulesPerGroup: positiveInt(
      env,
      ENV.maxInboundRulesPerGroup,
      DEFAULT_MAX_INBOUND_RULES,
    ),
  };
}

/** "never" switches reverting off; a number from 1 to 10 is the lowest severity that reverts. */
export function revertMinSeverityFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const name = ENV.guardDutyRevertMinSeverity;
  const raw = env[name];
  if (raw === undefined || raw === '') return DEFAULT_REVERT_MIN_SEVERITY;
  if (raw === 'never') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 10)
    throw new InputError(
      `${name} is ${JSON.stringify(raw)}; use a number from 1 to 10, or "never"`,
    );
  return n;
}

export interface PlanSettings {
  /** The response plan's ARN (Incident Manager backend only). */
  readonly arn?: string;
  /** Its impact, used when the event carries no severity. */
  readonly impact: number;
}

export interface IntakeSettings {
  readonly tableName: string;
  readonly deadLetterQueueUrl: string;
  readonly plans: Readonly<Record<IntakeDetection, PlanSettings>>;
}

const plansSchema = z.record(
  z.enum(INTAKE_DETECTIONS),
  z.object({ arn: z.string().min(1).optional(), impact: z.number().int().min(1).max(5) }),
);

let intakeCached: { key: string; settings: IntakeSettings } | undefined;

/** The intake's table, queue and response plans (set by infra/constructs/intake.ts). */
export function intakeSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): IntakeSettings {
  const get = (name: string) => {
    const v = env[name];
    if (!v) throw new InputError(`${name} is not set: the intake cannot run without it`);
    return v;
  };
  const names = [ENV.intakeTable, ENV.intakeDeadLetterQueueUrl, ENV.intakeResponsePlans];
  const key = names.map((n) => env[n]).join('\n');
  if (intakeCached?.key === key) return intakeCached.settings;
  let plans: unknown;
  try {
    plans = JSON.parse(get(ENV.intakeResponsePlans));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${ENV.intakeResponsePlans} is not JSON`, { cause: err });
  }
  const settings: IntakeSettings = {
    tableName: get(ENV.intakeTable),
    deadLetterQueueUrl: get(ENV.intakeDeadLetterQueueUrl),
    // A record keyed by an enum needs every key: a missing plan is named here.
    plans: parseOrThrow(plansSchema, plans, ENV.intakeResponsePlans),
  };
  intakeCached = { key, settings };
  return settings;
}

function jsonOf(env: NodeJS.ProcessEnv, name: string, who: string): unknown {
  const text = env[name];
  if (!text) throw new InputError(`${name} is not set: ${who} cannot run without it`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${name} is not JSON`, { cause: err });
  }
}

export type BackendChoice =
  | { readonly backend: 'incident-manager' }
  | { readonly backend: 'opscenter'; readonly settings: OpsCenterSettings };

const opsCenterSchema = z.object({
  escalationArn: z.string().startsWith('arn:', { error: 'the state machine ARN' }),
  runbooks: z.record(
    z.enum(INTAKE_DETECTIONS),
    z.object({
      document: z.string().min(1),
      parameters: z.record(z.string(), z.array(z.string())),
    }),
  ),
  notificationTopicArns: z.partialRecord(z.enum(INTAKE_DETECTIONS), z.string()).optional(),
});

/** Which backend the intake uses: Incident Manager unless INTAKE_BACKEND says "opscenter". */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendChoice {
  const backend = env[ENV.intakeBackend] || 'incident-manager';
  if (backend === 'incident-manager') return { backend };
  if (backend !== 'opscenter')
    throw new InputError(
      `${ENV.intakeBackend} is ${JSON.stringify(backend)}; valid: incident-manager or opscenter`,
    );
  const raw = jsonOf(env, ENV.intakeOpsCenter, 'the OpsCenter backend');
  return { backend, settings: parseOrThrow(opsCenterSchema, raw, ENV.intakeOpsCenter) };
}

export interface PagerSettings {
  readonly schedules: Readonly<Partial<Record<IntakeDetection, readonly Page[]>>>;
  readonly topics: Readonly<Record<string, string>>;
  /** For the console link in each page. */
  readonly region: string;
}

const pageSchema = z.object({
  atMinute: z.number().int().min(0),
  contact: z.string().min(1),
  channel: z.string().min(1),
});
const schedulesSchema = z.partialRecord(z.enum(INTAKE_DETECTIONS), z.array(pageSchema));
const topicsSchema = z.record(z.string(), z.string().startsWith('arn:'));

/** The pager's schedules and topics (set by infra/constructs/paging.ts). */
export function pagerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PagerSettings {
  const schedules = parseOrThrow(
    schedulesSchema,
    jsonOf(env, ENV.pagerSchedules, 'the pager'),
    ENV.pagerSchedules,
  );
  const topics = parseOrThrow(
    topicsSchema,
    jsonOf(env, ENV.pagerTopics, 'the pager'),
    ENV.pagerTopics,
  );
  for (const [detection, pages] of Object.entries(schedules))
    for (const p of pages ?? [])
      if (!topics[channelKey(p.contact, p.channel)])
        throw new InputError(
          `${ENV.pagerSchedules}.${detection} pages ${p.contact}/${p.channel}, which has no topic in ${ENV.pagerTopics}`,
        );
  return { schedules, topics, region: env.AWS_REGION ?? 'us-east-1' };
}

/** What the functions need to act in a member account (set by infra/ in organization mode). */
export interface OrganizationSettings extends ScopeSettings {
  readonly organizationId: string;
  /** The role every member account has (the IAM StackSet), assumed in the event's account. */
  readonly memberRoleName: string;
  /** Where the central bus, the intake and the functions run. */
  readonly homeRegion: string;
}

const ACCOUNT = z.string().regex(/^\d{12}$/);
const organizationSchema = z
  .object({
    organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/),
    memberRoleName: z.string().regex(/^[\w+=,.@-]{1,64}$/),
    homeRegion: z.string().min(1),
    targets: z.array(
      z.object({
        organizationalUnits: z.array(z.string().min(1)).optional(),
        accounts: z.array(ACCOUNT).optional(),
        mode: z.enum(RESPONSE_MODES),
      }),
    ),
    excludeAccounts: z.array(ACCOUNT).optional(),
  })
  .strict();

let organizationCached: { text: string; settings: OrganizationSettings } | undefined;

/** Organization mode's settings, or undefined in a single-account deployment. */
export function organizationFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): OrganizationSettings | undefined {
  const text = env[ENV.organization];
  if (!text) return undefined;
  if (organizationCached?.text === text) return organizationCached.settings;
  const settings = parseOrThrow(
    organizationSchema,
    jsonOf(env, ENV.organization, 'organization mode'),
    ENV.organization,
  );
  organizationCached = { text, settings };
  return settings;
}
