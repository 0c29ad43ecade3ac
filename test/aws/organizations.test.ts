/** Organization mode's placement: ListParents up to the root, cached, and every failure observed. */
import {
  ListParentsCommand,
  OrganizationsClient,
  OrganizationsServiceException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type AddressInfo } from 'node:net';
import { clientSettings } from '../../handlers/aws/clients';
import { AccountPlacements, MAX_DEPTH, PLACEMENT_TTL_MS } from '../../handlers/aws/organizations';
import { resolveMode, type ScopeSettings } from '../../handlers/policy/scope';

const ACCOUNT = '222222222222';
const SIBLING = '333333333333';
const OU_TEAM = 'ou-ab12-team0001';
const OU_WORK = 'ou-ab12-work0001';
const ROOT = 'r-ab12';
/** Every account is under an enforce target: only a failed lookup can make it observe. */
const SETTINGS: ScopeSettings = { targets: [{ organizationalUnits: [ROOT], mode: 'enforce' }] };

// This instance only: the other clients below are real (their requests never leave the machine).
const mocked = new OrganizationsClient({});
const orgs = mockClient(mocked);
/** The organization: each child's parent, as ListParents answers it. */
const TREE: Record<string, { Id: string; Type: 'ROOT' | 'ORGANIZATIONAL_UNIT' }> = {
  [ACCOUNT]: { Id: OU_TEAM, Type: 'ORGANIZATIONAL_UNIT' },
  [SIBLING]: { Id: OU_TEAM, Type: 'ORGANIZATIONAL_UNIT' },
  [OU_TEAM]: { Id: OU_WORK, Type: 'ORGANIZATIONAL_UNIT' },
  [OU_WORK]: { Id: ROOT, Type: 'ROOT' },
};
const givenTree = () =>
  orgs
    .on(ListParentsCommand)
    .callsFake((input: { ChildId: string }) => ({ Parents: [TREE[input.ChildId]!] }));
const asked = () => orgs.commandCalls(ListParentsCommand).map((c) => c.args[0].input.ChildId);

function orgError(name: string) {
  return new OrganizationsServiceException({
    name,
    $fault: 'client',
    $metadata: {},
    message: name,
  });
}

let now = Date.parse('2026-11-30T08:00:00Z');
const placements = (props: { timeoutMs?: number } = {}) =>
  new AccountPlacements({ organizations: mocked, now: () => now, ...props });

beforeEach(() => {
  orgs.reset();
  now = Date.parse('2026-11-30T08:00:00Z');
});

describe('AccountPlacements', () => {
  it('walks ListParents from the account to the root, nearest parent first', async () => {
    givenTree();
    const placement = await placements().place(ACCOUNT);
    expect(placement).toEqual({ found: true, parents: [OU_TEAM, OU_WORK, ROOT] });
    expect(asked()).toEqual([ACCOUNT, OU_TEAM, OU_WORK]);
    expect(resolveMode(SETTINGS, ACCOUNT, placement).mode).toBe('enforce');
  });

  it('caches each parent for the TTL: a sibling account costs one call, a later walk none', async () => {
    givenTree();
    const p = placements();
    await p.place(ACCOUNT);
    await p.place(SIBLING);
    await p.place(ACCOUNT);
    expect(asked()).toEqual([ACCOUNT, OU_TEAM, OU_WORK, SIBLING]);
    // past the TTL, an account moved to another OU is seen
    now += PLACEMENT_TTL_MS;
    await p.place(ACCOUNT);
    expect(asked()).toHaveLength(7);
  });

  it.each([
    ['AccessDeniedException', /may not read the organization.*organizations:ListParents/],
    ['AWSOrganizationsNotInUseException', /may not read the organization/],
    ['TooManyRequestsException', /ListParents failed: TooManyRequestsException/],
    ['ChildNotFoundException', /account 222222222222 is not in the organization/],
    ['ServiceException', /ListParents failed: ServiceException/],
  ])('Noncompliance: %s -> not found, so the account is observed', async (code, reason) => {
    orgs.on(ListParentsCommand).rejects(orgError(code));
    const placement = await placements().place(ACCOUNT);
    expect(placement).toEqual({ found: false, reason: expect.stringMatching(reason) });
    const decision = resolveMode(SETTINGS, ACCOUNT, placement);
    expect(decision.mode).toBe('observe');
    expect(decision.reason).toMatch(/fail closed/);
  });

  it('Noncompliance: a failure half-way up (throttled on an OU) is observed too, and not cached', async () => {
    orgs
      .on(ListParentsCommand, { ChildId: ACCOUNT })
      .resolves({ Parents: [TREE[ACCOUNT]!] })
      .on(ListParentsCommand, { ChildId: OU_TEAM })
      .rejectsOnce(orgError('TooManyRequestsException'))
      .resolves({ Parents: [TREE[OU_TEAM]!] })
      .on(ListParentsCommand, { ChildId: OU_WORK })
      .resolves({ Parents: [TREE[OU_WORK]!] });
    const p = placements();
    expect((await p.place(ACCOUNT)).found).toBe(false);
    expect(await p.place(ACCOUNT)).toEqual({ found: true, parents: [OU_TEAM, OU_WORK, ROOT] });
    // the account's own parent was cached; the failed OU was asked again
    expect(asked()).toEqual([ACCOUNT, OU_TEAM, OU_TEAM, OU_WORK]);
  });

  it('Noncompliance: an answer held past the walk timeout is observed', async () => {
    // A real client against a loopback port that accepts the connection and never answers.
    const server = createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const held = new AccountPlacements({
      organizations: new OrganizationsClient({
        ...clientSettings(),
        endpoint: `http://127.0.0.1:${port}`,
      }),
      timeoutMs: 200,
    });
    try {
      const started = Date.now();
      const placement = await held.place(ACCOUNT);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(placement).toEqual({
        found: false,
        reason: expect.stringContaining('ListParents did not answer in time'),
      });
      expect(resolveMode(SETTINGS, ACCOUNT, placement).mode).toBe('observe');
    } finally {
      server.close();
    }
  });

  it('Noncompliance: no parent in the answer, or no root within the depth limit', async () => {
    orgs.on(ListParentsCommand).resolves({ Parents: [] });
    expect(await placements().place(ACCOUNT)).toEqual({
      found: false,
      reason: expect.stringContaining('named no parent'),
    });
    orgs.reset();
    orgs.on(ListParentsCommand).callsFake((input: { ChildId: string }) => ({
      Parents: [{ Id: `ou-ab12-${input.ChildId.slice(-8)}x`, Type: 'ORGANIZATIONAL_UNIT' }],
    }));
    const deep = await placements().place(ACCOUNT);
    expect(deep).toEqual({
      found: false,
      reason: expect.stringContaining('did not reach the root'),
    });
    expect(asked()).toHaveLength(MAX_DEPTH);
  });
});

describe('the Organizations endpoint', () => {
  it.each([
    ['eu-west-1', 'organizations.us-east-1.amazonaws.com', 'us-east-1'],
    ['us-east-1', 'organizations.us-east-1.amazonaws.com', 'us-east-1'],
    ['us-gov-east-1', 'organizations.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
    ['cn-north-1', 'organizations.cn-northwest-1.amazonaws.com.cn', 'cn-northwest-1'],
  ])(
    'a client in %s calls %s, signed for %s (one endpoint per partition)',
    async (region, host, signingRegion) => {
      const client = new OrganizationsClient({ region });
      const seen: { host?: string; scope?: string } = {};
      // Stops every request after signing: nothing leaves the machine.
      client.middlewareStack.add(
        () => (args) => {
          const request = args.request as { hostname: string; headers: Record<string, string> };
          seen.host = request.hostname;
          seen.scope = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(
            request.headers.authorization ?? '',
          )?.[1];
          return Promise.reject(new Error('stopped before sending'));
        },
        { step: 'finalizeRequest', name: 'stopBeforeSending', priority: 'low' },
      );
      await expect(client.send(new ListParentsCommand({ ChildId: ACCOUNT }))).rejects.toThrow(
        'stopped before sending',
      );
      expect(seen).toEqual({ host, scope: signingRegion });
    },
  );
});
