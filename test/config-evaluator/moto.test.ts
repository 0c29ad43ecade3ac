/**
 * The Config evaluator against a moto server: real HTTP, real SDK serialization.
 *
 * What moto 5.2 can and cannot show here:
 * - PutEvaluations is implemented for TestMode only. It checks that Evaluations is not empty and
 *   that ResultToken is set, then answers `FailedEvaluations: []`; it stores nothing and checks
 *   no field (not ComplianceType, not the annotation's length). So these tests also capture the
 *   JSON body the SDK sent, and check the fields there.
 * - Without TestMode moto answers HTTP 500 (NotImplementedError): the last test pins that down.
 * - EC2 (DescribeSecurityGroups, with tags and paging) is real enough for the oversized and
 *   periodic paths, which read groups live.
 */
import {
  ConfigServiceClient,
  PutEvaluationsCommand,
  type ConfigServiceClientConfig,
} from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { makeHandler } from '../../handlers/config-evaluator';
import { AwsCallError } from '../../handlers/shared/errors';
import { startMoto, type MotoServer } from '../support/moto';
import {
  changeEvent,
  examplePolicy,
  fixtureInvoking,
  fixtureItem,
  recordedEvent,
  ruleEvent,
} from './support';

interface WireEvaluation {
  ComplianceResourceType: string;
  ComplianceResourceId: string;
  ComplianceType: string;
  Annotation?: string;
  OrderingTimestamp: number;
}
interface WireRequest {
  Evaluations: WireEvaluation[];
  ResultToken: string;
  TestMode?: boolean;
}

let moto: MotoServer;
let ec2: EC2Client;
let config: ConfigServiceClient;
/** PutEvaluations bodies as they went over the wire, and moto's answers. */
let sent: WireRequest[];
let answers: unknown[];

/** The SDK hands the JSON body over as a string or as bytes, depending on its version. */
function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return String(body);
}

function capturingConfigClient(extra: Partial<ConfigServiceClientConfig> = {}) {
  const client = new ConfigServiceClient({ ...moto.clientConfig, maxAttempts: 1, ...extra });
  client.middlewareStack.add(
    (next) => async (args) => {
      sent.push(JSON.parse(bodyText((args.request as { body?: unknown }).body)) as WireRequest);
      const result = await next(args);
      answers.push(result.output);
      return result;
    },
    { step: 'finalizeRequest', name: 'captureBody' },
  );
  return client;
}

beforeAll(async () => {
  moto = await startMoto();
  ec2 = new EC2Client({ ...moto.clientConfig, maxAttempts: 1 });
  config = capturingConfigClient();
});

afterAll(async () => {
  ec2?.destroy();
  config?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  sent = [];
  answers = [];
});

const handler = () => makeHandler({ config, ec2, policy: () => examplePolicy });

async function createGroup(
  name: string,
  ingress: IpPermission[],
  tags: Record<string, string> = {},
) {
  const vpcs = await ec2.send(new DescribeVpcsCommand({}));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: name,
      VpcId: vpcs.Vpcs![0]!.VpcId,
      // EC2 refuses a tag specification with no tags.
      ...(Object.keys(tags).length > 0
        ? {
            TagSpecifications: [
              {
                ResourceType: 'security-group' as const,
                Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
              },
            ],
          }
        : {}),
    }),
  );
  if (ingress.length > 0)
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: GroupId!, IpPermissions: ingress }),
    );
  return GroupId!;
}

/** The recorded oversized invocation, pointed at a group that exists in moto. */
function oversizedFor(groupId: string) {
  const inv = fixtureInvoking('invoking-oversized.json');
  return ruleEvent({
    ...inv,
    configurationItemSummary: {
      ...(inv.configurationItemSummary as object),
      resourceId: groupId,
    },
  });
}

const ssh = (cidr: string): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: 22,
  ToPort: 22,
  IpRanges: [{ CidrIp: cidr }],
});

describe('config evaluator against moto server (PutEvaluations in TestMode)', () => {
  it('Noncompliance 1: moto accepts the recorded event, sent in TestMode with epoch-second ordering', async () => {
    // GIVEN the recorded invocation in test mode
    const event = { ...recordedEvent(), resultToken: 'TESTMODE' };
    // WHEN the handler runs against moto
    await handler()(event);
    // THEN moto accepted one PutEvaluations, and the wire body is what Config expects
    expect(answers).toEqual([expect.objectContaining({ FailedEvaluations: [] })]);
    expect(sent).toEqual([
      {
        ResultToken: 'TESTMODE',
        TestMode: true,
        Evaluations: [
          {
            ComplianceResourceType: 'AWS::EC2::SecurityGroup',
            ComplianceResourceId: 'sg-e2fb6999',
            ComplianceType: 'NON_COMPLIANT',
            Annotation: 'revoke: tcp 22 from 0.0.0.0/0',
            OrderingTimestamp: 1511792771.3,
          },
        ],
      },
    ]);
  });

  it('Compliance 1: moto accepts a COMPLIANT verdict with no annotation field', async () => {
    // GIVEN the hand-written compliant item WHEN the handler runs against moto
    await handler()(changeEvent(fixtureItem('item-compliant-web.json')));
    // THEN the evaluation went out with no Annotation at all (Config refuses an empty one)
    expect(answers).toHaveLength(1);
    expect(sent[0]!.Evaluations).toEqual([
      {
        ComplianceResourceType: 'AWS::EC2::SecurityGroup',
        ComplianceResourceId: 'sg-0123456789abcdef0',
        ComplianceType: 'COMPLIANT',
        OrderingTimestamp: Date.parse('2024-05-02T09:15:30.123Z') / 1000,
      },
    ]);
  });

  it('puts NOT_APPLICABLE for a deleted group, reading nothing from EC2', async () => {
    // GIVEN a deleted item WHEN the handler runs against moto
    const out = await handler()(changeEvent(fixtureItem('item-deleted.json')));
    // THEN moto accepted NOT_APPLICABLE for it
    expect(out.evaluations).toHaveLength(1);
    expect(sent[0]!.Evaluations[0]).toMatchObject({
      ComplianceResourceId: 'sg-0fedcba9876543210',
      ComplianceType: 'NOT_APPLICABLE',
      Annotation: 'deleted (ResourceDeleted)',
    });
  });

  it('Noncompliance 2: reads an oversized group live from moto EC2 and puts NON_COMPLIANT', async () => {
    // GIVEN a group in moto with SSH open to the world, and an oversized notification for it
    const groupId = await createGroup('oversized-open', [ssh('0.0.0.0/0')]);
    // WHEN the handler runs
    await handler()(oversizedFor(groupId));
    // THEN the verdict came from the live group
    expect(sent[0]!.Evaluations).toEqual([
      {
        ComplianceResourceType: 'AWS::EC2::SecurityGroup',
        ComplianceResourceId: groupId,
        ComplianceType: 'NON_COMPLIANT',
        Annotation: 'revoke: tcp 22 from 0.0.0.0/0',
        OrderingTimestamp: Date.parse('2024-05-02T10:00:00.000Z') / 1000,
      },
    ]);
  });

  it('Compliance 2: reads an oversized group live and puts COMPLIANT when SSH is internal', async () => {
    // GIVEN a group in moto with SSH from 10.20.0.0/16 only
    const groupId = await createGroup('oversized-internal', [ssh('10.20.0.0/16')]);
    // WHEN the handler runs on an oversized notification for it
    await handler()(oversizedFor(groupId));
    // THEN it is COMPLIANT
    expect(sent[0]!.Evaluations[0]).toMatchObject({
      ComplianceResourceId: groupId,
      ComplianceType: 'COMPLIANT',
    });
  });

  it('Compliance 3: an oversized exempt group (tag read live from moto) is COMPLIANT, saying why', async () => {
    // GIVEN an open group in moto tagged exempt
    const groupId = await createGroup('oversized-exempt', [ssh('0.0.0.0/0')], {
      'first-responder:exempt': 'true',
    });
    // WHEN the handler runs on an oversized notification for it
    await handler()(oversizedFor(groupId));
    // THEN it is COMPLIANT with the exemption named
    const [e] = sent[0]!.Evaluations;
    expect(e!.ComplianceType).toBe('COMPLIANT');
    expect(e!.Annotation).toMatch(/^exempt: /);
  });

  it('puts NOT_APPLICABLE for an oversized notification about a group moto does not have', async () => {
    // GIVEN no such group WHEN the handler runs
    await handler()(oversizedFor('sg-0123456789abcdef0'));
    // THEN the group is reported gone
    expect(sent[0]!.Evaluations[0]).toMatchObject({
      ComplianceType: 'NOT_APPLICABLE',
      Annotation: 'the security group no longer exists',
    });
  });

  it('evaluates every moto group on a scheduled notification', async () => {
    // GIVEN one open and one internal group besides moto's default groups
    const open = await createGroup('periodic-open', [ssh('0.0.0.0/0')]);
    const internal = await createGroup('periodic-internal', [ssh('10.1.0.0/16')]);
    const all = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!;
    // WHEN the handler runs on a periodic trigger
    await handler()(ruleEvent(fixtureInvoking('invoking-scheduled.json')));
    // THEN every group was evaluated once, and only the open one is NON_COMPLIANT
    const evaluations = sent.flatMap((r) => r.Evaluations);
    expect(evaluations.map((e) => e.ComplianceResourceId).sort()).toEqual(
      all.map((g) => g.GroupId).sort(),
    );
    const verdict = (id: string) =>
      evaluations.find((e) => e.ComplianceResourceId === id)?.ComplianceType;
    expect(verdict(open)).toBe('NON_COMPLIANT');
    expect(verdict(internal)).toBe('COMPLIANT');
  });

  it('moto limitation: PutEvaluations outside TestMode is not implemented (HTTP 500), and the handler says which call failed', async () => {
    // GIVEN a real (non-TESTMODE) result token, which moto cannot accept
    const event = recordedEvent();
    // WHEN the handler runs against moto
    const run = handler()(event);
    // THEN it fails with PutEvaluations named. If this starts passing through, moto has
    // implemented real PutEvaluations: turn this into a test of the stored evaluations.
    await expect(run).rejects.toBeInstanceOf(AwsCallError);
    await expect(run).rejects.toThrow(/^PutEvaluations: /);
    expect(sent[0]).toMatchObject({ ResultToken: event.resultToken });
    expect(sent[0]).not.toHaveProperty('TestMode');
  });

  it('moto check: PutEvaluations with an empty Evaluations list is refused, which is why none is ever sent', async () => {
    // GIVEN an empty list WHEN sent directly to moto THEN moto refuses it
    await expect(
      config.send(
        new PutEvaluationsCommand({ Evaluations: [], ResultToken: 'TESTMODE', TestMode: true }),
      ),
    ).rejects.toThrow(/Evaluations object in your request cannot be null/);
  });
});
