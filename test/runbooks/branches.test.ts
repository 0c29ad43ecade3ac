/**
 * Organization mode's revert runbook, checked as a document (pure, no AWS): every path through
 * its branches ends, no path changes anything in an "approve" account without an approval, and
 * no path changes anything in an "observe" account or an account the branch does not know.
 */
import { RUNBOOK_IDS } from '../../infra/config';
import {
  END,
  branchProblems,
  functionStepsOf,
  renderRunbook,
  stepEdges,
  type RunbookApproval,
  type RunbookDocument,
  type RunbookStep,
} from '../../infra/runbooks';

const ID = 'revert-security-groups';
const APPROVAL: RunbookApproval = {
  approverArns: [
    'arn:aws:iam::111111111111:role/SecurityLead',
    'arn:aws:iam::111111111111:user/alice',
  ],
  notificationTopicArn: 'arn:aws:sns:eu-west-1:111111111111:AutomationApprovals',
  minRequiredApprovals: 1,
  timeoutSeconds: 7_200,
};
const render = (approval?: RunbookApproval) =>
  renderRunbook(ID, 'the-reverter', 240, approval ? { approval } : {});

interface Hop {
  readonly step: RunbookStep;
  /** The branch choice taken to leave this step, if it is a branch. */
  readonly when?: string;
}

/** Every path from the first step to the end (the document must be loop-free). */
function pathsOf(doc: RunbookDocument): Hop[][] {
  const edges = stepEdges(doc);
  const byName = new Map(doc.mainSteps.map((s) => [s.name, s]));
  const out: Hop[][] = [];
  const walk = (name: string, path: Hop[]) => {
    if (path.length > doc.mainSteps.length) throw new Error(`a loop through ${name}`);
    const step = byName.get(name)!;
    for (const e of edges.get(name)!) {
      const next = [...path, { step, ...(e.when ? { when: e.when } : {}) }];
      if (e.to === END) out.push(next);
      else walk(e.to, next);
    }
  };
  walk(doc.mainSteps[0]!.name, []);
  return out;
}

const payloadOf = (step: RunbookStep) =>
  (step.inputs?.InputPayload as { Payload?: Record<string, unknown> } | undefined)?.Payload ?? {};

/** A step that may change a security group: it calls the reverter neither in dry run nor for the scope. */
function mayWrite(doc: RunbookDocument, step: RunbookStep): boolean {
  if (!functionStepsOf(doc).includes(step)) return false;
  const p = payloadOf(step);
  return p.dryRun !== true && p.scopeOnly !== true;
}

/**
 * What a path does wrong: a write with no decision for it, a write in an "approve" account before
 * the approvers' "Approved" (or without approved: true), or a write after the observe fallback.
 */
function pathProblems(doc: RunbookDocument, path: readonly Hop[]): string[] {
  const problems: string[] = [];
  const names = path.map((h) => h.step.name).join(' > ');
  // The choice taken at the first branch: the one on the scope's mode.
  const mode = path.find((h) => h.step.action === 'aws:branch')?.when;
  let approvedAt = -1;
  path.forEach((hop, i) => {
    if (
      hop.when === 'askApproval.ApprovalStatus StringEquals Approved' &&
      path.slice(0, i).some((h) => h.step.action === 'aws:approve')
    )
      approvedAt = i;
    if (!mayWrite(doc, hop.step)) return;
    if (mode === 'scope.Mode StringEquals enforce') return;
    if (mode === 'scope.Mode StringEquals approve' && approvedAt >= 0 && approvedAt < i) {
      if (payloadOf(hop.step).approved !== true)
        problems.push(`${names}: ${hop.step.name} reverts without approved: true`);
      return;
    }
    problems.push(`${names}: ${hop.step.name} may change groups after ${mode ?? 'no branch'}`);
  });
  return problems;
}

describe('the organization revert runbook', () => {
  it('has no branch problems, with or without approvers', () => {
    expect(branchProblems(render(APPROVAL))).toEqual([]);
    expect(branchProblems(render())).toEqual([]);
  });

  it('starts by asking the reverter for the scope, which changes nothing', () => {
    const first = render(APPROVAL).mainSteps[0]!;
    expect(first).toMatchObject({ name: 'scope', action: 'aws:executeScript', onFailure: 'Abort' });
    expect(first.inputs).toMatchObject({ Handler: 'scope' });
    expect(payloadOf(first)).toMatchObject({ scopeOnly: true });
  });

  it('ends on every path, and each mode leads where it should', () => {
    // WHEN every path through the branches is followed
    const doc = render(APPROVAL);
    const paths = pathsOf(doc).map((p) => p.map((h) => h.step.name).join(' > '));
    // THEN there are exactly these, each ending
    expect(paths.sort()).toEqual(
      [
        'scope > chooseByMode > revert',
        'scope > chooseByMode > planForApproval > askApproval > checkApproval > revertApproved',
        'scope > chooseByMode > planForApproval > askApproval > checkApproval > approvalNotGiven',
        'scope > chooseByMode > observe',
      ].sort(),
    );
  });

  it.each([
    ['with approvers', APPROVAL],
    ['without approvers', undefined],
  ])('changes nothing without enforce or an approval (%s)', (_what, approval) => {
    const doc = render(approval);
    expect(pathsOf(doc).flatMap((p) => pathProblems(doc, p))).toEqual([]);
  });

  it('without approvers, "approve" falls to observe, and no approval step is deployed', () => {
    const doc = render();
    expect(doc.mainSteps.map((s) => s.action)).not.toContain('aws:approve');
    const branch = doc.mainSteps.find((s) => s.name === 'chooseByMode')!;
    expect(branch.inputs).toEqual({
      Choices: [{ NextStep: 'revert', Variable: '{{ scope.Mode }}', StringEquals: 'enforce' }],
      Default: 'observe',
    });
    expect(doc.outputs).toEqual(['scope.Mode', 'revert.Payload', 'observe.Payload']);
  });

  it('asks the configured approvers, naming the incident, the place and the plan', () => {
    const ask = render(APPROVAL).mainSteps.find((s) => s.action === 'aws:approve')!;
    expect(ask).toMatchObject({
      onFailure: 'Abort',
      timeoutSeconds: 7_200,
      inputs: {
        Approvers: APPROVAL.approverArns,
        NotificationArn: APPROVAL.notificationTopicArn,
        MinRequiredApprovals: 1,
      },
    });
    const message = ask.inputs!.Message as string;
    for (const ref of [
      '{{ IncidentRecordArn }}',
      '{{ scope.Accounts }}',
      '{{ scope.Reason }}',
      '{{ planForApproval.Plan }}',
    ])
      expect(message).toContain(ref);
  });

  it('keeps the approval message within aws:approve’s 4,096 characters, fields at their longest', () => {
    const ask = render(APPROVAL).mainSteps.find((s) => s.action === 'aws:approve')!;
    // The longest each value can be: answer.py cuts the fields; an incident record ARN is short.
    const longest: Record<string, number> = {
      IncidentRecordArn: 200,
      'scope.Accounts': 600,
      'scope.Reason': 600,
      'planForApproval.Plan': 1_800,
    };
    const filled = (ask.inputs!.Message as string).replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, ref) =>
      'x'.repeat(longest[ref as string] ?? 0),
    );
    expect(filled.length).toBeLessThanOrEqual(4_096);
  });

  it('fails every function step when its function fails, and reads the function’s answer once', () => {
    const doc = render(APPROVAL);
    for (const step of doc.mainSteps.filter((s) => s.action === 'aws:executeScript'))
      expect(step).toMatchObject({ maxAttempts: 1, onFailure: 'Abort' });
    expect(functionStepsOf(doc).map((s) => s.name)).toEqual([
      'scope',
      'revert',
      'planForApproval',
      'revertApproved',
      'observe',
    ]);
  });

  it('leaves the other runbooks and a single-account deployment exactly as they were', () => {
    for (const id of RUNBOOK_IDS) {
      expect(renderRunbook(id, 'fn', 120, undefined)).toEqual(renderRunbook(id, 'fn', 120));
      if (id !== ID)
        expect(renderRunbook(id, 'fn', 120, { approval: APPROVAL })).toEqual(
          renderRunbook(id, 'fn', 120),
        );
    }
  });
});

describe('the path check itself', () => {
  const rewire = (doc: RunbookDocument, name: string, change: Partial<RunbookStep>) => ({
    ...doc,
    mainSteps: doc.mainSteps.map((s) => (s.name === name ? { ...s, ...change } : s)),
  });

  it.each<[string, (doc: RunbookDocument) => RunbookDocument, RegExp]>([
    [
      'Noncompliance 1: a rejection that falls through to the revert',
      (doc) =>
        rewire(doc, 'checkApproval', {
          inputs: { Choices: [], Default: 'revertApproved' },
        }),
      /revertApproved may change groups after scope\.Mode StringEquals approve/,
    ],
    [
      'Noncompliance 2: the approve branch straight to the revert',
      (doc) => rewire(doc, 'planForApproval', { nextStep: 'revertApproved' }),
      /revertApproved may change groups/,
    ],
    [
      'Noncompliance 3: observe reverting',
      (doc) =>
        rewire(doc, 'observe', {
          inputs: {
            ...doc.mainSteps.find((s) => s.name === 'observe')!.inputs,
            InputPayload: { FunctionName: '{{ FunctionName }}', Payload: { dryRun: false } },
          },
        }),
      /observe may change groups after Default/,
    ],
  ])('%s', (_name, breakIt, problem) => {
    const doc = breakIt(render(APPROVAL));
    expect(
      pathsOf(doc)
        .flatMap((p) => pathProblems(doc, p))
        .join('\n'),
    ).toMatch(problem);
  });

  it('Compliance 1: the approved revert, which carries approved: true', () => {
    const doc = render(APPROVAL);
    const approved = pathsOf(doc).find((p) => p.at(-1)!.step.name === 'revertApproved')!;
    expect(pathProblems(doc, approved)).toEqual([]);
    expect(payloadOf(approved.at(-1)!.step)).toMatchObject({ approved: true });
  });

  it.each<[string, (doc: RunbookDocument) => RunbookDocument, RegExp]>([
    [
      'Noncompliance 4: a branch without a Default',
      (doc) =>
        rewire(doc, 'checkApproval', {
          inputs: {
            Choices: doc.mainSteps.find((s) => s.name === 'checkApproval')!.inputs!.Choices,
          },
        }),
      /checkApproval: an aws:branch needs a Default/,
    ],
    [
      'Noncompliance 5: a loop',
      (doc) => rewire(doc, 'planForApproval', { nextStep: 'scope' }),
      /some path never ends/,
    ],
    [
      'Noncompliance 6: a step that continues after a failure',
      (doc) => rewire(doc, 'scope', { onFailure: 'Continue' }),
      /scope: onFailure "Continue"/,
    ],
    [
      'Noncompliance 7: a step no path reaches',
      (doc) => rewire(doc, 'chooseByMode', { inputs: { Choices: [], Default: 'observe' } }),
      /revert: no path reaches it/,
    ],
  ])('%s', (_name, breakIt, problem) => {
    expect(branchProblems(breakIt(render(APPROVAL))).join('\n')).toMatch(problem);
  });
});
