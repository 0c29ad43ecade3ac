/** Incident Manager responses shaped as the API reference documents them. */
import {
  CreateTimelineEventCommand,
  GetTimelineEventCommand,
  ListTimelineEventsCommand,
  SSMIncidentsClient,
  UpdateRelatedItemsCommand,
} from '@aws-sdk/client-ssm-incidents';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRemediationRecord, type RemediationRecord } from '../../handlers/incident/timeline';
import { described } from '../support/groups';

export const INCIDENT_ARN =
  'arn:aws:ssm-incidents::111122223333:incident-record/first-responder-security-group-opened/6ebcc812-85f5-b7eb-8b2f-283e4d844308';
export const TRIGGER_ID = '8cbcc889-35e1-a42d-2429-d6f100799915';

export function fixture(dir: 'events' | 'incident', name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', dir, name), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** A trigger timeline event's eventData, as Incident Manager writes it for an EventBridge event. */
export function triggerData(event: unknown): string {
  return JSON.stringify({
    rawData: typeof event === 'string' ? event : JSON.stringify(event),
    source: 'aws.events',
    timestamp: '2026-11-23T09:00:00Z',
  });
}

export function mockIncidents(eventData: string | undefined) {
  const m = mockClient(SSMIncidentsClient);
  const when = new Date('2026-11-23T09:00:01Z');
  m.on(ListTimelineEventsCommand).resolves({
    eventSummaries:
      eventData === undefined
        ? []
        : [
            {
              eventId: TRIGGER_ID,
              eventTime: when,
              eventType: 'SSM Incident Trigger',
              eventUpdatedTime: when,
              incidentRecordArn: INCIDENT_ARN,
            },
          ],
  });
  if (eventData !== undefined)
    m.on(GetTimelineEventCommand).resolves({
      event: {
        eventData,
        eventId: TRIGGER_ID,
        eventTime: when,
        eventType: 'SSM Incident Trigger',
        eventUpdatedTime: when,
        incidentRecordArn: INCIDENT_ARN,
      },
    });
  m.on(CreateTimelineEventCommand).callsFake((input: { incidentRecordArn: string }) => ({
    eventId: `evt-${m.commandCalls(CreateTimelineEventCommand).length}`,
    incidentRecordArn: input.incidentRecordArn,
  }));
  m.on(UpdateRelatedItemsCommand).resolves({});
  return m;
}

/** The eventData of every timeline event written, parsed. */
export function written(m: ReturnType<typeof mockIncidents>): Record<string, unknown>[] {
  return m
    .commandCalls(CreateTimelineEventCommand)
    .map((c) => JSON.parse(c.args[0].input.eventData!) as Record<string, unknown>);
}

/** The group records (first-responder/security-group) among the timeline events written. */
export function writtenRecords(m: ReturnType<typeof mockIncidents>): RemediationRecord[] {
  return written(m).flatMap((r) => {
    const record = parseRemediationRecord(JSON.stringify(r));
    return record ? [record] : [];
  });
}

/** Every group the handler reads exists, with tcp 22 open to the world; writes succeed. */
export function givenWorldOpenSshGroups(ec2: AwsClientStub<EC2Client>): void {
  ec2.on(DescribeSecurityGroupsCommand).callsFake((i: { GroupIds: string[] }) =>
    described(i.GroupIds[0]!, [
      {
        SecurityGroupRuleId: 'sgr-0aaaaaaaaaaaaaaa1',
        IsEgress: false,
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        CidrIpv4: '0.0.0.0/0',
      },
    ]),
  );
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
}

/** The SSH brute-force finding on an EC2 instance (a real EventBridge event), at `severity`. */
export function guardDutyFinding(severity: number): Record<string, unknown> {
  const f = fixture('incident', 'guardduty-ssh-brute-force-instance.json') as {
    detail: { severity: number };
  };
  f.detail.severity = severity;
  return f;
}
