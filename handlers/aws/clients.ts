/**
 * Settings every SDK client the handlers create shares: timeouts, so that a held response cannot
 * outlive the Lambda, and retries sized so that a fully throttled run still returns in time.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';

/** A TCP connection to an AWS endpoint is up in milliseconds; 3 s means it is not coming. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** Security-group and Incident Manager calls answer within a second; 5 s means a lost response. */
export const REQUEST_TIMEOUT_MS = 5_000;
/**
 * Three attempts with standard retry (jittered exponential backoff, at most 3 s of waiting
 * per call when throttled). Adaptive retry is not used: under sustained throttling it slows the
 * client to about one request a second, and 20 groups then overran the 4-minute timeout.
 */
export const MAX_ATTEMPTS = 3;

export interface ClientTimeouts {
  /** @default CONNECTION_TIMEOUT_MS */
  readonly connectionTimeoutMs?: number;
  /** @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** @default MAX_ATTEMPTS */
  readonly maxAttempts?: number;
}

/** Constructor settings for any SDK v3 client (the SDK reads AWS_ENDPOINT_URL_* for emulators). */
export function clientSettings(options: ClientTimeouts = {}) {
  return {
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? MAX_ATTEMPTS,
    // The default Node.js handler, built by the SDK from these settings.
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // Without this, @smithy/node-http-handler only logs a warning when the timeout passes.
      throwOnRequestTimeout: true,
    },
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

/** The intake's clients, each with the shared timeouts and retries. */
export function createIntakeClients(): IntakeClients {
  const settings = clientSettings();
  return {
    ec2: new EC2Client(settings),
    dynamo: new DynamoDBClient(settings),
    sqs: new SQSClient(settings),
    incidents: new SSMIncidentsClient(settings),
    ssm: new SSMClient(settings),
    sfn: new SFNClient(settings),
  };
}

/** The pager's clients: OpsItems and SNS, under the same timeouts. */
export function createPagerClients(): { readonly ssm: SSMClient; readonly sns: SNSClient } {
  const settings = clientSettings();
  return { ssm: new SSMClient(settings), sns: new SNSClient(settings) };
}
