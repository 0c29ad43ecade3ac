import {
  escalationStep,
  pageSchedule,
  type Page,
  type PagingContact,
  type PagingEscalation,
} from '../../handlers/incident/paging';

// The example configuration's people, without voice (examples/config-opscenter.yaml).
const alice: PagingContact = {
  alias: 'alice',
  channels: ['email', 'sms'],
  stages: [
    { channels: ['email'], durationMinutes: 10 },
    { channels: ['sms'], durationMinutes: 0 },
  ],
};
const bob: PagingContact = { alias: 'bob', channels: ['email', 'sms'] };
const escalation: PagingEscalation = {
  alias: 'security-escalation',
  stages: [
    { contacts: ['alice'], durationMinutes: 15 },
    { contacts: ['bob', 'alice'], durationMinutes: 15 },
  ],
};
const page = (atMinute: number, contact: string, channel: string): Page => ({
  atMinute,
  contact,
  channel,
});

describe('pageSchedule', () => {
  it.each<[string, string[], Page[]]>([
    [
      'a contact with no plan: every channel at once',
      ['bob'],
      [page(0, 'bob', 'email'), page(0, 'bob', 'sms')],
    ],
    ['a contact with stages', ['alice'], [page(0, 'alice', 'email'), page(10, 'alice', 'sms')]],
    [
      'an escalation plan starts each stage contact at the stage minute',
      ['security-escalation'],
      [
        page(0, 'alice', 'email'),
        page(10, 'alice', 'sms'),
        page(15, 'alice', 'email'),
        page(15, 'bob', 'email'),
        page(15, 'bob', 'sms'),
        page(25, 'alice', 'sms'),
      ],
    ],
    [
      'the same channel at the same minute is paged once',
      ['alice', 'alice'],
      [page(0, 'alice', 'email'), page(10, 'alice', 'sms')],
    ],
    ['unknown aliases page nobody', ['nobody'], []],
  ])('%s', (_name, engagements, expected) => {
    // WHEN
    const schedule = pageSchedule(engagements, [alice, bob], [escalation]);

    // THEN
    expect(schedule).toEqual(expected);
  });
});

describe('escalationStep', () => {
  const schedule = pageSchedule(['security-escalation'], [alice, bob], [escalation]);
  const opened = Date.parse('2026-11-30T05:00:00Z');
  const min = (m: number) => opened + m * 60_000;

  it.each<[string, { now: number; sent: number; ack?: number }, ReturnType<typeof escalationStep>]>(
    [
      [
        'at opening: the first page, then wait for minute 10',
        { now: min(0), sent: 0 },
        { done: false, due: [page(0, 'alice', 'email')], waitSeconds: 600 },
      ],
      [
        'a late first look sends everything due at once',
        { now: min(16), sent: 0 },
        { done: false, due: schedule.slice(0, 5), waitSeconds: 540 },
      ],
      [
        'pages already sent are not sent again',
        { now: min(10), sent: 1 },
        { done: false, due: [page(10, 'alice', 'sms')], waitSeconds: 300 },
      ],
      [
        'nothing due yet: wait for the next, at least a second',
        { now: min(10) - 200, sent: 1 },
        { done: false, due: [], waitSeconds: 1 },
      ],
      [
        'acknowledged: stop, and send nothing scheduled after the acknowledgement',
        { now: min(20), sent: 2, ack: min(12) },
        { done: true, due: [], reason: 'acknowledged' },
      ],
      [
        'acknowledged between looks: pages due before it still go',
        { now: min(20), sent: 1, ack: min(12) },
        { done: true, due: [page(10, 'alice', 'sms')], reason: 'acknowledged' },
      ],
      [
        'the last stage sent: the schedule is complete',
        { now: min(25), sent: 5 },
        { done: true, due: [page(25, 'alice', 'sms')], reason: 'schedule complete' },
      ],
    ],
  )('%s', (_name, { now, sent, ack }, expected) => {
    // WHEN
    const step = escalationStep({
      schedule,
      openedAt: opened,
      now,
      sent,
      ...(ack !== undefined ? { acknowledgedAt: ack } : {}),
    });

    // THEN
    expect(step).toEqual(expected);
  });

  it('an empty schedule is complete at once', () => {
    expect(escalationStep({ schedule: [], openedAt: opened, now: opened, sent: 0 })).toEqual({
      done: true,
      due: [],
      reason: 'schedule complete',
    });
  });
});
