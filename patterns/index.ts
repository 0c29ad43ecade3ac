/**
 * The EventBridge patterns first-responder opens incidents from, as data: the CDK rules, the
 * offline drill and the tests all render them here, so what they check is what EventBridge gets.
 *
 * Every builder returns a fresh plain object, exactly the JSON a rule's EventPattern holds
 * ("detail-type" keys and all). Parameters come from the configuration; a bad one throws a
 * {@link PatternParameterError} that names it, its value and what would be valid.
 *
 * All four detections are regional: EventBridge only sees events from its own region, so a rule
 * must exist in every region being watched (see {@link Detection.onlyDeliveredIn} for the one
 * case where a region is not optional).
 */

/** An EventBridge event pattern, exactly as EventBridge receives it. */
export type EventPattern = Record<string, unknown>;

/** GuardDuty's High band starts at 7.0; Critical is 9.0 to 10.0. */
export const DEFAULT_GUARDDUTY_MIN_SEVERITY = 7;

/** The project's own AWS Config rule for security groups (its name is fixed by the stack). */
export const SECURITY_GROUP_CONFIG_RULE_NAME = 'first-responder-security-group-policy';

/** The Config rules whose NON_COMPLIANT results open an incident unless configured otherwise. */
export const DEFAULT_CONFIG_RULE_NAMES: readonly string[] = Object.freeze([
  's3-bucket-public-read-prohibited',
  's3-bucket-public-write-prohibited',
  SECURITY_GROUP_CONFIG_RULE_NAME,
]);

/**
 * CloudTrail records every root console sign-in in us-east-1, whatever region the console
 * showed: a root-activity rule that does not exist in this region never sees one.
 */
export const ROOT_CONSOLE_SIGN_IN_REGION = 'us-east-1';

/** PutRule rejects an EventPattern longer than this. */
export const MAX_EVENT_PATTERN_LENGTH = 4096;

/** A builder parameter that cannot produce a pattern EventBridge would accept or that makes sense. */
export class PatternParameterError extends Error {
  constructor(
    /** The parameter, as the builder's props name it. */
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'PatternParameterError';
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Root activity

const API_CALL = 'AWS API Call via CloudTrail';
const CONSOLE_SIGN_IN = 'AWS Console Sign In via CloudTrail';

/**
 * API calls and console sign-ins made as the account's root user, successful or not.
 *
 * Root console sign-ins are delivered in {@link ROOT_CONSOLE_SIGN_IN_REGION} only; root API
 * calls arrive in the region of the endpoint called (IAM and other global services: us-east-1).
 * Read-only calls (Get*, List*, Describe*) reach a rule only when its state is
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
 *
 * `source` is limited to `aws.*` because PutEvents refuses those sources: without it, anyone
 * allowed to put events on the default bus could forge "root activity" and open incidents.
 */
export function rootActivityPattern(): EventPattern {
  return {
    source: [{ prefix: 'aws.' }],
    'detail-type': [API_CALL, CONSOLE_SIGN_IN],
    detail: { userIdentity: { type: ['Root'] } },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. GuardDuty findings

export interface GuardDutyFindingPatternProps {
  /**
   * The lowest finding severity that opens an incident, from 1 to 10 (GuardDuty's scale: Low
   * 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0).
   * @default DEFAULT_GUARDDUTY_MIN_SEVERITY (7: High and Critical)
   */
  readonly minSeverity?: number;
}

/**
 * GuardDuty findings whose severity is at or above the threshold, compared as numbers: 7.25 and
 * Critical findings (9.0-10.0) match, which a list of exact values (7, 7.0, 7.1 … 8.9) misses.
 *
 * Sample findings (CreateSampleFindings) match like real ones, so a drill can use them; GuardDuty
 * re-publishes an active finding as its count grows, so the incident layer must deduplicate.
 */
export function guardDutyFindingPattern(props: GuardDutyFindingPatternProps = {}): EventPattern {
  // Only undefined means "use the default": a null from YAML is a mistake to report.
  const minSeverity: unknown =
    props.minSeverity === undefined ? DEFAULT_GUARDDUTY_MIN_SEVERITY : props.minSeverity;
  if (typeof minSeverity !== 'number' || !Number.isFinite(minSeverity)) {
    throw new PatternParameterError(
      'minSeverity',
      `minSeverity is ${describe(minSeverity)}; it must be a number from 1 to 10 (GuardDuty's severity scale)`,
    );
  }
  if (minSeverity < 1 || minSeverity > 10) {
    throw new PatternParameterError(
      'minSeverity',
      `minSeverity is ${minSeverity}; it must be from 1 to 10 (GuardDuty's severity scale: ` +
        `Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0); use 1 to take every finding`,
    );
  }
  return {
    source: ['aws.guardduty'],
    'detail-type': ['GuardDuty Finding'],
    detail: { severity: [{ numeric: ['>=', minSeverity] }] },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. AWS Config noncompliance

export interface ConfigNoncompliancePatternProps {
  /**
   * Names of the Config rules whose NON_COMPLIANT results open an incident, exactly as the rules
   * are named in the account (1 to 128 characters each). CDK tokens are accepted as they are.
   * @default DEFAULT_CONFIG_RULE_NAMES
   */
  readonly ruleNames?: readonly string[];
}

const CONFIG_RULE_NAME_MAX = 128;

/**
 * A resource turning NON_COMPLIANT with one of the listed Config rules.
 *
 * Config sends a compliance change only on a transition, so a resource that stays noncompliant
 * opens one incident, not one per evaluation. Rule names match exactly: the copies that Security
 * Hub or a conformance pack deploy carry a prefix or suffix and must be listed by their own name.
 */
export function configNoncompliancePattern(
  props: ConfigNoncompliancePatternProps = {},
): EventPattern {
  // Typed unknown: the configuration reaches here from YAML/JSON, whatever the types promise.
  const ruleNames: unknown =
    props.ruleNames === undefined ? DEFAULT_CONFIG_RULE_NAMES : props.ruleNames;
  if (!isList(ruleNames) || ruleNames.length === 0) {
    throw new PatternParameterError(
      'ruleNames',
      `ruleNames is ${describe(ruleNames)}; it must be a non-empty list of AWS Config rule names ` +
        '(leave it unset for the defaults)',
    );
  }
  const seen = new Set<string>();
  ruleNames.forEach((name, i) => {
    const where = `ruleNames[${i}]`;
    if (typeof name !== 'string') {
      throw new PatternParameterError(
        'ruleNames',
        `${where} is ${describe(name)}; each entry must be a Config rule name (a string)`,
      );
    }
    if (seen.has(name)) {
      throw new PatternParameterError(
        'ruleNames',
        `${where} repeats ${JSON.stringify(name)}; list each Config rule once`,
      );
    }
    seen.add(name);
    if (isUnresolvedToken(name)) return;
    if (name.length > CONFIG_RULE_NAME_MAX || name.trim() !== name || name.length === 0) {
      throw new PatternParameterError(
        'ruleNames',
        `${where} is ${JSON.stringify(name)}; a Config rule name has 1 to ${CONFIG_RULE_NAME_MAX} ` +
          'characters and no leading or trailing spaces',
      );
    }
  });
  return checkedLength('ruleNames', {
    source: ['aws.config'],
    'detail-type': ['Config Rules Compliance Change'],
    detail: {
      messageType: ['ComplianceChangeNotification'],
      configRuleName: [...seen],
      newEvaluationResult: { complianceType: ['NON_COMPLIANT'] },
    },
  });
}

// ---------------------------------------------------------------------------------------------
// 4. Security group opened to the world

export interface SecurityGroupOpenedPatternProps {
  /**
   * IAM role ARNs (arn:aws:iam::<account>:role/<path/name>) whose calls are ignored: the
   * project's remediation role, so that its own authorize calls do not loop back into it.
   * May be CDK tokens (strings) at synth time.
   * @default none: every caller counts
   */
  readonly excludedRoleArns?: readonly string[];
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * Every successful AuthorizeSecurityGroupIngress or ModifySecurityGroupRules call seen in
 * CloudTrail, except calls made by the excluded roles.
 *
 * The pattern does not judge the CIDR: a /0 suffix misses 0.0.0.0/1 plus 128.0.0.0/1 (the whole
 * IPv4 internet in two rules), ::/1 halves, 2000::/3 or any public range that is not /0, and it
 * pages for changes the policy allows (tcp 443 to the world). The intake judges instead: it
 * reads the group and runs the reverter's planner, and opens an incident only when the group is
 * now out of policy. Failed calls (`errorCode` present) never changed anything and are left out.
 */
export function securityGroupOpenedPattern(
  props: SecurityGroupOpenedPatternProps = {},
): EventPattern {
  const excluded: unknown = props.excludedRoleArns === undefined ? [] : props.excludedRoleArns;
  if (!isList(excluded)) {
    throw new PatternParameterError(
      'excludedRoleArns',
      `excludedRoleArns is ${describe(excluded)}; it must be a list of IAM role ARNs`,
    );
  }
  excluded.forEach((arn, i) => {
    const where = `excludedRoleArns[${i}]`;
    if (typeof arn !== 'string') {
      throw new PatternParameterError(
        'excludedRoleArns',
        `${where} is ${describe(arn)}; each entry must be an IAM role ARN (a string)`,
      );
    }
    if (isUnresolvedToken(arn) || ROLE_ARN.test(arn)) return;
    const hint = arn.includes(':assumed-role/')
      ? ' (that is a session ARN: give the role, arn:aws:iam::<account>:role/<name>)'
      : '';
    throw new PatternParameterError(
      'excludedRoleArns',
      `${where} is ${JSON.stringify(arn)}; it must be an IAM role ARN such as ` +
        `arn:aws:iam::123456789012:role/name, path included${hint}`,
    );
  });

  const detail: Record<string, unknown> = {
    eventSource: ['ec2.amazonaws.com'],
    eventName: ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules'],
    errorCode: [{ exists: false }],
  };
  if (excluded.length > 0) {
    // anything-but alone would drop callers without a session issuer (IAM users, root): absent
    // fields match nothing but exists:false.
    detail.userIdentity = {
      $or: [
        { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } },
        { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...excluded] }] } } },
      ],
    };
  }
  return checkedLength('excludedRoleArns', {
    source: ['aws.ec2'],
    'detail-type': [API_CALL],
    detail,
  });
}

// ---------------------------------------------------------------------------------------------
// The catalogue

/** What the detections take from the configuration (its `detection` section), one field per parameterised builder. */
export interface DetectionSettings {
  /** @default {} (DEFAULT_GUARDDUTY_MIN_SEVERITY) */
  readonly guardDuty?: GuardDutyFindingPatternProps;
  /** @default {} (DEFAULT_CONFIG_RULE_NAMES) */
  readonly config?: ConfigNoncompliancePatternProps;
  /** @default {} (no caller excluded) */
  readonly securityGroupOpened?: SecurityGroupOpenedPatternProps;
}

/**
 * One detection: one EventBridge rule per region, one response plan and the runbook it starts.
 * Adding a detection is one entry here, plus its runbook in runbooks/ if it needs a new one.
 */
export interface Detection {
  /**
   * The detection's one id: the key of its response plan in the configuration
   * (`responsePlans.<id>`), the drill's expectations and the construct ids in the stack.
   */
  readonly id: string;
  /**
   * What the deployed EventBridge rule and response plan are named after: `<app.prefix>-<name>`.
   * A name, not a second id: changing it renames deployed resources.
   */
  readonly name: string;
  /** The incident title (the response plan's default); short. */
  readonly title: string;
  /** One sentence on what it catches. */
  readonly catches: string;
  /**
   * The rule state that lets the pattern see everything it is meant to: read-only CloudTrail
   * management events (Get*, List*, Describe*) reach only rules in
   * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (a CfnRule `state`).
   */
  readonly ruleState: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  /**
   * A region where some of these events are delivered and nowhere else: a deployment that has no
   * rule there misses them.
   * @default none: events arrive in the region where they happen
   */
  readonly onlyDeliveredIn?: { readonly region: string; readonly events: string };
  /**
   * The field of {@link DetectionSettings} (and of the configuration's `detection` section) the
   * pattern takes its parameters from.
   * @default none: the pattern takes no parameters
   */
  readonly settings?: keyof DetectionSettings;
  /** Renders the pattern from the configuration's settings. */
  readonly pattern: (settings?: DetectionSettings) => EventPattern;
  /** The response plan's defaults: the incident's impact, 1 (critical) to 5, and summary. */
  readonly responsePlan: { readonly impact: number; readonly summary: string };
  /** The runbook the response plan starts (a file in runbooks/, without .yaml). */
  readonly runbook: string;
}

// `as const`: the ids and runbooks stay literal types, so DetectionId comes from this list alone.
export const DETECTIONS = Object.freeze([
  {
    id: 'rootActivity',
    name: 'root-activity',
    title: 'Root user activity',
    catches: 'API calls and console sign-ins (successful or failed) made as the root user.',
    ruleState: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
    onlyDeliveredIn: { region: ROOT_CONSOLE_SIGN_IN_REGION, events: 'root console sign-ins' },
    pattern: () => rootActivityPattern(),
    responsePlan: {
      impact: 2,
      summary:
        'The root user of this account signed in or made an API call. Confirm who did it and why; if nobody can, treat the root credentials as compromised.',
    },
    runbook: 'root-activity-triage',
  },
  {
    id: 'guardDutyFinding',
    name: 'guardduty-finding',
    title: 'GuardDuty finding',
    catches:
      'GuardDuty findings at or above the configured severity (default 7: High and Critical).',
    ruleState: 'ENABLED',
    settings: 'guardDuty',
    pattern: (s?: DetectionSettings) => guardDutyFindingPattern(s?.guardDuty),
    responsePlan: {
      impact: 2,
      summary:
        'Amazon GuardDuty reported a finding at or above the configured severity. Review the finding and the resources it names.',
    },
    runbook: 'guardduty-finding-response',
  },
  {
    id: 'configNoncompliance',
    name: 'config-noncompliance',
    title: 'AWS Config rule noncompliance',
    catches: 'A resource turning NON_COMPLIANT with one of the configured AWS Config rules.',
    ruleState: 'ENABLED',
    settings: 'config',
    pattern: (s?: DetectionSettings) => configNoncompliancePattern(s?.config),
    responsePlan: {
      impact: 3,
      summary:
        'A watched AWS Config rule found a resource noncompliant. The runbook reverts security groups to the policy; other resources need a person.',
    },
    runbook: 'revert-security-groups',
  },
  {
    id: 'securityGroupOpened',
    name: 'security-group-opened',
    title: 'Security group opened',
    catches:
      'Successful CloudTrail-recorded ingress changes; the intake opens an incident when the group is then out of policy.',
    ruleState: 'ENABLED',
    settings: 'securityGroupOpened',
    pattern: (s?: DetectionSettings) => securityGroupOpenedPattern(s?.securityGroupOpened),
    responsePlan: {
      impact: 2,
      summary:
        'A security group gained ingress outside the policy. The runbook reverts it to the policy unless it carries the exempt tag.',
    },
    runbook: 'revert-security-groups',
  },
] as const satisfies readonly Detection[]);

export type DetectionId = (typeof DETECTIONS)[number]['id'];

/** The detections' ids, in catalogue order (the order incidents are reported in). */
export const DETECTION_IDS: readonly DetectionId[] = Object.freeze(DETECTIONS.map((d) => d.id));

/** The runbooks the detections start. */
export type DetectionRunbook = (typeof DETECTIONS)[number]['runbook'];

/** The catalogue entry of a detection. */
export function detectionById(id: DetectionId): (typeof DETECTIONS)[number] {
  return DETECTIONS.find((d) => d.id === id)!;
}

// ---------------------------------------------------------------------------------------------

/** CDK encodes an unresolved string as ${Token[...]}; its value is only known at deploy time. */
function isUnresolvedToken(value: string): boolean {
  return /\$\{Token\[[^\]]+\]\}/.test(value);
}

function checkedLength(parameter: string, pattern: EventPattern): EventPattern {
  const length = JSON.stringify(pattern).length;
  if (length > MAX_EVENT_PATTERN_LENGTH) {
    throw new PatternParameterError(
      parameter,
      `${parameter} makes the event pattern ${length} characters long; EventBridge accepts at ` +
        `most ${MAX_EVENT_PATTERN_LENGTH}: list fewer`,
    );
  }
  return pattern;
}

function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? typeof value;
}
