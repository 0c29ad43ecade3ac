import type { ConfigServiceClient } from '@aws-sdk/client-config-service';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import {
  CONNECTION_TIMEOUT_MS,
  createIntakeClients,
  createPagerClients,
  type IntakeClients,
  MAX_ATTEMPTS,
  REQUEST_TIMEOUT_MS,
} from '../../handlers/aws/clients';
import { createConfigClient } from '../../handlers/aws/config';
import { DEFAULT_BUDGET } from '../../handlers/respond/remediate';
import { FUNCTIONS } from '../../infra/functions';
import { createEc2Client } from '../../handlers/aws/ec2';
import { createIncidentsClient } from '../../handlers/aws/incidents';
import { createSsmClient } from '../../handlers/aws/opsitems';
import { createStsClient, MemberSessions } from '../../handlers/aws/member-session';
import { createOrganizationsClient } from '../../handlers/aws/organizations';

type AnyClient =
  | EC2Client
  | ReturnType<typeof createStsClient>
  | ReturnType<typeof createOrganizationsClient>
  | SSMIncidentsClient
  | ConfigServiceClient
  | IntakeClients[keyof IntakeClients]
  | PagerClients[keyof PagerClients];

// Every client the handlers make: the single factories, and the intake's and the pager's sets.
const intake = createIntakeClients();
const pager = createPagerClients();
type PagerClients = typeof pager;
const clients: (readonly [string, AnyClient])[] = [
  ['EC2', createEc2Client()],
  ['Incident Manager', createIncidentsClient()],
  ['AWS Config', createConfigClient()],
  ['SSM (OpsCenter)', createSsmClient()],
  ['STS (organization mode)', createStsClient()],
  ['Organizations (organization mode)', createOrganizationsClient()],
  [
    'EC2 in a member account (organization mode)',
    new MemberSessions({ roleName: 'member', sts: createStsClient() }).ec2({
      account: '222222222222',
      region: 'us-east-1',
      sessionName: 'fr-incident',
      sourceIdentity: 'first-responder-reverter',
    }),
  ],
  ...(Object.entries(intake) as [string, AnyClient][]).map(([k, c]) => [`intake ${k}`, c] as const),
  ...(Object.entries(pager) as [string, AnyClient][]).map(([k, c]) => [`pager ${k}`, c] as const),
];
afterAll(() => clients.forEach(([, c]) => (c as { destroy(): void }).destroy()));

/** What the client will really use: its handler's resolved settings and its retry strategy. */
async function settings(client: AnyClient) {
  const handler = client.config.requestHandler as unknown as {
    configProvider: Promise<Record<string, unknown>>;
  };
  const strategy = await client.config.retryStrategy();
  return {
    handler: await handler.configProvider,
    mode: (strategy as { mode?: string }).mode,
    maxAttempts: await client.config.maxAttempts(),
  };
}

describe('every SDK client the handlers create', () => {
  it.each(clients)(
    '%s: connection and request timeouts that throw, standard retry',
    async (_name, client) => {
      const s = await settings(client);
      expect(s.handler).toMatchObject({
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      });
      expect(s).toMatchObject({ mode: 'standard', maxAttempts: MAX_ATTEMPTS });
    },
  );
});

describe('the time budget', () => {
  it.each(['reverter', 'guarddutyResponse'] as const)(
    'fits %s: reserve and one whole group inside its Lambda timeout',
    (id) => {
      const timeout = FUNCTIONS[id].limits.timeout.toMilliseconds();
      expect(DEFAULT_BUDGET.reserveMs + DEFAULT_BUDGET.groupMs).toBeLessThan(timeout);
      // a held answer costs at most every attempt's request timeout: less than a group's time
      expect(MAX_ATTEMPTS * REQUEST_TIMEOUT_MS).toBeLessThan(
        DEFAULT_BUDGET.groupMs - DEFAULT_BUDGET.verifyMs,
      );
    },
  );
});
