/**
 * Each runbook, from the incident to the calls its function makes: the runbook's own
 * InputPayload, with the parameters Incident Manager passes substituted as Automation does
 * (a whole "{{ Name }}" value takes the parameter's type), is what the function receives
 * (test/runbooks/ proves that runbooks/invoke.py sends it as it is).
 */
import { EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { SSMIncidentsClient, UpdateRelatedItemsCommand } from '@aws-sdk/client-ssm-incidents';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { makeHandler as makeGuardDuty } from '../../handlers/guardduty-response';
import { makeHandler as makeReverter } from '../../handlers/reverter';
import { makeHandler as makeRootTriage } from '../../handlers/root-triage';
import type { RunbookId } from '../../infra/config';
import { RUNBOOK_FUNCTIONS } from '../../infra/runbooks';
import type { FunctionId } from '../../infra/functions';
import {
  fixture,
  givenWorldOpenSshGroups,
  INCIDENT_ARN,
  mockIncidents,
  triggerData,
  written,
} from './support';
import { payloadOf } from '../support/automation';
import { EXAMPLE_POLICY } from '../support/groups';

const POLICY = EXAMPLE_POLICY;

const ec2Mock = mockClient(EC2Client);
const deps = {
  ec2: new EC2Client({}),
  incidents: new SSMIncidentsClient({}),
  policy: () => POLICY,
  limits: () => DEFAULT_LIMITS,
};
const HANDLERS: Record<
  Exclude<FunctionId, 'configEvaluator'>,
  (event: unknown) => Promise<unknown>
> = {
  reverter: makeReverter(deps),
  guarddutyResponse: makeGuardDuty({ ...deps, revertMinSeverity: () => 9 }),
  rootTriage: makeRootTriage(deps),
};

let incidents: ReturnType<typeof mockIncidents>;
beforeEach(() => {
  ec2Mock.reset();
  process.env.AWS_REGION = 'us-east-1';
  givenWorldOpenSshGroups(ec2Mock);
});
afterEach(() => incidents?.restore());

const critical = () => {
  const f = fixture('incident', 'guardduty-ssh-brute-force-instance.json') as {
    detail: { severity: number };
  };
  f.detail.severity = 9.5;
  return f;
};

describe.each<[RunbookId, () => unknown, (res: unknown) => void]>([
  [
    'revert-security-groups',
    () => fixture('events', 'config-security-group-policy-noncompliant.json'),
    () => {
      expect(ec2Mock).toReceiveCommandWith(RevokeSecurityGroupIngressCommand, {
        GroupId: 'sg-01f414f5313452cd1',
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      });
      expect(written(incidents)[0]).toMatchObject({
        groupId: 'sg-01f414f5313452cd1',
        status: 'remediated',
      });
      expect(incidents).toReceiveCommandTimes(UpdateRelatedItemsCommand, 1);
    },
  ],
  [
    'guardduty-finding-response',
    critical,
    () => {
      expect(written(incidents)[0]?.summary).toMatch(
        /^GuardDuty finding UnauthorizedAccess:EC2\/SSHBruteForce, Critical \(9\.5\)/,
      );
      expect(
        ec2Mock.commandCalls(RevokeSecurityGroupIngressCommand).map((c) => c.args[0].input.GroupId),
      ).toEqual(['sg-0a1b2c3d4e5f60002', 'sg-0a1b2c3d4e5f60001']);
    },
  ],
  [
    'root-activity-triage',
    () => fixture('events', 'signin-root-success.json'),
    () => {
      expect(written(incidents)).toEqual([
        expect.objectContaining({
          summary: expect.stringMatching(/^Root activity: ConsoleLogin by Root/),
        }),
      ]);
      expect(ec2Mock.calls()).toHaveLength(0);
    },
  ],
])('runbook %s', (id, trigger, check) => {
  it('sends its function a payload the function accepts, and the function acts on the incident', async () => {
    // GIVEN an incident opened by a real event, and the parameters Incident Manager passes
    incidents = mockIncidents(triggerData(trigger()));
    const payload = payloadOf(id, { IncidentRecordArn: INCIDENT_ARN, InvolvedResources: [] });
    // WHEN the runbook's Lambda step invokes its function with that payload
    const res = await HANDLERS[RUNBOOK_FUNCTIONS[id] as keyof typeof HANDLERS](payload);
    // THEN the function did its job
    check(res);
  });
});

it('the revert runbook passes a responder’s SecurityGroupIds and DryRun through', async () => {
  incidents = mockIncidents(undefined);
  const payload = payloadOf('revert-security-groups', {
    IncidentRecordArn: INCIDENT_ARN,
    InvolvedResources: [],
    SecurityGroupIds: ['sg-0a1b2c3d4e5f60003'],
    DryRun: true,
  });
  const res = (await HANDLERS.reverter(payload)) as {
    dryRun: boolean;
    results: { groupId: string; status: string }[];
  };
  expect(res).toMatchObject({
    dryRun: true,
    results: [{ groupId: 'sg-0a1b2c3d4e5f60003', status: 'planned' }],
  });
  expect(ec2Mock).not.toReceiveCommand(RevokeSecurityGroupIngressCommand);
});
