/**
 * The offline evaluator: the verdict table (every cell, including those moto cannot decide),
 * EventBridge's matching rules one operator at a time, and a clear refusal for everything it
 * does not implement.
 */
import { DETECTIONS, type EventPattern } from '../../patterns';
import { matchesPattern, UnsupportedPatternError } from '../../patterns/match';
import { CELLS, PATTERNS, VERDICTS, fixtureFiles, loadFixture } from './verdicts';

describe('the verdict table, decided by the offline evaluator', () => {
  it.each(CELLS)('$file, $detection: match is $expected', ({ file, detection, expected }) => {
    // GIVEN a real event as EventBridge delivers it, WHEN the evaluator judges it
    // THEN it matches exactly the detections the table lists
    expect(matchesPattern(PATTERNS[detection], loadFixture(file))).toBe(expected);
  });

  it('covers every fixture file, each once', () => {
    // GIVEN the fixture directory, WHEN compared with the table THEN neither has a file the other lacks
    expect(VERDICTS.map((v) => v.file).sort()).toEqual(fixtureFiles());
  });

  it.each(DETECTIONS.map((d) => d.id))('has events that %s must match and must not', (id) => {
    // GIVEN the table, WHEN read for one detection THEN it proves both a match and a miss
    expect(CELLS.filter((c) => c.detection === id && c.expected).length).toBeGreaterThan(0);
    expect(CELLS.filter((c) => c.detection === id && !c.expected).length).toBeGreaterThan(0);
  });
});

describe('EventBridge matching rules', () => {
  const at = (filters: unknown[]): EventPattern => ({ detail: { f: filters } });

  it.each([
    { what: 'exact string', filters: ['a'], value: 'a', match: true },
    { what: 'exact string is case-sensitive', filters: ['a'], value: 'A', match: false },
    { what: 'exact string against a number', filters: ['8'], value: 8, match: false },
    { what: 'any filter of the list', filters: ['a', 'b'], value: 'b', match: true },
    { what: 'prefix', filters: [{ prefix: 'aws.' }], value: 'aws.ec2', match: true },
    { what: 'prefix miss', filters: [{ prefix: 'aws.' }], value: 'custom.aws.ec2', match: false },
    { what: 'suffix', filters: [{ suffix: '/0' }], value: '::/0', match: true },
    {
      what: 'suffix is not a substring',
      filters: [{ suffix: '/0' }],
      value: '10.0.0.0/10',
      match: false,
    },
    { what: 'numeric >=, equal', filters: [{ numeric: ['>=', 7] }], value: 7, match: true },
    { what: 'numeric >=, above', filters: [{ numeric: ['>=', 7] }], value: 7.25, match: true },
    { what: 'numeric >=, below', filters: [{ numeric: ['>=', 7] }], value: 6.99, match: false },
    {
      what: 'numeric ignores strings',
      filters: [{ numeric: ['>=', 7] }],
      value: '8',
      match: false,
    },
    { what: 'numeric range', filters: [{ numeric: ['>', 0, '<=', 5] }], value: 5, match: true },
    {
      what: 'numeric range, above',
      filters: [{ numeric: ['>', 0, '<=', 5] }],
      value: 5.5,
      match: false,
    },
    { what: 'numeric =', filters: [{ numeric: ['=', 3] }], value: 3, match: true },
    { what: 'numeric <', filters: [{ numeric: ['<', 3] }], value: 3, match: false },
    { what: 'anything-but', filters: [{ 'anything-but': ['x', 'y'] }], value: 'z', match: true },
    {
      what: 'anything-but, listed',
      filters: [{ 'anything-but': ['x', 'y'] }],
      value: 'y',
      match: false,
    },
    {
      what: 'anything-but one string',
      filters: [{ 'anything-but': 'x' }],
      value: 'x',
      match: false,
    },
    { what: 'exists true', filters: [{ exists: true }], value: 'x', match: true },
    { what: 'exists false, present', filters: [{ exists: false }], value: 'x', match: false },
    { what: 'exists true, null is a value', filters: [{ exists: true }], value: null, match: true },
    { what: 'exists on an object', filters: [{ exists: true }], value: { g: 1 }, match: false },
    { what: 'exists on an empty array', filters: [{ exists: false }], value: [], match: true },
    { what: 'array: any element', filters: ['b'], value: ['a', 'b'], match: true },
    {
      what: 'array: anything-but any element',
      filters: [{ 'anything-but': ['a'] }],
      value: ['a', 'b'],
      match: true,
    },
  ])('$what', ({ filters, value, match }) => {
    // GIVEN a one-field pattern and an event holding a value there
    // WHEN the evaluator judges it THEN it answers as EventBridge does
    expect(matchesPattern(at(filters), { detail: { f: value } })).toBe(match);
  });

  it.each([
    { what: 'exists false', filters: [{ exists: false }], match: true },
    { what: 'exists true', filters: [{ exists: true }], match: false },
    { what: 'anything-but', filters: [{ 'anything-but': ['x'] }], match: false },
    { what: 'exact', filters: ['x'], match: false },
    { what: 'numeric', filters: [{ numeric: ['>', 0] }], match: false },
  ])('an absent field matches $what: $match', ({ filters, match }) => {
    // GIVEN an event without the field, WHEN judged THEN only exists:false matches
    expect(matchesPattern(at(filters), { detail: { other: 'x' } })).toBe(match);
  });

  it('reads through arrays of objects, at any depth', () => {
    // GIVEN CloudTrail's nesting: items[] inside items[]
    const pattern = { d: { items: { r: { items: { cidr: [{ suffix: '/0' }] } } } } };
    const event = (cidrs: string[][]) => ({
      d: { items: cidrs.map((group) => ({ r: { items: group.map((cidr) => ({ cidr })) } })) },
    });
    // WHEN one CIDR of one permission is /0, or none is THEN it matches, or not
    expect(matchesPattern(pattern, event([['10.0.0.0/8'], ['192.168.0.0/16', '::/0']]))).toBe(true);
    expect(matchesPattern(pattern, event([['10.0.0.0/8'], ['192.168.0.0/16']]))).toBe(false);
  });

  it.each([
    { what: 'first branch', event: { a: '1' }, match: true },
    { what: 'second branch', event: { b: '2' }, match: true },
    { what: 'neither', event: { a: '2', b: '1' }, match: false },
  ])('$or: $what', ({ event, match }) => {
    // GIVEN a pattern whose $or takes either field, WHEN judged THEN one branch is enough
    const pattern = { $or: [{ a: ['1'] }, { b: ['2'] }] };
    expect(matchesPattern(pattern, event)).toBe(match);
  });

  it('$or at two levels: every level must hold', () => {
    // GIVEN the security-group pattern's shape: an $or on the request and one on the caller
    const pattern = {
      d: {
        $or: [{ v4: ['w'] }, { v6: ['w'] }],
        who: { $or: [{ role: [{ exists: false }] }, { role: [{ 'anything-but': ['me'] }] }] },
      },
    };
    // WHEN the request and caller vary THEN it matches only when both levels do
    expect(matchesPattern(pattern, { d: { v6: 'w', who: {} } })).toBe(true);
    expect(matchesPattern(pattern, { d: { v6: 'w', who: { role: 'you' } } })).toBe(true);
    expect(matchesPattern(pattern, { d: { v6: 'w', who: { role: 'me' } } })).toBe(false);
    expect(matchesPattern(pattern, { d: { v6: 'x', who: {} } })).toBe(false);
  });

  it('matches the legacy top-level cidrIp of AuthorizeSecurityGroupIngress', () => {
    // GIVEN an AuthorizeSecurityGroupIngress recorded with the legacy CidrIp parameter (no real
    // example was found; the branch is defensive)
    const event = structuredClone(loadFixture('authorize-ingress-world-by-assumed-role.json')) as {
      detail: { requestParameters: Record<string, unknown> };
    };
    event.detail.requestParameters = { groupId: 'sg-1', cidrIp: '0.0.0.0/0', ipProtocol: 'tcp' };
    // WHEN judged THEN the security-group detection matches
    expect(matchesPattern(PATTERNS['securityGroupOpened'], event)).toBe(true);
  });
});

describe('what the evaluator refuses', () => {
  it.each([
    { what: 'wildcard', filter: { wildcard: '*.example' } },
    { what: 'cidr', filter: { cidr: '10.0.0.0/8' } },
    { what: 'equals-ignore-case', filter: { 'equals-ignore-case': 'root' } },
    { what: 'prefix with equals-ignore-case', filter: { prefix: { 'equals-ignore-case': 'a' } } },
    { what: 'anything-but over numbers', filter: { 'anything-but': [1, 2] } },
    { what: 'anything-but over a prefix', filter: { 'anything-but': { prefix: 'a' } } },
    { what: 'an exact number', filter: 8 },
    { what: 'an exact boolean', filter: true },
    { what: 'an exact null', filter: null },
    { what: 'an unknown operator', filter: { sometimes: 'x' } },
    { what: 'two operators in one filter', filter: { prefix: 'a', suffix: 'b' } },
    { what: 'numeric with an unknown comparison', filter: { numeric: ['!=', 1] } },
    { what: 'numeric with a string bound', filter: { numeric: ['>=', '7'] } },
    { what: 'numeric with three items', filter: { numeric: ['>', 1, '<'] } },
  ])('$what: throws, naming what it implements', ({ filter }) => {
    // GIVEN a pattern using it, WHEN evaluated THEN it throws instead of answering "no match"
    const evaluate = () => matchesPattern({ detail: { f: [filter] } }, { detail: { f: 'x' } });
    expect(evaluate).toThrow(UnsupportedPatternError);
    expect(evaluate).toThrow(/detail\.f/);
  });

  it('throws even when the unsupported branch would not decide the answer', () => {
    // GIVEN an $or whose first branch matches and whose second uses wildcard
    const pattern = { $or: [{ a: ['1'] }, { b: [{ wildcard: '*' }] }] };
    // WHEN evaluated THEN it still refuses: the pattern as a whole is not understood
    expect(() => matchesPattern(pattern, { a: '1' })).toThrow(/wildcard/);
  });

  it.each([
    { what: 'an empty list', pattern: { a: [] } },
    { what: 'a bare value', pattern: { a: 'x' } },
    { what: '$or that is not a list', pattern: { $or: { a: ['1'] } } },
    { what: 'an empty $or', pattern: { $or: [] } },
  ])('$what: throws, as EventBridge rejects it', ({ pattern }) => {
    expect(() => matchesPattern(pattern, {})).toThrow(UnsupportedPatternError);
  });

  it('the often-copied GuardDuty list of exact severities', () => {
    // GIVEN the pattern listing 7, 7.1 ... 8.9 as exact numbers
    const listed = { detail: { severity: [7, 7.1, 7.2, 8, 8.9] } };
    // WHEN evaluated THEN it refuses: exact numbers are not modelled (the project uses numeric)
    expect(() => matchesPattern(listed, loadFixture('guardduty-severity-7.25.json'))).toThrow(
      /exact value 7 at detail\.severity/,
    );
  });

  it('two fields matched inside one array of several objects', () => {
    // GIVEN a pattern reading two fields of the same array's elements
    const pattern = { items: { a: ['1'], b: ['2'] } };
    // WHEN the array has several elements THEN it refuses (EventBridge's same-element rule);
    // with one element there is nothing to decide and it answers
    expect(() => matchesPattern(pattern, { items: [{ a: '1' }, { b: '2' }] })).toThrow(
      /same array/,
    );
    expect(matchesPattern(pattern, { items: [{ a: '1', b: '2' }] })).toBe(true);
  });
});
