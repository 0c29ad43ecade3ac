/**
 * End to end: an incident opened by a real AuthorizeSecurityGroupIngress event, for a group that
 * exists in moto's EC2, through the reverter, to the group narrowed and the timeline written.
 * Incident Manager is not in moto: its calls are mocked with documented response shapes.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateTimelineEventCommand,
  SSMIncidentsClient,
  UpdateRelatedItemsCommand,
} from '@aws-sdk/client-ssm-incidents';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { parseRemediationRecord } from '../../handlers/incident/timeline';
import { makeHandler } from '../../handlers/reverter';
import { startMoto, type MotoServer } from '../support/moto';
import { createGroup, ingressOf } from '../support/moto-ec2';
import { fixture, INCIDENT_ARN, mockIncidents, triggerData, written } from '../incident/support';
import { EXAMPLE_POLICY } from '../support/groups';

const POLICY = EXAMPLE_POLICY;
let moto: MotoServer;

beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

it('narrows a world-open SSH rule named by the trigger and records it on the incident', async () => {
  // GIVEN a group in moto with ssh opened to the world, as the real CloudTrail event records it
  const ec2 = new EC2Client(moto.clientConfig);
  const GroupId = await createGroup(
    ec2,
    [
      {
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh from anywhere' }],
      },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ],
    { name: 'bastion' },
  );
  // and an incident whose trigger is the real event, naming this group
  const event = fixture('events', 'authorize-ingress-world-by-assumed-role.json');
  const text = JSON.stringify(event).replaceAll('sg-01f414f5313452cd1', GroupId);
  const incidents = mockIncidents(triggerData(text));
  process.env.AWS_REGION = 'us-east-1';

  // WHEN the revert runbook invokes the reverter with the incident
  const handler = makeHandler({
    ec2,
    incidents: new SSMIncidentsClient({}),
    policy: () => POLICY,
    limits: () => DEFAULT_LIMITS,
  });
  const res = await handler(
    { incidentRecordArn: INCIDENT_ARN, involvedResources: [], groupIds: [], dryRun: false },
    { awsRequestId: 'e2e-1' },
  );

  // THEN the group in EC2 is narrowed
  expect(await ingressOf(ec2, GroupId)).toEqual([
    'tcp 22 from 10.0.0.0/8',
    'tcp 443 from 0.0.0.0/0',
  ]);
  expect(res.results[0]).toMatchObject({ groupId: GroupId, status: 'remediated' });
  // and the timeline holds the record, the group is a related item
  const timeline = written(incidents);
  expect(timeline).toHaveLength(1);
  const record = parseRemediationRecord(JSON.stringify(timeline[0]));
  expect(record).toMatchObject({
    groupId: GroupId,
    status: 'remediated',
    summary: `${GroupId}: revoked tcp 22 from 0.0.0.0/0; authorized tcp 22 from 10.0.0.0/8`,
    revoked: [
      {
        protocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidrIpv4: '0.0.0.0/0',
        description: 'ssh from anywhere',
      },
    ],
    authorized: [
      {
        protocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidrIpv4: '10.0.0.0/8',
        description: 'ssh from anywhere',
      },
    ],
  });
  expect(record?.before).toHaveLength(2);
  expect(incidents).toReceiveCommandWith(CreateTimelineEventCommand, {
    eventReferences: [{ resource: `arn:aws:ec2:us-east-1:111122223333:security-group/${GroupId}` }],
  });
  expect(incidents).toReceiveCommandTimes(UpdateRelatedItemsCommand, 1);

  // The timeline as written, for the project's notes (FIRST_RESPONDER_RECORD=1 npx jest ...).
  if (process.env.FIRST_RESPONDER_RECORD) {
    mkdirSync(join(__dirname, '..', '..', '.bench'), { recursive: true });
    const calls = incidents.calls().map((c) => ({
      command: c.args[0].constructor.name,
      input: c.args[0].input,
    }));
    writeFileSync(
      join(__dirname, '..', '..', '.bench', 'incident-timeline.json'),
      JSON.stringify(calls, null, 2),
    );
  }
  incidents.restore();
});
