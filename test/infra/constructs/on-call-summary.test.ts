import { contactsOf, stagesOf } from '../../../infra/constructs/on-call-summary';
import { configFrom, exampleConfig, minimalInput } from '../support';

describe('stagesOf', () => {
  it.each([
    ['no stages', [], []],
    ['one stage starts at once', [{ durationMinutes: 10, engages: ['email'] }], [0]],
    [
      'each stage starts when the ones before it end',
      [
        { durationMinutes: 10, engages: ['email'] },
        { durationMinutes: 5, engages: ['sms'] },
        { durationMinutes: 0, engages: ['voice'] },
      ],
      [0, 10, 15],
    ],
  ])('%s', (_name, stages, starts) => {
    // WHEN
    const out = stagesOf(stages);
    // THEN
    expect(out.map((s) => s.afterMinutes)).toEqual(starts);
    expect(out.map((s) => s.engages)).toEqual(stages.map((s) => s.engages));
  });
});

describe('contactsOf', () => {
  it('lists the example contacts with their channels and stages', () => {
    // GIVEN the example configuration: two personal contacts and an escalation plan
    const contacts = contactsOf(exampleConfig());
    // THEN
    expect(contacts.map((c) => `${c.alias} (${c.kind})`)).toEqual([
      'alice (personal)',
      'bob (personal)',
      'security-escalation (escalation)',
    ]);
    expect(contacts[0]).toMatchObject({
      channels: [
        { name: 'email', type: 'EMAIL', address: 'alice@example.com' },
        { name: 'sms', type: 'SMS' },
        { name: 'voice', type: 'VOICE' },
      ],
      stages: [
        { afterMinutes: 0, engages: ['email'] },
        { afterMinutes: 10, engages: ['sms'] },
        { afterMinutes: 20, engages: ['voice'] },
      ],
    });
    expect(contacts[2]).toMatchObject({
      channels: [],
      stages: [
        { afterMinutes: 0, engages: ['alice'] },
        { afterMinutes: 15, engages: ['bob', 'alice'] },
      ],
    });
  });

  it('engages every channel at once without an engagement plan, and a rotation whoever is on shift', () => {
    // GIVEN a contact without an engagement plan and a rotation
    const config = configFrom(
      minimalInput({
        contacts: [
          {
            alias: 'alice',
            displayName: 'Alice',
            channels: [
              { type: 'EMAIL', address: 'alice@example.com' },
              { type: 'SMS', address: '+12065550101' },
            ],
          },
        ],
        rotations: [
          {
            alias: 'security-oncall',
            displayName: 'Security on call',
            contacts: ['alice'],
            startTime: '2026-01-05T09:00:00',
            timeZone: 'Europe/Paris',
            handOffDay: 'TUE',
            handOffTime: '10:30',
          },
        ],
      }),
    );
    // WHEN
    const contacts = contactsOf(config);
    // THEN
    expect(contacts).toEqual([
      expect.objectContaining({
        alias: 'alice',
        kind: 'personal',
        stages: [{ afterMinutes: 0, engages: ['email', 'sms'] }],
      }),
      {
        alias: 'security-oncall',
        displayName: 'Security on call',
        kind: 'on-call schedule',
        channels: [],
        stages: [{ afterMinutes: 0, engages: ['alice'] }],
      },
    ]);
  });
});
