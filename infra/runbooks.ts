/**
 * The runbooks in runbooks/ (SSM Automation, schema 0.3) and the functions they invoke.
 * A runbook names its function through a `FunctionName` parameter whose default is replaced at
 * synth, so the YAML stays a plain, testable document and the deployed one invokes this app's
 * function.
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
  return doc;
}

/**
 * The runbook as deployed: FunctionName defaults to `functionName` (a CDK token is fine: the
 * content is passed to CloudFormation as an object, so the reference resolves at deploy).
 */
export function renderRunbook(id: RunbookId, functionName: string): RunbookDocument {
  const doc = loadRunbook(id);
  const fn = doc.parameters[FUNCTION_PARAMETER]!;
  return {
    ...doc,
    parameters: { ...doc.parameters, [FUNCTION_PARAMETER]: { ...fn, default: functionName } },
  };
}
