/** Incident Manager behind the intake's backend interface, mocked as its API reference documents. */
import {
  CreateTimelineEventCommand,
  GetIncidentRecordCommand,
  ResourceNotFoundException,
  SSMIncidentsClient,
  StartIncidentCommand,
} from '@aws-sdk/client-ssm-incidents';
import { mockClient } from 'aws-sdk-client-mock';
import { IncidentManagerBackend } from '../../handlers/aws/incident-manager-backend';
import type { IncidentDraft } from '../../handlers/intake/decide';
import { INTAKE_DETECTIONS } from '../../handlers/intake/request';
import { intakeSettingsFromEnv } from '../../handlers/env';
import { DETECTION_IDS } from '../../patterns';
import { PLAN_ARNS } from './support';

const ARN =
  'arn:aws:ssm-incidents::111122223333:incident-record/first-responder-security-group-opened/6ebcc812-85f5-b7eb-8b2f-283e4d844308';

const draft: IncidentDraft = {
  detection: 'securityGroupOpened',
  title: 'sg-0a1b2c3d4e5f60011 opened tcp 22 to 0.0.0.0/1, 128.0.0.0/1 by alice',
  impact: 2,
  relatedItems: [
    {
      arn: 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d4e5f60011',
      title: 'Security group sg-0a1b2c3d4e5f60011',
    },
  ],
  trigger: {
    source: 'first-responder.intake',
    timestamp: '2026-11-30T04:00:00Z',
    rawData: '{"id":"e-1"}',
    triggerArn: 'arn:aws:events:us-east-1:111122223333:rule/first-responder-security-group-opened',
  },
};

afterEach(() => jest.restoreAllMocks());

function backend() {
  const m = mockClient(SSMIncidentsClient);
  return { m, b: new IncidentManagerBackend(new SSMIncidentsClient({}), PLAN_ARNS) };
}

describe('Incident Manager backend', () => {
  it('opens from the detection plan with title, impact, trigger, related items and the token', async () => {
    const { m, b } = backend();
    m.on(StartIncidentCommand).resolves({ incidentRecordArn: ARN });
    expect(await b.open(draft, 'tok-1')).toBe(ARN);
    expect(m).toHaveReceivedCommandWith(StartIncidentCommand, {
      responsePlanArn: PLAN_ARNS.securityGroupOpened,
      title: draft.title,
      impact: 2,
      clientToken: 'tok-1',
      triggerDetails: {
        source: 'first-responder.intake',
        timestamp: new Date('2026-11-30T04:00:00Z'),
        rawData: '{"id":"e-1"}',
        triggerArn: draft.trigger.triggerArn,
      },
      relatedItems: [
        {
          identifier: { type: 'INVOLVED_RESOURCE', value: { arn: draft.relatedItems[0]!.arn } },
          title: 'Security group sg-0a1b2c3d4e5f60011',
        },
      ],
    });
  });

  it.each<[string, () => void, string]>([
    ['OPEN', () => undefined, 'open'],
    ['RESOLVED', () => undefined, 'resolved'],
  ])('reads status %s as %s', async (status, _setup, expected) => {
    const { m, b } = backend();
    m.on(GetIncidentRecordCommand).resolves({
      incidentRecord: {
        arn: ARN,
        title: 't',
        status: status as 'OPEN' | 'RESOLVED',
        impact: 2,
        creationTime: new Date(),
        lastModifiedBy: 'x',
        lastModifiedTime: new Date(),
        dedupeString: '',
        incidentRecordSource: { createdBy: 'x', source: 'first-responder.intake' },
      },
    });
    expect(await b.status(ARN)).toBe(expected);
  });

  it('takes a deleted incident for gone, so that a new one opens', async () => {
    const { m, b } = backend();
    m.on(GetIncidentRecordCommand).rejects(
      new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
    );
    expect(await b.status(ARN)).toBe('gone');
  });

  it('fails with the operation named when StartIncident fails', async () => {
    const { m, b } = backend();
    m.on(StartIncidentCommand).rejects(new Error('AccessDeniedException: no'));
    await expect(b.open(draft, 't')).rejects.toThrow(/^StartIncident: AccessDeniedException: no/);
  });

  it('appends a "seen again" note with the gist, the key and references, idempotently', async () => {
    const { m, b } = backend();
    m.on(CreateTimelineEventCommand).resolves({ eventId: 'e', incidentRecordArn: ARN });
    await b.append(
      ARN,
      {
        gist: 'ModifySecurityGroupRules by bob: tcp 22 to 2000::/3',
        dedupeKey: 'sg#1#us-east-1#sg-1',
        eventId: 'e-2',
        detection: 'securityGroupOpened',
        resources: [draft.relatedItems[0]!.arn],
      },
      'tok-2',
    );
    const input = m.commandCalls(CreateTimelineEventCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      incidentRecordArn: ARN,
      eventType: 'Custom Event',
      clientToken: 'tok-2',
      eventReferences: [{ resource: draft.relatedItems[0]!.arn }],
    });
    expect(JSON.parse(input.eventData!)).toMatchObject({
      kind: 'first-responder/note',
      summary: 'Seen again: ModifySecurityGroupRules by bob: tcp 22 to 2000::/3',
      dedupeKey: 'sg#1#us-east-1#sg-1',
    });
  });
});

describe('intake settings', () => {
  it('cover the same detections as the app', () => {
    expect([...INTAKE_DETECTIONS]).toEqual([...DETECTION_IDS]);
  });

  const env = (plans: unknown) => ({
    INTAKE_TABLE_NAME: 't',
    INTAKE_DEAD_LETTER_QUEUE_URL: 'https://sqs/q',
    INTAKE_RESPONSE_PLANS: JSON.stringify(plans),
  });
  const all = Object.fromEntries(INTAKE_DETECTIONS.map((d) => [d, { arn: `arn:${d}`, impact: 2 }]));

  it('read the table, the queue and a plan per detection', () => {
    expect(intakeSettingsFromEnv(env(all)).plans.rootActivity).toEqual({
      arn: 'arn:rootActivity',
      impact: 2,
    });
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    [
      'a missing plan',
      env({ ...all, rootActivity: undefined }),
      /INTAKE_RESPONSE_PLANS\.rootActivity: got nothing/,
    ],
    [
      'an impact of 7',
      env({ ...all, rootActivity: { arn: 'a', impact: 7 } }),
      /rootActivity\.impact/,
    ],
    ['no table', { ...env(all), INTAKE_TABLE_NAME: '' }, /INTAKE_TABLE_NAME is not set/],
  ])('refuse %s', (_name, e, message) => {
    expect(() => intakeSettingsFromEnv(e)).toThrow(message);
  });
});
