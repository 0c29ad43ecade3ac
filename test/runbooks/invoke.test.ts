/**
 * runbooks/invoke.py, as every deployed runbook carries it, run by real boto3 (python3) against
 * a loopback endpoint that answers as Lambda's Invoke does: HTTP 200 with the function's result,
 * HTTP 200 with X-Amz-Function-Error: Unhandled and the runtime's error document, a result that
 * says ok: false, a payload that is not JSON, and no answer at all. Each failure fails the step.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { RUNBOOK_IDS, type RunbookId } from '../../infra/config';
import { FUNCTIONS } from '../../infra/functions';
import {
  INVOKE_HANDLER,
  MAX_SCRIPT_STEP_SECONDS,
  RUNBOOK_FUNCTIONS,
  invokeStepOf,
  renderRunbook,
  type RunbookDocument,
  type RunbookStep,
} from '../../infra/runbooks';
import { parametersOf, substitute } from '../support/automation';

const INCIDENT = 'arn:aws:ssm-incidents::123456789012:incident-record/plan/1a2b3c4d';
const RUNNER = join(__dirname, 'run-step.py');

/** How the loopback Lambda answers. */
type Answer =
  { kind: 'result'; body: string } | { kind: 'unhandled'; body: string } | { kind: 'hang' };

interface Received {
  readonly functionName: string;
  readonly payload: unknown;
}

let server: Server;
let endpoint: string;
let answer: Answer;
let received: Received[];
const sockets = new Set<Socket>();

function respond(req: IncomingMessage, res: ServerResponse, body: string): void {
  // Invoke: POST /2015-03-31/functions/{FunctionName}/invocations
  const name = decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(req.url ?? '')![1]!);
  received.push({ functionName: name, payload: JSON.parse(body) });
  if (answer.kind === 'hang') return; // never answers: the client's read timeout must fire
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Amz-Executed-Version': '$LATEST',
  };
  if (answer.kind === 'unhandled') headers['X-Amz-Function-Error'] = 'Unhandled';
  res.writeHead(200, headers);
  res.end(answer.body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => respond(req, res, body));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  received = [];
});

interface StepOutcome {
  readonly status: 'Success' | 'Failed';
  readonly Payload?: { result: string; [output: string]: unknown };
  readonly error?: string;
  readonly message?: string;
}

/** Runs the deployed runbook's invoke step with python3 and boto3, as Automation would. */
function runStep(
  id: RunbookId,
  override: Record<string, unknown> = {},
): Promise<StepOutcome & { exitCode: number | null }> {
  const fn = `first-responder-${id}-fn`;
  const doc = renderRunbook(id, fn, FUNCTIONS[RUNBOOK_FUNCTIONS[id]].limits.timeout.toSeconds());
  return runScriptStep(doc, invokeStepOf(doc), override);
}

/** Runs one aws:executeScript step of a rendered runbook, its InputPayload substituted. */
function runScriptStep(
  doc: RunbookDocument,
  step: RunbookStep,
  override: Record<string, unknown> = {},
  given: Record<string, unknown> = { IncidentRecordArn: INCIDENT, InvolvedResources: [] },
): Promise<StepOutcome & { exitCode: number | null }> {
  const input = {
    Script: step.inputs!.Script,
    Handler: step.inputs!.Handler,
    InputPayload: {
      ...(substitute(step.inputs!.InputPayload, parametersOf(doc, given)) as object),
      ...override,
    },
  };
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [RUNNER], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AWS_ENDPOINT_URL_LAMBDA: endpoint,
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      try {
        resolve({ ...(JSON.parse(out) as StepOutcome), exitCode });
      } catch {
        reject(new Error(`run-step.py printed no outcome (exit ${exitCode}): ${err || out}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

const FAILURES: readonly [string, Answer, RegExp][] = [
  [
    'throws (HTTP 200, X-Amz-Function-Error: Unhandled)',
    {
      kind: 'unhandled',
      // The Node.js runtime's error document for an uncaught error.
      body: JSON.stringify({
        errorType: 'RemediationIncompleteError',
        errorMessage: 'sg-0123456789abcdef0 refused: 60 revokes exceed the limit of 50',
        trace: ['RemediationIncompleteError: sg-0123456789abcdef0 refused', '    at handler'],
      }),
    },
    /failed \(Unhandled\): RemediationIncompleteError: sg-0123456789abcdef0 refused: 60 revokes exceed the limit of 50$/,
  ],
  [
    'is killed at its timeout (HTTP 200, Unhandled, no errorType from the handler)',
    {
      kind: 'unhandled',
      body: JSON.stringify({ errorMessage: 'Task timed out after 240.00 seconds' }),
    },
    /failed \(Unhandled\): Error: Task timed out after 240\.00 seconds$/,
  ],
  [
    'answers ok: false',
    {
      kind: 'result',
      body: JSON.stringify({ ok: false, results: [{ groupId: 'sg-1', status: 'failed' }] }),
    },
    /answered ok: false: \{"ok": ?false/,
  ],
  [
    'answers something that is not JSON',
    { kind: 'result', body: 'Internal error' },
    /answered with a payload that is not JSON: Internal error$/,
  ],
];

describe.each(RUNBOOK_IDS)('runbook %s, invoke step', (id) => {
  it('succeeds and outputs the payload when the function succeeds', async () => {
    // GIVEN a function that finishes
    const result = JSON.stringify({ ok: true, dryRun: false, results: [] });
    answer = { kind: 'result', body: result };

    // WHEN the step runs
    const outcome = await runStep(id);

    // THEN it succeeds with the payload as its output, having invoked the function once with the
    // runbook's own payload
    expect(outcome).toMatchObject({ status: 'Success', Payload: { result }, exitCode: 0 });
    expect(received).toEqual([
      {
        functionName: `first-responder-${id}-fn`,
        payload: expect.objectContaining({
          incidentRecordArn: INCIDENT,
          involvedResources: [],
        }) as unknown,
      },
    ]);
  });

  it.each(FAILURES)('fails when the function %s', async (_what, given, message) => {
    answer = given;
    const outcome = await runStep(id);
    expect(outcome).toMatchObject({ status: 'Failed', error: 'FunctionFailed', exitCode: 1 });
    expect(outcome.message).toMatch(new RegExp(`^first-responder-${id}-fn `));
    expect(outcome.message).toMatch(message);
    expect(received).toHaveLength(1);
  });

  it('fails, once and without retrying, when the function gives no answer in time', async () => {
    // GIVEN a function that never answers, and a read timeout shortened from its deployed value
    answer = { kind: 'hang' };

    // WHEN the step runs
    const outcome = await runStep(id, { ReadTimeoutSeconds: 1 });

    // THEN the step fails saying the function may still be running, after one invoke only
    expect(outcome).toMatchObject({ status: 'Failed', error: 'FunctionFailed', exitCode: 1 });
    expect(outcome.message).toMatch(
      /gave no answer within 1 s .*it may still be running: read its log and the incident timeline/,
    );
    expect(received).toHaveLength(1);
  });
});

describe('invoke step timeouts', () => {
  it.each(RUNBOOK_IDS)(
    '%s waits longer than its function runs, and the step longer than that, within 600 s',
    (id) => {
      const fnSeconds = FUNCTIONS[RUNBOOK_FUNCTIONS[id]].limits.timeout.toSeconds();
      const step = invokeStepOf(renderRunbook(id, 'fn', fnSeconds));
      const read = (step.inputs!.InputPayload as { ReadTimeoutSeconds: number }).ReadTimeoutSeconds;
      expect(step.inputs).toMatchObject({ Runtime: 'python3.11', Handler: INVOKE_HANDLER });
      expect(read).toBeGreaterThan(fnSeconds);
      expect(step.timeoutSeconds as number).toBeGreaterThan(read);
      expect(step.timeoutSeconds as number).toBeLessThanOrEqual(MAX_SCRIPT_STEP_SECONDS);
      expect(step.maxAttempts).toBe(1);
    },
  );

  it('refuses a function timeout the step cannot wait for', () => {
    expect(() => renderRunbook('root-activity-triage', 'fn', 590)).toThrow(
      /aws:executeScript runs 600 s at most/,
    );
  });
});

describe('organization mode: the revert runbook’s steps that read the answer', () => {
  const fn = 'first-responder-reverter-fn';
  const doc = renderRunbook(
    'revert-security-groups',
    fn,
    FUNCTIONS[RUNBOOK_FUNCTIONS['revert-security-groups']].limits.timeout.toSeconds(),
    {
      approval: {
        approverArns: ['arn:aws:iam::111111111111:role/SecurityLead'],
        notificationTopicArn: 'arn:aws:sns:eu-west-1:111111111111:AutomationApprovals',
        minRequiredApprovals: 1,
        timeoutSeconds: 3_600,
      },
    },
  );
  const step = (name: string) => doc.mainSteps.find((s) => s.name === name)!;
  const GROUP = 'arn:aws:ec2:us-east-1:222222222222:security-group/sg-0123456789abcdef0';
  const given = { IncidentRecordArn: INCIDENT, InvolvedResources: [GROUP] };

  it('scope: asks for the scope only, and outputs the mode, the reason and the place', async () => {
    // GIVEN a reverter that places the account in approve mode
    answer = {
      kind: 'result',
      body: JSON.stringify({
        ok: true,
        mode: 'approve',
        reason: 'account 222222222222 is under ou-ab12-prodwork, in approve mode',
        accounts: ['222222222222'],
      }),
    };
    // WHEN the scope step runs
    const outcome = await runScriptStep(doc, step('scope'), {}, given);
    // THEN it asked for the scope only, and the branch can read the mode
    expect(received).toEqual([
      {
        functionName: fn,
        payload: expect.objectContaining({
          scopeOnly: true,
          involvedResources: [GROUP],
        }) as unknown,
      },
    ]);
    expect(outcome).toMatchObject({
      status: 'Success',
      Payload: {
        mode: 'approve',
        reason: 'account 222222222222 is under ou-ab12-prodwork, in approve mode',
        accounts: '222222222222/us-east-1',
      },
    });
  });

  it.each<[string, unknown, string]>([
    ['lists none', undefined, '222222222222/us-east-1'],
    [
      'lists places',
      [{ account: '333333333333', region: 'eu-west-1', mode: 'enforce' }],
      '333333333333/eu-west-1 (enforce)',
    ],
    ['lists an account no group names', ['444444444444'], '444444444444'],
  ])('scope: names the place when the answer %s', async (_what, accounts, place) => {
    answer = {
      kind: 'result',
      body: JSON.stringify({
        ok: true,
        mode: 'enforce',
        reason: 'r',
        ...(accounts ? { accounts } : {}),
      }),
    };
    const outcome = await runScriptStep(doc, step('scope'), {}, given);
    expect(outcome.Payload).toMatchObject({ mode: 'enforce', accounts: place });
  });

  it.each<[string, Answer, RegExp]>([
    [
      'without a mode',
      { kind: 'result', body: JSON.stringify({ ok: true }) },
      /without a response mode \(mode: None; expected one of enforce, approve, observe\); nothing was changed$/,
    ],
    [
      'with a mode it does not know',
      { kind: 'result', body: JSON.stringify({ ok: true, mode: 'revert-everything' }) },
      /mode: 'revert-everything'/,
    ],
    [
      'with ok: false',
      { kind: 'result', body: JSON.stringify({ ok: false, mode: 'enforce' }) },
      /answered ok: false/,
    ],
    [
      'failing',
      { kind: 'unhandled', body: JSON.stringify({ errorType: 'E', errorMessage: 'boom' }) },
      /failed \(Unhandled\): E: boom$/,
    ],
  ])(
    'scope: fails the runbook, changing nothing, when the reverter answers %s',
    async (_w, a, m) => {
      answer = a;
      const outcome = await runScriptStep(doc, step('scope'), {}, given);
      expect(outcome).toMatchObject({ status: 'Failed', error: 'FunctionFailed', exitCode: 1 });
      expect(outcome.message).toMatch(m);
    },
  );

  it('plan: runs the reverter in dry run and outputs the plan for the approvers', async () => {
    answer = {
      kind: 'result',
      body: JSON.stringify({
        ok: true,
        dryRun: true,
        results: [{ groupId: 'sg-0123456789abcdef0', status: 'planned' }],
        notes: ['sg-0123456789abcdef0 (dry run): would revoke tcp 22 from 0.0.0.0/0'],
      }),
    };
    const outcome = await runScriptStep(doc, step('planForApproval'), {}, given);
    expect(received[0]!.payload).toMatchObject({ dryRun: true });
    expect(outcome.Payload?.plan).toBe(
      'sg-0123456789abcdef0 (dry run): would revoke tcp 22 from 0.0.0.0/0; sg-0123456789abcdef0: planned',
    );
  });

  it('plan: cuts a long plan so that the approval message fits', async () => {
    answer = {
      kind: 'result',
      body: JSON.stringify({ ok: true, notes: ['x'.repeat(5_000)] }),
    };
    const outcome = await runScriptStep(doc, step('planForApproval'), {}, given);
    expect(String(outcome.Payload?.plan)).toHaveLength(1_800);
  });

  it('not_approved: fails the runbook, saying nothing was changed, without calling anything', async () => {
    const outcome = await runScriptStep(doc, step('approvalNotGiven'), {
      ApprovalStatus: 'Rejected',
    });
    expect(outcome).toMatchObject({ status: 'Failed', error: 'ApprovalNotGiven', exitCode: 1 });
    expect(outcome.message).toBe(
      `The revert for ${INCIDENT} was not approved (approval status: Rejected); nothing was changed. Run the runbook again to ask again.`,
    );
    expect(received).toEqual([]);
  });

  it('revertApproved and observe: invoke the reverter with approved: true, or in dry run', async () => {
    answer = { kind: 'result', body: JSON.stringify({ ok: true, results: [] }) };
    await runScriptStep(doc, step('revertApproved'), {}, given);
    await runScriptStep(doc, step('observe'), {}, given);
    expect(received.map((r) => r.payload)).toEqual([
      expect.objectContaining({ approved: true, dryRun: false }),
      expect.objectContaining({ dryRun: true }),
    ]);
  });
});
