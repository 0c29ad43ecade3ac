/** OpsCenter behind the intake's backend interface, mocked as its API reference documents. */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  CreateOpsItemCommand,
  DescribeOpsItemsCommand,
  OpsItemAlreadyExistsException,
  StartAutomationExecutionCommand,
  UpdateOpsItemCommand,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import {
  executionName,
  OpsCenterBackend,
  uuidOf,
  type OpsCenterSettings,
} from '../../handlers/aws/opscenter-backend';
import { createOrFindOpsItem } from '../../handlers/aws/opsitems';
import {
  DATA_KEYS,
  DATA_VALUE_MAX,
  LOG_KEEP,
  opsItemRequest,
  severityOfImpact,
} from '../../handlers/incident/opsitem';
import type { IncidentDraft } from '../../handlers/intake/decide';
import { INCIDENT_PARAMETER, INVOLVED_RESOURCES_PARAMETER } from '../../infra/runbooks';
import { fakeOpsCenter } from '../support/opscenter';

const SG_ARN = 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60011';
const draft: IncidentDraft = {
  detection: 'securityGroupOpened',
  title: 'sg-0a1b2c3d4e5f60011 opened tcp 22 to 0.0.0.0/1, 128.0.0.0/1 by alice',
  impact: 2,
  relatedItems: [{ arn: SG_ARN, title: 'Security group sg-0a1b2c3d4e5f60011' }],
  trigger: {
    source: 'first-responder.intake',
    timestamp: '2026-11-30T04:00:00Z',
    rawData: '{"id":"e-1"}',
  },
};
const KEY = 'sg#111122223333#eu-west-1#sg-0a1b2c3d4e5f60011';
const TOKEN = 'a'.repeat(64);
const ROLE = 'arn:aws:iam::111122223333:role/automation';
const SETTINGS: OpsCenterSettings = {
  escalationArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:escalation',
  runbooks: {
    rootActivity: { document: 'root-doc', parameters: { AutomationAssumeRole: [ROLE] } },
    guardDutyFinding: { document: 'gd-doc', parameters: { AutomationAssumeRole: [ROLE] } },
    configNoncompliance: { document: 'rev-doc', parameters: { AutomationAssumeRole: [ROLE] } },
    securityGroupOpened: {
      document: 'rev-doc',
      parameters: { AutomationAssumeRole: [ROLE], DryRun: ['false'] },
    },
  },
};

function setup() {
  const ops = fakeOpsCenter();
  const sfn = mockClient(SFNClient);
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
  const backend = new OpsCenterBackend(ops.client, new SFNClient({}), SETTINGS);
  return { ops, sfn, backend };
}

describe('OpsItem request', () => {
  it('is a Security issue with severity, source, description, dedup string, event and resources', () => {
    // WHEN
    const req = opsItemRequest(draft, KEY, 'arn:aws:sns:eu-west-1:111122223333:ops');

    // THEN
    expect(req).toMatchObject({
      Title: draft.title,
      Source: 'first-responder',
      OpsItemType: '/aws/issue',
      Category: 'Security',
      Severity: '2',
      Priority: 2,
      Notifications: [{ Arn: 'arn:aws:sns:eu-west-1:111122223333:ops' }],
    });
    expect(JSON.parse(req.OperationalData['/aws/dedup']!.Value)).toEqual({ dedupString: KEY });
    expect(JSON.parse(req.OperationalData['/aws/resources']!.Value)).toEqual([{ arn: SG_ARN }]);
    expect(req.OperationalData[DATA_KEYS.event]).toEqual({ Value: '{"id":"e-1"}', Type: 'String' });
    expect(req.Description).toContain(SG_ARN);
    // Documented limits: Title 1-1024, Description 1-2048, Source 1-128, keys at most 128.
    for (const k of Object.keys(req.OperationalData)) expect(k.length).toBeLessThanOrEqual(128);
  });

  it('keeps Title and Description within their limits', () => {
    const long = { ...draft, title: 'x'.repeat(3000) };
    const req = opsItemRequest(long, KEY);
    expect(req.Title.length).toBe(1024);
    expect(req.Description.length).toBe(2048);
  });

  it.each([
    [1, '1'],
    [2, '2'],
    [3, '3'],
    [4, '4'],
    [5, '4'],
  ])('impact %i is severity %s', (impact, severity) => {
    expect(severityOfImpact(impact)).toBe(severity);
  });
});

describe('OpsCenter backend', () => {
  it('opens one OpsItem, starts the escalation and the runbook with the OpsItem ID, and links it', async () => {
    // GIVEN
    const { ops, sfn, backend } = setup();

    // WHEN
    const id = await backend.open(draft, TOKEN, { dedupeKey: KEY });

    // THEN
    expect(id).toMatch(/^oi-[0-9a-f]{12}$/);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: SETTINGS.escalationArn,
      name: executionName(TOKEN),
      input: JSON.stringify({ opsItemId: id, detection: 'securityGroupOpened', sent: 0 }),
    });
    expect(ops.mock).toHaveReceivedCommandWith(StartAutomationExecutionCommand, {
      DocumentName: 'rev-doc',
      ClientToken: uuidOf(TOKEN),
      Parameters: {
        AutomationAssumeRole: [ROLE],
        DryRun: ['false'],
        [INCIDENT_PARAMETER]: [id],
        [INVOLVED_RESOURCES_PARAMETER]: [SG_ARN],
      },
    });
    expect(ops.data(id, DATA_KEYS.automations)).toEqual([
      { automationType: 'AWS::SSM::Automation', automationId: 'rev-doc' },
    ]);
    expect(ops.data(id, DATA_KEYS.runbook)).toMatchObject({
      document: 'rev-doc',
      executionId: 'exec-1',
    });
  });

  it('a retried open finds the same OpsItem and starts nothing twice', async () => {
    // GIVEN the first open succeeded, but its answer was lost
    const { ops, sfn, backend } = setup();
    const first = await backend.open(draft, TOKEN, { dedupeKey: KEY });
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // WHEN
    const again = await backend.open(draft, TOKEN, { dedupeKey: KEY });

    // THEN one OpsItem; the runbook's ClientToken is the same, so Automation starts it once
    expect(again).toBe(first);
    expect(ops.items.size).toBe(1);
    const tokens = ops.mock
      .commandCalls(StartAutomationExecutionCommand)
      .map((c) => (c.args[0].input as { ClientToken?: string }).ClientToken);
    expect(new Set(tokens)).toEqual(new Set([uuidOf(TOKEN)]));
  });

  it('a resolved OpsItem does not hold the dedup string: the next open makes a new one', async () => {
    const { ops, backend } = setup();
    const first = await backend.open(draft, TOKEN, { dedupeKey: KEY });
    ops.setStatus(first, 'Resolved', new Date());
    const second = await backend.open(draft, 'b'.repeat(64), { dedupeKey: KEY });
    expect(second).not.toBe(first);
  });

  it('finds the open OpsItem by its key when OpsCenter does not name it', async () => {
    // GIVEN
    const ops = fakeOpsCenter();
    ops.mock
      .on(CreateOpsItemCommand)
      .rejects(new OpsItemAlreadyExistsException({ message: 'exists', $metadata: {} }));
    ops.mock
      .on(DescribeOpsItemsCommand)
      .resolves({ OpsItemSummaries: [{ OpsItemId: 'oi-00000000000a' }] });

    // WHEN
    const id = await createOrFindOpsItem(ops.client, opsItemRequest(draft, KEY), KEY);

    // THEN
    expect(id).toBe('oi-00000000000a');
    expect(ops.mock).toHaveReceivedCommandWith(DescribeOpsItemsCommand, {
      OpsItemFilters: [
        {
          Key: 'OperationalData',
          Operator: 'Equal',
          Values: [JSON.stringify({ key: DATA_KEYS.dedupeKey, value: KEY })],
        },
        { Key: 'Status', Operator: 'Equal', Values: ['Open', 'InProgress'] },
      ],
    });
  });

  it.each([
    ['Open', 'open'],
    ['InProgress', 'open'],
    ['Resolved', 'resolved'],
  ] as const)('reads status %s as %s', async (status, expected) => {
    const { ops, backend } = setup();
    const id = await backend.open(draft, TOKEN, { dedupeKey: KEY });
    ops.setStatus(id, status, new Date());
    expect(await backend.status(id)).toBe(expected);
  });

  it('reads a deleted OpsItem as gone', async () => {
    const { backend } = setup();
    expect(await backend.status('oi-0123456789ab')).toBe('gone');
  });

  it('appends each repeat once, keeps the last few and counts them all within a value', async () => {
    // GIVEN
    const { ops, backend } = setup();
    const id = await backend.open(draft, TOKEN, { dedupeKey: KEY });
    const note = (i: number) => ({
      gist: `AuthorizeSecurityGroupIngress by alice: ${'tcp 22 to 0.0.0.0/0 '.repeat(40)} #${i}`,
      dedupeKey: KEY,
      eventId: `e-${i}`,
      detection: 'securityGroupOpened',
      resources: [SG_ARN],
    });

    // WHEN 15 repeats, the first one delivered twice
    await backend.append(id, note(0), 'tok-0');
    for (let i = 0; i < 15; i++) await backend.append(id, note(i), `tok-${i}`);

    // THEN
    const log = ops.data(id, DATA_KEYS.seenAgain) as { count: number; latest: { id: string }[] };
    expect(log.count).toBe(15);
    expect(log.latest.map((e) => e.id)).toEqual(
      Array.from({ length: LOG_KEEP }, (_, i) => `tok-${15 - LOG_KEEP + i}`),
    );
    const bytes = Buffer.byteLength(
      ops.items.get(id)!.OperationalData![DATA_KEYS.seenAgain]!.Value!,
    );
    expect(bytes).toBeLessThanOrEqual(DATA_VALUE_MAX);
  });

  it('re-writes an entry a concurrent writer replaced, and proves it landed', async () => {
    // GIVEN another writer replaces the value right after this one's first write
    const { ops, backend } = setup();
    const id = await backend.open(draft, TOKEN, { dedupeKey: KEY });
    let lost = false;
    const real = ops.mock.commandCalls(UpdateOpsItemCommand).length;
    ops.mock.on(UpdateOpsItemCommand).callsFake((input: UpdateOpsItemCommand['input']) => {
      const item = ops.items.get(id)!;
      const data = { ...item.OperationalData, ...input.OperationalData };
      if (!lost) {
        lost = true;
        data[DATA_KEYS.seenAgain] = {
          Value: '{"count":1,"latest":[{"id":"other","at":"","text":"x"}]}',
          Type: 'String',
        };
      }
      ops.items.set(id, { ...item, OperationalData: data });
      return {};
    });

    // WHEN
    await backend.append(
      id,
      { gist: 'g', dedupeKey: KEY, eventId: 'e-9', detection: 'x' },
      'tok-9',
    );

    // THEN both entries are there
    expect(ops.mock.commandCalls(UpdateOpsItemCommand).length - real).toBe(2);
    const log = ops.data(id, DATA_KEYS.seenAgain) as { latest: { id: string }[] };
    expect(log.latest.map((e) => e.id)).toEqual(['other', 'tok-9']);
  });
});
