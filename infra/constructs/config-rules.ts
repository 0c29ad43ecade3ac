/**
 * AWS Config: the managed rules s3-bucket-public-read-prohibited and
 * s3-bucket-public-write-prohibited, and the custom security-group rule backed by the evaluator
 * function. Each can be switched off. The account's Config recorder is reused by default; with
 * recorder "create", a recorder of security groups and buckets is created with its own bucket.
 */
import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ConfigRuleId } from '../config';
import { acknowledge } from '../nag';
import { S3_PUBLIC_READ_RULE, S3_PUBLIC_WRITE_RULE } from './config-rule-names';

export interface ConfigRulesProps {
  /** Which rules to deploy. */
  readonly rules: Record<ConfigRuleId, boolean>;
  /** Name of the custom security-group rule (the one patterns/ watches). */
  readonly securityGroupRuleName: string;
  /** The evaluator behind the custom rule. */
  readonly evaluator: lambda.IFunction;
  /**
   * "existing" reuses the account's recorder; "create" makes one.
   * @default "existing"
   */
  readonly recorder?: 'existing' | 'create';
}

export class ConfigRules extends Construct {
  /** Deployed rules by name. */
  readonly rules = new Map<string, config.CfnConfigRule>();
  readonly recorder?: config.CfnConfigurationRecorder;

  constructor(scope: Construct, id: string, props: ConfigRulesProps) {
    super(scope, id);

    let waitFor: Construct[] = [];
    if (props.recorder === 'create') {
      const made = this.createRecorder();
      this.recorder = made.recorder;
      waitFor = [made.recorder, made.channel];
    }

    const managed = [
      {
        on: props.rules.s3PublicRead,
        name: S3_PUBLIC_READ_RULE,
        source: 'S3_BUCKET_PUBLIC_READ_PROHIBITED',
      },
      {
        on: props.rules.s3PublicWrite,
        name: S3_PUBLIC_WRITE_RULE,
        source: 'S3_BUCKET_PUBLIC_WRITE_PROHIBITED',
      },
    ];
    for (const m of managed.filter((m) => m.on)) {
      const rule = new config.CfnConfigRule(this, m.name, {
        configRuleName: m.name,
        description: `AWS managed rule ${m.source}, watched by first-responder.`,
        source: { owner: 'AWS', sourceIdentifier: m.source },
        scope: { complianceResourceTypes: ['AWS::S3::Bucket'] },
      });
      waitFor.forEach((w) => rule.node.addDependency(w));
      this.rules.set(m.name, rule);
    }

    if (props.rules.securityGroupPolicy) {
      // Config must be allowed to invoke the evaluator before the rule is created.
      const permission = new lambda.CfnPermission(this, 'ConfigInvokesEvaluator', {
        action: 'lambda:InvokeFunction',
        functionName: props.evaluator.functionArn,
        principal: 'config.amazonaws.com',
        sourceAccount: Aws.ACCOUNT_ID,
      });
      const rule = new config.CfnConfigRule(this, 'SecurityGroupPolicy', {
        configRuleName: props.securityGroupRuleName,
        description: 'Security groups comply with the first-responder security-group policy.',
        source: {
          owner: 'CUSTOM_LAMBDA',
          sourceIdentifier: props.evaluator.functionArn,
          sourceDetails: [
            { eventSource: 'aws.config', messageType: 'ConfigurationItemChangeNotification' },
            {
              eventSource: 'aws.config',
              messageType: 'OversizedConfigurationItemChangeNotification',
            },
          ],
        },
        scope: { complianceResourceTypes: ['AWS::EC2::SecurityGroup'] },
      });
      rule.addResourceDependency(permission);
      waitFor.forEach((w) => rule.node.addDependency(w));
      this.rules.set(props.securityGroupRuleName, rule);
    }
  }

  private createRecorder() {
    const bucket = new s3.Bucket(this, 'DeliveryBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ConfigChecksBucket',
        principals: [new iam.ServicePrincipal('config.amazonaws.com')],
        actions: ['s3:GetBucketAcl', 's3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ConfigDelivers',
        principals: [new iam.ServicePrincipal('config.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`AWSLogs/${Aws.ACCOUNT_ID}/Config/*`)],
        conditions: {
          StringEquals: {
            's3:x-amz-acl': 'bucket-owner-full-control',
            'aws:SourceAccount': Aws.ACCOUNT_ID,
          },
        },
      }),
    );
    acknowledge(
      bucket,
      {
        id: 'AwsSolutions-S1',
        reason:
          'This bucket only receives AWS Config snapshots and history, whose writes AWS CloudTrail already records; access logs of it would need yet another bucket.',
      },
      {
        id: 'NIST.800.53.R5-S3BucketLoggingEnabled',
        reason:
          'This bucket only receives AWS Config snapshots and history, whose writes AWS CloudTrail already records; access logs of it would need yet another bucket.',
      },
      {
        id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
        reason:
          'Config history can be delivered again from the recorder, so replicating it to another region is left to the account owner.',
      },
      {
        id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason:
          'The bucket is encrypted with S3-managed keys, which AWS Config delivery supports without a key policy to maintain.',
      },
    );

    const role = new iam.Role(this, 'RecorderRole', {
      description: 'Lets AWS Config read the configuration of recorded resources.',
      assumedBy: new iam.ServicePrincipal('config.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWS_ConfigRole')],
    });
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]',
      reason:
        'AWS_ConfigRole is the read-only policy AWS maintains for the Config recorder; a hand-written copy would fall behind as resource types gain properties.',
    });

    const recorder = new config.CfnConfigurationRecorder(this, 'Recorder', {
      roleArn: role.roleArn,
      recordingGroup: {
        allSupported: false,
        includeGlobalResourceTypes: false,
        resourceTypes: ['AWS::EC2::SecurityGroup', 'AWS::S3::Bucket'],
      },
    });
    const channel = new config.CfnDeliveryChannel(this, 'DeliveryChannel', {
      s3BucketName: bucket.bucketName,
    });
    channel.node.addDependency(bucket.policy!);
    // PutDeliveryChannel fails (NoAvailableConfigurationRecorderException) until a recorder
    // exists, and nothing else orders the two: the channel must wait for the recorder.
    channel.addResourceDependency(recorder);
    return { recorder, channel };
  }
}
