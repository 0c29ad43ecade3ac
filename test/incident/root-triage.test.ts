import { CreateTimelineEventCommand, SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { makeHandler, TriageIncompleteError } from '../../handlers/root-triage';
import { fixture, INCIDENT_ARN, mockIncidents, triggerData, written } from './support';

const handler = makeHandler({ incidents: new SSMIncidentsClient({}) });
let incidents: ReturnType<typeof mockIncidents>;
afterEach(() => incidents?.restore());

describe('root-activity triage', () => {
  it.each<[string, RegExp, Record<string, unknown>]>([
    [
      'signin-root-success.json',
      /^Root activity: ConsoleLogin by Root \(arn:aws:iam::111122223333:root\) from 192\.0\.2\.0 in us-east-1, MFA no, succeeded at 2018-08-29T16:24:34Z\. Nothing was changed/,
      { mfa: 'no', outcome: 'success', sourceIp: '192.0.2.0' },
    ],
    ['signin-root-failure.json', /ConsoleLogin by Root .* FAILED/, { outcome: 'failure' }],
    [
      'authorize-ingress-root-world-ipv4-ipv6.json',
      /^Root activity: AuthorizeSecurityGroupIngress by Root/,
      { action: 'AuthorizeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com' },
    ],
  ])(
    'records who, what, where, MFA and outcome for %s, changing nothing',
    async (file, summary, facts) => {
      // GIVEN an incident opened by a real root event
      incidents = mockIncidents(triggerData(fixture('events', file)));
      // WHEN the triage runbook invokes the function
      const res = await handler(
        { incidentRecordArn: INCIDENT_ARN, involvedResources: [] },
        { awsRequestId: 'r' },
      );
      // THEN one note on the timeline says it all
      expect(res.summary).toMatch(summary);
      expect(res.activity).toMatchObject(facts);
      expect(written(incidents)).toEqual([
        expect.objectContaining({
          kind: 'first-responder/note',
          summary: res.summary,
          activity: expect.objectContaining(facts),
        }),
      ]);
      expect(incidents).toReceiveCommandWith(CreateTimelineEventCommand, {
        eventType: 'Custom Event',
        incidentRecordArn: INCIDENT_ARN,
      });
    },
  );

  it('a missing trigger is noted and fails the runbook', async () => {
    incidents = mockIncidents(undefined);
    await expect(handler({ incidentRecordArn: INCIDENT_ARN })).rejects.toThrow(
      TriageIncompleteError,
    );
    expect(written(incidents)[0]?.summary).toMatch(
      /could not read the event that opened this incident: the incident has no trigger event/,
    );
  });

  it.each<[string, unknown, RegExp]>([
    ['no incident', {}, /request.incidentRecordArn: got nothing/],
    [
      'a wrong ARN',
      { incidentRecordArn: 'arn:aws:iam::111122223333:root' },
      /an incident record ARN/,
    ],
    [
      'involved resources that are not a list',
      { incidentRecordArn: INCIDENT_ARN, involvedResources: 3 },
      /request.involvedResources: got 3/,
    ],
  ])('rejects %s before any AWS call', async (_name, event, message) => {
    incidents = mockIncidents(undefined);
    await expect(handler(event)).rejects.toThrow(message);
    expect(incidents.calls()).toHaveLength(0);
  });
});
