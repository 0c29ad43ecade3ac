/**
 * The one configuration file a security team writes: contacts, engagement and escalation plans,
 * one response plan per detection, detection settings, the security-group policy and the
 * replication-set mode. Validated with zod at synth time; every refusal names the field path,
 * the value received and what is valid (see handlers/shared/validation.ts).
 *
 * docs/configuration.md documents every field with its default; keep the two in step.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { SecurityGroupPolicy } from '../handlers/policy/policy';
import { readPolicyFile } from '../handlers/policy/policy-file';
import { parseJsonOrYaml, readTextFile } from '../handlers/shared/text-file';
import { parseOrThrow, show, ValidationError } from '../handlers/shared/validation';
import {
  DETECTION_IDS,
  detectionById,
  securityGroupOpenedPattern,
  type DetectionId,
} from '../patterns';
import {
  CHANNEL_NAME,
  CHANNEL_NAME_SCHEMA_CHARACTER,
  CONTACT_ALIAS,
  CONTACT_DISPLAY_NAME,
  EVENT_PATTERN_API_MAX,
  EVENT_PATTERN_DEFAULT_QUOTA,
  INCIDENT_MANAGER_REGIONS,
  MAX_CHAT_CHANNEL_TOPICS,
  SSM_CONTACTS_ARN,
  TAG_RULE_EVERYWHERE,
} from './aws-constraints';
import { organizationIssues, organizationSchema } from './config-organization';

/** The configuration `npm start`, the tests and a bare `cdk synth` use. */
export const EXAMPLE_CONFIG = resolve(__dirname, '..', 'examples', 'config.yaml');

/** Where incidents live: Incident Manager, or OpsCenter with SNS paging. */
export const INCIDENT_BACKENDS = ['incident-manager', 'opscenter'] as const;
export type IncidentBackendId = (typeof INCIDENT_BACKENDS)[number];

/** The runbooks in runbooks/ (file name without .yaml). */
export const RUNBOOK_IDS = [
  'revert-security-groups',
  'guardduty-finding-response',
  'root-activity-triage',
] as const;
export type RunbookId = (typeof RUNBOOK_IDS)[number];

/** The Config rules the app can deploy; each can be switched off. */
export const CONFIG_RULE_IDS = ['s3PublicRead', 's3PublicWrite', 'securityGroupPolicy'] as const;
export type ConfigRuleId = (typeof CONFIG_RULE_IDS)[number];

/** Retention periods CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/**
 * What a detection's rule and response plan are named when the configuration does not name
 * them: `<app.prefix>-<name>`, e.g. "first-responder-root-activity".
 */
export function deployedNameOf(
  config: { readonly app: { readonly prefix: string } },
  id: DetectionId,
): string {
  return `${config.app.prefix}-${detectionById(id).name}`;
}

const ALIAS = CONTACT_ALIAS;
const ALIAS_HELP =
  'an alias is 1-255 characters of lowercase letters, digits, "_" or "-" (e.g. "alice"; Incident Manager accepts no ".")';
const DISPLAY_NAME = CONTACT_DISPLAY_NAME;
const DISPLAY_NAME_HELP =
  'a display name is 1-255 ASCII letters, digits, spaces, "_" or "-" (the CloudFormation schema takes no accented letters)';
const CHANNEL_NAME_HELP =
  'a channel name is 1-255 letters (any script), digits, spaces, "_", "." or "-" (Incident Manager accepts no "+", "\'" or "&")';
const CHANNEL_NAME_SCHEMA_HELP =
  'a channel name needs at least one ASCII letter, digit, space, "_" or "-", or a character from U+2000-U+3300 such as Japanese kana (the CloudFormation schema of AWS::SSMContacts::ContactChannel); add one, e.g. "携帯電話 mobile"';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** E.164: a plus sign, a country code and up to 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;
const CONTACT_ARN = SSM_CONTACTS_ARN;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const SNS_HELP = 'an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:name';
/** A standard SNS topic: Incident Manager and AWS Chatbot publish without a message group, which a FIFO topic refuses. */
const standardTopic = z
  .string({ error: SNS_HELP })
  .regex(SNS_ARN, { error: SNS_HELP })
  .regex(/^(?!.*\.fifo$)/, {
    error:
      'a standard SNS topic: this is a FIFO topic (.fifo), to which Incident Manager and AWS Chatbot cannot publish',
  });
const REGION_HELP = `a region where Incident Manager and its contacts exist: ${INCIDENT_MANAGER_REGIONS.join(', ')}`;
/** A region where Incident Manager and Incident Manager Contacts have endpoints. */
const incidentManagerRegion = z
  .string({ error: REGION_HELP })
  .regex(new RegExp(`^(${INCIDENT_MANAGER_REGIONS.join('|')})$`), { error: REGION_HELP });
/** PutMetricAlarm's AlarmActions: at most 5 (the CloudWatch API reference). */
const MAX_ALARM_ACTIONS = 5;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-f0-9-]{36}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const HAND_OFF_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const alias = z.string({ error: ALIAS_HELP }).regex(ALIAS, { error: ALIAS_HELP });
const displayName = z
  .string({ error: DISPLAY_NAME_HELP })
  .regex(DISPLAY_NAME, { error: DISPLAY_NAME_HELP });
const minutes = (max: number) =>
  z
    .number({ error: `a whole number of minutes from 0 to ${max}` })
    .int({ error: `a whole number of minutes from 0 to ${max}` })
    .min(0, { error: `a whole number of minutes from 0 to ${max}` })
    .max(max, { error: `a whole number of minutes from 0 to ${max}` });

const channelSchema = z
  .object({
    /** EMAIL, SMS or VOICE. */
    type: z.enum(['EMAIL', 'SMS', 'VOICE'], { error: 'valid: EMAIL, SMS or VOICE' }),
    /** An email address, or a phone number in E.164 form (+ country code, digits). */
    address: z.string({ error: 'an email address or a phone number such as +12065550100' }),
    /**
     * How stages refer to this channel.
     * @default the type in lowercase: "email", "sms" or "voice"
     */
    name: z
      .string({ error: CHANNEL_NAME_HELP })
      .regex(CHANNEL_NAME, { error: CHANNEL_NAME_HELP })
      .regex(CHANNEL_NAME_SCHEMA_CHARACTER, { error: CHANNEL_NAME_SCHEMA_HELP })
      .optional(),
  })
  .strict()
  .transform((c, ctx) => {
    let address = c.address.trim();
    if (c.type === 'EMAIL') {
      if (!EMAIL.test(address) || address.length > 254)
        ctx.addIssue({
          code: 'custom',
          path: ['address'],
          message: `got ${show(c.address)}; an EMAIL channel needs an email address such as alice@example.com`,
        });
    } else {
      // People write phone numbers with spaces and dashes; Incident Manager wants bare E.164.
      address = address.replace(/[\s().-]/g, '');
      if (!E164.test(address))
        ctx.addIssue({
          code: 'custom',
          path: ['address'],
          message: `got ${show(c.address)}; an ${c.type} channel needs a phone number in E.164 form: "+", the country code and the number, 8 to 15 digits in all (e.g. +12065550100)`,
        });
    }
    return { type: c.type, address, name: c.name ?? c.type.toLowerCase() };
  });

const engagementStageSchema = z
  .object({
    /** Names of this contact's channels to engage in this stage. */
    channels: z
      .array(z.string(), { error: 'a list of channel names' })
      .min(1, { error: 'list at least one channel name' }),
    /**
     * How long this stage lasts before the next one starts, in minutes (0-30).
     * @default 5
     */
    durationMinutes: minutes(30).default(5),
    /**
     * How long to wait before engaging a channel again while nobody acknowledges, in minutes (0-60).
     * @default 5
     */
    retryIntervalMinutes: minutes(60).default(5),
  })
  .strict();

const contactSchema = z
  .object({
    /** Unique alias, used in engagements and escalation stages. */
    alias,
    /** Full name shown in Incident Manager. */
    displayName,
    /** The person's contact channels: EMAIL, SMS and VOICE. */
    channels: z
      .array(channelSchema, { error: 'a list of channels' })
      .min(1, { error: 'list at least one channel' }),
    /**
     * The engagement plan: stages in order, each engaging some of the channels.
     * @default one stage that engages every channel at once
     */
    engagementPlan: z.array(engagementStageSchema, { error: 'a list of stages' }).optional(),
  })
  .strict();

const escalationStageSchema = z
  .object({
    /** Aliases of contacts or rotations to engage in this stage. */
    contacts: z
      .array(z.string(), { error: 'a list of contact or rotation aliases' })
      .min(1, { error: 'list at least one contact or rotation alias' }),
    /**
     * How long this stage lasts before the next one starts, in minutes (0-30).
     * @default 5
     */
    durationMinutes: minutes(30).default(5),
    /**
     * Whether every contact in this stage must acknowledge before escalation stops.
     * @default false
     */
    essential: z.boolean({ error: 'true or false' }).default(false),
  })
  .strict();

const escalationPlanSchema = z
  .object({
    alias,
    displayName,
    stages: z
      .array(escalationStageSchema, { error: 'a list of stages' })
      .min(1, { error: 'list at least one stage' }),
  })
  .strict();

const rotationSchema = z
  .object({
    /** Alias of the on-call schedule, used in engagements and escalation stages. */
    alias,
    displayName,
    /** Aliases of personal contacts, in shift order. */
    contacts: z
      .array(z.string(), { error: 'a list of contact aliases' })
      .min(1, { error: 'list at least one contact alias' })
      .max(30, { error: 'at most 30 contacts' }),
    /** When the rotation starts, local time in timeZone: YYYY-MM-DDTHH:MM:SS. */
    startTime: z
      .string({ error: 'a local date and time such as 2026-01-05T09:00:00' })
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, {
        error: 'a local date and time such as 2026-01-05T09:00:00',
      }),
    /**
     * IANA time zone of startTime and handOffTime.
     * @default "UTC"
     */
    timeZone: z
      .string()
      .regex(/^[:a-zA-Z0-9_\-\s.\\/]{1,255}$/, { error: 'an IANA time zone such as Europe/Paris' })
      .default('UTC'),
    /**
     * daily or weekly shifts.
     * @default "weekly"
     */
    recurrence: z.enum(['daily', 'weekly'], { error: 'valid: daily or weekly' }).default('weekly'),
    /**
     * Day of the hand-off for weekly shifts.
     * @default "MON"
     */
    handOffDay: z
      .enum(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], {
        error: 'valid: MON, TUE, WED, THU, FRI, SAT or SUN',
      })
      .default('MON'),
    /**
     * Time of the hand-off, HH:MM.
     * @default "09:00"
     */
    handOffTime: z
      .string()
      .regex(HAND_OFF_TIME, { error: 'a 24-hour time HH:MM such as 09:00' })
      .default('09:00'),
    /**
     * How many days or weeks each shift lasts (1-100).
     * @default 1
     */
    shiftLength: z
      .number()
      .int()
      .min(1)
      .max(100, { error: 'a whole number from 1 to 100' })
      .default(1),
    /**
     * How many contacts are on call at once.
     * @default 1
     */
    onCallAtOnce: z.number().int().min(1, { error: 'a whole number of at least 1' }).default(1),
  })
  .strict();

const responsePlanSchema = z
  .object({
    /**
     * Response plan name (letters, digits, "_" and "-").
     * @default "<app.prefix>-<detection>", e.g. "first-responder-root-activity"
     */
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,200}$/, { error: 'letters, digits, "_" and "-", at most 200' })
      .optional(),
    /** @default the title */
    displayName: z.string().min(1).max(200).optional(),
    /** Incident title. @default per detection, see DETECTIONS in patterns/ */
    title: z.string().min(1).max(200, { error: 'at most 200 characters' }).optional(),
    /** Impact, 1 (critical) to 5 (no impact). @default per detection */
    impact: z
      .number({ error: 'a whole number from 1 (critical) to 5 (no impact)' })
      .int({ error: 'a whole number from 1 (critical) to 5 (no impact)' })
      .min(1, { error: 'a whole number from 1 (critical) to 5 (no impact)' })
      .max(5, { error: 'a whole number from 1 (critical) to 5 (no impact)' })
      .optional(),
    /** What has happened. @default per detection */
    summary: z.string().min(1).max(4000, { error: 'at most 4000 characters' }).optional(),
    /**
     * Aliases of contacts, escalation plans or rotations, or ARNs of existing contacts (at most 5).
     * @default []
     */
    engagements: z
      .array(z.string(), { error: 'a list of aliases or contact ARNs' })
      .max(5, { error: 'Incident Manager allows at most 5 engagements per response plan' })
      .default([]),
    /** The runbook to start. @default per detection */
    runbook: z.enum(RUNBOOK_IDS, { error: `valid: ${RUNBOOK_IDS.join(', ')}` }).optional(),
    /** Standard SNS topic Incident Manager notifies of incident updates. @default none */
    notificationTopicArn: standardTopic.optional(),
    /**
     * Standard SNS topics (1 to 5) of an AWS Chatbot chat channel; each topic's policy must let
     * Incident Manager publish (docs/configuration.md). @default none
     */
    chatChannelTopicArns: z
      .array(standardTopic, { error: 'a list of SNS topic ARNs' })
      .min(1, { error: `list 1 to ${MAX_CHAT_CHANNEL_TOPICS} topics, or leave the field out` })
      .max(MAX_CHAT_CHANNEL_TOPICS, {
        error: `Incident Manager takes at most ${MAX_CHAT_CHANNEL_TOPICS} chat channel topics per response plan`,
      })
      .optional(),
  })
  .strict();

const responsePlanWithDefaults = () => responsePlanSchema.prefault({});
/** One response plan per detection of the catalogue, keyed by its id. */
const responsePlansShape = Object.fromEntries(
  DETECTION_IDS.map((id) => [id, responsePlanWithDefaults()]),
) as Record<DetectionId, ReturnType<typeof responsePlanWithDefaults>>;

const appSchema = z
  .object({
    /**
     * Prefix of resource names (lowercase letters, digits and "-").
     * @default "first-responder"
     */
    prefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,29}$/, {
        error: 'a lowercase letter, then up to 29 lowercase letters, digits or "-"',
      })
      .default('first-responder'),
    /**
     * Name of the main stack.
     * @default "FirstResponder"
     */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, {
        error: 'a letter, then letters, digits or "-" (a CloudFormation stack name)',
      })
      .default('FirstResponder'),
    /**
     * Account to deploy to.
     * @default CDK_DEFAULT_ACCOUNT (the CLI's credentials), else account-agnostic
     */
    account: z
      .string()
      .regex(/^\d{12}$/, { error: 'a 12-digit account ID' })
      .optional(),
    /**
     * Region of the main stack.
     * @default CDK_DEFAULT_REGION (the CLI's profile), else "us-east-1"
     */
    region: incidentManagerRegion.optional(),
    /**
     * Tags on every resource. A tag that some resource types refuse (Incident Manager Contacts
     * takes no ":" in keys, for one) is left off those types, and synth warns which.
     * @default {}
     */
    tags: z
      .record(
        z.string(),
        z
          .string({ error: TAG_RULE_EVERYWHERE.valueHelp })
          .regex(TAG_RULE_EVERYWHERE.value, { error: TAG_RULE_EVERYWHERE.valueHelp }),
      )
      .superRefine((tags, ctx) => {
        const keys = Object.keys(tags);
        if (keys.length > 50)
          ctx.addIssue({
            code: 'custom',
            message: `got ${keys.length} tags; a resource takes at most 50`,
          });
        for (const key of keys)
          if (!TAG_RULE_EVERYWHERE.key.test(key))
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `got the key ${JSON.stringify(key)}; ${TAG_RULE_EVERYWHERE.keyHelp}`,
            });
      })
      .default({}),
  })
  .strict();

const configSchema = z
  .object({
    /** Names, account, region and tags. */
    app: appSchema.prefault({}),
    /**
     * Path of the security-group policy (JSON or YAML), relative to this file.
     * @default "policy.json" next to this file
     */
    securityGroupPolicy: z.string().min(1).default('policy.json'),
    incidentManager: z
      .object({
        replicationSet: z
          .object({
            /**
             * "existing": the account is already onboarded; create no replication set.
             * "create": create one (deletion protection on, retained on stack deletion).
             * @default "existing"
             */
            mode: z
              .enum(['existing', 'create'], {
                error:
                  'valid: "existing" (the account is already onboarded to Incident Manager) or "create"',
              })
              .default('existing'),
            /**
             * Regions of a created replication set (at most 3).
             * @default [the app's region]
             */
            regions: z
              .array(incidentManagerRegion)
              .min(1)
              .max(3, { error: 'a replication set spans at most 3 regions' })
              .optional(),
            /**
             * KMS key ARN per region for a created replication set.
             * @default AWS-owned keys
             */
            kmsKeyArns: z
              .record(
                z.string().regex(REGION, { error: 'a region name such as eu-west-1' }),
                z.string().regex(KMS_KEY_ARN, { error: 'a KMS key ARN' }),
              )
              .optional(),
          })
          .strict()
          .prefault({}),
        /**
         * Send activation codes when channels are created; false defers it until you ask.
         * @default false
         */
        deferChannelActivation: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    incidents: z
      .object({
        /**
         * Where incidents live. "incident-manager": Incident Manager incidents, contacts and
         * response plans. "opscenter": one OpsCenter OpsItem per incident, paging by email and SMS
         * through SNS and escalation by a Step Functions state machine (docs/opscenter.md).
         * @default "incident-manager"
         */
        backend: z
          .enum(INCIDENT_BACKENDS, {
            error:
              'valid: "incident-manager" (Incident Manager; onboarded accounts only) or "opscenter" (OpsCenter OpsItems, paging through SNS)',
          })
          .default('incident-manager'),
      })
      .strict()
      .prefault({}),
    /** @default [] */
    contacts: z.array(contactSchema, { error: 'a list of contacts' }).default([]),
    /** @default [] */
    escalationPlans: z
      .array(escalationPlanSchema, { error: 'a list of escalation plans' })
      .default([]),
    /** @default [] */
    rotations: z.array(rotationSchema, { error: 'a list of rotations' }).default([]),
    /** One response plan per detection; every field has a default. */
    responsePlans: z.object(responsePlansShape).strict().prefault({}),
    detection: z
      .object({
        guardDuty: z
          .object({
            /**
             * Lowest GuardDuty severity that starts an incident, 1 to 10 (High is 7.0-8.9, Critical
             * 9.0-10.0).
             * @default 7 (DEFAULT_GUARDDUTY_MIN_SEVERITY in patterns/: High and Critical)
             */
            minSeverity: z
              .number({ error: 'a number from 1 to 10 (GuardDuty severity)' })
              .min(1, { error: 'a number from 1 to 10 (GuardDuty severity)' })
              .max(10, { error: 'a number from 1 to 10 (GuardDuty severity)' })
              .optional(),
          })
          .strict()
          .prefault({}),
        config: z
          .object({
            /**
             * "existing" reuses the account's Config recorder; "create" creates one that records
             * security groups and S3 buckets, delivering to a new bucket.
             * @default "existing"
             */
            recorder: z
              .enum(['existing', 'create'], {
                error: 'valid: "existing" (reuse the account\'s recorder) or "create"',
              })
              .default('existing'),
            /** Switch each Config rule on or off. */
            rules: z
              .object({
                /** s3-bucket-public-read-prohibited. @default true */
                s3PublicRead: z.boolean().default(true),
                /** s3-bucket-public-write-prohibited. @default true */
                s3PublicWrite: z.boolean().default(true),
                /** The custom security-group policy rule. @default true */
                securityGroupPolicy: z.boolean().default(true),
              })
              .strict()
              .prefault({}),
            /**
             * Config rule names whose noncompliance starts an incident.
             * @default the names of the rules switched on above
             */
            ruleNames: z
              .array(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'a Config rule name' }))
              .optional(),
          })
          .strict()
          .prefault({}),
        /**
         * The account's EventBridge quota "Event pattern size", in characters: 2048 unless raised
         * through Service Quotas (at most 4096).
         * @default 2048
         */
        eventPatternQuota: z
          .number({
            error: `a whole number of characters from ${EVENT_PATTERN_DEFAULT_QUOTA} to ${EVENT_PATTERN_API_MAX}`,
          })
          .int({
            error: `a whole number of characters from ${EVENT_PATTERN_DEFAULT_QUOTA} to ${EVENT_PATTERN_API_MAX}`,
          })
          .min(EVENT_PATTERN_DEFAULT_QUOTA, {
            error: `a whole number of characters from ${EVENT_PATTERN_DEFAULT_QUOTA} to ${EVENT_PATTERN_API_MAX}`,
          })
          .max(EVENT_PATTERN_API_MAX, {
            error: `a whole number of characters from ${EVENT_PATTERN_DEFAULT_QUOTA} to ${EVENT_PATTERN_API_MAX} (PutRule's own limit)`,
          })
          .default(EVENT_PATTERN_DEFAULT_QUOTA),
        securityGroupOpened: z
          .object({
            /**
             * Roles whose security-group changes are expected (e.g. your deployment role). The
             * app's own remediation roles are always excluded.
             * @default []
             */
            excludedRoleArns: z
              .array(z.string().regex(ROLE_ARN, { error: 'an IAM role ARN' }))
              .default([]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    remediation: z
      .object({
        /**
         * Runbooks report what they would change and change nothing.
         * @default false
         */
        dryRun: z.boolean().default(false),
        /** MAX_REVOKES_PER_GROUP of the reverter. @default the handler's */
        maxRevokesPerGroup: z.number().int().min(1).optional(),
        /** MAX_GROUPS_PER_CALL of the reverter. @default the handler's */
        maxGroupsPerCall: z.number().int().min(1).optional(),
        /**
         * EC2's "inbound rules per security group" quota, when the account raised it: a plan that
         * would pass it is refused before any write. @default 60 (EC2's default)
         */
        maxInboundRulesPerGroup: z.number().int().min(1).max(1000).optional(),
        /**
         * GuardDuty findings at or above this severity revert their instance's security groups;
         * "never" records findings only.
         * @default 9 (Critical findings only)
         */
        guardDutyRevertMinSeverity: z
          .union(
            [
              z
                .number()
                .min(1, { error: 'a severity from 1 to 10, or "never"' })
                .max(10, { error: 'a severity from 1 to 10, or "never"' }),
              z.literal('never'),
            ],
            {
              error: 'a severity from 1 to 10, or "never"',
            },
          )
          .default(9),
      })
      .strict()
      .prefault({}),
    alarms: z
      .object({
        /**
         * Standard SNS topics the app's operational alarms notify (the intake's dead-letter queue:
         * an event that could not become an incident). CloudWatch takes at most 5 alarm actions.
         * @default the response plans' notification topics; with none, the alarm notifies nobody
         * and synth warns
         */
        topicArns: z
          .array(standardTopic, { error: 'a list of SNS topic ARNs' })
          .min(1, { error: 'list 1 to 5 topics, or leave the field out' })
          .max(MAX_ALARM_ACTIONS, {
            error: `a CloudWatch alarm takes at most ${MAX_ALARM_ACTIONS} actions`,
          })
          .optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Organization mode: respond for every account and region of an AWS Organization from this
     * (security) account. See infra/config-organization.ts and docs/organization.md.
     * @default none: a single-account deployment
     */
    organization: organizationSchema.optional(),
    logs: z
      .object({
        /**
         * Retention of every function's log group, in days.
         * @default 365
         */
        retentionDays: z
          .literal([...LOG_RETENTION_DAYS], { error: `valid: ${LOG_RETENTION_DAYS.join(', ')}` })
          .default(365),
        /**
         * KMS key that encrypts the log groups; its key policy must allow CloudWatch Logs.
         * @default CloudWatch Logs' own encryption
         */
        kmsKeyArn: z.string().regex(KMS_KEY_ARN, { error: 'a KMS key ARN' }).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: PropertyKey[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });

    // Aliases share one namespace in Incident Manager.
    const seen = new Map<string, string>();
    const claim = (a: string, path: PropertyKey[]) => {
      const where = path.join('.');
      const prior = seen.get(a);
      if (prior)
        issue(
          [...path, 'alias'],
          `got ${show(a)}, already used by ${prior}; every contact, escalation plan and rotation needs its own alias`,
        );
      else seen.set(a, where);
    };
    c.contacts.forEach((p, i) => claim(p.alias, ['contacts', i]));
    c.escalationPlans.forEach((p, i) => claim(p.alias, ['escalationPlans', i]));
    c.rotations.forEach((p, i) => claim(p.alias, ['rotations', i]));

    const personal = new Set(c.contacts.map((p) => p.alias));
    const rotations = new Set(c.rotations.map((r) => r.alias));

    c.contacts.forEach((contact, i) => {
      const names = new Set<string>();
      contact.channels.forEach((ch, j) => {
        if (names.has(ch.name))
          issue(
            ['contacts', i, 'channels', j, 'name'],
            `got ${show(ch.name)} twice; give each channel of a contact its own name`,
          );
        names.add(ch.name);
      });
      contact.engagementPlan?.forEach((stage, s) =>
        stage.channels.forEach((name, k) => {
          if (!names.has(name))
            issue(
              ['contacts', i, 'engagementPlan', s, 'channels', k],
              `got ${show(name)}; valid: a channel name of this contact: ${[...names].join(', ')}`,
            );
        }),
      );
    });

    const stageTargets = [...personal, ...rotations];
    c.escalationPlans.forEach((plan, i) =>
      plan.stages.forEach((stage, s) =>
        stage.contacts.forEach((a, k) => {
          if (!personal.has(a) && !rotations.has(a))
            issue(
              ['escalationPlans', i, 'stages', s, 'contacts', k],
              `got ${show(a)}; valid: the alias of a contact or rotation${stageTargets.length ? `: ${stageTargets.join(', ')}` : ' (none are configured)'}`,
            );
        }),
      ),
    );
    c.rotations.forEach((r, i) =>
      r.contacts.forEach((a, k) => {
        if (!personal.has(a))
          issue(
            ['rotations', i, 'contacts', k],
            `got ${show(a)}; valid: the alias of a personal contact${personal.size ? `: ${[...personal].join(', ')}` : ' (none are configured)'}`,
          );
      }),
    );

    const names = new Map<string, string>();
    for (const id of DETECTION_IDS) {
      const explicit = c.responsePlans[id].name;
      // Response plan names are account-wide: a second deployment must not take the first's.
      if (explicit && !explicit.startsWith(`${c.app.prefix}-`))
        issue(
          ['responsePlans', id, 'name'],
          `got ${JSON.stringify(explicit)}; a response plan name is account-wide, so it must start with app.prefix and "-" ("${c.app.prefix}-…"), or be left out for "${deployedNameOf(c, id)}"`,
        );
      const plan = c.responsePlans[id];
      plan.engagements.forEach((e, k) => {
        if (!seen.has(e) && !CONTACT_ARN.test(e))
          issue(
            ['responsePlans', id, 'engagements', k],
            `got ${show(e)}; valid: an alias from contacts, escalationPlans or rotations${seen.size ? ` (${[...seen.keys()].join(', ')})` : ''}, or the ARN of an existing contact`,
          );
      });
      const name = plan.name ?? deployedNameOf(c, id);
      const prior = names.get(name);
      if (prior)
        issue(
          ['responsePlans', id, 'name'],
          `got ${show(name)}, already the name of responsePlans.${prior}; response plan names must differ`,
        );
      names.set(name, id);
    }

    const rs = c.incidentManager.replicationSet;
    if (rs.mode === 'existing' && (rs.regions || rs.kmsKeyArns))
      issue(
        ['incidentManager', 'replicationSet', 'mode'],
        'got "existing" with regions or kmsKeyArns; those only apply when mode is "create": remove them or set mode to "create"',
      );
    const replicated = rs.regions ?? (c.app.region ? [c.app.region] : undefined);
    if (rs.regions && c.app.region && !rs.regions.includes(c.app.region))
      issue(
        ['incidentManager', 'replicationSet', 'regions'],
        `got ${JSON.stringify(rs.regions)}, without app.region ${c.app.region}; a replication set must include the region where the app opens incidents`,
      );
    if (rs.kmsKeyArns && replicated) {
      for (const [region, key] of Object.entries(rs.kmsKeyArns)) {
        if (!replicated.includes(region))
          issue(
            ['incidentManager', 'replicationSet', 'kmsKeyArns', region],
            `got a key for ${region}, which is not in regions (${replicated.join(', ')}); add the region or remove the key`,
          );
        else if (key.split(':')[3] !== region)
          issue(
            ['incidentManager', 'replicationSet', 'kmsKeyArns', region],
            `got ${JSON.stringify(key)}, a key in ${key.split(':')[3]}; each region's data is encrypted with a key of that same region`,
          );
      }
      const missing = replicated.filter((r) => !rs.kmsKeyArns![r]);
      if (missing.length && missing.length < replicated.length)
        issue(
          ['incidentManager', 'replicationSet', 'kmsKeyArns'],
          `got keys for ${Object.keys(rs.kmsKeyArns).join(', ')} but none for ${missing.join(', ')}; Incident Manager takes a customer-managed key for every region of the replication set or for none`,
        );
    }

    const excluded = c.detection.securityGroupOpened.excludedRoleArns;
    const fit = excludedRolesThatFit(excluded, c.detection.eventPatternQuota);
    if (fit.length < excluded.length)
      issue(
        ['detection', 'securityGroupOpened', 'excludedRoleArns'],
        `got ${excluded.length} roles, which make the security-group-opened event pattern ${patternLength(excluded)} characters long; EventBridge accepts ${c.detection.eventPatternQuota} (detection.eventPatternQuota), with room for the app's own 2 remediation roles: ${fit.length} of these roles fit. List fewer roles, use one role for your pipelines, or raise the quota "Event pattern size" (up to ${EVENT_PATTERN_API_MAX}) and set detection.eventPatternQuota`,
      );

    if (c.incidents.backend === 'opscenter') opsCenterIssues(c, issue);
    if (c.organization) organizationIssues(c.organization, c.app, issue);

    if (c.app.region)
      for (const problem of alarmTopicRegionIssues(c.alarms.topicArns, c.app.region))
        issue(['alarms', 'topicArns', problem.index], problem.message);

    const rules = c.detection.config.rules;
    if (
      c.detection.config.ruleNames?.length === 0 ||
      (!c.detection.config.ruleNames && !Object.values(rules).some(Boolean))
    )
      issue(
        ['detection', 'config', 'ruleNames'],
        `got ${show(c.detection.config.ruleNames ?? null)} with every rule in detection.config.rules switched off; the configNoncompliance response plan would never start: switch a rule on or list the names of Config rules to watch`,
      );
  });

const OPSCENTER = 'with incidents.backend "opscenter"';

/** What only Incident Manager can do: refused under the OpsCenter backend, each with its fix. */
function opsCenterIssues(
  c: z.output<typeof configSchema>,
  issue: (path: PropertyKey[], message: string) => void,
): void {
  c.contacts.forEach((contact, i) =>
    contact.channels.forEach((ch, j) => {
      if (ch.type === 'VOICE')
        issue(
          ['contacts', i, 'channels', j, 'type'],
          `got "VOICE" ${OPSCENTER}; voice calls need Incident Manager (SNS sends email and SMS only): remove the channel, or use EMAIL or SMS`,
        );
    }),
  );
  c.rotations.forEach((r, i) =>
    issue(
      ['rotations', i],
      `got rotation ${JSON.stringify(r.alias)} ${OPSCENTER}; on-call rotations need Incident Manager: page personal contacts or escalation plans instead`,
    ),
  );
  c.escalationPlans.forEach((plan, i) =>
    plan.stages.forEach((stage, s) => {
      if (stage.essential)
        issue(
          ['escalationPlans', i, 'stages', s, 'essential'],
          `got true ${OPSCENTER}; the OpsItem's status is the one acknowledgement, so no contact can be essential: remove the field`,
        );
    }),
  );
  for (const id of DETECTION_IDS)
    c.responsePlans[id].engagements.forEach((e, k) => {
      if (CONTACT_ARN.test(e))
        issue(
          ['responsePlans', id, 'engagements', k],
          `got ${JSON.stringify(e)} ${OPSCENTER}; an existing Incident Manager contact cannot be paged through SNS: use the alias of a contact or escalation plan from this file`,
        );
    });
  if (c.incidentManager.replicationSet.mode === 'create')
    issue(
      ['incidentManager', 'replicationSet', 'mode'],
      `got "create" ${OPSCENTER}; the OpsCenter backend creates no Incident Manager resources: remove incidentManager or set incidents.backend to "incident-manager"`,
    );
}

/**
 * Stands in, at validation time, for each of the app's own remediation roles, which the pattern
 * always excludes: CloudFormation names a role "<stack>-<logical id>-<suffix>", at most 64
 * characters, in the longest partition name.
 */
const REMEDIATION_ROLE_PLACEHOLDER = `arn:aws-us-gov:iam::123456789012:role/${'x'.repeat(64)}`;
const REMEDIATION_ROLE_COUNT = 2;

/**
 * The length of the security-group-opened pattern with these roles and the app's own: the
 * pattern with the app's roles, plus each further role as one more JSON string in the same list.
 */
function patternLength(excluded: readonly string[]): number {
  const base = JSON.stringify(
    securityGroupOpenedPattern({
      excludedRoleArns: Array<string>(REMEDIATION_ROLE_COUNT).fill(REMEDIATION_ROLE_PLACEHOLDER),
    }),
  ).length;
  return excluded.reduce((n, arn) => n + JSON.stringify(arn).length + 1, base);
}

/** The longest first part of `excluded` whose pattern fits in `quota` characters. */
export function excludedRolesThatFit(excluded: readonly string[], quota: number): string[] {
  let n = excluded.length;
  while (n > 0 && patternLength(excluded.slice(0, n)) > quota) n--;
  return excluded.slice(0, n);
}

/** The configuration as written, with defaults filled in. */
export type ParsedConfig = z.output<typeof configSchema>;
export type ContactConfig = ParsedConfig['contacts'][number];
export type EscalationPlanConfig = ParsedConfig['escalationPlans'][number];
export type RotationConfig = ParsedConfig['rotations'][number];
export type ResponsePlanInput = ParsedConfig['responsePlans'][DetectionId];

/** A response plan with every default resolved. */
export interface ResponsePlanConfig {
  readonly detection: DetectionId;
  readonly name: string;
  readonly displayName: string;
  readonly title: string;
  readonly impact: number;
  readonly summary: string;
  readonly engagements: readonly string[];
  readonly runbook: RunbookId;
  readonly notificationTopicArn?: string;
  readonly chatChannelTopicArns?: readonly string[];
}

/** What the app is built from: the parsed configuration plus the loaded policy. */
export interface FirstResponderConfig extends ParsedConfig {
  /** Where the configuration came from (for messages). */
  readonly source: string;
  /** Absolute path of the security-group policy file. */
  readonly policyPath: string;
  /** The validated policy (its exempt tag drives the IAM condition). */
  readonly policy: SecurityGroupPolicy;
  /** The policy document as compact JSON, passed to the functions in FIRST_RESPONDER_POLICY. */
  readonly policyJson: string;
}

/** Lambda allows 4 KB of environment in all; leave room for the other variables. */
export const MAX_POLICY_ENV_BYTES = 3500;

export interface ParseConfigOptions {
  /** Directory that relative paths (securityGroupPolicy) are resolved against. */
  readonly baseDir: string;
  /** Named in messages. @default "config" */
  readonly source?: string;
}

/** Validates a configuration already read into memory and loads the policy it names. */
export function parseConfig(input: unknown, options: ParseConfigOptions): FirstResponderConfig {
  const parsed = parseOrThrow(configSchema, input ?? {}, 'config');
  const policyPath = isAbsolute(parsed.securityGroupPolicy)
    ? parsed.securityGroupPolicy
    : resolve(options.baseDir, parsed.securityGroupPolicy);
  let policy: SecurityGroupPolicy;
  let document: unknown;
  try {
    ({ document, policy } = readPolicyFile(policyPath));
  } catch (err) {
    const detail = err instanceof ValidationError ? err.summary : (err as Error).message;
    throw new ValidationError(
      'config',
      [
        `config.securityGroupPolicy: got ${show(parsed.securityGroupPolicy)} (${policyPath}); valid: the path of a readable, valid policy file, relative to the configuration file. ${detail}`,
      ],
      { cause: err },
    );
  }
  // The document as the CLI read it (YAML 1.2), so the functions judge by the same policy.
  const policyJson = JSON.stringify(document);
  if (Buffer.byteLength(policyJson) > MAX_POLICY_ENV_BYTES)
    throw new ValidationError('config', [
      `config.securityGroupPolicy: got a policy of ${Buffer.byteLength(policyJson)} bytes as compact JSON; the functions receive it in an environment variable, which fits at most ${MAX_POLICY_ENV_BYTES}: merge entries or use prefix lists`,
    ]);
  return { ...parsed, source: options.source ?? 'config', policyPath, policy, policyJson };
}

/** Reads a JSON or YAML configuration file; relative paths inside it are resolved against its directory. */
export function loadConfig(
  path: string,
  /** What to say when the file cannot be read. @default "pass the path of an existing configuration file" */
  fix = 'pass the path of an existing configuration file',
): FirstResponderConfig {
  let text: string;
  try {
    text = readTextFile(path, 'config');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError('config', [`${err.summary}; ${fix}`], { cause: err });
  }
  const doc = parseJsonOrYaml(text, path, 'config');
  return parseConfig(doc, { baseDir: dirname(resolve(path)), source: path });
}

/** Every response plan with its defaults resolved, in DETECTION_IDS order. */
export function responsePlansOf(config: ParsedConfig): ResponsePlanConfig[] {
  return DETECTION_IDS.map((detection) => {
    const p = config.responsePlans[detection];
    const d = detectionById(detection);
    const title = p.title ?? d.title;
    return {
      detection,
      name: p.name ?? deployedNameOf(config, detection),
      displayName: p.displayName ?? title,
      title,
      impact: p.impact ?? d.responsePlan.impact,
      summary: p.summary ?? d.responsePlan.summary,
      engagements: p.engagements,
      runbook: p.runbook ?? d.runbook,
      ...(p.notificationTopicArn ? { notificationTopicArn: p.notificationTopicArn } : {}),
      ...(p.chatChannelTopicArns ? { chatChannelTopicArns: p.chatChannelTopicArns } : {}),
    };
  });
}

/** The region of an SNS topic ARN. */
const topicRegion = (arn: string) => arn.split(':')[3];

/**
 * alarms.topicArns outside the app's region: PutMetricAlarm refuses an SNS action in another
 * region ("Invalid region ... specified").
 */
export function alarmTopicRegionIssues(
  topicArns: readonly string[] | undefined,
  region: string,
): { index: number; message: string }[] {
  return (topicArns ?? []).flatMap((arn, index) =>
    topicRegion(arn) === region
      ? []
      : [
          {
            index,
            message: `got ${JSON.stringify(arn)}, a topic in ${topicRegion(arn)}; a CloudWatch alarm in ${region} notifies only topics of its own region: use a topic in ${region}`,
          },
        ],
  );
}

/**
 * Where the app's operational alarms notify: alarms.topicArns, else the response plans'
 * notification topics (distinct, at most MAX_ALARM_ACTIONS); empty when there are neither. With
 * `region`, a plan's topic in another region is left out: an alarm cannot notify it.
 */
export function alarmTopicsOf(config: ParsedConfig, region?: string): string[] {
  if (config.alarms.topicArns) return [...config.alarms.topicArns];
  const fromPlans = responsePlansOf(config).flatMap((p) =>
    p.notificationTopicArn && (!region || topicRegion(p.notificationTopicArn) === region)
      ? [p.notificationTopicArn]
      : [],
  );
  return [...new Set(fromPlans)].slice(0, MAX_ALARM_ACTIONS);
}

/** The app's region: the configuration's, else the CLI's, else us-east-1. */
export function regionOf(config: ParsedConfig, env: NodeJS.ProcessEnv = process.env): string {
  return config.app.region ?? env.CDK_DEFAULT_REGION ?? 'us-east-1';
}

/** The app's account: the configuration's, else the CLI's, else undefined (account-agnostic). */
export function accountOf(
  config: ParsedConfig,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return config.app.account ?? env.CDK_DEFAULT_ACCOUNT;
}
