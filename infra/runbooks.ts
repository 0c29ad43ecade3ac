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

export function runbookPath(id: RunbookId): string {
  return join(RUNBOOK_DIR, `${id}.yaml`);
}

/** Reads and parses a runbook as written in runbooks/. */
export function loadRunbook(id: RunbookId): RunbookDocument {
  const path = runbookPath(id);
  const doc = parseYaml(readFileSync(path, 'utf8')) as RunbookDocument | null;
  if (!doc || typeof doc !== 'object' || !doc.parameters || !Array.isArray(doc.mainSteps))
    throw new Error(`${path}: not an Automation document (no parameters or mainSteps)`);
  if (!doc.parameters[FUNCTION_PARAMETER])
    throw new Error(
      `${path}: declares no ${FUNCTION_PARAMETER} parameter, so the app cannot point it at its function`,
    );
  try {
    invokeStepOf(doc);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
  return doc;
}

/**
 * The runbook as deployed: FunctionName defaults to `functionName` (a CDK token is fine: the
 * content is passed to CloudFormation as an object, so the reference resolves at deploy), and the
 * invoke step carries runbooks/invoke.py and timeouts derived from `functionTimeoutSeconds`.
 */
export function renderRunbook(
  id: RunbookId,
  functionName: string,
  functionTimeoutSeconds: number,
): RunbookDocument {
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
