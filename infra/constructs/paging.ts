/**
 * Paging and escalation without Incident Manager (incidents.backend "opscenter"):
 * - one SNS topic per contact channel, with the channel's email or SMS subscription;
 * - the pager function, which looks at the OpsItem, publishes the pages that are due and records
 *   them on the OpsItem (handlers/pager.ts, deciding with handlers/incident/paging.ts);
 * - the escalation state machine, which the intake starts for each new OpsItem: look, wait as
 *   long as the pager says, look again, until the OpsItem is acknowledged (InProgress or
 *   Resolved) or the schedule is complete.
 */
import { join } from 'node:path';
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { channelKey, pageSchedule, type Page } from '../../handlers/incident/paging';
import { ENV } from '../../handlers/env';
import { LAMBDA_RUNTIME, lambdaBundling } from '../bundling';
import { executionRole, writeOwnLogs } from './function-role';
import type { DetectionId } from '../../patterns';
import type { ContactConfig, EscalationPlanConfig, ResponsePlanConfig } from '../config';
import { acknowledge, nagEnv } from '../nag';
import { REPO_ROOT } from '../runbooks';

export const PAGER_ENTRY = 'handlers/pager.ts';
/** How long an escalation may run: longer than any plan the configuration allows. */
export const ESCALATION_TIMEOUT = Duration.hours(24);

/** Each detection's page schedule, from its response plan's engagements. Pure. */
export function schedulesOf(
  plans: readonly ResponsePlanConfig[],
  contacts: readonly ContactConfig[],
  escalationPlans: readonly EscalationPlanConfig[],
): Record<DetectionId, Page[]> {
  const people = contacts.map((c) => ({
    alias: c.alias,
    channels: c.channels.map((ch) => ch.name),
    ...(c.engagementPlan ? { stages: c.engagementPlan } : {}),
  }));
  return Object.fromEntries(
    plans.map((p) => [p.detection, pageSchedule(p.engagements, people, escalationPlans)]),
  ) as Record<DetectionId, Page[]>;
}

export interface PagingProps {
  /** Prefix of names, e.g. "first-responder". */
  readonly prefix: string;
  readonly contacts: readonly ContactConfig[];
  readonly escalationPlans: readonly EscalationPlanConfig[];
  readonly plans: readonly ResponsePlanConfig[];
  readonly logRetention: logs.RetentionDays;
  /**
   * KMS key that encrypts the log groups.
   * @default CloudWatch Logs' own encryption
   */
  readonly logKmsKeyArn?: string;
}

export class Paging extends Construct {
  /** The topic of each contact channel, by "alias/channel". */
  readonly topics = new Map<string, sns.Topic>();
  readonly subscriptions = new Map<string, sns.CfnSubscription>();
  readonly pager: NodejsFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly schedules: Record<DetectionId, Page[]>;

  constructor(scope: Construct, id: string, props: PagingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // SNS's AWS managed key: encrypted at rest, and any publisher in the account may use it.
    const topicKey = kms.Alias.fromAliasName(this, 'TopicKey', 'alias/aws/sns');
    for (const c of props.contacts)
      for (const ch of c.channels) {
        const key = channelKey(c.alias, ch.name);
        const topic = new sns.Topic(this, `Topic-${c.alias}-${ch.name}`, {
          displayName: `first-responder ${c.displayName} ${ch.type.toLowerCase()}`.slice(0, 100),
          masterKey: topicKey,
          enforceSSL: true,
        });
        this.topics.set(key, topic);
        // An email subscription stays PendingConfirmation until its owner clicks the link.
        this.subscriptions.set(
          key,
          new sns.CfnSubscription(this, `Subscription-${c.alias}-${ch.name}`, {
            topicArn: topic.topicArn,
            protocol: ch.type === 'EMAIL' ? 'email' : 'sms',
            endpoint: ch.address,
          }),
        );
      }
    this.schedules = schedulesOf(props.plans, props.contacts, props.escalationPlans);

    const logKey = props.logKmsKeyArn
      ? { encryptionKey: kms.Key.fromKeyArn(this, 'LogKey', props.logKmsKeyArn) }
      : {};
    const pagerLogs = new logs.LogGroup(this, 'PagerLogs', {
      retention: props.logRetention,
      ...logKey,
    });
    const role = executionRole(this, 'PagerRole', `${props.prefix}-pager`);
    const opsItems = stack.formatArn({ service: 'ssm', resource: 'opsitem', resourceName: '*' });
    const policy = new iam.ManagedPolicy(this, 'PagerPolicy', {
      description: `Permissions of ${props.prefix}-pager.`,
      roles: [role],
      statements: [
        writeOwnLogs(pagerLogs),
        new iam.PolicyStatement({
          sid: 'ReadAndRecordOnOpsItems',
          actions: ['ssm:GetOpsItem', 'ssm:UpdateOpsItem'],
          resources: [opsItems],
        }),
        new iam.PolicyStatement({
          sid: 'PublishPages',
          actions: ['sns:Publish'],
          resources: [...this.topics.values()].map((t) => t.topicArn),
        }),
      ],
    });
    this.pager = new NodejsFunction(this, 'Pager', {
      entry: join(REPO_ROOT, PAGER_ENTRY),
      handler: 'handler',
      description: 'Pages the contacts of an OpsItem that nobody acknowledged yet.',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(60),
      role,
      logGroup: pagerLogs,
      environment: {
        POWERTOOLS_SERVICE_NAME: `${props.prefix}-pager`,
        [ENV.pagerSchedules]: JSON.stringify(this.schedules),
        [ENV.pagerTopics]: stack.toJsonString(
          Object.fromEntries([...this.topics].map(([k, t]) => [k, t.topicArn])),
        ),
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: lambdaBundling(PAGER_ENTRY),
    });
    this.pager.node.addDependency(policy);

    // look -> done? -> wait waitSeconds -> look ...
    const look = new tasks.LambdaInvoke(this, 'Look at the OpsItem and page', {
      lambdaFunction: this.pager,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    look.addRetry({
      errors: ['AwsCallError', 'States.Timeout'],
      interval: Duration.seconds(20),
      maxAttempts: 3,
      backoffRate: 2,
    });
    const wait = new sfn.Wait(this, 'Wait for the next stage', {
      time: sfn.WaitTime.secondsPath('$.waitSeconds'),
    });
    const done = new sfn.Succeed(this, 'Acknowledged or schedule complete');
    const definition = look.next(
      new sfn.Choice(this, 'Acknowledged or complete?')
        .when(sfn.Condition.booleanEquals('$.done', true), done)
        .otherwise(wait.next(look)),
    );
    const machineLogs = new logs.LogGroup(this, 'EscalationLogs', {
      retention: props.logRetention,
      ...logKey,
    });
    // An explicit role and managed policy: the grants CDK would add inline are written out here.
    const machineRole = new iam.Role(this, 'EscalationRole', {
      description: `Role of the ${props.prefix} escalation state machine.`,
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    const machinePolicy = new iam.ManagedPolicy(this, 'EscalationPolicy', {
      description: `Lets the ${props.prefix} escalation invoke the pager, log and trace.`,
      roles: [machineRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokePager',
          actions: ['lambda:InvokeFunction'],
          resources: [this.pager.functionArn],
        }),
        // Step Functions log delivery and X-Ray take no resource-level permissions.
        new iam.PolicyStatement({
          sid: 'LogAndTrace',
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
          ],
          resources: ['*'],
        }),
      ],
    });
    this.stateMachine = new sfn.StateMachine(this, 'Escalation', {
      comment: 'Pages an OpsItem stage by stage until someone sets it to In progress or Resolved.',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: ESCALATION_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: machineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      role: machineRole.withoutPolicyUpdates(),
    });
    this.stateMachine.node.addDependency(machinePolicy);
    acknowledge(machinePolicy, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery and X-Ray tracing take no resource-level permissions, so these actions need Resource "*".',
    });

    acknowledge(
      this.pager,
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason:
          'The state machine invokes the pager synchronously and retries it; a failure fails the execution, which Step Functions keeps with the error.',
      },
      {
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason:
          'Reserved concurrency is left unset because new accounts have a concurrency quota of 10 and reserving any of it fails the deployment.',
      },
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason:
          'The pager calls only AWS APIs and holds no data; a VPC would need NAT or interface endpoints that this app cannot assume exist in the account.',
      },
    );
    acknowledge(policy, {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${nagEnv(stack).region}:${nagEnv(stack).account}:opsitem/*]`,
      reason:
        'OpsItems are created at run time by the intake; the pager reads and records on the one its execution names.',
    });
    if (!props.logKmsKeyArn)
      for (const g of [pagerLogs, machineLogs])
        acknowledge(g, {
          id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
          reason:
            'CloudWatch Logs encrypts log data at rest with its own keys; set logs.kmsKeyArn in the configuration to use a customer-managed key instead.',
        });
  }
}
