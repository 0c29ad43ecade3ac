/**
 * What AWS's own APIs accept for the values the configuration passes through: the service models
 * (botocore's data/<service>/<version>/service-2.json, the same models the SDKs are generated
 * from) are often stricter than the CloudFormation schemas, so cfn-lint misses what the API then
 * refuses at deploy time. Each constant names its source; infra/config.ts validates against them.
 *
 * Read from botocore 1.43.11 and cfn-lint 1.51.0's resource schemas (2026-11).
 */

/**
 * Regions where both Incident Manager (ssm-incidents) and its contacts (ssm-contacts) have an
 * endpoint, in the commercial partition. Source: botocore 1.43.11 data/endpoints.json, partition
 * "aws", services "ssm-incidents" and "ssm-contacts" (FIPS endpoints left out); the regions of
 * cfn-lint 1.51.0 whose schemas hold AWS::SSMIncidents::ResponsePlan and AWS::SSMContacts::Contact
 * agree. https://docs.aws.amazon.com/general/latest/gr/incident-manager.html lists the same.
 */
export const INCIDENT_MANAGER_REGIONS: readonly string[] = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/** ssm-contacts ContactAlias: 1-255, ^[a-z0-9_\-]*$ (no "."). */
export const CONTACT_ALIAS = /^[a-z0-9_-]{1,255}$/;
/**
 * A contact's DisplayName: the API (ssm-contacts ContactName ^[\p{L}\p{Z}\p{N}_.\-]*$) and the
 * CloudFormation schema of AWS::SSMContacts::Contact (^[a-zA-Z0-9_\-\s]*$, ASCII) together.
 */
export const CONTACT_DISPLAY_NAME = /^[a-zA-Z0-9 _-]{1,255}$/;
/** ssm-contacts ChannelName: 1-255, ^[\p{L}\p{Z}\p{N}_.\-]*$ (no "+", "'" or "&"). */
export const CHANNEL_NAME = /^[\p{L}\p{Z}\p{N}_.-]{1,255}$/u;
/**
 * AWS::SSMContacts::ContactChannel's schema also gives ChannelName the pattern
 * [a-zA-Z 0-9_\-+'&\uD83C-\uDBFF\uDC00-\uDFFF\u2000-\u3300]+, without anchors: as JSON Schema
 * (and cfn-lint, E3031) reads it, a name needs at least one such character, so a name of Han
 * characters or accented letters only is refused while "Büro-E-Mail" or "けいたい" pass.
 */
export const CHANNEL_NAME_SCHEMA_CHARACTER = /[a-zA-Z 0-9_\-+'&\u2000-\u3300\u{1F000}-\u{10FFFF}]/u;
/** ssm-incidents SsmContactsArn, the type of a response plan's engagements. */
export const SSM_CONTACTS_ARN =
  /^arn:aws(-cn|-us-gov)?:ssm-contacts:[a-z0-9-]*:([0-9]{12}):contact\/[a-z0-9_-]+$/;
/** ssm-incidents ChatbotSnsConfigurationSet: 1 to 5 topics. */
export const MAX_CHAT_CHANNEL_TOPICS = 5;

/**
 * EventBridge's PutRule takes an EventPattern of up to 4,096 characters (botocore events model,
 * EventPattern max 4096), but the account quota "Event pattern size" is 2,048 characters unless
 * raised through Service Quotas, up to 4,096 (EventBridge quotas page,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html; also
 * hashicorp/terraform-provider-aws#33732). detection.eventPatternQuota says which applies.
 */
export const EVENT_PATTERN_DEFAULT_QUOTA = 2048;
export const EVENT_PATTERN_API_MAX = 4096;

/** A rule that some of the tagged resource types apply to tag keys and values. */
export interface TagRule {
  /** Who applies it, for messages, e.g. "SSM Contacts (ssm-contacts TagKey)". */
  readonly who: string;
  /** The CloudFormation types it applies to; [] when it applies to every tagged type. */
  readonly types: readonly string[];
  readonly key: RegExp;
  readonly keyHelp: string;
  readonly value: RegExp;
  readonly valueHelp: string;
}

/**
 * What every type the app tags accepts: IAM, SSM, CloudWatch Logs (TagKey/TagValue patterns of
 * their service models and of AWS::IAM::Role's schema); Lambda, EventBridge and S3 check lengths
 * only. "aws:" is reserved everywhere. A tag this refuses is a configuration error.
 */
export const TAG_RULE_EVERYWHERE: TagRule = {
  who: 'AWS (IAM, SSM, CloudWatch Logs)',
  types: [],
  key: /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/iu,
  keyHelp:
    'a tag key is 1-128 letters, digits, spaces or _ . : / = + - @, and does not start with "aws:"',
  value: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u,
  valueHelp: 'a tag value is 0-256 letters, digits, spaces or _ . : / = + - @',
};

/**
 * Stricter rules of some types: a tag one of them refuses is left off those types only (synth
 * says which), so one odd resource type does not stop a tag every other resource needs.
 */
export const TAG_RULES_BY_TYPE: readonly TagRule[] = [
  {
    // ssm-contacts TagKey ^[\\\/a-zA-Z0-9_+=\-]*$, TagValue min 1; the CloudFormation schemas of
    // AWS::SSMContacts::Contact and ::Rotation say the same of keys.
    who: 'Incident Manager Contacts (ssm-contacts)',
    types: ['AWS::SSMContacts::Contact', 'AWS::SSMContacts::Rotation'],
    key: /^[\\/a-zA-Z0-9_+=-]{1,128}$/,
    keyHelp: 'keys of A-Z a-z 0-9 and \\ / _ + = - only (no ":", "." or space)',
    value: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u,
    valueHelp: 'values of at least one character',
  },
  {
    // ssm-incidents TagKey ^(?!aws:)[A-Za-z0-9 _=@:.+-/]+$ and TagValue ^[A-Za-z0-9 _=@:.+-/]*$
    // (ASCII only), and the CloudFormation schemas of AWS::SSMIncidents::ResponsePlan and
    // ::ReplicationSet: key ^(?!aws:)[a-zA-Z+-=._:/]+$ (no space, no "@"), value minLength 1.
    who: 'Incident Manager (ssm-incidents)',
    types: ['AWS::SSMIncidents::ResponsePlan', 'AWS::SSMIncidents::ReplicationSet'],
    key: /^[A-Za-z0-9_=:.+,/-]{1,128}$/,
    keyHelp: 'keys of ASCII letters, digits and _ = : . + , / - (no space or "@")',
    value: /^[A-Za-z0-9 _=@:.+,/-]{1,256}$/,
    valueHelp: 'values of 1-256 ASCII letters, digits, spaces or _ = @ : . + , / -',
  },
  {
    // AWS::SSM::Document's schema: Value minLength 1.
    who: 'SSM documents (AWS::SSM::Document)',
    types: ['AWS::SSM::Document'],
    key: TAG_RULE_EVERYWHERE.key,
    keyHelp: TAG_RULE_EVERYWHERE.keyHelp,
    value: /^.{1,}$/su,
    valueHelp: 'values of at least one character',
  },
];

/** The types a tag is left off, and why; empty when every type takes it. */
export function tagExclusions(key: string, value: string): { types: string[]; reasons: string[] } {
  const types: string[] = [];
  const reasons: string[] = [];
  for (const rule of TAG_RULES_BY_TYPE) {
    const why = [
      ...(rule.key.test(key) ? [] : [rule.keyHelp]),
      ...(rule.value.test(value) ? [] : [rule.valueHelp]),
    ];
    if (why.length) {
      types.push(...rule.types);
      reasons.push(`${rule.who} accepts ${why.join(' and ')}`);
    }
  }
  return { types, reasons };
}

/** Organizations OrganizationId: ^o-[a-z0-9]{10,32}$ (botocore organizations model). */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
/** Organizations RootId: ^r-[0-9a-z]{4,32}$. */
export const ORGANIZATION_ROOT_ID = /^r-[0-9a-z]{4,32}$/;
/** Organizations OrganizationalUnitId: ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$. */
export const ORGANIZATIONAL_UNIT_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
/** IAM RoleName: 1-64 of [\w+=,.@-] (botocore iam model, roleNameType). */
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/**
 * aws:approve (Systems Manager Automation actions reference): at most 10 Approvers (IAM user
 * or role ARNs), and an approval waits at most 30 days (2,592,000 s; the default is 7 days).
 */
export const APPROVE_MAX_APPROVERS = 10;
export const APPROVE_MAX_TIMEOUT_SECONDS = 2_592_000;
