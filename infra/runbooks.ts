/**
 * The runbooks in runbooks/ (SSM Automation, schema 0.3) and the functions they invoke.
 * A runbook names its function through a `FunctionName` parameter whose default is replaced at
 * synth, so the YAML stays a plain, testable document and the deployed one invokes this app's
 * function.
 *
 * Each runbook invokes its function from one aws:executeScript step running runbooks/invoke.py,
 * which fails the step when the function fails (Lambda answers HTTP 200 to a function error).
 * The script lives once, in runbooks/invoke.py; synth puts it into every runbook, with the read
 * timeout and the step timeout derived from the function's own timeout.
 *
 * Organization mode deploys the runbooks of runbooks/organization/ in place of their
 * single-account form (the revert runbook, which asks the reverter for the scope and branches on
 * the mode, with an aws:approve step filled from organization.approval). A single-account
 * deployment renders exactly what it did before.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RUNBOOK_IDS, type RunbookId } from './config';
import { functionOfRunbook, type FunctionId } from './functions';

/** Repository root (infra/..). */
export const REPO_ROOT = resolve(__dirname, '..');
export const RUNBOOK_DIR = join(REPO_ROOT, 'runbooks');

/** Which function each runbook invokes (from the function catalogue). */
export const RUNBOOK_FUNCTIONS: Readonly<Record<RunbookId, FunctionId>> = Object.fromEntries(
  RUNBOOK_IDS.map((runbook) => [runbook, functionOfRunbook(runbook)]),
) as Record<RunbookId, FunctionId>;

/** The parameter Incident Manager fills with the incident record ARN (must be a String). */
export const INCIDENT_PARAMETER = 'IncidentRecordArn';
/** The parameter Incident Manager fills with the involved resources (must be a StringList). */
export const INVOLVED_RESOURCES_PARAMETER = 'InvolvedResources';
/** The parameter naming the role the runbook assumes. */
export const ASSUME_ROLE_PARAMETER = 'AutomationAssumeRole';
/** The parameter naming the invoked function; its default is set at synth. */
export const FUNCTION_PARAMETER = 'FunctionName';

export interface RunbookParameter {
  readonly type: string;
  readonly description?: string;
  readonly default?: unknown;
}

export interface RunbookStep {
  readonly name: string;
  readonly action: string;
  readonly inputs?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** The parts of an Automation document this app relies on. */
export interface RunbookDocument {
  readonly schemaVersion: string;
  readonly description?: string;
  readonly assumeRole?: string;
  readonly parameters: Record<string, RunbookParameter>;
  readonly mainSteps: readonly RunbookStep[];
  readonly outputs?: readonly string[];
}

/** The script every runbook's invoke step runs, and its entry point. */
export const INVOKE_SCRIPT_PATH = join(RUNBOOK_DIR, 'invoke.py');
export const INVOKE_HANDLER = 'invoke';
export const INVOKE_RUNTIME = 'python3.11';
/** aws:executeScript runs for 600 seconds at most. */
export const MAX_SCRIPT_STEP_SECONDS = 600;
/** How much longer than the function's timeout the script waits for its answer. */
export const INVOKE_READ_MARGIN_SECONDS = 15;
/** How much longer than the read timeout the step may run (connect, start-up, the answer). */
export const INVOKE_STEP_MARGIN_SECONDS = 30;

/** The step that invokes the runbook's function (aws:executeScript, Handler invoke). */
export function invokeStepOf(doc: RunbookDocument): RunbookStep {
  const steps = doc.mainSteps.filter(
    (s) => s.action === 'aws:executeScript' && s.inputs?.Handler === INVOKE_HANDLER,
  );
  if (steps.length !== 1)
    throw new Error(
      `a runbook needs exactly one aws:executeScript step with Handler ${INVOKE_HANDLER} (runbooks/invoke.py); found ${steps.length}`,
    );
  return steps[0]!;
}

/** The read and step timeouts of an invoke step, from the function's timeout. */
export function invokeTimeouts(functionTimeoutSeconds: number): {
  readTimeoutSeconds: number;
  stepTimeoutSeconds: number;
} {
  const readTimeoutSeconds = functionTimeoutSeconds + INVOKE_READ_MARGIN_SECONDS;
  const stepTimeoutSeconds = readTimeoutSeconds + INVOKE_STEP_MARGIN_SECONDS;
  if (stepTimeoutSeconds > MAX_SCRIPT_STEP_SECONDS)
    throw new Error(
      `a function timeout of ${functionTimeoutSeconds} s needs an invoke step of ${stepTimeoutSeconds} s; aws:executeScript runs ${MAX_SCRIPT_STEP_SECONDS} s at most, so keep the function under ${MAX_SCRIPT_STEP_SECONDS - INVOKE_STEP_MARGIN_SECONDS - INVOKE_READ_MARGIN_SECONDS} s`,
    );
  return { readTimeoutSeconds, stepTimeoutSeconds };
}

/** Organization mode's runbooks, each replacing the single-account one of the same id. */
export const ORGANIZATION_RUNBOOK_DIR = join(RUNBOOK_DIR, 'organization');
export const ORGANIZATION_RUNBOOKS: readonly RunbookId[] = ['revert-security-groups'];
/**
 * Appended to runbooks/invoke.py in the organization runbooks' scripts: the handlers that lift
 * fields of the function's answer into step outputs (scope, plan) and the one that fails the
 * runbook when a revert is not approved (not_approved).
 */
export const ANSWER_SCRIPT_PATH = join(ORGANIZATION_RUNBOOK_DIR, 'answer.py');

/** The file of a runbook: its organization form in organization mode, when it has one. */
export function runbookPath(id: RunbookId, organization = false): string {
  return organization && ORGANIZATION_RUNBOOKS.includes(id)
    ? join(ORGANIZATION_RUNBOOK_DIR, `${id}.yaml`)
    : join(RUNBOOK_DIR, `${id}.yaml`);
}

/** Reads and parses a runbook as written in runbooks/ (or runbooks/organization/). */
export function loadRunbook(id: RunbookId, organization = false): RunbookDocument {
  const path = runbookPath(id, organization);
  const doc = parseYaml(readFileSync(path, 'utf8')) as RunbookDocument | null;
  if (!doc || typeof doc !== 'object' || !doc.parameters || !Array.isArray(doc.mainSteps))
    throw new Error(`${path}: not an Automation document (no parameters or mainSteps)`);
  if (!doc.parameters[FUNCTION_PARAMETER])
    throw new Error(
      `${path}: declares no ${FUNCTION_PARAMETER} parameter, so the app cannot point it at its function`,
    );
  try {
    if (path.startsWith(ORGANIZATION_RUNBOOK_DIR)) branchProblems(doc).forEach(fail);
    else invokeStepOf(doc);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
  return doc;
}

const fail = (problem: string) => {
  throw new Error(problem);
};

// ---------------------------------------------------------------------------------------------
// Where each step leads (organization runbooks branch)

/** The end of the automation, reached by a step with isEnd, the last step, or a failure. */
export const END = '(end)';

export interface StepEdge {
  readonly to: string;
  /** A branch's choice ("scope.Mode StringEquals approve") or "Default". */
  readonly when?: string;
}

interface BranchChoice {
  readonly NextStep?: string;
  readonly Variable?: string;
  readonly StringEquals?: string;
  readonly [operator: string]: unknown;
}

function choicesOf(step: RunbookStep): readonly BranchChoice[] {
  const choices = step.inputs?.Choices;
  return Array.isArray(choices) ? (choices as BranchChoice[]) : [];
}

const reference = (v: unknown) => String(v).replace(/^\{\{\s*|\s*\}\}$/g, '');

/**
 * Where each step may lead when it succeeds, as Automation documents it: an aws:branch to its
 * choices' NextStep and its Default; any other step to its nextStep, or the end (isEnd, or the
 * last step), or else the next step in order. A failing step with onFailure Abort (the default)
 * ends the automation, failed.
 */
export function stepEdges(doc: RunbookDocument): Map<string, readonly StepEdge[]> {
  const edges = new Map<string, readonly StepEdge[]>();
  doc.mainSteps.forEach((step, i) => {
    if (step.action === 'aws:branch') {
      const out: StepEdge[] = choicesOf(step).map((c) => {
        const [operator, value] = Object.entries(c).find(
          ([k]) => k !== 'NextStep' && k !== 'Variable',
        ) ?? ['?', '?'];
        return {
          to: String(c.NextStep),
          when: `${reference(c.Variable)} ${operator} ${String(value)}`,
        };
      });
      const fallback = step.inputs?.Default;
      out.push({ to: typeof fallback === 'string' ? fallback : END, when: 'Default' });
      edges.set(step.name, out);
      return;
    }
    const next = step.isEnd === true ? END : (step.nextStep as string | undefined);
    edges.set(step.name, [{ to: next ?? doc.mainSteps[i + 1]?.name ?? END }]);
  });
  return edges;
}

/** Steps the automation can reach from `from` (default: its first step), `from` included. */
export function reachableSteps(
  doc: RunbookDocument,
  from: string | undefined = doc.mainSteps[0]?.name,
): Set<string> {
  const edges = stepEdges(doc);
  const seen = new Set<string>();
  const walk = (name: string) => {
    if (name === END || seen.has(name)) return;
    seen.add(name);
    for (const e of edges.get(name) ?? []) walk(e.to);
  };
  if (from) walk(from);
  return seen;
}

/**
 * What makes a branching runbook unsafe to deploy: a branch without a Default (Automation would
 * fall through to the next step), an edge to a step that does not exist, a step no path reaches,
 * a loop, or a step that continues after a failure.
 */
export function branchProblems(doc: RunbookDocument): string[] {
  const problems: string[] = [];
  const names = new Set(doc.mainSteps.map((s) => s.name));
  const edges = stepEdges(doc);
  for (const step of doc.mainSteps) {
    if (step.action === 'aws:branch' && typeof step.inputs?.Default !== 'string')
      problems.push(`step ${step.name}: an aws:branch needs a Default, or it falls through`);
    if (step.onFailure !== undefined && step.onFailure !== 'Abort')
      problems.push(
        `step ${step.name}: onFailure ${JSON.stringify(step.onFailure)}; a failure must end it`,
      );
    for (const e of edges.get(step.name) ?? [])
      if (e.to !== END && !names.has(e.to))
        problems.push(`step ${step.name} leads to ${e.to}, which is not a step`);
  }
  const reachable = reachableSteps(doc);
  for (const name of names)
    if (!reachable.has(name)) problems.push(`step ${name}: no path reaches it`);
  const visiting = new Set<string>();
  const done = new Set<string>();
  const loops = (name: string): boolean => {
    if (name === END || done.has(name)) return false;
    if (visiting.has(name)) return true;
    visiting.add(name);
    const found = (edges.get(name) ?? []).some((e) => loops(e.to));
    visiting.delete(name);
    done.add(name);
    return found;
  };
  if (doc.mainSteps[0] && loops(doc.mainSteps[0].name))
    problems.push('the steps loop: some path never ends');
  return problems;
}

/** organization.approval, as the approval step takes it (infra/config-organization.ts). */
export interface RunbookApproval {
  readonly approverArns: readonly string[];
  readonly notificationTopicArn: string;
  readonly minRequiredApprovals: number;
  readonly timeoutSeconds: number;
}

/** What a runbook needs to know of organization mode. */
export interface RunbookOrganization {
  /**
   * Who approves a revert in "approve" mode.
   * @default none: the approval steps are left out, and "approve" falls to observe
   */
  readonly approval?: RunbookApproval | undefined;
}

/** Steps that invoke the runbook's function: aws:executeScript with a FunctionName to call. */
export function functionStepsOf(doc: RunbookDocument): RunbookStep[] {
  return doc.mainSteps.filter(
    (s) =>
      s.action === 'aws:executeScript' &&
      (s.inputs?.InputPayload as Record<string, unknown> | undefined)?.[FUNCTION_PARAMETER] !==
        undefined,
  );
}

/**
 * The runbook as deployed: FunctionName defaults to `functionName` (a CDK token is fine: the
 * content is passed to CloudFormation as an object, so the reference resolves at deploy), and the
 * invoke step carries runbooks/invoke.py and timeouts derived from `functionTimeoutSeconds`.
 * With `organization`, its organization form when it has one (ORGANIZATION_RUNBOOKS).
 */
export function renderRunbook(
  id: RunbookId,
  functionName: string,
  functionTimeoutSeconds: number,
  organization?: RunbookOrganization,
): RunbookDocument {
  if (organization && ORGANIZATION_RUNBOOKS.includes(id))
    return renderOrganizationRunbook(id, functionName, functionTimeoutSeconds, organization);
  const doc = loadRunbook(id);
  const fn = doc.parameters[FUNCTION_PARAMETER]!;
  const invoke = invokeStepOf(doc);
  const { readTimeoutSeconds, stepTimeoutSeconds } = invokeTimeouts(functionTimeoutSeconds);
  const script = readFileSync(INVOKE_SCRIPT_PATH, 'utf8');
  return {
    ...doc,
    parameters: { ...doc.parameters, [FUNCTION_PARAMETER]: { ...fn, default: functionName } },
    mainSteps: doc.mainSteps.map((step) =>
      step !== invoke
        ? step
        : {
            ...step,
            timeoutSeconds: stepTimeoutSeconds,
            inputs: {
              ...step.inputs,
              Runtime: INVOKE_RUNTIME,
              Script: script,
              InputPayload: {
                ...(step.inputs!.InputPayload as Record<string, unknown>),
                ReadTimeoutSeconds: readTimeoutSeconds,
              },
            },
          },
    ),
  };
}

/** The organization form: every script step gets invoke.py and answer.py, the approval its settings. */
function renderOrganizationRunbook(
  id: RunbookId,
  functionName: string,
  functionTimeoutSeconds: number,
  organization: RunbookOrganization,
): RunbookDocument {
  let doc = loadRunbook(id, true);
  const fn = doc.parameters[FUNCTION_PARAMETER]!;
  const calls = new Set(functionStepsOf(doc));
  const { readTimeoutSeconds, stepTimeoutSeconds } = invokeTimeouts(functionTimeoutSeconds);
  const script = `${readFileSync(INVOKE_SCRIPT_PATH, 'utf8')}\n\n${readFileSync(ANSWER_SCRIPT_PATH, 'utf8')}`;
  const approval = organization.approval;
  doc = {
    ...doc,
    parameters: { ...doc.parameters, [FUNCTION_PARAMETER]: { ...fn, default: functionName } },
    mainSteps: doc.mainSteps.map((step): RunbookStep => {
      if (step.action === 'aws:approve')
        return approval
          ? {
              ...step,
              timeoutSeconds: approval.timeoutSeconds,
              inputs: {
                ...step.inputs,
                NotificationArn: approval.notificationTopicArn,
                Approvers: [...approval.approverArns],
                MinRequiredApprovals: approval.minRequiredApprovals,
              },
            }
          : step;
      if (step.action !== 'aws:executeScript') return step;
      const inputs = { ...step.inputs, Runtime: INVOKE_RUNTIME, Script: script };
      if (!calls.has(step)) return { ...step, inputs };
      return {
        ...step,
        timeoutSeconds: stepTimeoutSeconds,
        inputs: {
          ...inputs,
          InputPayload: {
            ...(step.inputs!.InputPayload as Record<string, unknown>),
            ReadTimeoutSeconds: readTimeoutSeconds,
          },
        },
      };
    }),
  };
  return approval ? doc : withoutApproval(doc);
}

/**
 * Without approvers, the approval steps cannot be deployed (aws:approve requires Approvers): the
 * choices leading to them are removed, so "approve" takes the branch's Default (observe), and the
 * steps no path reaches any more are dropped.
 */
function withoutApproval(doc: RunbookDocument): RunbookDocument {
  const approveSteps = new Set(
    doc.mainSteps.filter((s) => s.action === 'aws:approve').map((s) => s.name),
  );
  const leadsToApproval = (from: string): boolean =>
    [...reachableSteps(doc, from)].some((n) => approveSteps.has(n));
  const steps = doc.mainSteps.map((step) =>
    step.action !== 'aws:branch'
      ? step
      : {
          ...step,
          inputs: {
            ...step.inputs,
            Choices: choicesOf(step).filter(
              (c) => !(typeof c.NextStep === 'string' && leadsToApproval(c.NextStep)),
            ),
          },
        },
  );
  const reachable = reachableSteps({ ...doc, mainSteps: steps });
  const kept = steps.filter((s) => reachable.has(s.name));
  return {
    ...doc,
    mainSteps: kept,
    ...(doc.outputs ? { outputs: doc.outputs.filter((o) => reachable.has(o.split('.')[0]!)) } : {}),
  };
}
