/**
 * The intake's SDK clients, with connection and request timeouts on every call and few retries,
 * so that one slow endpoint cannot use up the invocation. The SDK reads
 * AWS_ENDPOINT_URL(_<SERVICE>) for emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';

export const SDK_TIMEOUTS = {
  /** Milliseconds to open a connection. */
  connectionTimeout: 1_000,
  /** Milliseconds to wait for a response once the request is sent. */
  requestTimeout: 3_000,
} as const;

/** The settings every intake client is created with. */
export function timeboxedClientConfig() {
  return {
    retryMode: 'adaptive',
    maxAttempts: 3,
    requestHandler: { ...SDK_TIMEOUTS },
  } as const;
}

export interface IntakeClients {
  readonly ec2: EC2Client;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly incidents: SSMIncidentsClient;
  /** OpsCenter backend: OpsItems and runbooks (SSM), the escalation (Step Functions). */
  readonly ssm: SSMClient;
  readonly sfn: SFNClient;
}

export function createIntakeClients(): IntakeClients {
  const config = timeboxedClientConfig();
  return {
    ec2: new EC2Client(config),
    dynamo: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    incidents: new SSMIncidentsClient(config),
    ssm: new SSMClient(config),
    sfn: new SFNClient(config),
  };
}

/** The pager's clients: OpsItems and SNS, under the same timeouts. */
export function createPagerClients(): { readonly ssm: SSMClient; readonly sns: SNSClient } {
  const config = timeboxedClientConfig();
  return { ssm: new SSMClient(config), sns: new SNSClient(config) };
}
