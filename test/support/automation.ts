/**
 * What SSM Automation does with a runbook before a step runs, for tests: parameter defaults
 * filled in and "{{ Name }}" substituted (a whole "{{ Name }}" value takes the parameter's type).
 */
import type { RunbookId } from '../../infra/config';
import { invokeStepOf, loadRunbook, type RunbookDocument } from '../../infra/runbooks';

/** Substitutes {{ Name }} the way Automation does for a step's inputs. */
export function substitute(value: unknown, params: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*(\w+)\s*\}\}$/.exec(value);
    if (whole) return params[whole[1]!];
    return value.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, name: string) => String(params[name]));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, params));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, params)]));
  return value;
}

/** The document's parameters: what is given, else each parameter's default. */
export function parametersOf(
  doc: RunbookDocument,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(doc.parameters)) params[name] = given[name] ?? p.default;
  return params;
}

/** The invoke step's InputPayload, substituted (what runbooks/invoke.py receives). */
export function invokeInputOf(
  doc: RunbookDocument,
  given: Record<string, unknown>,
): Record<string, unknown> {
  return substitute(invokeStepOf(doc).inputs!.InputPayload, parametersOf(doc, given)) as Record<
    string,
    unknown
  >;
}

/** What the runbook's invoke step sends its function, given the parameters. */
export function payloadOf(id: RunbookId, given: Record<string, unknown>): unknown {
  return invokeInputOf(loadRunbook(id), given).Payload;
}
