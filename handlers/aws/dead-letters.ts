/**
 * The intake's dead-letter queue, written by the intake itself for deliveries it will never be
 * able to act on (bad input): retrying those cannot help, so they go straight to the queue with
 * the reason, and the invocation ends without a retry. (Failures that a retry may cure are
 * thrown instead; Lambda's on-failure destination, the same queue, receives them after the
 * retries.)
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { AwsCallError, errorMessage } from '../shared/errors';

/** SQS takes 256 KiB per message; the reason and metadata need a little of it. */
const MAX_DELIVERY_CHARS = 200_000;

export interface DeadLetter {
  readonly reason: string;
  readonly error: string;
  readonly requestId?: string;
  readonly receivedAt: string;
  readonly delivery: unknown;
}

export async function sendDeadLetter(
  sqs: SQSClient,
  queueUrl: string,
  letter: DeadLetter,
): Promise<void> {
  const text = JSON.stringify(letter.delivery) ?? 'undefined';
  const body = JSON.stringify({
    source: 'first-responder.intake',
    ...letter,
    delivery: text.length <= MAX_DELIVERY_CHARS ? letter.delivery : undefined,
    ...(text.length > MAX_DELIVERY_CHARS
      ? { deliveryChars: text.length, deliveryStart: text.slice(0, MAX_DELIVERY_CHARS) }
      : {}),
  });
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: {
          ErrorCode: { DataType: 'String', StringValue: letter.error },
          ErrorMessage: { DataType: 'String', StringValue: letter.reason.slice(0, 1000) },
        },
      }),
    );
  } catch (err) {
    throw new AwsCallError('SendMessage', errorMessage(err), { cause: err });
  }
}
