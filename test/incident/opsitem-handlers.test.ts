/**
 * The three incident functions under incidents.backend "opscenter": the runbook passes an OpsItem
 * ID; the function reads the event from the OpsItem and writes its records there, in the same
 * JSON as on an incident's timeline. OpsCenter through aws-sdk-client-mock (moto has no OpsItems).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetOpsItemCommand, UpdateOpsItemCommand } from '@aws-sdk/client-ssm';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { mockClient } from 'aws-sdk-client-mock';
import { makeHandler as makeGuardDuty } from '../../handlers/guardduty-response';
import { makeHandler as makeReverter, RemediationIncompleteError } from '../../handlers/reverter';
import { makeHandler as makeRootTriage, TriageIncompleteError } from '../../handlers/root-triage';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import { EXAMPLE_POLICY } from '../support/groups';
import { fakeOpsCenter, givenOpsItem, recordsOn, type FakeOpsCenter } from '../support/opscenter';
import { fixture, givenWorldOpenSshGroups, guardDutyFinding as finding } from './support';

const ec2Mock = mockClient(EC2Client);
const incidentsMock = mockClient(SSMIncidentsClient);
let ops: FakeOpsCenter;

beforeEach(() => {
  ec2Mock.reset();
  incidentsMock.reset();
  ops = fakeOpsCenter();
  process.env.AWS_REGION = 'us-east-1';
  givenWorldOpenSshGroups(ec2Mock);
});
afterEach(() => ops.mock.restore());

const deps = () => ({
  ec2: new EC2Client({}),
  incidents: new SSMIncidentsClient({}),
  ssm: ops.client,
  policy: () => EXAMPLE_POLICY,
  limits: () => DEFAULT_LIMITS,
});

describe('root-activity triage on an OpsItem', () => {
  it('reads the event from the OpsItem and writes its note there', async () => {
    // GIVEN an OpsItem opened by a real root sign-in
    const id = givenOpsItem(ops, fixture('events', 'signin-root-success.json'));
    // WHEN the triage runbook invokes the function with the OpsItem ID
    const res = await makeRootTriage(deps())({ incidentRecordArn: id }, { awsRequestId: 'r' });
    // THEN one note on the OpsItem, the same JSON as on a timeline; Incident Manager untouched
    expect(res.activity).toMatchObject({ mfa: 'no', outcome: 'success' });
    expect(recordsOn(ops, id)).toEqual([
      expect.objectContaining({ kind: 'first-responder/note', version: 1, summary: res.summary }),
    ]);
    expect(incidentsMock.calls()).toHaveLength(0);
  });

  it('an OpsItem without the event is noted there and fails the runbook', async () => {
    const id = givenOpsItem(ops, '{"detail": {"truncat');
    await expect(makeRootTriage(deps())({ incidentRecordArn: id })).rejects.toThrow(
      TriageIncompleteError,
    );
    expect(recordsOn(ops, id)[0]?.summary).toMatch(
      /could not read the event that opened this OpsItem: .*not complete JSON/,
    );
  });

  it('an unknown OpsItem fails before anything is written', async () => {
    await expect(makeRootTriage(deps())({ incidentRecordArn: 'oi-00000000beef' })).rejects.toThrow(
      /OpsItem oi-00000000beef does not exist/,
    );
    expect(ops.mock.commandCalls(UpdateOpsItemCommand)).toHaveLength(0);
  });

  it.each([['oi-123'], ['oi-0123456789AB'], ['ops-0123456789ab']])(
    'rejects %s (not the documented OpsItemId pattern) before any AWS call',
    async (id) => {
      await expect(makeRootTriage(deps())({ incidentRecordArn: id })).rejects.toThrow(
        /an incident record ARN .* or an OpsItem ID/,
      );
      expect(ops.mock.calls()).toHaveLength(0);
    },
  );
});

describe('GuardDuty response on an OpsItem', () => {
  it('reverts the instance groups of a Critical finding and records each on the OpsItem', async () => {
    // GIVEN an OpsItem opened by a Critical SSH brute-force finding
    const id = givenOpsItem(ops, finding(9.5));
    // WHEN the runbook invokes the function with the OpsItem ID
    const res = await makeGuardDuty({ ...deps(), revertMinSeverity: () => 9 })(
      { incidentRecordArn: id },
      { awsRequestId: 'r' },
    );
    // THEN the finding note, then one security-group record per group with its before-state
    expect(res.reverted).toBe(true);
    const records = recordsOn(ops, id);
    expect(records[0]?.summary).toMatch(/Reverting the instance security groups/);
    expect(records.slice(1)).toEqual([
      expect.objectContaining({
        kind: 'first-responder/security-group',
        groupId: 'sg-0a1b2c3d4e5f60002',
        status: 'remediated',
        before: [expect.objectContaining({ fromPort: 22, cidrIpv4: '0.0.0.0/0' })],
      }),
      expect.objectContaining({ groupId: 'sg-0a1b2c3d4e5f60001', status: 'remediated' }),
    ]);
    // AND the groups are related resources of the OpsItem, with the account from its ARN
    expect(ops.data(id, '/aws/resources')).toEqual([
      { arn: 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d4e5f60002' },
      { arn: 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d4e5f60001' },
    ]);
    expect(incidentsMock.calls()).toHaveLength(0);
  });
});

describe('the reverter on an OpsItem', () => {
  it('reverts the groups named in /aws/resources when the event names none', async () => {
    // GIVEN an OpsItem whose event is a sign-in, and a group among its resources
    const group = 'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d4e5f60001';
    const id = givenOpsItem(ops, fixture('events', 'signin-root-success.json'), {
      resources: [group],
    });
    // WHEN the revert runbook invokes the reverter with the OpsItem ID
    const res = await makeReverter(deps())({ incidentRecordArn: id }, { awsRequestId: 'r' });
    // THEN that group is reverted and recorded, and the resource is listed once
    expect(res.results.map((r) => [r.groupId, r.status])).toEqual([
      ['sg-0a1b2c3d4e5f60001', 'remediated'],
    ]);
    expect(recordsOn(ops, id)).toEqual([
      expect.objectContaining({ kind: 'first-responder/security-group', status: 'remediated' }),
    ]);
    expect(ops.data(id, '/aws/resources')).toEqual([{ arn: group }]);
  });

  it('an OpsItem that names no group: a note says so, the runbook fails, nothing changes', async () => {
    const id = givenOpsItem(ops, '{"detail": {"truncat');
    await expect(makeReverter(deps())({ incidentRecordArn: id })).rejects.toThrow(
      RemediationIncompleteError,
    );
    expect(recordsOn(ops, id)).toEqual([
      expect.objectContaining({
        summary: expect.stringMatching(/^Could not tell which security groups to revert/),
      }),
    ]);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('without an SSM client, an OpsItem ID is refused with a clear error', async () => {
    const { ssm: _ssm, ...withoutSsm } = deps();
    await expect(
      makeReverter(withoutSsm)({ incidentRecordArn: 'oi-0123456789ab' }),
    ).rejects.toThrow(/is an OpsItem ID, but this function was given no SSM client/);
    expect(ops.mock.commandCalls(GetOpsItemCommand)).toHaveLength(0);
  });
});
