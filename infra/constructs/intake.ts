/**
 * The intake: the one doorway from the detection rules to incidents. Every detection rule
 * targets the intake function (an asynchronous invoke with a retry policy and a dead-letter
 * queue); the function judges, deduplicates in a DynamoDB table and starts the incident from the
 * detection's response plan. Nothing is dropped silently: a delivery EventBridge cannot make, an
 * invocation that fails after Lambda's retries, and a bad event the function refuses all end in
 * one SQS queue, watched by an alarm.
 */
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from '../../handlers/aws/dedupe-table';
import { LEASE_MS } from '../../handlers/intake/dedupe';
import { INTAKE_DETECTIONS, type IntakeDetection } from '../../handlers/intake/request';
import { ENV, type PlanSettings } from '../../handlers/env';
import type { OpsCenterSettings, RunbookStart } from '../../handlers/aws/opscenter-backend';
import { LAMBDA_RUNTIME, lambdaBundling } from '../bundling';
import { acknowledge, nagEnv } from '../nag';
import {
  executionRole,
  memberAccessAcknowledgements,
  memberAccessStatements,
  writeOwnLogs,
} from './function-role';
import type { ResponseFunctionsOrganization } from './response-functions';
import { centralRoleNameOf } from '../organization';
import { incidentResourceArns, responsePlanArn } from './response-plans';
import { INTAKE_FUNCTION } from '../functions';
import { REPO_ROOT } from '../runbooks';

const INTAKE_ENTRY = INTAKE_FUNCTION.entry;
const INTAKE_TIMEOUT = INTAKE_FUNCTION.limits.timeout;

/** EventBridge's retry policy for the intake target: its maximum, a day of retries. */
export const RULE_RETRY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };

/** Lambda's own retries of a failed asynchronous invocation, and how old an event may get. */
export const ASYNC_RETRIES = 2;
export const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

export interface IntakeRuleProps {
  readonly detection: IntakeDetection;
  readonly ruleName: string;
  readonly description: string;
  /** The event pattern, exactly as EventBridge receives it. */
  readonly eventPattern: Record<string, unknown>;
  /** @default "ENABLED" */
  readonly state?: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
}

/** What the intake needs to open OpsItems instead of Incident Manager incidents. */
export interface IntakeOpsCenterProps {
  /** The escalation state machine the intake starts for each new OpsItem. */
  readonly escalation: sfn.IStateMachine;
  /** Each detection's runbook and its fixed parameters (role, dry run). */
  readonly runbooks: Readonly<
    Record<IntakeDetection, { document: ssm.CfnDocument; parameters: Record<string, string[]> }>
  >;
  /** The role the runbooks assume, which the intake passes to Automation. */
  readonly automationRole: iam.IRole;
  /**
   * SNS topic OpsCenter notifies when a detection's OpsItem changes.
   * @default none
   */
  readonly notificationTopicArns?: Readonly<Partial<Record<IntakeDetection, string>>>;
}

export interface IntakeProps {
  /**
   * Open OpsItems (OpsCenter) instead of Incident Manager incidents.
   * @default undefined: Incident Manager, from the response plans
   */
  readonly opsCenter?: IntakeOpsCenterProps;
  /** Prefix of names, e.g. "first-responder". */
  readonly prefix: string;
  /** The security-group policy as compact JSON (the intake judges groups with it). */
  readonly policyJson: string;
  /** Each detection's response plan: its name and impact. */
  readonly responsePlans: Readonly<Record<IntakeDetection, { name: string; impact: number }>>;
  readonly logRetention: logs.RetentionDays;
  /**
   * KMS key that encrypts the log group.
   * @default CloudWatch Logs' own encryption
   */
  readonly logKmsKeyArn?: string;
  /**
   * MAX_REVOKES_PER_GROUP, so that the intake's dry run refuses where the reverter would.
   * @default the handler's default
   */
  readonly maxRevokesPerGroup?: number;
  /**
   * Where the dead-letter alarm notifies (SNS topic ARNs).
   * @default none: the alarm shows in CloudWatch only
   */
  readonly alarmActionArns?: readonly string[];
  /**
   * Organization mode: the settings (FIRST_RESPONDER_ORGANIZATION), a fixed role name, reading
   * groups through the member role, and the detection rules on this bus (the central bus).
   * @default undefined: single-account, rules on the default bus
   */
  readonly organization?: IntakeOrganizationProps;
}

/** What the intake needs in organization mode. */
export interface IntakeOrganizationProps extends ResponseFunctionsOrganization {
  /** The bus the detection rules are on. */
  readonly eventBusName: string;
}

export class Intake extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly table: dynamodb.Table;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly rules = new Map<IntakeDetection, events.CfnRule>();
  /** The bus the detection rules are on; undefined for the default bus. */
  readonly eventBusName?: string;

  constructor(scope: Construct, id: string, props: IntakeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (INTAKE_TIMEOUT.toMilliseconds() >= LEASE_MS)
      throw new Error(
        `the intake's timeout (${INTAKE_TIMEOUT.toSeconds()} s) must be shorter than the dedupe lease (${LEASE_MS / 1000} s)`,
      );

    this.table = new dynamodb.Table(this, 'Dedupe', {
      partitionKey: { name: KEY_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // Only dedupe records: losing them costs at most one extra incident per open problem.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription:
        'An event did not become an incident: it is in the intake dead-letter queue with the reason. Read the message, fix the cause, and open the incident by hand if needed.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const arn of props.alarmActionArns ?? [])
      this.deadLetterAlarm.addAlarmAction({ bind: () => ({ alarmActionArn: arn }) });
    if (!props.alarmActionArns?.length)
      acknowledge(this.deadLetterAlarm, {
        id: 'NIST.800.53.R5-CloudWatchAlarmAction',
        reason:
          'No notification target is configured, so the alarm shows in CloudWatch only; pass alarmActionArns to notify a topic.',
      });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      ...(props.logKmsKeyArn
        ? { encryptionKey: kms.Key.fromKeyArn(this, 'LogKey', props.logKmsKeyArn) }
        : {}),
    });
    const org = props.organization;
    this.eventBusName = org?.eventBusName;
    this.role = executionRole(
      this,
      'Role',
      `${props.prefix}-${INTAKE_FUNCTION.name}`,
      org ? centralRoleNameOf(props.prefix, INTAKE_FUNCTION.name) : undefined,
    );
    const planNames = Object.values(props.responsePlans).map((p) => p.name);
    const imStatements = [
      // StartIncident's only resource type is the response plan (Service Authorization Reference).
      new iam.PolicyStatement({
        sid: 'StartIncidents',
        actions: ['ssm-incidents:StartIncident'],
        resources: planNames.map((name) => responsePlanArn(this, name)),
      }),
      new iam.PolicyStatement({
        sid: 'AppendToIncidents',
        actions: ['ssm-incidents:GetIncidentRecord', 'ssm-incidents:CreateTimelineEvent'],
        resources: incidentResourceArns(this, planNames),
      }),
    ];
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Permissions of ${props.prefix}-${INTAKE_FUNCTION.name}.`,
      roles: [this.role],
      statements: [
        writeOwnLogs(logGroup),
        // In organization mode the intake reads every group, its own account's included, through
        // the member role.
        ...(org
          ? memberAccessStatements(org)
          : [
              new iam.PolicyStatement({
                sid: 'ReadSecurityGroups',
                actions: ['ec2:DescribeSecurityGroups'],
                resources: ['*'],
              }),
            ]),
        new iam.PolicyStatement({
          sid: 'DedupeRecords',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [this.table.tableArn],
        }),
        new iam.PolicyStatement({
          sid: 'DeadLetters',
          actions: ['sqs:SendMessage'],
          resources: [this.deadLetterQueue.queueArn],
        }),
        ...(props.opsCenter ? opsCenterStatements(stack, props.opsCenter) : imStatements),
      ],
    });

    const plans = Object.fromEntries(
      Object.entries(props.responsePlans).map(([detection, p]) => [
        detection,
        (props.opsCenter
          ? { impact: p.impact }
          : { arn: responsePlanArn(this, p.name), impact: p.impact }) satisfies PlanSettings,
      ]),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, INTAKE_ENTRY),
      handler: 'handler',
      description: INTAKE_FUNCTION.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: INTAKE_FUNCTION.limits.memorySize,
      timeout: INTAKE_TIMEOUT,
      role: this.role,
      logGroup,
      environment: {
        [ENV.serviceName]: `${props.prefix}-${INTAKE_FUNCTION.name}`,
        [ENV.policy]: props.policyJson,
        [ENV.intakeTable]: this.table.tableName,
        [ENV.intakeDeadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        [ENV.intakeResponsePlans]: stack.toJsonString(plans),
        ...(props.opsCenter
          ? {
              [ENV.intakeBackend]: 'opscenter',
              [ENV.intakeOpsCenter]: stack.toJsonString(opsCenterSettings(props.opsCenter)),
            }
          : {}),
        ...(props.maxRevokesPerGroup !== undefined
          ? { [ENV.maxRevokesPerGroup]: String(props.maxRevokesPerGroup) }
          : {}),
        ...(org ? { [ENV.organization]: JSON.stringify(org.settings) } : {}),
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: lambdaBundling(INTAKE_ENTRY),
    });
    this.function.node.addDependency(policy);
    // After Lambda's retries, the failed event and its error go to the dead-letter queue (the
    // managed policy lets the role send there: no inline grant).
    new lambda.CfnEventInvokeConfig(this, 'AsyncInvoke', {
      functionName: this.function.functionName,
      qualifier: '$LATEST',
      maximumRetryAttempts: ASYNC_RETRIES,
      maximumEventAgeInSeconds: ASYNC_MAX_EVENT_AGE.toSeconds(),
      destinationConfig: { onFailure: { destination: this.deadLetterQueue.queueArn } },
    }).node.addDependency(policy);

    const { account } = nagEnv(stack);
    acknowledge(
      this.function,
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason:
          "The intake's failed invocations go to an on-failure destination (the dead-letter queue), which carries the error with the event, unlike a DeadLetterConfig.",
      },
      {
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason:
          'Reserved concurrency is left unset because new accounts have a concurrency quota of 10 and reserving any of it fails the deployment; the dedupe table keeps concurrent deliveries from opening two incidents.',
      },
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason:
          'The intake calls only AWS APIs and holds no data; a VPC would need NAT or interface endpoints that this app cannot assume exist in the account.',
      },
    );
    if (!props.logKmsKeyArn)
      acknowledge(logGroup, {
        id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
        reason:
          'CloudWatch Logs encrypts log data at rest with its own keys; set logs.kmsKeyArn in the configuration to use a customer-managed key instead.',
      });
    acknowledge(
      policy,
      ...(org
        ? memberAccessAcknowledgements(org)
        : [
            {
              id: 'AwsSolutions-IAM5[Resource::*]',
              reason:
                'EC2 Describe actions support no resource-level permissions, so they need Resource "*"; the intake only reads security groups.',
            },
          ]),
      ...(props.opsCenter ? opsCenterAcknowledgements(stack, props.opsCenter) : []),
      ...(props.opsCenter ? [] : planNames).map((name) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm-incidents:*:${account}:incident-record/${name}/*]`,
        reason:
          "Incident records are created at run time; the wildcard covers only the incidents of this app's own response plans.",
      })),
    );
    acknowledge(this.table, {
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason:
        'The table holds only short-lived dedupe records, protected by point-in-time recovery; losing them costs at most one extra incident per open problem.',
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the rules and the intake; it is watched by an alarm.',
    });
  }

  /** A detection rule that targets the intake, with a retry policy and the dead-letter queue. */
  addRule(id: string, props: IntakeRuleProps): events.CfnRule {
    const stack = Stack.of(this);
    const ruleArn = stack.formatArn({
      service: 'events',
      resource: 'rule',
      // A rule on a custom bus has the bus's name in its ARN.
      resourceName: this.eventBusName ? `${this.eventBusName}/${props.ruleName}` : props.ruleName,
    });
    const rule = new events.CfnRule(this, id, {
      name: props.ruleName,
      ...(this.eventBusName ? { eventBusName: this.eventBusName } : {}),
      description: props.description,
      state: props.state ?? 'ENABLED',
      eventPattern: props.eventPattern,
      targets: [
        {
          id: 'Intake',
          arn: this.function.functionArn,
          // The detection rides with the event, so an event two rules match is judged once each.
          inputTransformer: {
            inputTemplate: `{"detection":"${props.detection}","ruleArn":"<aws.events.rule-arn>","event":<aws.events.event.json>}`,
          },
          retryPolicy: RULE_RETRY,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
      ],
    });
    new lambda.CfnPermission(this, `${id}Invoke`, {
      action: 'lambda:InvokeFunction',
      functionName: this.function.functionArn,
      principal: 'events.amazonaws.com',
      sourceArn: ruleArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    // EventBridge sends undeliverable events to the queue: only this rule's, from this account.
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `DeadLetters${id.replace(/[^A-Za-z0-9]/g, '')}`,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      }),
    );
    this.rules.set(props.detection, rule);
    return rule;
  }
}

/** The intake's OpsCenter settings as its environment carries them (CDK tokens resolve at deploy). */
function opsCenterSettings(p: IntakeOpsCenterProps): OpsCenterSettings {
  const runbooks = {} as Record<IntakeDetection, RunbookStart>;
  for (const d of INTAKE_DETECTIONS)
    runbooks[d] = { document: p.runbooks[d].document.ref, parameters: p.runbooks[d].parameters };
  return {
    escalationArn: p.escalation.stateMachineArn,
    runbooks,
    ...(p.notificationTopicArns ? { notificationTopicArns: p.notificationTopicArns } : {}),
  };
}

/**
 * OpsCenter: create, read and write OpsItems, find one by its key, start the escalation, start
 * the runbooks and pass their role. StartAutomationExecution's resource types are the
 * automation definition and the automation execution (Service Authorization Reference).
 */
function opsCenterStatements(stack: Stack, p: IntakeOpsCenterProps): iam.PolicyStatement[] {
  const documents = [...new Set(Object.values(p.runbooks).map((r) => r.document))];
  return [
    new iam.PolicyStatement({
      sid: 'OpsItems',
      actions: ['ssm:CreateOpsItem', 'ssm:GetOpsItem', 'ssm:UpdateOpsItem'],
      resources: [stack.formatArn({ service: 'ssm', resource: 'opsitem', resourceName: '*' })],
    }),
    // DescribeOpsItems supports no resource-level permissions.
    new iam.PolicyStatement({
      sid: 'FindOpsItems',
      actions: ['ssm:DescribeOpsItems'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'StartEscalation',
      actions: ['states:StartExecution'],
      resources: [p.escalation.stateMachineArn],
    }),
    new iam.PolicyStatement({
      sid: 'StartRunbooks',
      actions: ['ssm:StartAutomationExecution'],
      resources: [
        ...documents.map((d) =>
          stack.formatArn({
            service: 'ssm',
            resource: 'automation-definition',
            resourceName: `${d.ref}:*`,
          }),
        ),
        ...documents.map((d) =>
          stack.formatArn({ service: 'ssm', resource: 'document', resourceName: d.ref }),
        ),
        stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' }),
      ],
    }),
    // The runbook's execution is started with a tag (the OpsItem ID); Systems Manager may also
    // authorize tags given on create as ssm:AddTagsToResource, on the new execution.
    new iam.PolicyStatement({
      sid: 'TagRunbookExecutions',
      actions: ['ssm:AddTagsToResource'],
      resources: [
        stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' }),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'PassAutomationRole',
      actions: ['iam:PassRole'],
      resources: [p.automationRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
    }),
  ];
}

function opsCenterAcknowledgements(stack: Stack, p: IntakeOpsCenterProps) {
  const { region, account } = nagEnv(stack);
  const documents = [...new Set(Object.values(p.runbooks).map((r) => r.document))];
  return [
    ...documents.map((d) => ({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:automation-definition/<${stack.getLogicalId(d)}>:*]`,
      reason:
        'The trailing wildcard selects versions of this one runbook, which change with every deployment; no other document matches.',
    })),
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:opsitem/*]`,
      reason:
        'OpsItems are created at run time; the intake reads and writes only the ones it opened, found by their ID.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:automation-execution/*]`,
      reason:
        'Automation execution IDs are assigned when the runbook starts; the document statement limits what can be started.',
    },
  ];
}
