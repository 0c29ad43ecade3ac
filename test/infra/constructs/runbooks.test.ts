/**
 * The Runbooks construct in organization mode: the revert document deployed in its organization
 * form with the configured approval, and the runbooks' role allowed to publish the approval
 * request; a single-account deployment's documents and role are unchanged.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Runbooks, type RunbooksProps } from '../../../infra/constructs/runbooks';
import { FUNCTION_IDS, type FunctionId } from '../../../infra/functions';
import type { RunbookApproval } from '../../../infra/runbooks';

const APPROVAL: RunbookApproval = {
  approverArns: ['arn:aws:iam::111111111111:role/SecurityLead'],
  notificationTopicArn: 'arn:aws:sns:eu-west-1:111111111111:AutomationApprovals',
  minRequiredApprovals: 1,
  timeoutSeconds: 3_600,
};

function template(props: Partial<RunbooksProps> = {}): Template {
  const stack = new Stack(new App(), 'S', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });
  const functions = Object.fromEntries(
    FUNCTION_IDS.map((id) => [id, lambda.Function.fromFunctionName(stack, id, `fr-${id}`)]),
  ) as Record<FunctionId, lambda.IFunction>;
  new Runbooks(stack, 'Runbooks', { prefix: 'fr', functions, ...props });
  return Template.fromStack(stack);
}

const revertDocument = (t: Template) =>
  Object.values(
    t.findResources('AWS::SSM::Document', {
      Properties: {
        Tags: [{ Key: 'first-responder:runbook', Value: 'revert-security-groups' }],
      },
    }),
  )[0] as { Properties: { Content: { mainSteps: { name: string; action: string }[] } } };

describe('Runbooks in organization mode', () => {
  it('deploys the revert runbook that asks the scope and the approvers', () => {
    // WHEN organization mode has approvers
    const t = template({ organization: { approval: APPROVAL } });
    // THEN the revert document is the organization form, with the approval filled in
    const steps = revertDocument(t).Properties.Content.mainSteps;
    expect(steps.map((s) => s.name)[0]).toBe('scope');
    expect(steps).toContainEqual(
      expect.objectContaining({
        action: 'aws:approve',
        timeoutSeconds: 3_600,
        inputs: expect.objectContaining({
          Approvers: APPROVAL.approverArns,
          NotificationArn: APPROVAL.notificationTopicArn,
        }) as unknown,
      }),
    );
    // AND the runbooks' role may publish the request to that topic, and to nothing else
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'PublishApprovalRequests',
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: APPROVAL.notificationTopicArn,
          },
        ]),
      },
    });
  });

  it('without approvers, deploys no approval step and grants no publish', () => {
    const t = template({ organization: {} });
    const actions = revertDocument(t).Properties.Content.mainSteps.map((s) => s.action);
    expect(actions).toContain('aws:branch');
    expect(actions).not.toContain('aws:approve');
    expect(JSON.stringify(t.toJSON())).not.toContain('sns:Publish');
  });

  it('leaves a single-account deployment as it was', () => {
    const single = template();
    expect(revertDocument(single).Properties.Content.mainSteps.map((s) => s.name)).toEqual([
      'revertSecurityGroups',
    ]);
    expect(JSON.stringify(single.toJSON())).not.toContain('sns:Publish');
  });
});
