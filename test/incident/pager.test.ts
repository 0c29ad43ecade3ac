/** The escalation's pager against SNS and OpsCenter, mocked as their API references document. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { pageSchedule } from '../../handlers/incident/paging';
import { DATA_KEYS, opsItemRequest } from '../../handlers/incident/opsitem';
import { makeHandler, PAGE_MARGIN_MS, type PagerOutput } from '../../handlers/pager';
import { ENV, pagerSettingsFromEnv } from '../../handlers/env';
import { createOrFindOpsItem } from '../../handlers/aws/opsitems';
import { fakeOpsCenter } from '../support/opscenter';

const T0 = Date.parse('2026-11-30T05:00:00Z');
const min = (m: number) => T0 + m * 60_000;
const topic = (k: string) =>
  `arn:aws:sns:eu-west-1:111122223333:first-responder-page-${k.replace('/', '-')}`;
const schedule = pageSchedule(
  ['security-escalation'],
  [
    {
      alias: 'alice',
      channels: ['email', 'sms'],
      stages: [
        { channels: ['email'], durationMinutes: 10 },
        { channels: ['sms'], durationMinutes: 0 },
      ],
    },
    { alias: 'bob', channels: ['email'] },
  ],
  [
    {
      alias: 'security-escalation',
      stages: [
        { contacts: ['alice'], durationMinutes: 15 },
        { contacts: ['bob'], durationMinutes: 0 },
      ],
    },
  ],
);
const env = {
  [ENV.pagerSchedules]: JSON.stringify({ rootActivity: schedule }),
  [ENV.pagerTopics]: JSON.stringify(
    Object.fromEntries(['alice/email', 'alice/sms', 'bob/email'].map((k) => [k, topic(k)])),
  ),
  AWS_REGION: 'eu-west-1',
};

async function setup() {
  let now = min(0);
  const ops = fakeOpsCenter(() => new Date(now));
  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  const id = await createOrFindOpsItem(
    ops.client,
    opsItemRequest(
      {
        detection: 'rootActivity',
        title: 'Root user ConsoleLogin from 198.51.100.7, MFA no',
        impact: 1,
        relatedItems: [],
        trigger: {
          source: 'first-responder.intake',
          timestamp: '2026-11-30T05:00:00Z',
          rawData: '{}',
        },
      },
      'root#111122223333',
    ),
    'root#111122223333',
  );
  const handler = makeHandler({
    ssm: ops.client,
    sns: new SNSClient({}),
    settings: () => pagerSettingsFromEnv(env),
    now: () => now,
  });
  return { ops, sns, id, handler, at: (m: number) => (now = min(m)) };
}

describe('pager', () => {
  it('pages stage by stage while nobody acknowledges, and records every page on the OpsItem', async () => {
    // GIVEN
    const { ops, sns, id, handler, at } = await setup();
    const looks: PagerOutput[] = [];

    // WHEN the state machine looks at each wait's end
    let out = await handler({ opsItemId: id, detection: 'rootActivity', sent: 0 });
    looks.push(out);
    while (!out.done) {
      at(looks.reduce((s, l) => s + l.waitSeconds, 0) / 60);
      out = await handler(out);
      looks.push(out);
    }

    // THEN
    expect(looks.map((l) => [l.sent, l.waitSeconds, l.done])).toEqual([
      [1, 600, false],
      [2, 300, false],
      [3, 0, true],
    ]);
    expect(out.reason).toBe('schedule complete');
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([
      topic('alice/email'),
      topic('alice/sms'),
      topic('bob/email'),
    ]);
    const first = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(first.MessageStructure).toBe('json');
    const message = JSON.parse(first.Message!) as { default: string; sms: string };
    expect(message.default).toContain(id);
    expect(message.sms.length).toBeLessThanOrEqual(140);
    expect(first.Subject!.length).toBeLessThanOrEqual(100);
    const log = ops.data(id, DATA_KEYS.pages) as { count: number; latest: { text: string }[] };
    expect(log.count).toBe(3);
    expect(log.latest.map((e) => e.text)).toEqual([
      'Paged alice by email (minute 0 of the plan)',
      'Paged alice by sms (minute 10 of the plan)',
      'Paged bob by email (minute 15 of the plan)',
    ]);
  });

  it.each(['InProgress', 'Resolved'] as const)(
    'stops once the OpsItem is %s: the acknowledgement',
    async (status) => {
      // GIVEN the first page went, and someone acknowledged at minute 4
      const { ops, sns, id, handler, at } = await setup();
      const first = await handler({ opsItemId: id, detection: 'rootActivity', sent: 0 });
      ops.setStatus(id, status, new Date(min(4)));

      // WHEN
      at(10);
      const out = await handler(first);

      // THEN
      expect(out).toMatchObject({ done: true, reason: 'acknowledged', sent: 1 });
      expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    },
  );

  it('a retried look records no page twice', async () => {
    const { ops, id, handler } = await setup();
    await handler({ opsItemId: id, detection: 'rootActivity', sent: 0 });
    await handler({ opsItemId: id, detection: 'rootActivity', sent: 0 });
    expect((ops.data(id, DATA_KEYS.pages) as { count: number }).count).toBe(1);
  });

  it('a look retried after its pages were recorded sends none of them again', async () => {
    // GIVEN a look that paged and recorded, but whose answer the state machine did not get
    const { sns, id, handler } = await setup();
    await handler({ opsItemId: id, detection: 'rootActivity', sent: 0 });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    // WHEN the state machine retries the same look
    const out = await handler({ opsItemId: id, detection: 'rootActivity', sent: 0 });
    // THEN the recorded page is counted as sent, and not published again
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(out).toMatchObject({ sent: 1, done: false });
  });

  it('refuses an input that is not an escalation, naming the field', async () => {
    const { handler } = await setup();
    await expect(
      handler({ opsItemId: 'incident-1', detection: 'rootActivity', sent: 0 }),
    ).rejects.toThrow(/escalation\.opsItemId: got "incident-1"; an OpsItem ID/);
  });

  it('refuses settings that page a channel without a topic', () => {
    expect(() => pagerSettingsFromEnv({ ...env, [ENV.pagerTopics]: JSON.stringify({}) })).toThrow(
      /pages alice\/email, which has no topic/,
    );
  });
});

describe('pager near its deadline', () => {
  it('answers before Lambda kills it, and the next look sends the rest in order', async () => {
    // GIVEN a late first look with three pages due, and time for one page only
    const { sns, id, handler, at } = await setup();
    at(20);
    let calls = 0;
    const context = {
      getRemainingTimeInMillis: () => (calls++ === 0 ? 60_000 : PAGE_MARGIN_MS - 1),
    };

    // WHEN
    const first = await handler({ opsItemId: id, detection: 'rootActivity', sent: 0 }, context);
    const rest = await handler(first);

    // THEN
    expect(first).toMatchObject({ done: false, sent: 1, waitSeconds: 1 });
    expect(rest).toMatchObject({ done: true, sent: 3 });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([
      topic('alice/email'),
      topic('alice/sms'),
      topic('bob/email'),
    ]);
  });
});
