/**
 * The response functions (the reverter, the GuardDuty response, root triage and the Config
 * evaluator), built from the catalogue in infra/functions.ts: bundled by the local esbuild (never
 * Docker), on the newest Node.js runtime, each with its own role, customer-managed policy and log
 * group.
 *
 * Least privilege is the point: the functions that change security groups may revoke or
 * authorize ingress only on groups WITHOUT the policy's exempt tag, enforced by an explicit IAM
 * Deny, so even a bug in the handler cannot touch an exempt group.
 */
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  changeIngressStatements,
  EC2_WRITES,
  executionRole,
  memberAccessAcknowledgements,
  memberAccessStatements,
  writeOwnLogs,
  type MemberAccessProps,
} from './function-role';
import { incidentResourceArns } from './response-plans';
import { ENV, type OrganizationSettings } from '../../handlers/env';
import type { ExemptTag } from '../../handlers/policy/policy';
import type { RunbookId } from '../config';
import { LAMBDA_RUNTIME, lambdaBundling } from '../bundling';
import { acknowledge, nagEnv } from '../nag';
import {
  FUNCTION_IDS,
  FUNCTIONS,
  type FunctionId,
  type FunctionInput,
  type FunctionPermission,
} from '../functions';
import { centralRoleNameOf } from '../organization';
import { REPO_ROOT } from '../runbooks';

export { EC2_WRITES, LAMBDA_RUNTIME };

/**
 * EC2 reads; they take no resource ARN. One DescribeSecurityGroups returns a group's tags and
 * rules, so no function reads rules separately; a GuardDuty finding names an instance.
 */
const READ_GROUPS = 'ec2:DescribeSecurityGroups';
const READ_INSTANCES = 'ec2:DescribeInstances';
/** What the handlers do on an incident record. */
export const TIMELINE_ACTIONS = [
  'ssm-incidents:GetIncidentRecord',
  'ssm-incidents:ListTimelineEvents',
  'ssm-incidents:GetTimelineEvent',
  'ssm-incidents:CreateTimelineEvent',
  'ssm-incidents:UpdateRelatedItems',
];
/** What the handlers do on an OpsItem (incidents.backend "opscenter"): read it, write records. */
export const OPSITEM_ACTIONS = ['ssm:GetOpsItem', 'ssm:UpdateOpsItem'];

export interface ResponseFunctionsProps {
  /** Prefix of names, e.g. "first-responder". */
  readonly prefix: string;
  /** The policy document as compact JSON (FIRST_RESPONDER_POLICY). */
  readonly policyJson: string;
  /** The policy's exempt tag: the IAM Deny condition. */
  readonly exempt: ExemptTag;
  /**
   * The response plans and the runbook each starts: a function may read and annotate only the
   * incidents of the plans whose runbook invokes it.
   */
  readonly responsePlans: readonly { readonly name: string; readonly runbook: RunbookId }[];
  /** Retention of every log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * KMS key that encrypts the log groups.
   * @default CloudWatch Logs' own encryption
   */
  readonly logKmsKeyArn?: string;
  /**
   * MAX_REVOKES_PER_GROUP of the reverter.
   * @default the handler's default
   */
  readonly maxRevokesPerGroup?: number;
  /**
   * MAX_GROUPS_PER_CALL of the reverter.
   * @default the handler's default
   */
  readonly maxGroupsPerCall?: number;
  /**
   * MAX_INBOUND_RULES_PER_GROUP of the reverter: EC2's inbound-rule quota per group.
   * @default the handler's default (60, EC2's default quota)
   */
  readonly maxInboundRulesPerGroup?: number;
  /**
   * GUARDDUTY_REVERT_MIN_SEVERITY of the GuardDuty response: a severity, or "never".
   * @default the handler's default (9, Critical only)
   */
  readonly guardDutyRevertMinSeverity?: number | 'never';
  /**
   * incidents.backend "opscenter": the runbooks pass an OpsItem ID, and the functions read the
   * OpsItem and write their records on it instead of an incident's timeline.
   * @default false
   */
  readonly opsCenter?: boolean;
  /**
   * Organization mode: the functions whose catalogue entry says `actInMembers` get the settings
   * (FIRST_RESPONDER_ORGANIZATION), a fixed role name, and act through the member role.
   * @default undefined: single-account, acting in this account and region
   */
  readonly organization?: ResponseFunctionsOrganization;
}

/** What the functions need in organization mode. */
export interface ResponseFunctionsOrganization extends MemberAccessProps {
  /** FIRST_RESPONDER_ORGANIZATION (organizationSettingsOf). */
  readonly settings: OrganizationSettings;
}

/** Permissions that become the member role's in organization mode. */
const MEMBER_EC2_PERMISSIONS: readonly FunctionPermission[] = [
  'describeSecurityGroups',
  'describeInstances',
  'changeIngress',
];

export class ResponseFunctions extends Construct {
  readonly functions: Record<FunctionId, NodejsFunction>;
  readonly roles: Record<FunctionId, iam.Role>;
  readonly logGroups: Record<FunctionId, logs.LogGroup>;

  constructor(scope: Construct, id: string, props: ResponseFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    /** The plans whose runbook invokes `functionId`. */
    const plansOf = (functionId: FunctionId) =>
      props.responsePlans
        .filter((p) => FUNCTIONS[functionId].invokedBy.includes(p.runbook))
        .map((p) => p.name);
    const incidentArns = (plans: readonly string[]) => incidentResourceArns(this, plans);
    const { region, account } = nagEnv(stack);
    const logKey = props.logKmsKeyArn
      ? kms.Key.fromKeyArn(this, 'LogKey', props.logKmsKeyArn)
      : undefined;

    const functions = {} as Record<FunctionId, NodejsFunction>;
    const roles = {} as Record<FunctionId, iam.Role>;
    const logGroups = {} as Record<FunctionId, logs.LogGroup>;

    for (const functionId of FUNCTION_IDS) {
      const spec = FUNCTIONS[functionId];
      const org = props.organization;
      const member = org && spec.permissions.includes('actInMembers') ? org : undefined;
      const may = (p: FunctionPermission) =>
        spec.permissions.includes(p) &&
        // Acting through the member role in every account, its own included, the function needs
        // no EC2 right of its own (docs/organization.md).
        !(member && MEMBER_EC2_PERMISSIONS.includes(p));
      const reads = (i: FunctionInput) =>
        spec.environment.includes(i) && (i !== 'organization' || org !== undefined);
      const scopeOf = new Construct(this, functionId);

      const logGroup = new logs.LogGroup(scopeOf, 'Logs', {
        retention: props.logRetention,
        ...(logKey ? { encryptionKey: logKey } : {}),
      });

      const role = executionRole(
        scopeOf,
        'Role',
        `${props.prefix}-${spec.name}`,
        member ? centralRoleNameOf(props.prefix, spec.name) : undefined,
      );

      const statements = [writeOwnLogs(logGroup)];
      if (may('describeSecurityGroups'))
        statements.push(
          new iam.PolicyStatement({
            sid: 'DescribeSecurityGroups',
            actions: may('describeInstances') ? [READ_GROUPS, READ_INSTANCES] : [READ_GROUPS],
            resources: ['*'],
          }),
        );
      if (may('changeIngress')) statements.push(...changeIngressStatements(this, props.exempt));
      if (member) statements.push(...memberAccessStatements(member));
      const plans = plansOf(functionId);
      const opsCenter = props.opsCenter ?? false;
      if (may('incidentTimeline') && opsCenter)
        statements.push(
          new iam.PolicyStatement({
            sid: 'OpsItemRecords',
            actions: OPSITEM_ACTIONS,
            resources: [
              stack.formatArn({ service: 'ssm', resource: 'opsitem', resourceName: '*' }),
            ],
          }),
        );
      if (may('incidentTimeline') && !opsCenter && plans.length)
        statements.push(
          new iam.PolicyStatement({
            sid: 'IncidentTimeline',
            actions: TIMELINE_ACTIONS,
            resources: incidentArns(plans),
          }),
        );
      if (may('reportEvaluations'))
        statements.push(
          new iam.PolicyStatement({
            sid: 'ReportEvaluations',
            actions: ['config:PutEvaluations'],
            resources: ['*'],
          }),
        );
      new iam.ManagedPolicy(scopeOf, 'Policy', {
        description: `Permissions of ${props.prefix}-${spec.name}.`,
        statements,
        roles: [role],
      });

      const environment: Record<string, string> = {
        [ENV.serviceName]: `${props.prefix}-${spec.name}`,
      };
      if (reads('policy')) environment[ENV.policy] = props.policyJson;
      if (reads('revertLimits')) {
        if (props.maxRevokesPerGroup !== undefined)
          environment[ENV.maxRevokesPerGroup] = String(props.maxRevokesPerGroup);
        if (props.maxGroupsPerCall !== undefined)
          environment[ENV.maxGroupsPerCall] = String(props.maxGroupsPerCall);
        if (props.maxInboundRulesPerGroup !== undefined)
          environment[ENV.maxInboundRulesPerGroup] = String(props.maxInboundRulesPerGroup);
      }
      if (reads('guardDutyRevertMinSeverity') && props.guardDutyRevertMinSeverity !== undefined)
        environment[ENV.guardDutyRevertMinSeverity] = String(props.guardDutyRevertMinSeverity);
      if (reads('organization') && org)
        environment[ENV.organization] = JSON.stringify(org.settings);

      const fn = new NodejsFunction(scopeOf, 'Function', {
        entry: join(REPO_ROOT, spec.entry),
        handler: 'handler',
        description: spec.description,
        runtime: LAMBDA_RUNTIME,
        architecture: lambda.Architecture.ARM_64,
        memorySize: spec.limits.memorySize,
        timeout: spec.limits.timeout,
        role,
        logGroup,
        environment,
        projectRoot: REPO_ROOT,
        depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
        bundling: lambdaBundling(spec.entry),
      });
      // The function must not start before its role can write logs and do its job.
      fn.node.addDependency(scopeOf.node.findChild('Policy'));

      acknowledge(
        fn,
        {
          id: 'NIST.800.53.R5-LambdaDLQ',
          reason:
            'SSM Automation and AWS Config invoke these functions and handle failures themselves: a runbook step fails visibly on the incident and Config re-evaluates on the next change, so a dead-letter queue would only hold stale events.',
        },
        {
          id: 'NIST.800.53.R5-LambdaConcurrency',
          reason:
            'Reserved concurrency is left unset because new accounts have a concurrency quota of 10 and reserving any of it fails the deployment; the functions run only when an incident or a Config evaluation calls them.',
        },
        {
          id: 'NIST.800.53.R5-LambdaInsideVPC',
          reason:
            'The functions call only AWS APIs and hold no data; a VPC would need NAT or interface endpoints that this app cannot assume exist in the account.',
        },
      );
      if (!logKey)
        acknowledge(logGroup, {
          id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
          reason:
            'CloudWatch Logs encrypts log data at rest with its own keys; set logs.kmsKeyArn in the configuration to use a customer-managed key instead.',
        });

      const wildcardReason =
        'EC2 Describe actions and config:PutEvaluations support no resource-level permissions, so they need Resource "*"; every write is scoped to security groups of this account and region, and exempt groups are denied.';
      const acks = [];
      if (may('describeSecurityGroups') || may('reportEvaluations'))
        acks.push({ id: 'AwsSolutions-IAM5[Resource::*]', reason: wildcardReason });
      if (may('changeIngress'))
        acks.push(
          {
            id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}:${account}:security-group/*]`,
            reason:
              'The groups to revert are only known when an incident names them; the Deny statement keeps every group carrying the exempt tag out of reach.',
          },
          {
            id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}:${account}:security-group-rule/*]`,
            reason:
              'Revoking and authorizing ingress also acts on the rules of a group, which are only known when an incident names the group.',
          },
        );
      if (member) acks.push(...memberAccessAcknowledgements(member));
      if (may('incidentTimeline') && opsCenter)
        acks.push({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:opsitem/*]`,
          reason:
            'OpsItems are opened at run time by the intake; the function reads and records on the one its runbook names.',
        });
      if (may('incidentTimeline') && !opsCenter)
        for (const name of plans)
          acks.push({
            id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm-incidents:*:${account}:incident-record/${name}/*]`,
            reason:
              "Incident records are created at run time; the wildcard covers only the incidents of this app's own response plans.",
          });
      if (acks.length) acknowledge(scopeOf.node.findChild('Policy'), ...acks);

      functions[functionId] = fn;
      roles[functionId] = role;
      logGroups[functionId] = logGroup;
    }
    this.functions = functions;
    this.roles = roles;
    this.logGroups = logGroups;
  }

  /** Roles whose security-group changes are the app's own remediation (excluded from detection). */
  get remediationRoles(): iam.Role[] {
    return FUNCTION_IDS.filter((id) => FUNCTIONS[id].permissions.includes('changeIngress')).map(
      (id) => this.roles[id],
    );
  }
}
