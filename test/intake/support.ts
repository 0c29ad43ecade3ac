/** Shared by the intake tests: a dedupe table in moto, Incident Manager mocked as documented. */
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateTimelineEventCommand,
  GetIncidentRecordCommand,
  SSMIncidentsClient,
  StartIncidentCommand,
} from '@aws-sdk/client-ssm-incidents';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DedupeTable, KEY_ATTRIBUTE, TTL_ATTRIBUTE } from '../../handlers/aws/dedupe-table';
import { IncidentManagerBackend } from '../../handlers/aws/incident-manager-backend';
import type { IntakeDeps } from '../../handlers/intake';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { EXAMPLE_POLICY } from '../support/groups';
import type { IntakeDetection } from '../../handlers/intake/request';
import type { MotoServer } from '../support/moto';

export const ACCOUNT = '111122223333';

export const PLAN_ARNS: Record<IntakeDetection, string> = {
  rootActivity: `arn:aws:ssm-incidents::${ACCOUNT}:response-plan/first-responder-root-activity`,
  guardDutyFinding: `arn:aws:ssm-incidents::${ACCOUNT}:response-plan/first-responder-guardduty-finding`,
  configNoncompliance: `arn:aws:ssm-incidents::${ACCOUNT}:response-plan/first-responder-config-noncompliance`,
  securityGroupOpened: `arn:aws:ssm-incidents::${ACCOUNT}:response-plan/first-responder-security-group-opened`,
};

export function eventFixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'events', name), 'utf8'),
  ) as Record<string, unknown>;
}

/**
 * DynamoDB applies a conditional write to an item atomically: concurrent writes to one item are
 * serialized. moto server does not: it answers requests on threads, and its UpdateItem checks the
 * condition, then applies the update, with no lock between. So a repeat's "append to pending if
 * still opening" can pass its check, let the opener's "mark open" run and return the pending list,
 * and only then append: a repeat no one appends, which DynamoDB never allows. Sending this
 * client's requests one at a time restores the per-item serialization; the deliveries still
 * interleave between their calls.
 */
function oneRequestAtATime(client: DynamoDBClient): void {
  let last: Promise<unknown> = Promise.resolve();
  client.middlewareStack.add(
    (next) => (args) => {
      const sent = last.then(() => next(args));
      last = sent.catch(() => undefined);
      return sent;
    },
    { step: 'deserialize', name: 'oneRequestAtATime' },
  );
}

/** A fresh dedupe table in moto, as the construct declares it (key, on-demand, TTL). */
export async function createDedupeTable(moto: MotoServer): Promise<{
  client: DynamoDBClient;
  tableName: string;
}> {
  const client = new DynamoDBClient(moto.clientConfig);
  oneRequestAtATime(client);
  const tableName = `dedupe-${Math.random().toString(36).slice(2)}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: KEY_ATTRIBUTE, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: KEY_ATTRIBUTE, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  return { client, tableName };
}

/**
 * Incident Manager as its API reference documents it: StartIncident answers the record ARN
 * (one per distinct clientToken, as the token promises), GetIncidentRecord the record with its
 * status, CreateTimelineEvent the event ID.
 */
export function mockIncidentManager(
  options: { readonly status?: () => 'OPEN' | 'RESOLVED'; readonly startMs?: number } = {},
) {
  const m = mockClient(SSMIncidentsClient);
  const byToken = new Map<string, string>();
  m.on(StartIncidentCommand).callsFake(
    async (input: { clientToken?: string; responsePlanArn: string }) => {
      // A little latency, as a real call has, so concurrent deliveries really overlap.
      await new Promise((r) => setTimeout(r, options.startMs ?? 20));
      const token = input.clientToken ?? String(Math.random());
      let arn = byToken.get(token);
      if (!arn) {
        const plan = input.responsePlanArn.split('/').at(-1);
        arn = `arn:aws:ssm-incidents::${ACCOUNT}:incident-record/${plan}/${String(byToken.size + 1).padStart(8, '0')}-6ebc-b7eb-8b2f-283e4d844308`;
        byToken.set(token, arn);
      }
      return { incidentRecordArn: arn };
    },
  );
  m.on(GetIncidentRecordCommand).callsFake((input: { arn: string }) => ({
    incidentRecord: {
      arn: input.arn,
      title: 'an incident',
      status: options.status?.() ?? 'OPEN',
      impact: 2,
      creationTime: new Date('2026-11-30T04:00:00Z'),
      lastModifiedBy: `arn:aws:sts::${ACCOUNT}:assumed-role/first-responder-intake/x`,
      lastModifiedTime: new Date('2026-11-30T04:00:00Z'),
      dedupeString: '',
      incidentRecordSource: {
        createdBy: `arn:aws:sts::${ACCOUNT}:assumed-role/first-responder-intake/x`,
        source: 'first-responder.intake',
      },
    },
  }));
  m.on(CreateTimelineEventCommand).callsFake((input: { incidentRecordArn: string }) => ({
    eventId: `evt-${m.commandCalls(CreateTimelineEventCommand).length}`,
    incidentRecordArn: input.incidentRecordArn,
  }));
  return m;
}

/** The Incident Manager backend on a client that mockIncidentManager() answers. */
export function incidentManagerBackend(): IncidentManagerBackend {
  return new IncidentManagerBackend(new SSMIncidentsClient({ region: 'us-east-1' }), PLAN_ARNS);
}

/**
 * The intake's dependencies but EC2, against moto: a fresh dead-letter queue and dedupe table,
 * Incident Manager (mock it with mockIncidentManager()), each plan at impact 2, the example policy.
 */
export async function intakeDepsIn(
  moto: MotoServer,
): Promise<{ deps: Omit<IntakeDeps, 'ec2'>; sqs: SQSClient; queueUrl: string }> {
  const sqs = new SQSClient(moto.clientConfig);
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `dlq-${Math.random().toString(36).slice(2)}` }),
  );
  const { client, tableName } = await createDedupeTable(moto);
  const deps: Omit<IntakeDeps, 'ec2'> = {
    sqs,
    table: () => new DedupeTable(client, tableName),
    backend: () => incidentManagerBackend(),
    settings: () => ({
      tableName,
      deadLetterQueueUrl: QueueUrl!,
      plans: Object.fromEntries(
        Object.entries(PLAN_ARNS).map(([d, arn]) => [d, { arn, impact: 2 }]),
      ) as never,
    }),
    policy: () => EXAMPLE_POLICY,
    limits: () => DEFAULT_LIMITS,
    now: () => Date.now(),
  };
  return { deps, sqs, queueUrl: QueueUrl! };
}
