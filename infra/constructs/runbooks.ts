/**
 * The runbooks of runbooks/ as SSM Automation documents, and the two roles around them:
 * - the automation role, which a runbook assumes and which may only invoke this app's functions;
 * - the Incident Manager role, which a response plan uses to start a runbook and which may only
 *   start this app's runbooks and pass the automation role to SSM.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { RUNBOOK_IDS, type RunbookId } from '../config';
import { acknowledge, nagEnv } from '../nag';
import { RUNBOOK_FUNCTIONS, renderRunbook, type RunbookOrganization } from '../runbooks';
import { FUNCTIONS, type FunctionId } from '../functions';

export interface RunbooksProps {
  /** Prefix of names, e.g. "first-responder". */
  readonly prefix: string;
  /** The functions the runbooks invoke. */
  readonly functions: Record<FunctionId, lambda.IFunction>;
  /**
   * Create the role Incident Manager starts the runbooks with (false under OpsCenter, where the
   * intake starts them).
   * @default true
   */
  readonly incidentManager?: boolean;
  /**
   * Organization mode: deploy the organization runbooks (the revert runbook asks the reverter
   * for the scope and, in "approve" accounts, the approvers of `approval`). aws:approve
   * publishes the request to `approval.notificationTopicArn` with the automation role's
   * permissions (the topic's name starts with "Automation").
   * @default none: a single-account deployment, runbooks unchanged
   */
  readonly organization?: RunbookOrganization;
}

export class Runbooks extends Construct {
  readonly documents: Record<RunbookId, ssm.CfnDocument>;
  /** Assumed by the runbooks (AutomationAssumeRole). */
  readonly automationRole: iam.Role;
  /** Used by Incident Manager to start the runbooks (the response plan's RoleArn). */
  readonly incidentManagerRole?: iam.Role;

  constructor(scope: Construct, id: string, props: RunbooksProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const documents = {} as Record<RunbookId, ssm.CfnDocument>;
    for (const runbook of RUNBOOK_IDS) {
      const handler = RUNBOOK_FUNCTIONS[runbook];
      // No fixed Name: a content change replaces the document, which a fixed name would block.
      documents[runbook] = new ssm.CfnDocument(this, runbook, {
        documentType: 'Automation',
        documentFormat: 'JSON',
        content: renderRunbook(
          runbook,
          props.functions[handler].functionName,
          FUNCTIONS[handler].limits.timeout.toSeconds(),
          props.organization,
        ),
        tags: [{ key: 'first-responder:runbook', value: runbook }],
      });
    }
    this.documents = documents;

    const invoked = [...new Set(RUNBOOK_IDS.map((r) => RUNBOOK_FUNCTIONS[r]))];
    this.automationRole = new iam.Role(this, 'AutomationRole', {
      description: `Assumed by the ${props.prefix} runbooks; may only invoke the app's functions.`,
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'ssm',
              resource: 'automation-execution',
              resourceName: '*',
            }),
          },
        },
      }),
    });
    new iam.ManagedPolicy(this, 'AutomationPolicy', {
      description: `Lets the ${props.prefix} runbooks invoke the app's functions, and nothing else.`,
      roles: [this.automationRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeAppFunctions',
          actions: ['lambda:InvokeFunction'],
          resources: invoked.map((h) => props.functions[h].functionArn),
        }),
        // aws:approve publishes the approval request to this topic.
        ...(props.organization?.approval
          ? [
              new iam.PolicyStatement({
                sid: 'PublishApprovalRequests',
                actions: ['sns:Publish'],
                resources: [props.organization.approval.notificationTopicArn],
              }),
            ]
          : []),
      ],
    });

    if (props.incidentManager === false) return;
    const incidentManagerRole = new iam.Role(this, 'IncidentManagerRole', {
      description: `Used by Incident Manager to start the ${props.prefix} runbooks.`,
      assumedBy: new iam.ServicePrincipal('ssm-incidents.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'ssm-incidents',
              region: '*',
              resource: 'incident-record',
              resourceName: '*',
            }),
          },
        },
      }),
    });
    const startPolicy = new iam.ManagedPolicy(this, 'IncidentManagerPolicy', {
      description: `Lets Incident Manager start the ${props.prefix} runbooks and pass their role.`,
      roles: [incidentManagerRole],
      statements: [
        // The Service Authorization Reference lists document and automation-execution as required
        // resource types of ssm:StartAutomationExecution, and automation-definition as well;
        // older Incident Manager docs show only automation-definition. All three, scoped to this
        // app's runbooks (an execution's id is only known once it starts).
        new iam.PolicyStatement({
          sid: 'StartAppRunbooks',
          actions: ['ssm:StartAutomationExecution'],
          resources: [
            ...RUNBOOK_IDS.flatMap((r) => [
              stack.formatArn({
                service: 'ssm',
                resource: 'document',
                resourceName: documents[r].ref,
              }),
              stack.formatArn({
                service: 'ssm',
                resource: 'automation-definition',
                resourceName: `${documents[r].ref}:*`,
              }),
            ]),
            stack.formatArn({
              service: 'ssm',
              resource: 'automation-execution',
              resourceName: '*',
            }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'PassAutomationRole',
          actions: ['iam:PassRole'],
          resources: [this.automationRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
        }),
      ],
    });
    this.incidentManagerRole = incidentManagerRole;
    const { region, account } = nagEnv(stack);
    acknowledge(
      startPolicy,
      ...RUNBOOK_IDS.map((r) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:automation-definition/<${stack.getLogicalId(documents[r])}>:*]`,
        reason:
          'The trailing wildcard selects versions of this one runbook, which change with every deployment; no other document matches.',
      })),
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:automation-execution/*]`,
        reason:
          'An automation execution gets its id only when it starts, so the execution cannot be named in advance; which documents may start is limited by the document and automation-definition entries.',
      },
    );
  }
}
