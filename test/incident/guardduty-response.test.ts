import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMIncidentsClient, UpdateRelatedItemsCommand } from '@aws-sdk/client-ssm-incidents';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { revertMinSeverityFromEnv } from '../../handlers/env';
import { makeHandler, ResponseIncompleteError } from '../../handlers/guardduty-response';
import {
  fixture,
  guardDutyFinding as finding,
  givenWorldOpenSshGroups,
  INCIDENT_ARN,
  mockIncidents,
  triggerData,
  written,
} from './support';
import { EXAMPLE_POLICY } from '../support/groups';

const POLICY = EXAMPLE_POLICY;
const ec2Mock = mockClient(EC2Client);
let incidents: ReturnType<typeof mockIncidents>;

const handlerWith = (minSeverity: number | undefined) =>
  makeHandler({
    ec2: new EC2Client({}),
    incidents: new SSMIncidentsClient({}),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
    revertMinSeverity: () => minSeverity,
  });

beforeEach(() => {
  ec2Mock.reset();
  process.env.AWS_REGION = 'us-east-1';
  givenWorldOpenSshGroups(ec2Mock);
});
afterEach(() => incidents?.restore());

describe('GuardDuty finding response', () => {
  it('records the sample finding and says the pipeline works, changing nothing', async () => {
    incidents = mockIncidents(
      triggerData(fixture('events', 'guardduty-sample-finding-eventbridge.json')),
    );
    const res = await handlerWith(9)({ incidentRecordArn: INCIDENT_ARN });
    expect(res).toMatchObject({
      reverted: false,
      finding: { sample: true, severity: 8, severityLabel: 'High' },
    });
    expect(written(incidents)[0]?.summary).toMatch(
      /^GuardDuty SAMPLE finding .*High \(8\).* Sample finding received: detection, incident and runbook work end to end/,
    );
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('records type, severity, resource and a console link', async () => {
    incidents = mockIncidents(triggerData(finding(8)));
    await handlerWith(9)({ incidentRecordArn: INCIDENT_ARN });
    const note = written(incidents)[0]!;
    expect(note.summary).toMatch(
      /^GuardDuty finding UnauthorizedAccess:EC2\/SSHBruteForce, High \(8\), on instance i-0a1b2c3d4e5f60009/,
    );
    expect(note.summary).toMatch(
      /https:\/\/us-west-2\.console\.aws\.amazon\.com\/guardduty\/home\?region=us-west-2#\/findings\?macros=current&fId=c4c2d3e5a1b0f9e8d7c6b5a4f3e2d1c0/,
    );
  });

  it('does not revert a High finding by default (Critical only)', async () => {
    incidents = mockIncidents(triggerData(finding(8)));
    const res = await handlerWith(revertMinSeverityFromEnv({}))({
      incidentRecordArn: INCIDENT_ARN,
    });
    expect(res.reverted).toBe(false);
    expect(written(incidents)[0]?.summary).toMatch(
      /not reverted: severity 8 is below the configured 9 for reverting; a person decides/,
    );
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('reverts the instance groups for a Critical finding and records each one', async () => {
    incidents = mockIncidents(triggerData(finding(9.5)));
    const res = await handlerWith(9)({ incidentRecordArn: INCIDENT_ARN });
    expect(res.reverted).toBe(true);
    expect(res.results.map((r) => [r.groupId, r.status])).toEqual([
      ['sg-0a1b2c3d4e5f60002', 'remediated'],
      ['sg-0a1b2c3d4e5f60001', 'remediated'],
    ]);
    const events = written(incidents);
    expect(events[0]?.summary).toMatch(/Reverting the instance security groups/);
    expect(events.slice(1).map((e) => e.groupId)).toEqual([
      'sg-0a1b2c3d4e5f60002',
      'sg-0a1b2c3d4e5f60001',
    ]);
    expect(incidents.commandCalls(UpdateRelatedItemsCommand)).toHaveLength(2);
  });

  it('reverting switched off ("never") records the finding only', async () => {
    incidents = mockIncidents(triggerData(finding(10)));
    const res = await handlerWith(
      revertMinSeverityFromEnv({ GUARDDUTY_REVERT_MIN_SEVERITY: 'never' }),
    )({ incidentRecordArn: INCIDENT_ARN });
    expect(res.reverted).toBe(false);
    expect(written(incidents)[0]?.summary).toMatch(
      /reverting for GuardDuty findings is switched off/,
    );
  });

  it('a finding too large for the trigger is noted and fails the runbook', async () => {
    incidents = mockIncidents(triggerData(JSON.stringify(finding(9.5)).slice(0, 4000)));
    await expect(handlerWith(9)({ incidentRecordArn: INCIDENT_ARN })).rejects.toThrow(
      ResponseIncompleteError,
    );
    expect(written(incidents)[0]?.summary).toMatch(
      /could not read the finding .* not complete JSON/,
    );
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it.each([['0'], ['11'], ['high']])(
    'rejects GUARDDUTY_REVERT_MIN_SEVERITY=%s with a clear message',
    (value) => {
      expect(() => revertMinSeverityFromEnv({ GUARDDUTY_REVERT_MIN_SEVERITY: value })).toThrow(
        /use a number from 1 to 10, or "never"/,
      );
    },
  );
});
