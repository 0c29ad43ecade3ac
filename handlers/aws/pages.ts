/** The thin layer that sends a page: one SNS Publish to the channel's topic. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AwsCallError, errorMessage } from '../shared/errors';

/**
 * Publishes a page. `message` is SNS's JSON message structure ({"default", "email", "sms"}), so
 * each subscription gets the text written for its protocol.
 */
export async function publishPage(
  sns: SNSClient,
  topicArn: string,
  subject: string,
  message: string,
): Promise<void> {
  try {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subject,
        Message: message,
        MessageStructure: 'json',
      }),
    );
  } catch (err) {
    throw new AwsCallError('Publish', errorMessage(err), { cause: err });
  }
}
