/**
 * preflight --organization against moto, where it answers faithfully: its Organizations from the
 * management account (the organization, roots, OUs, trusted access, delegated administrators),
 * EventBridge (a bus and its policy) and CloudFormation StackSets' "not found". moto's
 * Organizations does not answer as AWS does from a member account (see
 * preflight-organization.test.ts), so this runs as the management account, and the checks that
 * depend on being a member say so. It checks the requests and the error codes against a second
 * implementation.
 */
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutPermissionCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  EnableAWSServiceAccessCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createAwsClients } from '../../cli/aws';
import { runOrganizationPreflight } from '../../cli/commands/preflight-organization';
import { parseConfig } from '../../infra/config';
import { startMoto, type MotoServer } from '../support/moto';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const REGION = 'eu-west-1';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto(REGION);
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(() => moto.reset());

interface OrgDoc {
  app: { account: string };
  organization: {
    organizationId: string;
    rootId: string;
    managementAccountId: string;
    targets: { organizationalUnits?: string[] }[];
  };
}

it('checks a moto organization: trusted access and the bus pass; a missing OU, and what a management account is not, fail', async () => {
  // GIVEN an organization with two OUs, trusted access for StackSets, and the central bus
  const orgs = new OrganizationsClient(moto.clientConfig);
  const org = (await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))).Organization!;
  const rootId = (await orgs.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const ou = async (Name: string) =>
    (await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name })))
      .OrganizationalUnit!.Id!;
  const [sandbox, prodwork] = [await ou('sandbox'), await ou('prodwork')];
  await orgs.send(
    new EnableAWSServiceAccessCommand({
      ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com',
    }),
  );
  const events = new EventBridgeClient(moto.clientConfig);
  const bus = await events.send(new CreateEventBusCommand({ Name: 'first-responder-central' }));
  await events.send(
    new PutPermissionCommand({
      EventBusName: 'first-responder-central',
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OrganizationPutEvents',
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: bus.EventBusArn,
            Condition: { StringEquals: { 'aws:PrincipalOrgID': org.Id } },
          },
        ],
      }),
    }),
  );
  // and the example configuration, pointed at it (one OU that does not exist)
  const doc = parseYaml(readFileSync(join(EXAMPLES, 'organization.yaml'), 'utf8')) as OrgDoc;
  doc.app.account = org.MasterAccountId!;
  doc.organization.organizationId = org.Id!;
  doc.organization.rootId = rootId;
  doc.organization.managementAccountId = org.MasterAccountId!;
  doc.organization.targets[0]!.organizationalUnits = [sandbox];
  doc.organization.targets[1]!.organizationalUnits = [prodwork, 'ou-zzzz-zzzzzzzz'];
  const config = parseConfig(doc, { baseDir: EXAMPLES });

  // WHEN preflight --organization runs with the management account's credentials
  const report = await runOrganizationPreflight({
    clients: createAwsClients({ region: REGION, clientConfig: moto.clientConfig }),
    config,
  });

  // THEN each check answers from what moto holds
  const status = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
  expect(status).toEqual({
    Organization: 'fail',
    'Trusted access for StackSets': 'pass',
    'Delegated administrator: CloudFormation StackSets': 'fail',
    'Delegated administrator: GuardDuty': 'fail',
    'Delegated administrator: AWS Config': 'fail',
    'Central event bus': 'pass',
    'GuardDuty forwarder (us-east-1)': 'fail',
    'StackSet first-responder-member-forwarders': 'fail',
    'StackSet first-responder-member-roles': 'fail',
    'Target OUs exist': 'fail',
  });
  const detail = (name: string) => report.checks.find((c) => c.name === name)!.detail;
  expect(detail('Organization')).toContain(
    `account ${org.MasterAccountId} is the management account`,
  );
  expect(detail('Delegated administrator: GuardDuty')).toContain('is not delegated administrator');
  expect(detail('StackSet first-responder-member-roles')).toBe(
    `StackSet first-responder-member-roles does not exist in ${REGION}`,
  );
  expect(detail('Target OUs exist')).toMatch(/^not in organization o-\w+: ou-zzzz-zzzzzzzz;/);
}, 60_000);
