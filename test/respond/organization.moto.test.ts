/**
 * Organization mode end to end in moto: an organization (management account, OUs, a security
 * account and members), STS (assume-role lands in the member account; moto keeps EC2 state per
 * account) and EC2 in several accounts and two regions. The central reverter, running with the
 * security account's credentials, assumes the member role and reverts the group of the event's
 * account and region, and nothing else anywhere.
 *
 * The first case runs the whole chain: the forwarded event through the central intake (organization
 * mode: it judges the group through the member role and opens the incident), then the reverter
 * with that incident, as the runbook invokes it (its trigger: the event the intake passed to
 * StartIncident; its involved resources: the incident's related items). Incident Manager is not
 * in moto: mocked with documented shapes.
 *
 * moto gaps, and what stands in for them:
 * - it enforces no IAM: the AssumeRole parameters the function sent (role ARN, session name,
 *   source identity) are asserted as sent, and GetCallerIdentity with the session's credentials
 *   shows where it landed;
 * - ListParents answers only the management account (from a member, moto 5.2 reports every
 *   account as not found): the placement's Organizations client uses the management account's
 *   credentials here, where AWS answers the security account as a delegated administrator.
 */
import { EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { SSMIncidentsClient, StartIncidentCommand } from '@aws-sdk/client-ssm-incidents';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
  type AssumeRoleCommandInput,
} from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { makeHandler as makeGuardDuty } from '../../handlers/guardduty-response';
import { DEFAULT_LIMITS } from '../../handlers/policy/results';
import {
  responderFromSettings,
  type MemberRoleSettings,
  type OrganizationResponder,
} from '../../handlers/respond/organization';
import { makeHandler } from '../../handlers/reverter';
import { makeHandler as makeIntake } from '../../handlers/intake';
import { MemberSessions, type MemberTarget } from '../../handlers/aws/member-session';
import { intakeDepsIn, mockIncidentManager } from '../intake/support';
import {
  fixture,
  guardDutyFinding,
  INCIDENT_ARN,
  mockIncidents,
  triggerData,
  writtenRecords,
} from '../incident/support';
import { EXAMPLE_POLICY } from '../support/groups';
import { motoForFile } from '../support/moto';
import { createGroup, ingressOf } from '../support/moto-ec2';

const moto = motoForFile('eu-west-1');
const HOME = 'eu-west-1';
const R = 'us-east-1';
const ROLE = 'first-responder-member';
/** The reverter's service name, its source identity ("<prefix>-reverter"). */
const FUNCTION = 'first-responder-reverter';
const GUARDDUTY_FUNCTION = 'first-responder-guardduty-response';
const INCIDENT_ID = INCIDENT_ARN.split('/').pop()!;

/** As the event left it: tcp 1521 opened to the world (the fixture), beside ssh and https. */
const OPENED_TO_THE_WORLD: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 1521, ToPort: 1521, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];
const BEFORE = ['tcp 1521 from 0.0.0.0/0', 'tcp 22 from 0.0.0.0/0', 'tcp 443 from 0.0.0.0/0'];
const REVERTED = ['tcp 22 from 10.0.0.0/8', 'tcp 443 from 0.0.0.0/0'];

interface World {
  readonly security: string;
  /** Members under the enforce OU. */
  readonly a: string;
  readonly b: string;
  /** A member under the observe OU. */
  readonly c: string;
  /** Not in the organization: its OU cannot be found. */
  readonly outsider: string;
  readonly ouEnforce: string;
  readonly ouObserve: string;
  readonly organizationId: string;
  readonly settings: MemberRoleSettings;
  /** One world-open group per place, "account/region" -> group ID. */
  readonly groups: Map<string, string>;
}
let world: World;

const settingsOf = (w: { ouEnforce: string; ouObserve: string }): MemberRoleSettings => ({
  memberRoleName: ROLE,
  targets: [
    { organizationalUnits: [w.ouEnforce], mode: 'enforce' },
    { organizationalUnits: [w.ouObserve], mode: 'observe' },
  ],
});

/** Credentials in an account, assumed from the management account (moto's default identity). */
async function credentialsIn(account: string, role = 'setup'): Promise<AwsCredentialIdentity> {
  const out = await new STSClient(moto().clientConfig).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/${role}`,
      RoleSessionName: 's',
    }),
  );
  const c = out.Credentials!;
  return {
    accessKeyId: c.AccessKeyId!,
    secretAccessKey: c.SecretAccessKey!,
    sessionToken: c.SessionToken!,
  };
}
const ec2In = async (account: string, region: string) =>
  new EC2Client({ ...moto().clientConfig, region, credentials: await credentialsIn(account) });

/** Every group's ingress now, by place. */
async function snapshot(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [place, groupId] of world.groups) {
    const [account, region] = place.split('/') as [string, string];
    out.set(place, await ingressOf(await ec2In(account, region), groupId));
  }
  return out;
}

/** "A/us-east-1" for a place "473025099168/us-east-1", for the printed line. */
function label(place: string): string {
  const [account, region] = place.split('/') as [string, string];
  const names: Record<string, string> = {
    [world.a]: 'A',
    [world.b]: 'B',
    [world.c]: 'C',
    [world.security]: 'security',
    [world.outsider]: 'outsider',
  };
  return `${names[account] ?? account}/${region}`;
}

/** Every place but `changed` holds what it held before. */
function unchangedBut(
  before: Map<string, string[]>,
  after: Map<string, string[]>,
  changed?: string,
) {
  const others = [...before.keys()].filter((p) => p !== changed);
  expect(others.map((p) => [p, after.get(p)])).toEqual(others.map((p) => [p, before.get(p)]));
  return others;
}

beforeAll(async () => {
  const orgs = new OrganizationsClient(moto().clientConfig);
  const organizationId = (await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' })))
    .Organization!.Id!;
  const root = (await orgs.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const ou = async (Name: string) =>
    (await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name })))
      .OrganizationalUnit!.Id!;
  const ouEnforce = await ou('workloads');
  const ouObserve = await ou('sandbox');
  const account = async (name: string, parent: string) => {
    const id = (
      await orgs.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))
    ).CreateAccountStatus!.AccountId!;
    await orgs.send(
      new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }),
    );
    return id;
  };
  const security = await account('security', ouEnforce);
  const a = await account('member-a', ouEnforce);
  const b = await account('member-b', ouEnforce);
  const c = await account('member-c', ouObserve);
  const outsider = '777788889999';
  const groups = new Map<string, string>();
  for (const [acct, region] of [
    [a, R],
    [a, HOME],
    [b, R],
    [b, HOME],
    [c, R],
    [outsider, R],
    [security, R],
    [security, HOME],
  ] as const)
    groups.set(
      `${acct}/${region}`,
      await createGroup(await ec2In(acct, region), OPENED_TO_THE_WORLD, { name: 'web' }),
    );
  world = {
    security,
    a,
    b,
    c,
    outsider,
    ouEnforce,
    ouObserve,
    organizationId,
    settings: settingsOf({ ouEnforce, ouObserve }),
    groups,
  };
  // The member sessions' EC2 clients are built by the function: the SDK reads this variable.
  process.env.AWS_ENDPOINT_URL_EC2 = moto().endpoint;
}, 120_000);
afterAll(() => {
  delete process.env.AWS_ENDPOINT_URL_EC2;
});

/** What the central functions sent: AssumeRole inputs, and each member session's commands. */
interface Sent {
  /** The reverter's and the GuardDuty response's. */
  assumeRole: AssumeRoleCommandInput[];
  /** Where the intake read the group. */
  intakeSessions: MemberTarget[];
  /** "account/region Command" */
  member: string[];
  /** Commands sent with the functions' own (security account) EC2 clients. */
  own: string[];
}

/** The central functions as deployed: the security account's credentials, the real responder. */
async function central(sent: Sent) {
  const securityCredentials = await credentialsIn(world.security, 'first-responder-central');
  const sts = new STSClient({ ...moto().clientConfig, credentials: securityCredentials });
  sts.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'AssumeRoleCommand')
        sent.assumeRole.push(args.input as AssumeRoleCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'recordAssumeRole' },
  );
  /** Each function's responder, as its entry builds it, counting the member sessions' commands. */
  const responder = (sourceIdentity: string) => {
    const read = responderFromSettings(() => world.settings, sourceIdentity, {
      sts,
      organizations: new OrganizationsClient(moto().clientConfig),
      env: { AWS_REGION: HOME },
    });
    return (): OrganizationResponder => counted(read()!);
  };
  const counted = (r: OrganizationResponder): OrganizationResponder => {
    return {
      ...r,
      ec2: (target) => {
        const client = r.ec2(target);
        client.middlewareStack.add(
          (next, context) => (args) => {
            sent.member.push(`${target.account}/${target.region} ${context.commandName ?? '?'}`);
            return next(args);
          },
          { step: 'initialize', name: 'recordMemberCommands' },
        );
        return client;
      },
    };
  };
  const own = new EC2Client({ ...moto().clientConfig, credentials: securityCredentials });
  own.middlewareStack.add(
    (next, context) => (args) => {
      sent.own.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordOwnCommands' },
  );
  const deps = {
    ec2: own,
    incidents: new SSMIncidentsClient({}),
    policy: () => EXAMPLE_POLICY,
    limits: () => DEFAULT_LIMITS,
  };
  const reverterResponder = responder(FUNCTION);
  return {
    reverter: makeHandler({ ...deps, organization: reverterResponder }),
    guardDuty: makeGuardDuty({
      ...deps,
      organization: responder(GUARDDUTY_FUNCTION),
      revertMinSeverity: () => 9,
    }),
    reverterResponder,
  };
}

/** The security-group event as the member's forwarder delivers it to the central bus. */
function forwardedEvent(account: string, region: string, groupId: string): string {
  const event = {
    ...fixture('events', 'authorize-ingress-world-by-assumed-role.json'),
    account,
    region,
  };
  return JSON.stringify(event).replaceAll('sg-01f414f5313452cd1', groupId);
}

let incidents: ReturnType<typeof mockIncidents> | undefined;
afterEach(() => incidents?.restore());
const records = () => writtenRecords(incidents!);
const newSent = (): Sent => ({ assumeRole: [], intakeSessions: [], member: [], own: [] });
const writesIn = (sent: Sent) => sent.member.filter((c) => /Authorize|Revoke/.test(c));

/**
 * The central intake in organization mode, as its entry builds it: the security account's
 * STS for the member sessions, EC2 of its own account (which must not be used).
 */
async function centralIntake(sent: Sent) {
  const credentials = await credentialsIn(world.security, 'first-responder-central');
  const sts = new STSClient({ ...moto().clientConfig, credentials });
  const sessions = new MemberSessions({ roleName: ROLE, sts });
  const { deps } = await intakeDepsIn(moto());
  const own = new EC2Client({ ...moto().clientConfig, credentials });
  own.middlewareStack.add(
    (next, context) => (args) => {
      sent.own.push(`intake ${context.commandName ?? '?'}`);
      return next(args);
    },
    { step: 'initialize', name: 'recordIntakeOwnCommands' },
  );
  return makeIntake({
    ...deps,
    ec2: own,
    organization: () => ({
      organizationId: world.organizationId,
      homeRegion: HOME,
      excludeAccounts: [],
      ...world.settings,
    }),
    memberEc2: (_settings, target) => {
      sent.intakeSessions.push(target);
      return sessions.ec2(target);
    },
    sourceIdentity: () => 'first-responder-intake',
  });
}

it('an event from member A in us-east-1: through the central intake, the reverter assumes the member role and reverts there only', async () => {
  // GIVEN member A's change in us-east-1, forwarded to the central bus, A being in the enforce OU
  const place = `${world.a}/${R}`;
  const groupId = world.groups.get(place)!;
  const before = await snapshot();
  const sent = newSent();

  // WHEN the central intake takes it
  const im = mockIncidentManager();
  const intake = await centralIntake(sent);
  const opened = await intake({
    detection: 'securityGroupOpened',
    event: JSON.parse(forwardedEvent(world.a, R, groupId)) as Record<string, unknown>,
  });
  // THEN it read the group through the member role in A/us-east-1 and opened an incident
  expect(sent.intakeSessions).toEqual([expect.objectContaining({ account: world.a, region: R })]);
  expect(opened).toMatchObject({ decision: 'open' });
  const incidentArn = (opened as { incidentRef: string }).incidentRef;
  const start = im.commandCalls(StartIncidentCommand)[0]!.args[0].input;
  const involvedResources = (start.relatedItems ?? []).flatMap((r) =>
    r.identifier?.value?.arn ? [r.identifier.value.arn] : [],
  );
  expect(involvedResources).toContain(`arn:aws:ec2:${R}:${world.a}:security-group/${groupId}`);
  im.restore();
  // Incident Manager keeps the event passed to StartIncident as the incident's trigger.
  incidents = mockIncidents(triggerData(start.triggerDetails!.rawData!));
  const incidentId = incidentArn.split('/').pop()!;

  // WHEN the revert runbook invokes the central reverter with the incident
  const { reverter, reverterResponder } = await central(sent);
  const res = await reverter(
    { incidentRecordArn: incidentArn, involvedResources },
    { awsRequestId: 'org-e2e-1', getRemainingTimeInMillis: () => 240_000 },
  );

  // THEN the group of A in us-east-1 is reverted
  const after = await snapshot();
  expect(before.get(place)).toEqual(BEFORE);
  expect(after.get(place)).toEqual(REVERTED);
  expect(res).toMatchObject({ ok: true, mode: 'enforce', account: world.a, region: R });
  // and nothing changed anywhere else: A's other region, member B, the security account
  const unchanged = unchangedBut(before, after, place);
  expect(unchanged).toEqual(
    expect.arrayContaining([
      `${world.a}/${HOME}`,
      `${world.b}/${R}`,
      `${world.security}/${R}`,
      `${world.security}/${HOME}`,
    ]),
  );
  // and the reverter sent exactly one AssumeRole, naming the incident and itself
  expect(sent.assumeRole).toEqual([
    {
      RoleArn: `arn:aws:iam::${world.a}:role/${ROLE}`,
      RoleSessionName: `fr-${incidentId}`,
      SourceIdentity: FUNCTION,
      DurationSeconds: 900,
    },
  ]);
  // which lands in A (moto's STS: the session's credentials are A's)
  const session = reverterResponder().ec2({
    account: world.a,
    region: R,
    sessionName: `fr-${incidentId}`,
    sourceIdentity: FUNCTION,
  });
  const identity = await new STSClient({
    ...moto().clientConfig,
    credentials: await session.config.credentials(),
  }).send(new GetCallerIdentityCommand({}));
  expect(identity.Arn).toBe(`arn:aws:sts::${world.a}:assumed-role/${ROLE}/fr-${incidentId}`);
  // one read and the writes, all in A/us-east-1; none with the security account's own client
  expect(sent.member).toEqual([
    `${place} DescribeSecurityGroupsCommand`,
    `${place} AuthorizeSecurityGroupIngressCommand`,
    `${place} RevokeSecurityGroupIngressCommand`,
  ]);
  expect(sent.own).toEqual([]);
  // and the incident's record names the account, the region and the mode
  expect(records()).toEqual([
    expect.objectContaining({
      groupId,
      status: 'remediated',
      account: world.a,
      region: R,
      mode: 'enforce',
    }),
  ]);

  // The line the closing note quotes.
  process.stdout.write(
    `organization e2e (moto): accounts A=${world.a} B=${world.b} security=${world.security}; event from A/${R} (OU ${world.ouEnforce}, enforce) -> central intake (group read as ${sent.intakeSessions[0]!.account}/${sent.intakeSessions[0]!.region}; incident "${start.title ?? ''}") -> reverter: AssumeRole ${sent.assumeRole[0]!.RoleArn}, session ${sent.assumeRole[0]!.RoleSessionName}, source identity ${FUNCTION} -> ${groupId} in A/${R}: [${before.get(place)!.join(', ')}] -> [${after.get(place)!.join(', ')}]; unchanged (still [${BEFORE.join(', ')}]): ${unchanged.map(label).join(', ')}\n`,
  );
});

it('an account in the observe OU: the plan on its incident, zero writes', async () => {
  const place = `${world.c}/${R}`;
  incidents = mockIncidents(triggerData(forwardedEvent(world.c, R, world.groups.get(place)!)));
  const before = await snapshot();
  const sent = newSent();
  const res = await (await central(sent)).reverter({ incidentRecordArn: INCIDENT_ARN });

  unchangedBut(before, await snapshot());
  expect(writesIn(sent)).toEqual([]);
  expect(sent.member).toEqual([`${place} DescribeSecurityGroupsCommand`]);
  expect(res).toMatchObject({ ok: true, dryRun: true, mode: 'observe', account: world.c });
  expect(records()).toEqual([
    expect.objectContaining({
      status: 'planned',
      mode: 'observe',
      account: world.c,
      revoked: expect.arrayContaining([
        expect.objectContaining({ fromPort: 1521, cidrIpv4: '0.0.0.0/0' }),
        expect.objectContaining({ fromPort: 22, cidrIpv4: '0.0.0.0/0' }),
      ]),
    }),
  ]);
  process.stdout.write(
    `organization e2e (moto): observe OU ${world.ouObserve}: C/${R} planned, ${writesIn(sent).length} writes: ${records()[0]!.summary}\n`,
  );
});

it('a failed OU lookup (an account outside the organization): observed, zero writes', async () => {
  const place = `${world.outsider}/${R}`;
  incidents = mockIncidents(
    triggerData(forwardedEvent(world.outsider, R, world.groups.get(place)!)),
  );
  const before = await snapshot();
  const sent = newSent();
  const res = await (await central(sent)).reverter({ incidentRecordArn: INCIDENT_ARN });

  unchangedBut(before, await snapshot());
  expect(writesIn(sent)).toEqual([]);
  expect(res).toMatchObject({ ok: true, mode: 'observe' });
  expect(res.notes?.[0]).toMatch(/could not be found: .*ListParents.*fail closed/);
  expect(records()[0]).toMatchObject({ status: 'planned', mode: 'observe' });
});

it('a GuardDuty finding at the administrator for member B in eu-west-1: reverted in B/eu-west-1 only', async () => {
  // GIVEN the finding as the delegated administrator's bus has it: the member in the detail
  const place = `${world.b}/${HOME}`;
  const groupId = world.groups.get(place)!;
  const finding = guardDutyFinding(9.5) as Record<string, unknown> & {
    detail: {
      accountId: string;
      region: string;
      resource: { instanceDetails: { networkInterfaces: { securityGroups: unknown[] }[] } };
    };
  };
  finding.account = world.security;
  finding.region = HOME;
  finding.detail.accountId = world.b;
  finding.detail.region = HOME;
  finding.detail.resource.instanceDetails.networkInterfaces = [
    { securityGroups: [{ groupId, groupName: 'web' }] },
  ];
  incidents = mockIncidents(triggerData(finding));
  const before = await snapshot();
  const sent = newSent();
  const res = await (await central(sent)).guardDuty({ incidentRecordArn: INCIDENT_ARN });

  const after = await snapshot();
  expect(after.get(place)).toEqual(REVERTED);
  unchangedBut(before, after, place);
  expect(res).toMatchObject({ reverted: true, mode: 'enforce', account: world.b, region: HOME });
  expect(sent.assumeRole).toEqual([
    expect.objectContaining({
      RoleArn: `arn:aws:iam::${world.b}:role/${ROLE}`,
      RoleSessionName: `fr-${INCIDENT_ID}`,
      SourceIdentity: GUARDDUTY_FUNCTION,
    }),
  ]);
  expect(sent.own).toEqual([]);
});
