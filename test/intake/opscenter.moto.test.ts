/**
 * Under the OpsCenter backend, one sample event end to end: the intake (dedupe table in moto's
 * DynamoDB) opens an OpsItem and starts the runbook with its ID and the escalation; the pager,
 * driven as the state machine drives it, publishes to the stack's topics in moto's SNS (each
 * subscribed here by an SQS queue, to read what was delivered) until the OpsItem is set to
 * In progress. OpsCenter, Automation and Step Functions are mocked as documented (moto has no
 * OpsItems or Automation).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { DedupeTable } from '../../handlers/aws/dedupe-table';
import { OpsCenterBackend, type OpsCenterSettings } from '../../handlers/aws/opscenter-backend';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { DATA_KEYS } from '../../handlers/incident/opsitem';
import { makeHandler as makeIntake } from '../../handlers/intake';
import { INTAKE_DETECTIONS } from '../../handlers/intake/request';
import { makeHandler as makePager, type PagerOutput } from '../../handlers/pager';
import { channelKey } from '../../handlers/incident/paging';
import { loadConfig, responsePlansOf } from '../../infra/config';
import { schedulesOf } from '../../infra/constructs/paging';
import { EXAMPLE_POLICY } from '../support/groups';
import { fakeOpsCenter } from '../support/opscenter';
import { motoForFile } from '../support/moto';
import { createDedupeTable, eventFixture } from './support';

const CONFIG = loadConfig(join(__dirname, '..', '..', 'examples', 'config-opscenter.yaml'));
const PLANS = responsePlansOf(CONFIG);
const ROLE = 'arn:aws:iam::123456789012:role/automation';

const server = motoForFile();
afterEach(() => jest.restoreAllMocks());

/** The stack's topics in moto, each read through an SQS queue subscribed to it. */
async function pagingTopics() {
  const moto = server();
  const sns = new SNSClient(moto.clientConfig);
  const sqs = new SQSClient(moto.clientConfig);
  const topics: Record<string, string> = {};
  const queues: Record<string, string> = {};
  const run = Math.random().toString(36).slice(2);
  for (const c of CONFIG.contacts)
    for (const ch of c.channels) {
      const key = channelKey(c.alias, ch.name);
      const name = `${run}-${c.alias}-${ch.name}`;
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'sqs',
          Endpoint: attrs.Attributes!.QueueArn!,
        }),
      );
      topics[key] = TopicArn!;
      queues[key] = QueueUrl!;
    }
  const received = async (key: string) => {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues[key], MaxNumberOfMessages: 10 }),
    );
    return (out.Messages ?? []).map(
      (m) => JSON.parse(m.Body!) as { Subject?: string; Message: string },
    );
  };
  return { sns, topics, received };
}

it('follows a sample event from the intake to the OpsItem, the runbook start and the pages', async () => {
  // GIVEN the stack as the example configuration builds it
  let now = Date.parse('2026-11-30T05:00:00Z');
  const clock = () => new Date(now);
  const ops = fakeOpsCenter(clock);
  const sfn = mockClient(SFNClient);
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: clock() });
  const { sns, topics, received } = await pagingTopics();
  const moto = server();
  const { client, tableName } = await createDedupeTable(moto);
  const settings: OpsCenterSettings = {
    escalationArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:escalation',
    runbooks: Object.fromEntries(
      PLANS.map((p) => [
        p.detection,
        { document: p.runbook, parameters: { AutomationAssumeRole: [ROLE] } },
      ]),
    ) as unknown as OpsCenterSettings['runbooks'],
  };
  const intake = makeIntake({
    ec2: new EC2Client(moto.clientConfig),
    sqs: new SQSClient(moto.clientConfig),
    table: () => new DedupeTable(client, tableName),
    backend: () => new OpsCenterBackend(ops.client, new SFNClient({}), settings),
    settings: () => ({
      tableName,
      deadLetterQueueUrl: 'unused',
      plans: Object.fromEntries(
        INTAKE_DETECTIONS.map((d) => [d, { impact: PLANS.find((p) => p.detection === d)!.impact }]),
      ) as never,
    }),
    policy: () => EXAMPLE_POLICY,
    limits: () => DEFAULT_LIMITS,
    now: () => now,
  });
  const pager = makePager({
    ssm: ops.client,
    sns,
    settings: () => ({
      schedules: schedulesOf(PLANS, CONFIG.contacts, CONFIG.escalationPlans),
      topics,
      region: 'eu-west-1',
    }),
    now: () => now,
  });
  const event = eventFixture('guardduty-ssh-brute-force.json');

  // WHEN the intake receives a High GuardDuty finding
  const outcome = await intake({ detection: 'guardDutyFinding', event });

  // THEN one OpsItem, category Security, with the dedupe key as its dedup string
  expect(outcome).toMatchObject({ decision: 'open' });
  const id = (outcome as { incidentRef: string }).incidentRef;
  const item = ops.items.get(id)!;
  expect(item).toMatchObject({ Category: 'Security', Source: 'first-responder', Status: 'Open' });
  expect(ops.data(id, '/aws/dedup')).toEqual({
    dedupString: (outcome as { dedupeKey: string }).dedupeKey,
  });
  const resources = ops.data(id, '/aws/resources') as { arn: string }[];
  expect(resources.map((r) => r.arn)).toEqual(
    expect.arrayContaining([expect.stringMatching(/:instance\/i-/)]),
  );
  // AND the runbook starts with the OpsItem ID in place of the incident ARN, linked to it
  expect(ops.mock).toHaveReceivedCommandWith(StartAutomationExecutionCommand, {
    DocumentName: 'guardduty-finding-response',
    Parameters: expect.objectContaining({
      IncidentRecordArn: [id],
      InvolvedResources: resources.map((r) => r.arn),
      AutomationAssumeRole: [ROLE],
    }) as never,
  });
  expect(ops.data(id, DATA_KEYS.runbook)).toMatchObject({
    document: 'guardduty-finding-response',
  });
  // AND the escalation starts for it
  const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!) as {
    opsItemId: string;
    detection: 'guardDutyFinding';
    sent: number;
  };
  expect(input).toEqual({ opsItemId: id, detection: 'guardDutyFinding', sent: 0 });

  // WHEN the state machine looks, waits and looks again; someone acknowledges at minute 12
  let out: PagerOutput = await pager(input);
  const minute = (m: number) => Date.parse('2026-11-30T05:00:00Z') + m * 60_000;
  now = minute(10);
  out = await pager(out);
  ops.setStatus(id, 'InProgress', new Date(minute(12)));
  now = minute(15);
  out = await pager(out);

  // THEN alice got the email at once and the SMS ten minutes in, and nothing after the acknowledgement
  expect(out).toMatchObject({ done: true, reason: 'acknowledged', sent: 2 });
  const email = await received('alice/email');
  expect(email).toHaveLength(1);
  expect(email[0]!.Message).toContain(id);
  expect(await received('alice/sms')).toHaveLength(1);
  expect(await received('bob/email')).toHaveLength(0);
  expect((ops.data(id, DATA_KEYS.pages) as { count: number }).count).toBe(2);

  // AND a repeat of the finding is appended to the same OpsItem, not a second one
  now = minute(20);
  const repeat = await intake({
    detection: 'guardDutyFinding',
    event: eventFixture('guardduty-ssh-brute-force-repeat.json'),
  });
  expect(repeat).toMatchObject({ decision: 'append', incidentRef: id });
  expect(ops.items.size).toBe(1);
  expect((ops.data(id, DATA_KEYS.seenAgain) as { count: number }).count).toBe(1);
});
