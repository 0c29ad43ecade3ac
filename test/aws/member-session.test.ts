/** Organization mode's member sessions: one AssumeRole per account and incident, named for both. */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MAX_SESSIONS, MemberSessions, sessionNameOf } from '../../handlers/aws/member-session';

const sts = mockClient(STSClient);
const NOW = Date.parse('2026-11-30T08:00:00Z');
const credentials = (expiresInMs: number) => ({
  Credentials: {
    AccessKeyId: 'ASIAEXAMPLE',
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: new Date(NOW + expiresInMs),
  },
});
const TARGET = {
  account: '222222222222',
  region: 'us-east-1',
  sessionName: 'fr-incident/6cc6a9d2-1234',
  sourceIdentity: 'first-responder-reverter',
};

beforeEach(() => {
  sts.reset();
});

describe('sessionNameOf', () => {
  it.each([
    ['fr-incident/abc', 'fr-incident-abc'],
    ['a', 'a-'],
    ['x'.repeat(80), 'x'.repeat(64)],
    ['ok+=,.@_-', 'ok+=,.@_-'],
  ])('%s becomes %s', (input, expected) => expect(sessionNameOf(input)).toBe(expected));
});

describe('MemberSessions', () => {
  it('assumes the member role in the event account, naming the incident and the source identity', async () => {
    // GIVEN STS that grants credentials for an hour
    sts.on(AssumeRoleCommand).resolves(credentials(3_600_000));
    const sessions = new MemberSessions({
      roleName: 'first-responder-member',
      sts: new STSClient({ region: 'eu-west-1' }),
      now: () => NOW,
    });
    // WHEN two calls are made in the same account and incident
    // (the mocked EC2 client skips signing, so the client's credential provider is called directly)
    const client = sessions.ec2(TARGET);
    await client.config.credentials();
    await client.config.credentials();
    // THEN the role is assumed once, with the names STS accepts, and EC2 runs in the event region
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222222222222:role/first-responder-member',
      RoleSessionName: 'fr-incident-6cc6a9d2-1234',
      SourceIdentity: 'first-responder-reverter',
    });
    expect(await client.config.region()).toBe('us-east-1');
    expect((await client.config.credentials()).accessKeyId).toBe('ASIAEXAMPLE');
  });

  it('assumes again for another account, and when the credentials are about to expire', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials(60_000));
    const sessions = new MemberSessions({
      roleName: 'r',
      sts: new STSClient({ region: 'eu-west-1' }),
      now: () => NOW,
    });
    await sessions.credentialsFor(TARGET);
    await sessions.credentialsFor(TARGET); // expires within the renewal margin
    await sessions.credentialsFor({ ...TARGET, account: '333333333333' });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 3);
  });

  it('does not keep a failed AssumeRole: the next call tries again', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))
      .resolves(credentials(3_600_000));
    const sessions = new MemberSessions({
      roleName: 'r',
      sts: new STSClient({ region: 'eu-west-1' }),
    });
    await expect(sessions.credentialsFor(TARGET)).rejects.toThrow('not authorized');
    await expect(sessions.credentialsFor(TARGET)).resolves.toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
    });
  });
});

describe('MemberSessions, a long-lived container', () => {
  it(`keeps at most ${MAX_SESSIONS} sessions, dropping the oldest first`, async () => {
    sts.on(AssumeRoleCommand).resolves(credentials(3_600_000));
    const sessions = new MemberSessions({
      roleName: 'r',
      sts: new STSClient({ region: 'eu-west-1' }),
      now: () => NOW,
    });
    // GIVEN one more session than the cache keeps
    for (let i = 0; i <= MAX_SESSIONS; i++)
      await sessions.credentialsFor({ ...TARGET, sessionName: `fr-${i}` });
    sts.resetHistory();
    // WHEN the newest and the oldest are asked for again
    await sessions.credentialsFor({ ...TARGET, sessionName: `fr-${MAX_SESSIONS}` });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    await sessions.credentialsFor({ ...TARGET, sessionName: 'fr-0' });
    // THEN only the oldest, dropped, is assumed again
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });
});
