import { COMMANDS } from '../../cli/command-table';
import {
  commandHelp,
  defineCommand,
  fill,
  parseCommandArgs,
  parserOptions,
  UsageError,
} from '../../cli/options';

/** The options a help text lists, one per row of its options table. */
const listedIn = (help: string) =>
  help
    .split('\n')
    .map((line) => /^ {2}(?:-h, )?--([a-z][a-z-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);

/** The options its synopsis (the lines before the first blank one) shows. */
const inSynopsis = (help: string) =>
  [...help.slice(0, help.indexOf('\n\n')).matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!);

/** Arguments that set one option: a value for a string, the bare flag for a boolean. */
const argsFor = (name: string, type: string) =>
  type === 'string' ? [`--${name}`, 'x'] : [`--${name}`];

/** What a command needs besides the option under test. */
function requiredArgs(command: (typeof COMMANDS)[number], except: string): string[] {
  return Object.entries(command.options)
    .filter(([name, o]) => o.required && name !== except)
    .flatMap(([name, o]) => argsFor(name, o.type));
}

describe.each(COMMANDS.map((c) => [c.name, c] as const))('%s --help', (_name, command) => {
  const help = commandHelp('first-responder', command);
  const parsed = Object.keys(parserOptions(command.options) ?? {});

  it('lists exactly the options the parser accepts, each with its description', () => {
    expect(listedIn(help).sort()).toEqual(parsed.sort());
    for (const [name, o] of Object.entries(command.options)) {
      // The option's row, with the lines its description wraps onto, as one line.
      const start = help.indexOf(`\n  --${name} `);
      const end = help.indexOf('\n  -', start + 1);
      const row = help.slice(start, end).replace(/\s+/g, ' ');
      expect(row).toContain(o.description);
      const shown = o.defaultText ?? o.default;
      if (shown !== undefined) expect(row).toContain(`(default: ${shown})`);
      if (o.required) expect(row).toContain('(required)');
    }
  });

  it('shows every option in the synopsis', () => {
    expect(inSynopsis(help).sort()).toEqual(Object.keys(command.options).sort());
  });

  it('lists no option the parser would refuse', () => {
    for (const name of listedIn(help)) {
      const type = name === 'help' ? 'boolean' : command.options[name]!.type;
      expect(() =>
        parseCommandArgs(command, [...argsFor(name, type), ...requiredArgs(command, name)]),
      ).not.toThrow();
    }
  });

  it('is what -h and --help ask for', () => {
    expect(parseCommandArgs(command, ['--help'])).toEqual({ help: true });
    expect(parseCommandArgs(command, ['-h'])).toEqual({ help: true });
  });
});

describe('parseCommandArgs', () => {
  const command = defineCommand({
    name: 'demo',
    summary: 'a command for the tests',
    options: {
      from: { type: 'string', value: 'FILE', description: 'where from', required: true },
      wait: { type: 'string', value: 'SECONDS', description: 'how long', default: '5' },
      json: { type: 'boolean', description: 'JSON' },
    },
    run: () => Promise.resolve(0),
  });

  it('fills defaults: the string default, false for a boolean', () => {
    expect(parseCommandArgs(command, ['--from', 'a.json'])).toEqual({
      help: false,
      values: { from: 'a.json', wait: '5', json: false },
    });
  });

  it.each([
    ['a missing required option, naming the whole form', [], /^demo needs --from FILE$/],
    ['an unknown option', ['--from', 'a', '--yes'], /Unknown option '--yes'/],
    ['a string option without its value', ['--from'], /--from/],
    ['a positional argument', ['--from', 'a', 'extra'], /extra/],
  ])('refuses %s with a UsageError', (_name, args, message) => {
    expect(() => parseCommandArgs(command, args)).toThrow(UsageError);
    expect(() => parseCommandArgs(command, args)).toThrow(message);
  });

  it('answers --help before checking required options', () => {
    expect(parseCommandArgs(command, ['--help'])).toEqual({ help: true });
  });
});

describe('commandHelp', () => {
  it('gives the synopsis, the description, and each option with what it does and its default', () => {
    // GIVEN the plan command
    const plan = COMMANDS.find((c) => c.name === 'plan')!;
    // WHEN
    const help = commandHelp('first-responder', plan);
    // THEN
    expect(help.split('\n')[0]).toBe(
      'usage: first-responder plan --policy FILE --from FILE [--json]',
    );
    expect(help).toMatch(
      /\n {2}--policy FILE +the security-group policy, JSON or YAML \(required\)\n/,
    );
    expect(help).toMatch(/\n {2}-h, --help +show this help and exit$/);
  });

  it('keeps every line within 100 columns', () => {
    for (const c of COMMANDS)
      for (const line of commandHelp('first-responder', c).split('\n'))
        expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe('fill', () => {
  it.each([
    ['words that fit stay on one line', ['a', 'b', 'c'], 10, ['a b c']],
    [
      'a line breaks before the word that would not fit',
      ['aaaa', 'bbbb', 'cc'],
      9,
      ['aaaa bbbb', 'cc'],
    ],
    [
      'a part longer than the width gets a line of its own',
      ['a', 'bbbbbbbbbbbb', 'c'],
      5,
      ['a', 'bbbbbbbbbbbb', 'c'],
    ],
    ['parts stay whole', ['[--from FILE]', '[--json]'], 14, ['[--from FILE]', '[--json]']],
  ])('%s', (_name, parts, width, lines) => {
    expect(fill(parts, width)).toEqual(lines);
  });
});
