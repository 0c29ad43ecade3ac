/**
 * What every function of the app builds alike: an execution role that only Lambda, acting for
 * this account, may assume, and the statement that lets the function write to its own log group.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** A function's execution role; aws:SourceAccount keeps the confused deputy out. */
export function executionRole(scope: Construct, id: string, functionName: string): iam.Role {
  return new iam.Role(scope, id, {
    description: `Execution role of ${functionName}.`,
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  });
}

/** Lets a function write to its own log group, and to no other. */
export function writeOwnLogs(logGroup: logs.ILogGroup): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  });
}
