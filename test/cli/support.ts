/**
 * Fakes for the live commands' tests: an incident timeline and an EC2 with state, both behind
 * aws-sdk-client-mock, answering in the shapes the API references document; and a driver that
 * moves jest's fake timers until a waiting command is done.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import {
  CreateTimelineEventCommand,
  GetTimelineEventCommand,
  ListTimelineEventsCommand,
  ResourceNotFoundException,
  SSMIncidentsClient,
  type TimelineEvent,
} from '@aws-sdk/client-ssm-incidents';
import { SSMContactsClient } from '@aws-sdk/client-ssm-contacts';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { RECORD_KIND, type RemediationRecord } from '../../handlers/incident/timeline';
import {
  ruleKey,
  rulesFromIpPermissions,
  toIpPermissions,
  type Rule,
  type RuleJson,
} from '../../handlers/policy/rules';

/** What a command prints: console.log lines (stdout) and console.error lines (stderr). */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

export const ACCOUNT = '111122223333';
export const INCIDENT_ARN = `arn:aws:ssm-incidents::${ACCOUNT}:incident-record/first-responder-security-group-opened/6ebcc812-85f5-b7eb-8b2f-283e4d844308`;
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/SecurityResponder/alice`;

export function mockSts(): AwsClientStub<STSClient> {
  const sts = mockClient(STSClient);
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: ACCOUNT, Arn: CALLER_ARN, UserId: 'AROAEXAMPLE:alice' });
  return sts;
}

/** An SDK error as the SDK builds it from a service's answer: a name and a code. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    Code: name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

// ------------------------------------------------------------------------------------------
// Incident Manager: one incident's timeline, kept in memory.

export interface FakeTimeline {
  readonly mock: AwsClientStub<SSMIncidentsClient>;
  readonly events: TimelineEvent[];
  /** The eventData of every event written by the code under test, parsed. */
  written(): Record<string, unknown>[];
  add(eventType: string, eventData: string, resource?: string): string;
}

export function fakeTimeline(incidentArn: string = INCIDENT_ARN): FakeTimeline {
  const mock = mockClient(SSMIncidentsClient);
  const events: TimelineEvent[] = [];
  let clock = Date.parse('2026-11-23T09:00:00Z');
  const notFound = () =>
    new ResourceNotFoundException({
      message: 'Resource not found.',
      $metadata: { httpStatusCode: 404 },
    });
  const add = (eventType: string, eventData: string, resource?: string) => {
    const eventId = `evt-${events.length + 1}`;
    const when = new Date((clock += 1000));
    events.push({
      incidentRecordArn: incidentArn,
      eventId,
      eventTime: when,
      eventUpdatedTime: when,
      eventType,
      eventData,
      ...(resource ? { eventReferences: [{ resource }] } : {}),
    });
    return eventId;
  };
  mock.on(ListTimelineEventsCommand).callsFake((input: ListInput) => {
    if (input.incidentRecordArn !== incidentArn) throw notFound();
    const wanted = input.filters?.find((f) => f.key === 'eventType')?.condition?.equals
      ?.stringValues;
    return {
      eventSummaries: events
        .filter((e) => !wanted || wanted.includes(e.eventType!))
        .map(({ eventData: _d, ...summary }) => summary),
    };
  });
  mock
    .on(GetTimelineEventCommand)
    .callsFake((input: { incidentRecordArn: string; eventId: string }) => {
      const event = events.find((e) => e.eventId === input.eventId);
      if (input.incidentRecordArn !== incidentArn || !event) throw notFound();
      return { event };
    });
  mock.on(CreateTimelineEventCommand).callsFake((input: CreateInput) => {
    if (input.incidentRecordArn !== incidentArn) throw notFound();
    const id = add(input.eventType, input.eventData, input.eventReferences?.[0]?.resource);
    return { incidentRecordArn: incidentArn, eventId: id };
  });
  return {
    mock,
    events,
    add,
    written: () =>
      mock
        .commandCalls(CreateTimelineEventCommand)
        .map((c) => JSON.parse(c.args[0].input.eventData!) as Record<string, unknown>),
  };
}

interface ListInput {
  incidentRecordArn: string;
  filters?: { key: string; condition?: { equals?: { stringValues?: string[] } } }[];
}
interface CreateInput {
  incidentRecordArn: string;
  eventType: string;
  eventData: string;
  eventReferences?: { resource?: string }[];
}

/** The record the reverter writes for a group it remediated. */
export function remediatedRecord(
  groupId: string,
  change: {
    readonly revoked: RuleJson[];
    readonly authorized: RuleJson[];
    readonly before?: RuleJson[];
    readonly status?: RemediationRecord['status'];
  },
): string {
  const record: RemediationRecord = {
    kind: RECORD_KIND,
    version: 1,
    summary: `${groupId}: revoked …; authorized …`,
    groupId,
    status: change.status ?? 'remediated',
    revoked: change.revoked,
    authorized: change.authorized,
    ...(change.before ? { before: change.before } : {}),
  };
  return JSON.stringify(record);
}

export const groupArn = (groupId: string, region = 'eu-west-1') =>
  `arn:aws:ec2:${region}:${ACCOUNT}:security-group/${groupId}`;

// ------------------------------------------------------------------------------------------
// EC2: security groups with state, so a read after a write sees the write.

export interface FakeEc2 {
  readonly mock: AwsClientStub<EC2Client>;
  /** Current ingress of each group. */
  readonly groups: Map<string, Rule[]>;
  /** Write calls in order: "authorize" and "revoke". */
  readonly writes: string[];
}

export function fakeEc2(initial: Record<string, IpPermission[]>): FakeEc2 {
  const mock = mockClient(EC2Client);
  let next = 0;
  const groups = new Map<string, Rule[]>();
  const withId = (r: Rule): Rule => ({ ...r, ruleId: `sgr-${String(++next).padStart(17, '0')}` });
  for (const [id, perms] of Object.entries(initial))
    groups.set(id, rulesFromIpPermissions(perms).map(withId));
  const writes: string[] = [];
  const gone = () => awsError('InvalidGroup.NotFound', "The security group 'sg-…' does not exist");

  mock.on(DescribeSecurityGroupsCommand).callsFake((input: { GroupIds: string[] }) => {
    const id = input.GroupIds[0]!;
    if (!groups.has(id)) throw gone();
    return {
      SecurityGroups: [
        { GroupId: id, GroupName: id, Tags: [], IpPermissions: toIpPermissions(groups.get(id)!) },
      ],
    };
  });
  mock
    .on(DescribeSecurityGroupRulesCommand)
    .callsFake((input: { Filters: { Values: string[] }[] }) => {
      const id = input.Filters[0]!.Values[0]!;
      return {
        SecurityGroupRules: (groups.get(id) ?? []).map((r): SecurityGroupRule => ({
          SecurityGroupRuleId: r.ruleId,
          GroupId: id,
          IsEgress: false,
          IpProtocol: r.protocol,
          FromPort: r.fromPort,
          ToPort: r.toPort,
          ...(r.description ? { Description: r.description } : {}),
          ...(r.source.kind === 'cidrIpv4' ? { CidrIpv4: r.source.value } : {}),
          ...(r.source.kind === 'cidrIpv6' ? { CidrIpv6: r.source.value } : {}),
          ...(r.source.kind === 'prefixListId' ? { PrefixListId: r.source.value } : {}),
          ...(r.source.kind === 'referencedGroupId'
            ? { ReferencedGroupInfo: { GroupId: r.source.value } }
            : {}),
        })),
      };
    });
  mock
    .on(AuthorizeSecurityGroupIngressCommand)
    .callsFake((input: { GroupId: string; IpPermissions: IpPermission[] }) => {
      const rules = groups.get(input.GroupId);
      if (!rules) throw gone();
      writes.push('authorize');
      const adding = rulesFromIpPermissions(input.IpPermissions);
      const have = new Set(rules.map(ruleKey));
      if (adding.some((r) => have.has(ruleKey(r))))
        throw awsError('InvalidPermission.Duplicate', 'the specified rule already exists');
      rules.push(...adding.map(withId));
      return { Return: true };
    });
  mock
    .on(RevokeSecurityGroupIngressCommand)
    .callsFake(
      (input: {
        GroupId: string;
        SecurityGroupRuleIds?: string[];
        IpPermissions?: IpPermission[];
      }) => {
        const rules = groups.get(input.GroupId);
        if (!rules) throw gone();
        writes.push('revoke');
        const keys = new Set(rulesFromIpPermissions(input.IpPermissions ?? []).map(ruleKey));
        const ids = new Set(input.SecurityGroupRuleIds ?? []);
        const hit = (r: Rule) => ids.has(r.ruleId!) || keys.has(ruleKey(r));
        if (rules.filter(hit).length !== ids.size + keys.size)
          throw awsError('InvalidPermission.NotFound', 'the specified rule does not exist');
        groups.set(
          input.GroupId,
          rules.filter((r) => !hit(r)),
        );
        return { Return: true };
      },
    );
  return { mock, groups, writes };
}

// ------------------------------------------------------------------------------------------

/** Moves jest's fake timers on until `promise` settles; fails the test if it never does. */
export async function drive<T>(promise: Promise<T>, stepMs = 1000, maxMs = 3_600_000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => undefined);
  for (let t = 0; !settled && t <= maxMs; t += stepMs) await jest.advanceTimersByTimeAsync(stepMs);
  if (!settled) throw new Error(`still waiting after ${maxMs} ms of fake time`);
  return watched;
}

/**
 * @aws-sdk/client-ssm-contacts is an older release with its own @smithy types, which
 * aws-sdk-client-mock's types do not accept; at run time the stub works the same. This is the
 * part of the stub the tests use, typed without the SDK's generics.
 */
export interface ContactsStub {
  on(
    command: unknown,
    input?: unknown,
  ): {
    resolves(output: unknown): unknown;
    rejects(error: unknown): unknown;
    callsFake(fake: (input: never) => unknown): unknown;
  };
  calls(): { readonly args: readonly unknown[] }[];
  restore(): void;
}

export function mockContacts(): ContactsStub {
  return mockClient(SSMContactsClient as never) as unknown as ContactsStub;
}
