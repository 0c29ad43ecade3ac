import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateTimelineEventCommand,
  ListTimelineEventsCommand,
  ResourceNotFoundException,
  SSMIncidentsClient,
  UpdateRelatedItemsCommand,
} from '@aws-sdk/client-ssm-incidents';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { IncidentNotFoundError } from '../../handlers/aws/incidents';
import { parseRemediationRecord } from '../../handlers/incident/timeline';
import { makeHandler, RemediationIncompleteError } from '../../handlers/reverter';
import { fixture, INCIDENT_ARN, mockIncidents, triggerData, written } from '../incident/support';
import { described, EXAMPLE_POLICY, ingressRule } from '../support/groups';

const POLICY = EXAMPLE_POLICY;
const SG = 'sg-01f414f5313452cd1';
const SG_ARN = `arn:aws:ec2:us-east-1:111122223333:security-group/${SG}`;

const ec2Mock = mockClient(EC2Client);
let incidents: ReturnType<typeof mockIncidents>;
const handler = makeHandler({
  ec2: new EC2Client({}),
  incidents: new SSMIncidentsClient({}),
  policy: () => POLICY,
  // 151 rules in one group (below) needs a raised rule quota, and the limit raised to match.
  limits: () => ({ ...DEFAULT_LIMITS, maxInboundRulesPerGroup: 200 }),
});
const context = { awsRequestId: 'req-1' };

function givenWorldOpenOracleGroup() {
  ec2Mock
    .on(DescribeSecurityGroupsCommand)
    .resolves(
      described(
        SG,
        [
          ingressRule(SG, 1, 1521, '0.0.0.0/0'),
          ingressRule(SG, 2, 22, '0.0.0.0/0', { Description: 'ssh' }),
        ],
        { GroupName: 'db' },
      ),
    );
  ec2Mock.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
  ec2Mock.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
}

beforeEach(() => {
  ec2Mock.reset();
  process.env.AWS_REGION = 'us-east-1';
});
afterEach(() => incidents?.restore());

describe('reverter for an incident', () => {
  it('reads the trigger, narrows the group, and records it on the timeline and as a related item', async () => {
    // GIVEN an incident opened by a real world-open AuthorizeSecurityGroupIngress call
    incidents = mockIncidents(
      triggerData(fixture('events', 'authorize-ingress-world-by-assumed-role.json')),
    );
    givenWorldOpenOracleGroup();
    // WHEN the runbook invokes the reverter with only the incident
    const res = await handler(
      { incidentRecordArn: INCIDENT_ARN, involvedResources: [], groupIds: [], dryRun: false },
      context,
    );
    // THEN the trigger was read with the documented filter
    expect(incidents).toReceiveCommandWith(ListTimelineEventsCommand, {
      incidentRecordArn: INCIDENT_ARN,
      filters: [
        { key: 'eventType', condition: { equals: { stringValues: ['SSM Incident Trigger'] } } },
      ],
    });
    // and the group was narrowed
    expect(res.results[0]).toMatchObject({ groupId: SG, status: 'remediated' });
    // and the timeline holds a complete, machine-readable record referencing the group
    expect(incidents).toReceiveCommandWith(CreateTimelineEventCommand, {
      incidentRecordArn: INCIDENT_ARN,
      eventType: 'Custom Event',
      eventReferences: [{ resource: SG_ARN }],
    });
    const record = parseRemediationRecord(
      incidents.commandCalls(CreateTimelineEventCommand)[0]!.args[0].input.eventData,
    );
    expect(record).toMatchObject({
      groupId: SG,
      status: 'remediated',
      revoked: [
        {
          protocol: 'tcp',
          fromPort: 1521,
          toPort: 1521,
          cidrIpv4: '0.0.0.0/0',
        },
        {
          protocol: 'tcp',
          fromPort: 22,
          toPort: 22,
          cidrIpv4: '0.0.0.0/0',
          description: 'ssh',
        },
      ],
      authorized: [
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '10.0.0.0/8', description: 'ssh' },
      ],
    });
    expect(record?.before).toHaveLength(2);
    expect(record?.summary).toBe(
      `${SG}: revoked tcp 1521 from 0.0.0.0/0, tcp 22 from 0.0.0.0/0; authorized tcp 22 from 10.0.0.0/8`,
    );
    expect(incidents).toReceiveCommandWith(UpdateRelatedItemsCommand, {
      incidentRecordArn: INCIDENT_ARN,
      relatedItemsUpdate: {
        itemToAdd: {
          identifier: { type: 'INVOLVED_RESOURCE', value: { arn: SG_ARN } },
          title: `Security group ${SG}`,
        },
      },
    });
  });

  it('says so on the timeline when the group already complies', async () => {
    incidents = mockIncidents(
      triggerData(fixture('events', 'config-security-group-policy-noncompliant.json')),
    );
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: SG }] });
    await handler({ incidentRecordArn: INCIDENT_ARN }, context);
    expect(written(incidents)[0]).toMatchObject({
      status: 'compliant',
      summary: `${SG}: already complies with the policy, nothing changed`,
    });
  });

  it('a GuardDuty sample finding writes that the pipeline works and changes nothing', async () => {
    incidents = mockIncidents(
      triggerData(fixture('events', 'guardduty-sample-finding-eventbridge.json')),
    );
    const res = await handler({ incidentRecordArn: INCIDENT_ARN }, context);
    expect(res.ok).toBe(true);
    expect(written(incidents)).toEqual([
      expect.objectContaining({
        summary: expect.stringMatching(
          /sample finding received: detection, incident and runbook work end to end/,
        ),
      }),
    ]);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('a real finding reverts the groups of the instance network interfaces', async () => {
    incidents = mockIncidents(
      triggerData(fixture('incident', 'guardduty-ssh-brute-force-instance.json')),
    );
    ec2Mock.on(DescribeSecurityGroupsCommand).callsFake((input: { GroupIds: string[] }) => ({
      SecurityGroups: [{ GroupId: input.GroupIds[0] }],
    }));
    const res = await handler({ incidentRecordArn: INCIDENT_ARN }, context);
    expect(res.results.map((r) => r.groupId)).toEqual([
      'sg-0a1b2c3d4e5f60002',
      'sg-0a1b2c3d4e5f60001',
    ]);
    expect(ec2Mock).not.toReceiveCommand(DescribeInstancesCommand);
  });

  it('a Config noncompliance for an S3 bucket says there is nothing to revert', async () => {
    incidents = mockIncidents(
      triggerData(fixture('events', 'config-s3-public-read-noncompliant.json')),
    );
    const res = await handler({ incidentRecordArn: INCIDENT_ARN }, context);
    expect(res.ok).toBe(true);
    expect(written(incidents)[0]?.summary).toMatch(
      /^Nothing to revert: AWS Config reports AWS::S3::Bucket example-reports-bucket noncompliant/,
    );
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('a truncated trigger is recorded and fails the runbook, changing nothing', async () => {
    const raw = JSON.stringify(
      fixture('events', 'authorize-ingress-world-by-assumed-role.json'),
    ).slice(0, 300);
    incidents = mockIncidents(triggerData(raw));
    await expect(handler({ incidentRecordArn: INCIDENT_ARN }, context)).rejects.toThrow(
      RemediationIncompleteError,
    );
    expect(written(incidents)[0]?.summary).toMatch(
      /Could not tell which security groups to revert: the trigger raw event is not complete JSON.*Run the runbook again with SecurityGroupIds/,
    );
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('an incident without a trigger event fails visibly', async () => {
    incidents = mockIncidents(undefined);
    await expect(handler({ incidentRecordArn: INCIDENT_ARN }, context)).rejects.toThrow(
      /the incident has no trigger event/,
    );
  });

  it('an incident that does not exist is a clear error and no AWS write', async () => {
    incidents = mockIncidents(undefined);
    incidents
      .on(ListTimelineEventsCommand)
      .rejects(new ResourceNotFoundException({ $metadata: {}, message: 'Incident not found' }));
    await expect(handler({ incidentRecordArn: INCIDENT_ARN }, context)).rejects.toThrow(
      IncidentNotFoundError,
    );
    await expect(handler({ incidentRecordArn: INCIDENT_ARN }, context)).rejects.toThrow(
      /does not exist/,
    );
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('a responder list overrides the trigger, which is then not read', async () => {
    incidents = mockIncidents(undefined);
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolves({ SecurityGroups: [{ GroupId: 'sg-0a1b2c3d4e5f60003' }] });
    const res = await handler(
      { incidentRecordArn: INCIDENT_ARN, groupIds: ['sg-0a1b2c3d4e5f60003'] },
      context,
    );
    expect(res.results[0]?.groupId).toBe('sg-0a1b2c3d4e5f60003');
    expect(incidents).not.toReceiveCommand(ListTimelineEventsCommand);
  });

  it('a refusal is recorded with its reason and fails the runbook', async () => {
    incidents = mockIncidents(
      triggerData(fixture('events', 'config-security-group-policy-noncompliant.json')),
    );
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
    await expect(handler({ incidentRecordArn: INCIDENT_ARN }, context)).rejects.toThrow(
      /refused: could not read the group and its tags/,
    );
    expect(written(incidents)[0]).toMatchObject({
      status: 'refused',
      summary: expect.stringMatching(/REFUSED, nothing changed/),
    });
  });

  it('a record too large for the timeline points to the log line that has it all', async () => {
    incidents = mockIncidents(
      triggerData(fixture('events', 'config-security-group-policy-noncompliant.json')),
    );
    const many = Array.from({ length: 150 }, (_, i) =>
      ingressRule(SG, i, 443, `10.${i}.0.0/16`, {
        Description: `partner network number ${i} with a long description`,
      }),
    );
    many.push({
      ...many[0]!,
      SecurityGroupRuleId: 'sgr-0ffffffffffffffff',
      FromPort: 22,
      ToPort: 22,
      CidrIpv4: '0.0.0.0/0',
    });
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves(described(SG, many));
    ec2Mock.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    ec2Mock.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    process.env.AWS_LAMBDA_LOG_GROUP_NAME = '/aws/lambda/first-responder-reverter';
    try {
      await handler({ incidentRecordArn: INCIDENT_ARN }, context);
    } finally {
      delete process.env.AWS_LAMBDA_LOG_GROUP_NAME;
    }
    const data = incidents.commandCalls(CreateTimelineEventCommand)[0]!.args[0].input.eventData!;
    expect(data.length).toBeLessThanOrEqual(12_000);
    const record = parseRemediationRecord(data);
    expect(record).toMatchObject({
      status: 'remediated',
      beforeCount: 151,
      fullRecord: { logGroup: '/aws/lambda/first-responder-reverter', requestId: 'req-1' },
      revoked: [{ cidrIpv4: '0.0.0.0/0' }],
    });
    expect(record?.before).toBeUndefined();
  });
});
