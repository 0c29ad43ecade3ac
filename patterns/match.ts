/**
 * "Does this event match?" without AWS: an EventBridge pattern evaluator for exactly the
 * operators the project's patterns use, so the drill can answer offline.
 *
 * Implemented: exact string values, prefix, suffix, numeric (<, <=, =, >=, >), anything-but (a
 * string or a list of strings), exists, and $or at any level. Anything else (wildcard, cidr,
 * equals-ignore-case, exact numbers, anything-but over numbers or other operators, ...) throws an
 * {@link UnsupportedPatternError}: a pattern this code cannot judge must never read as "no match".
 *
 * Semantics follow EventBridge's: an event is flattened to field paths, arrays being transparent
 * (so `a.b` reads `{"a": [{"b": 1}, {"b": 2}]}` as the values 1 and 2); a field matches when any
 * of its values matches any filter in the pattern's list; only scalars (strings, numbers,
 * booleans, null) are values, so a path ending on an object or an empty array has none; a field
 * with no value matches only `{"exists": false}`. The test suite checks these answers against an
 * independent implementation (moto) on real events.
 */
import type { EventPattern } from './index';

/** The pattern uses something this evaluator does not implement (or that EventBridge rejects). */
export class UnsupportedPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPatternError';
  }
}

const IMPLEMENTED =
  'it implements exact strings, prefix, suffix, numeric, anything-but (strings), exists and $or';

type NumericOp = '<' | '<=' | '=' | '>=' | '>';

type Filter =
  | { readonly kind: 'equals'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'suffix'; readonly value: string }
  | { readonly kind: 'numeric'; readonly tests: readonly (readonly [NumericOp, number])[] }
  | { readonly kind: 'anything-but'; readonly values: readonly string[] }
  | { readonly kind: 'exists'; readonly value: boolean };

interface Leaf {
  readonly path: readonly string[];
  readonly filters: readonly Filter[];
}

/** EventBridge refuses patterns whose $or alternatives multiply beyond this. */
const MAX_COMBINATIONS = 1000;

/**
 * True when EventBridge would deliver `event` to a rule with `pattern`.
 * @throws UnsupportedPatternError when the pattern uses anything not implemented here.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(pattern)) {
    throw new UnsupportedPatternError('an event pattern must be a JSON object');
  }
  // The whole pattern is parsed before any of it is evaluated, so an unsupported operator in a
  // branch that would not have been reached still throws.
  const alternatives = expand(pattern, []);
  return alternatives.some((leaves) => {
    guardArrayConsistency(leaves, event);
    return leaves.every((leaf) => leafMatches(leaf, valuesAt(event, leaf.path).values));
  });
}

// ---------------------------------------------------------------------------------------------
// Pattern → alternatives (each a list of leaves that must all match)

function expand(node: Record<string, unknown>, path: readonly string[]): Leaf[][] {
  let alternatives: Leaf[][] = [[]];
  for (const [key, value] of Object.entries(node)) {
    let branch: Leaf[][];
    if (key === '$or') {
      if (!Array.isArray(value) || value.length === 0 || !value.every(isPlainObject)) {
        throw new UnsupportedPatternError(
          `$or at ${where(path)} must be a non-empty list of objects`,
        );
      }
      branch = value.flatMap((alt) => expand(alt, path));
    } else if (Array.isArray(value)) {
      const at = [...path, key];
      if (value.length === 0) {
        throw new UnsupportedPatternError(
          `${where(at)} has an empty list, which EventBridge rejects`,
        );
      }
      branch = [[{ path: at, filters: value.map((f) => parseFilter(f, at)) }]];
    } else if (isPlainObject(value)) {
      branch = expand(value, [...path, key]);
    } else {
      throw new UnsupportedPatternError(
        `${where([...path, key])} must be a list of filters or an object, not ${JSON.stringify(value)}`,
      );
    }
    alternatives = alternatives.flatMap((a) => branch.map((b) => [...a, ...b]));
    if (alternatives.length > MAX_COMBINATIONS) {
      throw new UnsupportedPatternError(
        `the pattern's $or alternatives combine into more than ${MAX_COMBINATIONS} cases, which EventBridge rejects`,
      );
    }
  }
  return alternatives;
}

function parseFilter(raw: unknown, path: readonly string[]): Filter {
  if (typeof raw === 'string') return { kind: 'equals', value: raw };
  if (!isPlainObject(raw)) {
    throw new UnsupportedPatternError(
      `matchesPattern does not implement the exact value ${JSON.stringify(raw)} at ${where(path)} ` +
        `(exact numbers, booleans and null compare by EventBridge rules it does not model); ${IMPLEMENTED}`,
    );
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    throw new UnsupportedPatternError(
      `the filter ${JSON.stringify(raw)} at ${where(path)} must have exactly one operator`,
    );
  }
  const op = keys[0] as string;
  const arg = raw[op];
  const unsupported = () =>
    new UnsupportedPatternError(
      `matchesPattern does not implement ${JSON.stringify(raw)} at ${where(path)}; ${IMPLEMENTED}`,
    );
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg !== 'string') throw unsupported();
      return { kind: op, value: arg };
    case 'exists':
      if (typeof arg !== 'boolean') throw unsupported();
      return { kind: 'exists', value: arg };
    case 'anything-but': {
      const values = typeof arg === 'string' ? [arg] : arg;
      if (
        !Array.isArray(values) ||
        values.length === 0 ||
        !values.every((v) => typeof v === 'string')
      ) {
        throw unsupported();
      }
      return { kind: 'anything-but', values };
    }
    case 'numeric':
      return { kind: 'numeric', tests: parseNumeric(arg, raw, path) };
    default:
      throw unsupported();
  }
}

const NUMERIC_OPS: readonly string[] = ['<', '<=', '=', '>=', '>'];

function parseNumeric(arg: unknown, raw: unknown, path: readonly string[]) {
  const bad = () =>
    new UnsupportedPatternError(
      `the numeric filter ${JSON.stringify(raw)} at ${where(path)} must be one or two ` +
        '(operator, number) pairs, operators being <, <=, =, >=, >',
    );
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw bad();
  const tests: (readonly [NumericOp, number])[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op: unknown = arg[i];
    const n: unknown = arg[i + 1];
    if (
      typeof op !== 'string' ||
      !NUMERIC_OPS.includes(op) ||
      typeof n !== 'number' ||
      !Number.isFinite(n)
    ) {
      throw bad();
    }
    tests.push([op as NumericOp, n]);
  }
  return tests;
}

// ---------------------------------------------------------------------------------------------
// Event side

interface Found {
  readonly values: unknown[];
  /** Path depths at which the walk fanned out over an array of more than one element. */
  readonly fanOuts: Set<number>;
}

function valuesAt(event: unknown, path: readonly string[]): Found {
  const found: Found = { values: [], fanOuts: new Set() };
  walk(event, path, 0, found);
  return found;
}

function walk(node: unknown, path: readonly string[], depth: number, found: Found): void {
  if (Array.isArray(node)) {
    if (node.length > 1) found.fanOuts.add(depth);
    for (const element of node) walk(element, path, depth, found);
    return;
  }
  if (depth === path.length) {
    if (node === null || typeof node !== 'object') found.values.push(node);
    return;
  }
  const key = path[depth] as string;
  if (isPlainObject(node) && Object.prototype.hasOwnProperty.call(node, key)) {
    walk(node[key], path, depth + 1, found);
  }
}

/**
 * EventBridge requires the fields one alternative matches inside an array to come from the same
 * element. The project's patterns never put two such fields in one alternative, so this
 * evaluator does not model it: it refuses to answer when the event makes it matter.
 */
function guardArrayConsistency(leaves: readonly Leaf[], event: unknown): void {
  const walked = leaves.map((leaf) => ({ leaf, fanOuts: valuesAt(event, leaf.path).fanOuts }));
  for (let i = 0; i < walked.length; i++) {
    for (let j = i + 1; j < walked.length; j++) {
      const a = walked[i]!;
      const b = walked[j]!;
      const shared = sharedPrefixLength(a.leaf.path, b.leaf.path);
      const shortest = Math.min(a.leaf.path.length, b.leaf.path.length);
      for (const depth of a.fanOuts) {
        if (depth <= shared && depth < shortest && b.fanOuts.has(depth)) {
          throw new UnsupportedPatternError(
            `${where(a.leaf.path)} and ${where(b.leaf.path)} are matched inside the same array of ` +
              `${where(a.leaf.path.slice(0, depth))}; matchesPattern does not implement ` +
              "EventBridge's same-element rule for that case",
          );
        }
      }
    }
  }
}

function sharedPrefixLength(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Filters

function leafMatches(leaf: Leaf, values: readonly unknown[]): boolean {
  return leaf.filters.some((filter) => filterMatches(filter, values));
}

function filterMatches(filter: Filter, values: readonly unknown[]): boolean {
  switch (filter.kind) {
    case 'exists':
      return values.length > 0 === filter.value;
    case 'equals':
      return values.some((v) => v === filter.value);
    case 'prefix':
      return values.some((v) => typeof v === 'string' && v.startsWith(filter.value));
    case 'suffix':
      return values.some((v) => typeof v === 'string' && v.endsWith(filter.value));
    case 'anything-but':
      return values.some((v) => !(typeof v === 'string' && filter.values.includes(v)));
    case 'numeric':
      return values.some(
        (v) => typeof v === 'number' && filter.tests.every(([op, n]) => compare(v, op, n)),
      );
  }
}

function compare(value: number, op: NumericOp, bound: number): boolean {
  switch (op) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '=':
      return value === bound;
    case '>=':
      return value >= bound;
    case '>':
      return value > bound;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function where(path: readonly string[]): string {
  return path.length === 0 ? 'the top level' : path.join('.');
}
