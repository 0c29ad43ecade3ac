/**
 * EC2 calls per group: the real handler against moto, counted by a middleware on the client the
 * handler is given, independently of the handler's own `calls` field (which is cross-checked).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeVpcsCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../handlers/policy/results';
import { loadPolicyFile } from '../handlers/policy/policy-file';
import { makeHandler } from '../handlers/reverter';
import { startMoto, type MotoServer } from '../test/support/moto';
import { check, type Figure } from './report';

/** One DescribeSecurityGroups: tags and rules together (a second only after an unknown write). */
export const MAX_READS = 1;
export const MAX_WRITES = 2;

const POLICY_FILE = join(__dirname, '..', 'examples', 'policy.json');

/** Commands sent, by name, and HTTP attempts (retries included), as the client saw them. */
class CallCounter {
  commands: string[] = [];
  attempts = 0;

  attach(client: EC2Client): void {
    client.middlewareStack.add(
      (next, context) => (args) => {
        this.commands.push(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name: 'benchCommandCounter' },
    );
    // The deserialize step runs inside the retry loop: once per HTTP request.
    client.middlewareStack.add(
      (next) => (args) => {
        this.attempts++;
        return next(args);
      },
      { step: 'deserialize', name: 'benchAttemptCounter' },
    );
  }

  /** The handler also gets an Incident Manager client: without an incident it must not use it. */
  attachIncidents(client: SSMIncidentsClient): void {
    client.middlewareStack.add(
      (next, context) => (args) => {
        this.commands.push(`ssm-incidents:${context.commandName ?? 'unknown'}`);
        return next(args);
      },
      { step: 'initialize', name: 'benchCommandCounter' },
    );
  }

  reset(): void {
    this.commands = [];
    this.attempts = 0;
  }

  /** EC2 commands only: what the handler's `calls` field counts. */
  get ec2Commands(): string[] {
    return this.commands.filter((c) => !c.includes(':'));
  }

  get reads(): number {
    return this.commands.filter((c) => c.startsWith('Describe')).length;
  }

  get writes(): number {
    return this.commands.filter((c) => /^(Authorize|Revoke)/.test(c)).length;
  }

  get others(): string[] {
    return this.commands.filter((c) => !/^(Describe|Authorize|Revoke)/.test(c));
  }
}

const world = (from: number, to = from): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: from,
  ToPort: to,
  IpRanges: [{ CidrIp: '0.0.0.0/0' }],
});

async function createGroup(
  ec2: EC2Client,
  vpcId: string | undefined,
  name: string,
  ingress: (groupId: string) => IpPermission[],
): Promise<string> {
  const created = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: `first-responder bench: ${name}`,
      VpcId: vpcId,
    }),
  );
  const groupId = created.GroupId!;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ingress(groupId) }),
  );
  return groupId;
}

interface Run {
  readonly label: string;
  readonly groupId: string;
}

export async function benchEc2Calls(): Promise<Figure[]> {
  let moto: MotoServer | undefined;
  try {
    moto = await startMoto();
    return await measure(moto);
  } catch (err) {
    return [
      {
        section: 'ec2',
        name: 'could not run against moto',
        value: (err instanceof Error ? err.message : String(err)).split('\n')[0]!,
        target: '',
        verdict: 'ERROR',
      },
    ];
  } finally {
    await moto?.stop();
  }
}

async function measure(moto: MotoServer): Promise<Figure[]> {
  const setup = new EC2Client(moto.clientConfig);
  const vpcs = await setup.send(
    new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
  );
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;

  // Policy (examples/policy.json): tcp 80/443 from anywhere, tcp 22 from 10.0.0.0/8, all from self.
  const openId = await createGroup(setup, vpcId, 'world-open', () => [
    world(22), // narrowed to 10.0.0.0/8: one authorize, one revoke
    { ...world(3389), Ipv6Ranges: [{ CidrIpv6: '::/0' }] }, // revoked
    world(443), // kept
  ]);
  const compliantId = await createGroup(setup, vpcId, 'compliant', (self) => [
    { ...world(443), Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.20.0.0/16' }] },
    { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: self }] },
  ]);
  setup.destroy();

  const ec2 = new EC2Client(moto.clientConfig);
  const counter = new CallCounter();
  counter.attach(ec2);
  const policy = loadPolicyFile(POLICY_FILE);
  const incidents = new SSMIncidentsClient(moto.clientConfig);
  counter.attachIncidents(incidents);
  const handler = makeHandler({
    ec2,
    incidents,
    policy: () => policy,
    limits: () => DEFAULT_LIMITS,
  });

  const runs: (Run & { target: 'remediated' | 'compliant' | 'info' })[] = [
    { label: 'world-open group', groupId: openId, target: 'remediated' },
    { label: 'compliant group', groupId: compliantId, target: 'compliant' },
    { label: 'world-open group, run again', groupId: openId, target: 'info' },
  ];
  const figures: Figure[] = [];
  for (const run of runs) {
    counter.reset();
    const res = await handler({ groupIds: [run.groupId] });
    const result = res.results[0];
    const status = result?.status ?? 'no result';
    const section = 'ec2';
    const name = (what: string) => `${run.label}: ${what}`;
    const expected = run.target === 'info' ? 'compliant' : run.target;
    figures.push({
      section,
      name: name('status'),
      value: status + (result?.reason ? ` (${result.reason})` : ''),
      target: expected,
      verdict: status === expected ? 'INFO' : 'ERROR',
    });
    const isInfo = run.target === 'info';
    figures.push(
      {
        section,
        name: name('reads (Describe*)'),
        value: String(counter.reads),
        target: `<= ${MAX_READS}`,
        verdict: isInfo ? 'INFO' : check(counter.reads <= MAX_READS),
      },
      {
        section,
        name: name('writes (Authorize*/Revoke*)'),
        value: String(counter.writes),
        target: run.target === 'remediated' ? `<= ${MAX_WRITES}` : '0',
        verdict: isInfo
          ? 'INFO'
          : check(counter.writes <= (run.target === 'remediated' ? MAX_WRITES : 0)),
      },
      {
        section,
        name: name('commands sent'),
        value: counter.commands.map(shortName).join(', ') || 'none',
        target: '',
        verdict: 'NOTE',
      },
      {
        section,
        name: name("handler's own `calls` vs counted"),
        value: `${result?.calls ?? '?'} vs ${counter.ec2Commands.length}`,
        target: 'equal',
        verdict: check(result?.calls === counter.ec2Commands.length),
      },
    );
    if (counter.attempts !== counter.ec2Commands.length)
      figures.push({
        section,
        name: name('HTTP requests (retries included)'),
        value: String(counter.attempts),
        target: `${counter.ec2Commands.length} (no retries)`,
        verdict: 'INFO',
      });
    if (counter.others.length > 0)
      figures.push({
        section,
        name: name('other AWS calls'),
        value: counter.others.join(', '),
        target: 'none',
        verdict: 'MISS',
      });
  }
  ec2.destroy();
  incidents.destroy();
  return figures;
}

/** The operation's name, as EC2 names it. */
function shortName(command: string): string {
  return command.replace(/Command$/, '');
}
