/**
 * Asks moto's EventBridge (an implementation we did not write) which rules an event matches:
 * one rule per pattern, each with its own SQS queue as target, on an event bus of its own so
 * that two sets of rules in one moto do not see each other's events; an event is put on that bus
 * and each queue is read back.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { MotoServer } from '../support/moto';

export interface MotoRules<Name extends string> {
  /** The names of the rules that received `event`. */
  matching(event: unknown): Promise<Set<Name>>;
}

/**
 * Creates one rule per entry. A pattern given as a string goes to PutRule as it is, so that its
 * exact JSON text (7.0 as well as 7) reaches moto.
 */
export async function motoRules<Name extends string>(
  moto: MotoServer,
  patterns: Readonly<Record<Name, object | string>>,
): Promise<MotoRules<Name>> {
  const events = new EventBridgeClient(moto.clientConfig);
  const sqs = new SQSClient(moto.clientConfig);
  const queues = new Map<Name, string>();
  const bus = `bus-${randomUUID()}`;
  await events.send(new CreateEventBusCommand({ Name: bus }));

  let n = 0;
  for (const [name, pattern] of Object.entries(patterns) as [Name, object | string][]) {
    const ruleName = `rule-${n++}`;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `q-${bus}-${ruleName}` }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: bus,
        EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
        State: 'ENABLED',
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: ruleName,
        EventBusName: bus,
        Targets: [{ Id: 'queue', Arn: Attributes!.QueueArn }],
      }),
    );
    queues.set(name, QueueUrl!);
  }

  return {
    async matching(event: unknown): Promise<Set<Name>> {
      const e = event as {
        source: string;
        'detail-type': string;
        detail: unknown;
        resources?: string[];
      };
      const put = await events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: bus,
              Source: e.source,
              DetailType: e['detail-type'],
              Detail: JSON.stringify(e.detail),
              Resources: e.resources,
            },
          ],
        }),
      );
      const eventId = put.Entries?.[0]?.EventId;
      if (put.FailedEntryCount || !eventId) {
        throw new Error(`moto refused the event: ${JSON.stringify(put.Entries)}`);
      }
      const matched = new Set<Name>();
      for (const [name, url] of queues) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        for (const message of Messages) {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
          );
          // A leftover from another event would make every later answer wrong: refuse it.
          const delivered = JSON.parse(message.Body ?? '{}') as { id?: string };
          if (delivered.id !== eventId) {
            throw new Error(`queue for ${name} held event ${delivered.id}, expected ${eventId}`);
          }
          matched.add(name);
        }
      }
      return matched;
    },
  };
}

/**
 * The same event with every one-element array of objects replaced by its element. EventBridge
 * reads through arrays, so `{"items": [x]}` and `{"items": x}` flatten to the same fields and
 * match the same patterns; moto only reads the second form (see the test that shows it).
 */
export function withoutSingletonObjectArrays(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withoutSingletonObjectArrays);
    const only: unknown = items[0];
    return items.length === 1 && typeof only === 'object' && only !== null && !Array.isArray(only)
      ? only
      : items;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withoutSingletonObjectArrays(v)]),
    );
  }
  return value;
}
