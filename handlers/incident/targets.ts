/**
 * What an incident is about: which security groups (and instances) to act on.
 * Pure: from the trigger event, the incident's involved resources, or a responder's explicit list.
 */
import type { IncidentTrigger } from './trigger';

export const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export type TargetSource =
  'explicit' | 'config' | 'cloudtrail' | 'guardduty' | 'involved-resources' | 'none';

export interface Targets {
  readonly groupIds: readonly string[];
  /** Instances whose groups are wanted (GuardDuty, involved instance ARNs). */
  readonly instanceIds: readonly string[];
  readonly source: TargetSource;
  /** A GuardDuty sample finding: proof the pipeline works, nothing to change. */
  readonly sample: boolean;
  /** Why there is nothing to act on, or what was left aside; for the timeline. */
  readonly notes: readonly string[];
  /** False when the targets could not be determined (truncated or missing trigger). */
  readonly complete: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function unique(ids: readonly (string | undefined)[], pattern: RegExp): string[] {
  return [...new Set(ids.filter((id): id is string => id !== undefined && pattern.test(id)))];
}

interface FromEvent {
  readonly groupIds: string[];
  readonly instanceIds: string[];
  readonly source: TargetSource;
  readonly sample: boolean;
  readonly notes: string[];
}

function fromConfig(detail: Json): FromEvent {
  // resourceType sits beside resourceId; older events carry it only in the evaluation result.
  const qualifier = obj(
    obj(obj(detail.newEvaluationResult).evaluationResultIdentifier).evaluationResultQualifier,
  );
  const type = str(detail.resourceType) ?? str(qualifier.resourceType);
  const id = str(detail.resourceId) ?? str(qualifier.resourceId);
  if (type !== 'AWS::EC2::SecurityGroup')
    return {
      groupIds: [],
      instanceIds: [],
      source: 'config',
      sample: false,
      notes: [
        `AWS Config reports ${[type ?? 'a resource', id].filter(Boolean).join(' ')} noncompliant (rule ${str(detail.configRuleName) ?? '?'}); it is not a security group, so there is nothing to revert`,
      ],
    };
  return {
    groupIds: unique([id], GROUP_ID),
    instanceIds: [],
    source: 'config',
    sample: false,
    notes: [],
  };
}

function fromCloudTrail(detail: Json): FromEvent {
  const req = obj(detail.requestParameters);
  const name = str(detail.eventName);
  const ids: (string | undefined)[] = [];
  if (name === 'AuthorizeSecurityGroupIngress') ids.push(str(req.groupId));
  if (name === 'ModifySecurityGroupRules') {
    const modify = obj(req.ModifySecurityGroupRulesRequest);
    ids.push(str(modify.GroupId));
  }
  // The response names the group of every rule created, also when the request used a name.
  for (const item of arr(obj(obj(detail.responseElements).securityGroupRuleSet).items))
    ids.push(str(obj(item).groupId));
  const groupIds = unique(ids, GROUP_ID);
  return {
    groupIds,
    instanceIds: [],
    source: 'cloudtrail',
    sample: false,
    notes: groupIds.length
      ? []
      : [`the CloudTrail ${name ?? 'event'} names no security-group ID (a request by group name?)`],
  };
}

function fromGuardDuty(detail: Json): FromEvent {
  const sample = obj(obj(detail.service).additionalInfo).sample;
  if (sample === true || sample === 'true')
    return {
      groupIds: [],
      instanceIds: [],
      source: 'guardduty',
      sample: true,
      notes: ['a GuardDuty sample finding (placeholder resource IDs): nothing to change'],
    };
  const resource = obj(detail.resource);
  const instance = obj(resource.instanceDetails);
  const groups: (string | undefined)[] = [];
  for (const eni of arr(instance.networkInterfaces))
    for (const g of arr(obj(eni).securityGroups)) groups.push(str(obj(g).groupId));
  const groupIds = unique(groups, GROUP_ID);
  const instanceIds = groupIds.length ? [] : unique([str(instance.instanceId)], INSTANCE_ID);
  return {
    groupIds,
    instanceIds,
    source: 'guardduty',
    sample: false,
    notes:
      groupIds.length || instanceIds.length
        ? []
        : [
            `the finding concerns ${str(resource.resourceType) ?? 'a resource'}, not an EC2 instance`,
          ],
  };
}

function fromEvent(event: Json): FromEvent | undefined {
  const detail = obj(event.detail);
  switch (str(event['detail-type'])) {
    case 'Config Rules Compliance Change':
      return fromConfig(detail);
    case 'AWS API Call via CloudTrail':
      return fromCloudTrail(detail);
    case 'GuardDuty Finding':
      return fromGuardDuty(detail);
    default:
      return undefined;
  }
}

/** Security-group and instance IDs out of ARNs such as arn:aws:ec2:…:security-group/sg-…. */
export function parseResourceArns(arns: readonly string[]): {
  groupIds: string[];
  instanceIds: string[];
} {
  const groups: string[] = [];
  const instances: string[] = [];
  for (const arn of arns) {
    const m = /^arn:aws[a-z-]*:ec2:[a-z0-9-]*:\d{12}:(security-group|instance)\/([a-z0-9-]+)$/.exec(
      arn,
    );
    if (m?.[1] === 'security-group') groups.push(m[2]!);
    if (m?.[1] === 'instance') instances.push(m[2]!);
  }
  return { groupIds: unique(groups, GROUP_ID), instanceIds: unique(instances, INSTANCE_ID) };
}

export interface TargetInput {
  readonly trigger?: IncidentTrigger;
  readonly involvedResources?: readonly string[];
  /** A responder's list: overrides everything else. */
  readonly explicitGroupIds?: readonly string[];
}

export function resolveTargets(input: TargetInput): Targets {
  const explicit = unique(input.explicitGroupIds ?? [], GROUP_ID);
  if (explicit.length)
    return {
      groupIds: explicit,
      instanceIds: [],
      source: 'explicit',
      sample: false,
      notes: [],
      complete: true,
    };

  const involved = parseResourceArns(input.involvedResources ?? []);
  const trigger = input.trigger;
  const fromTrigger = trigger?.status === 'event' ? fromEvent(trigger.event) : undefined;
  const notes: string[] = [];
  if (trigger && trigger.status !== 'event') notes.push(trigger.reason);
  if (trigger?.status === 'event' && !fromTrigger)
    notes.push(
      `the trigger is a ${str(trigger.event['detail-type']) ?? 'non-EventBridge'} event, which names no security group`,
    );

  const groupIds = unique([...(fromTrigger?.groupIds ?? []), ...involved.groupIds], GROUP_ID);
  const instanceIds = unique(
    [...(fromTrigger?.instanceIds ?? []), ...involved.instanceIds],
    INSTANCE_ID,
  );
  const source: TargetSource =
    fromTrigger?.groupIds.length || fromTrigger?.instanceIds.length
      ? fromTrigger.source
      : involved.groupIds.length || involved.instanceIds.length
        ? 'involved-resources'
        : (fromTrigger?.source ?? 'none');
  return {
    groupIds,
    instanceIds,
    source,
    sample: fromTrigger?.sample ?? false,
    notes: [...(fromTrigger?.notes ?? []), ...notes],
    // A cut-off or absent trigger may have named targets we cannot see: say so, do not guess.
    complete: trigger === undefined || trigger.status === 'event',
  };
}
