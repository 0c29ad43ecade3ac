/**
 * Turns zod issues into messages a person can act on: the field path, the value received, and
 * what would be valid. Shared by the security-group policy, the handlers' inputs, the groups EC2
 * describes and the CDK configuration, so every refusal reads the same way.
 */
import type { z } from 'zod';

/** How many problems a one-line summary names before it only counts the rest. */
export const MAX_PROBLEMS_SHOWN = 5;
/** Values are echoed at most this long, so a huge bad value cannot flood a log or a terminal. */
export const MAX_VALUE_SHOWN = 100;
const MAX_PROBLEM_LENGTH = 400;

/** Cuts text to `max` characters, saying that it did. */
export function cut(text: string, max = MAX_VALUE_SHOWN): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  /** Every problem, each naming a field; `summary` is the short form for people. */
  readonly problems: readonly string[];
  constructor(
    /** What was being validated, e.g. "policy" or "config". */
    readonly subject: string,
    problems: readonly string[],
    options?: ErrorOptions,
  ) {
    const all = problems.map((p) => cut(p, MAX_PROBLEM_LENGTH));
    // A list, for a terminal that shows the whole message (cdk synth); `line` is one line.
    super(
      `invalid ${subject}:\n${shown(all)
        .map((p) => `  - ${p}`)
        .join('\n')}`,
      options,
    );
    this.problems = all;
  }

  /** The first few problems and how many more there are, on one line. */
  get summary(): string {
    return shown(this.problems).join('; ');
  }

  /** `invalid <subject>: ` and the summary: one line for a log or stderr. */
  get line(): string {
    return `invalid ${this.subject}: ${this.summary}`;
  }
}

function shown(problems: readonly string[]): string[] {
  const more = problems.length - MAX_PROBLEMS_SHOWN;
  if (more <= 0) return [...problems];
  return [
    ...problems.slice(0, MAX_PROBLEMS_SHOWN),
    `… and ${more} more problem${more === 1 ? '' : 's'}`,
  ];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/**
 * `root.a[0].b`. A root ending in ": " (a file name) or an empty root starts the path directly:
 * `groups.json: SecurityGroups[0]`.
 */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    const sep = acc === '' || acc.endsWith(': ') ? '' : '.';
    return `${acc}${sep}${String(key)}`;
  }, root);
}

/** A value as JSON, cut to MAX_VALUE_SHOWN characters. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? `a ${typeof value}`;
  } catch {
    // A BigInt or a cycle: not from JSON, but reporting must never fail.
    text = `a ${typeof value} that is not JSON`;
  }
  return cut(text);
}

/**
 * Parses `input` with `schema` or throws a ValidationError listing every problem. Paths start at
 * `root` (default: the subject).
 */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  input: unknown,
  subject: string,
  root: string = subject,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    // An unknown key is named in the path, so the reader sees which field is not read.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map(
        (key) => `${formatPath(root, [...issue.path, key])}: not a field here; ${issue.message}`,
      );
    const path = formatPath(root, issue.path);
    // Custom checks already name the value; structural ones get it added here.
    if (issue.code === 'custom') return `${path}: ${issue.message}`;
    return `${path}: got ${show(valueAt(input, issue.path))}; ${issue.message}`;
  });
  throw new ValidationError(subject, problems, { cause: result.error });
}
