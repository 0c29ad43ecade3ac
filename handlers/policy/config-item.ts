/**
 * AWS Config's view of a security group, and the rule's verdict on it. Pure: no AWS calls.
 *
 * Config invokes a custom rule with an event whose `invokingEvent` and `ruleParameters` are JSON
 * strings. Configuration items use camelCase field names, ports as floats (22.0) or null, and
 * the legacy `ipRanges` strings beside `ipv4Ranges`. Everything here turns that into the
 * project's `GroupSnapshot`, so that Config, the reverter and the CLI judge a group by the same
 * planner.
 */
import * as z from 'zod';
import { InputError } from '../shared/errors';
import { parseOrThrow, show, ValidationError } from '../shared/validation';
import { judge, type Plan } from './planner';
import type { SecurityGroupPolicy } from './policy';
import type { IpPermission } from '@aws-sdk/client-ec2';
import { canonicalSource, formatRule, rulesFromIpPermissions, type GroupSnapshot } from './rules';

export const SECURITY_GROUP_TYPE = 'AWS::EC2::SecurityGroup';
/** PutEvaluations' limit on Evaluation.Annotation. */
export const MAX_ANNOTATION = 256;
/** The result token Config sends when the rule is run in test mode. */
export const TEST_MODE_TOKEN = 'TESTMODE';

export type ComplianceType = 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE';

export interface GroupEvaluation {
  readonly complianceType: ComplianceType;
  /** What is wrong (or why the group is exempt); at most MAX_ANNOTATION characters. */
  readonly annotation?: string;
  /** The planner's verdict, for debug logging; absent when the group is exempt. */
  readonly plan?: Plan;
}

/** One PutEvaluations entry, before it is spelled as the SDK wants it. */
export interface ResourceEvaluation {
  readonly resourceType: string;
  readonly resourceId: string;
  readonly complianceType: ComplianceType;
  readonly annotation?: string;
  readonly orderingTimestamp: Date;
}

function toInputError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    // Bad input is the caller's problem, not AWS's: callers tell the two apart by class.
    if (err instanceof ValidationError) throw new InputError(err.line, { cause: err });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The configuration of an AWS::EC2::SecurityGroup item
// ---------------------------------------------------------------------------------------------

/** Config writes absent lists and strings as null as often as it leaves them out. */
const optionalString = z.string().nullish();
const port = z.number({ error: 'a port number or null' }).nullish();

// Strict where a rule lives: an unknown key may be a kind of source this version cannot judge.
const ipv4RangeSchema = z.strictObject({ cidrIp: z.string(), description: optionalString });
const ipv6RangeSchema = z.strictObject({ cidrIpv6: z.string(), description: optionalString });
const prefixListSchema = z.strictObject({ prefixListId: z.string(), description: optionalString });
const groupPairSchema = z.strictObject({
  groupId: optionalString,
  groupName: optionalString,
  userId: optionalString,
  vpcId: optionalString,
  vpcPeeringConnectionId: optionalString,
  peeringStatus: optionalString,
  description: optionalString,
});

const permissionSchema = z.strictObject({
  ipProtocol: z.union([z.string(), z.number()], {
    error: 'a protocol name or number, as EC2 names it (tcp, udp, icmp, -1, 50)',
  }),
  fromPort: port,
  toPort: port,
  ipv4Ranges: z.array(ipv4RangeSchema).nullish(),
  // Older items carry only these bare strings; newer ones carry both forms of the same ranges.
  ipRanges: z.array(z.union([z.string(), ipv4RangeSchema])).nullish(),
  ipv6Ranges: z.array(ipv6RangeSchema).nullish(),
  prefixListIds: z.array(prefixListSchema).nullish(),
  userIdGroupPairs: z.array(groupPairSchema).nullish(),
});

const configurationSchema = z.object({
  groupId: z.string({ error: 'the security-group ID (sg-…) is required' }).min(1),
  groupName: optionalString,
  vpcId: optionalString,
  ownerId: optionalString,
  ipPermissions: z.array(permissionSchema, { error: 'a list of ingress permissions' }).nullish(),
  tags: z.array(z.object({ key: z.string(), value: z.string().nullish() })).nullish(),
});

type Permission = z.output<typeof permissionSchema>;

/**
 * A Config item's permission in EC2's own shape, so one function (rulesFromIpPermissions) reads
 * sources for every input. Config lists IPv4 ranges twice, as ipv4Ranges objects and as legacy
 * ipRanges strings: a range counts once, and one only the legacy list names is still judged.
 */
function toIpPermission(p: Permission): IpPermission {
  const v4 = (p.ipv4Ranges ?? []).map((r) => ({
    CidrIp: r.cidrIp,
    ...(r.description ? { Description: r.description } : {}),
  }));
  const seen = new Set(v4.map((r) => canonicalSource({ kind: 'cidrIpv4', value: r.CidrIp })));
  for (const r of p.ipRanges ?? []) {
    const cidr = typeof r === 'string' ? r : r.cidrIp;
    const key = canonicalSource({ kind: 'cidrIpv4', value: cidr });
    if (seen.has(key)) continue;
    seen.add(key);
    const description = typeof r === 'string' ? undefined : r.description;
    v4.push({ CidrIp: cidr, ...(description ? { Description: description } : {}) });
  }
  const d = (description: string | null | undefined) =>
    description ? { Description: description } : {};
  return {
    IpProtocol: String(p.ipProtocol),
    // Config sends floats (22.0) or null; makeRule truncates and reads null as "no ports".
    ...(p.fromPort !== null && p.fromPort !== undefined ? { FromPort: p.fromPort } : {}),
    ...(p.toPort !== null && p.toPort !== undefined ? { ToPort: p.toPort } : {}),
    IpRanges: v4,
    Ipv6Ranges: (p.ipv6Ranges ?? []).map((r) => ({ CidrIpv6: r.cidrIpv6, ...d(r.description) })),
    PrefixListIds: (p.prefixListIds ?? []).map((r) => ({
      PrefixListId: r.prefixListId,
      ...d(r.description),
    })),
    UserIdGroupPairs: (p.userIdGroupPairs ?? []).map((r) => ({
      ...(r.groupId ? { GroupId: r.groupId } : {}),
      ...(r.userId ? { UserId: r.userId } : {}),
      ...(r.vpcId ? { VpcId: r.vpcId } : {}),
      ...(r.vpcPeeringConnectionId ? { VpcPeeringConnectionId: r.vpcPeeringConnectionId } : {}),
      ...d(r.description),
    })),
  };
}

/**
 * A group as a configuration item describes it. `configuration` is the item's `configuration`
 * (an object, or the JSON string that GetResourceConfigHistory returns); `tags` is the item's
 * own tag map, which wins over the configuration's tag list when both name a key.
 */
export function snapshotFromConfigItem(
  configuration: unknown,
  tags?: Readonly<Record<string, string | null>> | null,
): GroupSnapshot {
  return toInputError(() => {
    let raw = configuration;
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch (err) {
        throw new ValidationError('configuration', ['not JSON'], { cause: err });
      }
    }
    const c = parseOrThrow(configurationSchema, raw, 'configuration');
    const merged: Record<string, string> = {};
    for (const t of c.tags ?? []) merged[t.key] = t.value ?? '';
    for (const [k, v] of Object.entries(tags ?? {})) merged[k] = v ?? '';
    return {
      groupId: c.groupId,
      ...(c.groupName ? { groupName: c.groupName } : {}),
      ...(c.vpcId ? { vpcId: c.vpcId } : {}),
      ...(c.ownerId ? { ownerId: c.ownerId } : {}),
      tags: merged,
      // The same checks as EC2's own answers (ports, protocol, a source in every permission).
      ingress: rulesFromIpPermissions(
        (c.ipPermissions ?? []).map(toIpPermission),
        'configuration.ipPermissions',
      ),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The verdict
// ---------------------------------------------------------------------------------------------

/**
 * Joins parts with "; " in at most `max` characters. When they do not fit, as many whole parts
 * as fit are kept, followed by "… (+N more)", so the reader knows how much was left out.
 */
export function fitAnnotation(parts: readonly string[], max = MAX_ANNOTATION): string {
  const all = parts.join('; ');
  if (all.length <= max) return all;
  let used = 0; // length of the first `kept` parts joined
  let best: string | undefined;
  for (let kept = 1; kept < parts.length; kept++) {
    used += (kept > 1 ? 2 : 0) + parts[kept - 1]!.length;
    const text = `; … (+${parts.length - kept} more)`;
    if (used + text.length > max) break;
    best = parts.slice(0, kept).join('; ') + text;
  }
  if (best !== undefined) return best;
  // Not even the first part fits: cut it, still saying how many more there were.
  const rest = parts.length - 1;
  const suffix = rest > 0 ? `… (+${rest} more)` : '…';
  return (parts[0] ?? '').slice(0, Math.max(0, max - suffix.length)) + suffix;
}

/** The group's verdict under the policy, by the same planner the reverter acts on. */
export function evaluateGroup(
  snapshot: GroupSnapshot,
  policy: SecurityGroupPolicy,
): GroupEvaluation {
  const judgement = judge(snapshot, policy);
  if (judgement.exempt)
    return {
      complianceType: 'COMPLIANT',
      annotation: fitAnnotation([`exempt: ${judgement.reason}, so the policy is not applied`]),
    };
  const plan = judgement.plan;
  if (plan.compliant) return { complianceType: 'COMPLIANT', plan };
  const parts = plan.revoke.map((c) => `revoke: ${formatRule(c.rule)}`);
  // In restrict mode every authorize is the allowed part of a revoked rule, not a finding.
  if (policy.mode === 'exact')
    parts.push(...plan.authorize.map((c) => `missing: ${formatRule(c.rule)}`));
  return { complianceType: 'NON_COMPLIANT', annotation: fitAnnotation(parts), plan };
}

// ---------------------------------------------------------------------------------------------
// The rule's invocation event
// ---------------------------------------------------------------------------------------------

const TIME_HELP = 'an ISO 8601 time such as 2017-11-27T14:26:11.300Z';
const timestamp = z.string({ error: TIME_HELP }).transform((s, ctx) => {
  const t = new Date(s);
  if (!Number.isNaN(t.getTime())) return t;
  // Custom issues name the value themselves (see parseOrThrow).
  ctx.addIssue({ code: 'custom', message: `got ${show(s)}; ${TIME_HELP}` });
  return z.NEVER;
});

const resourceFields = {
  resourceType: z.string({ error: 'a resource type such as AWS::EC2::SecurityGroup' }).min(1),
  resourceId: z.string({ error: 'the resource ID' }).min(1),
  configurationItemStatus: z.string({
    error:
      'OK, ResourceDiscovered, ResourceNotRecorded, ResourceDeleted or ResourceDeletedNotRecorded',
  }),
  configurationItemCaptureTime: timestamp.nullish(),
};

// Loose: the whole item is logged in debug mode, relationships and all.
const configurationItemSchema = z.looseObject({
  ...resourceFields,
  configuration: z.unknown().optional(),
  tags: z.record(z.string(), z.string().nullable()).nullish(),
});

const invokingEventSchema = z.discriminatedUnion(
  'messageType',
  [
    z.looseObject({
      messageType: z.literal('ConfigurationItemChangeNotification'),
      configurationItem: configurationItemSchema,
      notificationCreationTime: timestamp.nullish(),
    }),
    z.looseObject({
      messageType: z.literal('OversizedConfigurationItemChangeNotification'),
      configurationItemSummary: z.looseObject(resourceFields),
      notificationCreationTime: timestamp.nullish(),
    }),
    z.looseObject({
      messageType: z.enum(['ScheduledNotification', 'ConfigurationSnapshotDeliveryCompleted']),
      notificationCreationTime: timestamp,
    }),
  ],
  {
    error:
      'valid: ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification, ScheduledNotification or ConfigurationSnapshotDeliveryCompleted',
  },
);

// Loose: Config adds fields to the event over time; only these are used.
const eventSchema = z.looseObject(
  {
    invokingEvent: z.string({ error: 'a JSON string, as AWS Config sends it' }),
    ruleParameters: z.string({ error: 'a JSON string, as AWS Config sends it' }).nullish(),
    resultToken: z.string({ error: 'the token AWS Config sent, or TESTMODE' }).min(1),
    eventLeftScope: z.boolean({ error: 'true or false' }).nullish(),
  },
  { error: 'an AWS Config rule invocation (an object with invokingEvent and resultToken)' },
);

// Config rule parameters are strings; a boolean is accepted too, for events written by hand.
const flag = z.union(
  [z.boolean(), z.string().regex(/^(true|false)$/i, { error: '"true" or "false"' })],
  { error: '"true" or "false"' },
);

// Strict: a misspelt parameter ("Debug") would otherwise be ignored without a word.
const ruleParametersSchema = z.strictObject(
  { debug: flag.optional() },
  { error: 'a JSON object whose only key is "debug" ("true" or "false")' },
);

export type ConfigurationItem = z.output<typeof configurationItemSchema>;

/** Why Config invoked the rule (a change, an oversized change, a period), as far as the evaluator needs it. */
export type ConfigInvocation =
  | { readonly kind: 'change'; readonly item: ConfigurationItem; readonly orderingTimestamp: Date }
  | {
      readonly kind: 'oversized';
      readonly resourceType: string;
      readonly resourceId: string;
      readonly status: string;
      readonly orderingTimestamp: Date;
    }
  | { readonly kind: 'periodic'; readonly orderingTimestamp: Date };

export interface ConfigRuleRequest {
  readonly resultToken: string;
  /** True when Config ran the rule in test mode: evaluations go out with TestMode. */
  readonly testMode: boolean;
  readonly debug: boolean;
  readonly eventLeftScope: boolean;
  readonly invocation: ConfigInvocation;
}

function parseJsonField(text: string, subject: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(
      subject,
      [`${subject}: not JSON (${(err as Error).message.split('\n')[0]})`],
      { cause: err },
    );
  }
}

function orderingTime(
  capture: Date | null | undefined,
  notification: Date | null | undefined,
  subject: string,
): Date {
  const t = capture ?? notification;
  if (!t)
    throw new ValidationError('invokingEvent', [
      `${subject}.configurationItemCaptureTime: got nothing; PutEvaluations needs a time to order evaluations by`,
    ]);
  return t;
}

/**
 * Checks a Config rule invocation and reads its JSON-string fields. Throws InputError, naming
 * every problem, before anything is called.
 */
export function parseConfigRuleEvent(event: unknown): ConfigRuleRequest {
  return toInputError(() => {
    const e = parseOrThrow(eventSchema, event, 'event');
    const inv = parseOrThrow(
      invokingEventSchema,
      parseJsonField(e.invokingEvent, 'invokingEvent'),
      'invokingEvent',
    );
    const params =
      e.ruleParameters && e.ruleParameters.trim() !== ''
        ? parseOrThrow(
            ruleParametersSchema,
            parseJsonField(e.ruleParameters, 'ruleParameters'),
            'ruleParameters',
          )
        : {};
    let invocation: ConfigInvocation;
    if (inv.messageType === 'ConfigurationItemChangeNotification') {
      const item = inv.configurationItem;
      invocation = {
        kind: 'change',
        item,
        orderingTimestamp: orderingTime(
          item.configurationItemCaptureTime,
          inv.notificationCreationTime,
          'invokingEvent.configurationItem',
        ),
      };
    } else if (inv.messageType === 'OversizedConfigurationItemChangeNotification') {
      const s = inv.configurationItemSummary;
      invocation = {
        kind: 'oversized',
        resourceType: s.resourceType,
        resourceId: s.resourceId,
        status: s.configurationItemStatus,
        orderingTimestamp: orderingTime(
          s.configurationItemCaptureTime,
          inv.notificationCreationTime,
          'invokingEvent.configurationItemSummary',
        ),
      };
    } else {
      invocation = { kind: 'periodic', orderingTimestamp: inv.notificationCreationTime };
    }
    return {
      resultToken: e.resultToken,
      testMode: e.resultToken === TEST_MODE_TOKEN,
      debug: String(params.debug ?? false).toLowerCase() === 'true',
      eventLeftScope: e.eventLeftScope === true,
      invocation,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The decision
// ---------------------------------------------------------------------------------------------

const DELETED = new Set(['ResourceDeleted', 'ResourceDeletedNotRecorded']);

export type Decision =
  /** The verdict is known from the event alone. */
  | { readonly kind: 'evaluated'; readonly evaluation: ResourceEvaluation; readonly plan?: Plan }
  /** The event does not carry the group's rules: read it from EC2, then evaluate. */
  | {
      readonly kind: 'readLive';
      readonly groupId: string;
      readonly orderingTimestamp: Date;
      readonly why: string;
    }
  /** A periodic trigger: evaluate every group in the account and region. */
  | { readonly kind: 'evaluateAll'; readonly orderingTimestamp: Date };

function notApplicable(
  resourceType: string,
  resourceId: string,
  orderingTimestamp: Date,
  annotation: string,
): Decision {
  return {
    kind: 'evaluated',
    evaluation: {
      resourceType,
      resourceId,
      complianceType: 'NOT_APPLICABLE',
      annotation: fitAnnotation([annotation]),
      orderingTimestamp,
    },
  };
}

/** The evaluation of a group read from anywhere, for the resource Config named. */
export function toResourceEvaluation(
  resourceId: string,
  result: GroupEvaluation,
  orderingTimestamp: Date,
): ResourceEvaluation {
  return {
    resourceType: SECURITY_GROUP_TYPE,
    resourceId,
    complianceType: result.complianceType,
    ...(result.annotation ? { annotation: result.annotation } : {}),
    orderingTimestamp,
  };
}

/** What to do about an invocation: pure, so every branch is tested without AWS. */
export function decide(request: ConfigRuleRequest, policy: SecurityGroupPolicy): Decision {
  const t = request.invocation;
  if (t.kind === 'periodic') return { kind: 'evaluateAll', orderingTimestamp: t.orderingTimestamp };
  const resourceType = t.kind === 'change' ? t.item.resourceType : t.resourceType;
  const resourceId = t.kind === 'change' ? t.item.resourceId : t.resourceId;
  const status = t.kind === 'change' ? t.item.configurationItemStatus : t.status;
  if (request.eventLeftScope)
    return notApplicable(
      resourceType,
      resourceId,
      t.orderingTimestamp,
      "the resource left the rule's scope",
    );
  if (DELETED.has(status))
    return notApplicable(resourceType, resourceId, t.orderingTimestamp, `deleted (${status})`);
  if (resourceType !== SECURITY_GROUP_TYPE)
    return notApplicable(
      resourceType,
      resourceId,
      t.orderingTimestamp,
      `this rule evaluates ${SECURITY_GROUP_TYPE} only, not ${resourceType}`,
    );
  if (t.kind === 'oversized')
    return {
      kind: 'readLive',
      groupId: resourceId,
      orderingTimestamp: t.orderingTimestamp,
      why: 'the configuration item was too large to deliver',
    };
  const configuration = t.item.configuration;
  if (configuration === null || configuration === undefined)
    // ResourceNotRecorded items carry no configuration; the group itself still exists.
    return {
      kind: 'readLive',
      groupId: resourceId,
      orderingTimestamp: t.orderingTimestamp,
      why: `the configuration item has no configuration (${status})`,
    };
  // An item this version cannot read fully is refused (InputError), never judged without a rule.
  const snapshot = snapshotFromConfigItem(configuration, t.item.tags);
  const result = evaluateGroup(snapshot, policy);
  return {
    kind: 'evaluated',
    evaluation: toResourceEvaluation(resourceId, result, t.orderingTimestamp),
    ...(result.plan ? { plan: result.plan } : {}),
  };
}

/**
 * The verdict for a group EC2 described in a shape this version cannot read fully: never
 * COMPLIANT, since a rule we cannot read may be the one that breaks the policy.
 */
export function unreadableEvaluation(
  groupId: string,
  problem: string,
  orderingTimestamp: Date,
): ResourceEvaluation {
  return {
    resourceType: SECURITY_GROUP_TYPE,
    resourceId: groupId,
    complianceType: 'NON_COMPLIANT',
    annotation: fitAnnotation([
      `not judged: EC2 described the group in a shape this version does not read: ${problem}`,
    ]),
    orderingTimestamp,
  };
}

/** The verdict for a group read from EC2 after Config could not deliver it. */
export function goneEvaluation(groupId: string, orderingTimestamp: Date): ResourceEvaluation {
  return {
    resourceType: SECURITY_GROUP_TYPE,
    resourceId: groupId,
    complianceType: 'NOT_APPLICABLE',
    annotation: 'the security group no longer exists',
    orderingTimestamp,
  };
}
