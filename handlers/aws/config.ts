/**
 * The thin layer that reports a custom rule's evaluations to AWS Config. Every verdict is made
 * before this is called; this file only spells and sends them.
 */
import {
  ConfigServiceClient,
  PutEvaluationsCommand,
  type Evaluation,
} from '@aws-sdk/client-config-service';
import type { ResourceEvaluation } from '../policy/config-item';
import { AwsCallError, errorMessage } from '../shared/errors';
import { clientSettings, type ClientTimeouts } from './clients';

/** PutEvaluations' limit on evaluations a call. */
export const MAX_EVALUATIONS_PER_CALL = 100;

/** Timeouts and retries as every client (./clients); the SDK reads AWS_ENDPOINT_URL_CONFIG_SERVICE. */
export function createConfigClient(options: ClientTimeouts = {}): ConfigServiceClient {
  return new ConfigServiceClient(clientSettings(options));
}

export function toSdkEvaluation(e: ResourceEvaluation): Evaluation {
  return {
    ComplianceResourceType: e.resourceType,
    ComplianceResourceId: e.resourceId,
    ComplianceType: e.complianceType,
    ...(e.annotation ? { Annotation: e.annotation } : {}),
    OrderingTimestamp: e.orderingTimestamp,
  };
}

export interface PutOutcome {
  /** PutEvaluations calls made. */
  readonly calls: number;
}

/**
 * Sends evaluations with the invocation's result token, in as few calls as the API allows.
 * Evaluations Config refuses are an error: a silently missing verdict reads as "no finding".
 */
export async function putEvaluations(
  config: ConfigServiceClient,
  resultToken: string,
  testMode: boolean,
  evaluations: readonly ResourceEvaluation[],
): Promise<PutOutcome> {
  let calls = 0;
  for (let i = 0; i < evaluations.length; i += MAX_EVALUATIONS_PER_CALL) {
    const batch = evaluations.slice(i, i + MAX_EVALUATIONS_PER_CALL);
    let failed: readonly Evaluation[];
    try {
      calls++;
      const out = await config.send(
        new PutEvaluationsCommand({
          Evaluations: batch.map(toSdkEvaluation),
          ResultToken: resultToken,
          ...(testMode ? { TestMode: true } : {}),
        }),
      );
      failed = out.FailedEvaluations ?? [];
    } catch (err) {
      throw new AwsCallError('PutEvaluations', errorMessage(err), { cause: err });
    }
    if (failed.length > 0)
      throw new AwsCallError(
        'PutEvaluations',
        `AWS Config refused ${failed.length} of ${batch.length} evaluations: ${failed
          .map((f) => `${f.ComplianceResourceId ?? '?'} (${f.ComplianceType ?? '?'})`)
          .join(', ')}`,
      );
  }
  return { calls };
}
