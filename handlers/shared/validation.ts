/**
 * Turns zod issues into messages a person can act on: the field path, the value received, and
 * what would be valid. Shared by the security-group policy, the handlers' inputs and the CDK
 * configuration, so every refusal reads the same way.
 */
import type { z } from 'zod';

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    /** What was being validated, e.g. "policy" or "config". */
    readonly subject: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid ${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    root,
  );
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Parses `input` with `schema` or throws a ValidationError listing every problem. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  input: unknown,
  subject: string,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = formatPath(subject, issue.path);
    // Custom checks already name the value; structural ones get it added here.
    if (issue.code === 'custom') return `${path}: ${issue.message}`;
    return `${path}: got ${show(valueAt(input, issue.path))}; ${issue.message}`;
  });
  throw new ValidationError(subject, problems, { cause: result.error });
}
