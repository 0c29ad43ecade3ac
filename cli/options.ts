/**
 * A command's options, defined once: the parser (node:util parseArgs) and the command's --help
 * are both made from the same definitions, so an option cannot be parsed and go unmentioned.
 * Cheap to load on purpose: `first-responder --help` loads this file and the table, nothing else.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** What --help says the option does, lower case, no final full stop. */
  readonly description: string;
  /** The value's name in --help (`--from FILE`); string options only. @default VALUE */
  readonly value?: string;
  /** String options: the value when absent. Boolean options are false when absent. @default none */
  readonly default?: string;
  /**
   * How --help shows the default: when the value itself would not tell (a full path), or when
   * something else chooses it (the SDK). @default the default
   */
  readonly defaultText?: string;
  /** The command refuses to run without it. @default false */
  readonly required?: boolean;
}

export type Options = Readonly<Record<string, OptionSpec>>;

type ValueOf<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O extends { readonly required: true } | { readonly default: string }
    ? string
    : string | undefined;

/** The parsed options of a command, typed from their definitions. */
export type Values<O extends Options> = { readonly [K in keyof O]: ValueOf<O[K]> };

export interface Command<O extends Options = Options> {
  /** What the user types: `first-responder <name>`. */
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** More for the command's own --help. @default the summary */
  readonly description?: string;
  readonly options: O;
  /**
   * Runs the command; resolves to the exit code (0 done, 1 it ran and found a problem). Loads
   * what the command needs when called, so that other commands and --help do not pay for it.
   */
  run(values: Values<O>): Promise<number>;
}

/** Keeps the options' literal types, so that `run` gets precisely typed values. */
export function defineCommand<const O extends Options>(command: Command<O>): Command<O> {
  return command;
}

/** Every command takes it; the parser reports it, main prints the help. */
const HELP: OptionSpec = { type: 'boolean', description: 'show this help and exit' };

/** Bad input on the command line: exit code 2, with a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command's options as parseArgs takes them, --help included. */
export function parserOptions(options: Options): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(options))
    out[name] =
      o.type === 'boolean'
        ? { type: 'boolean', default: false }
        : { type: 'string', ...(o.default !== undefined ? { default: o.default } : {}) };
  return out;
}

export type Parsed<O extends Options> =
  { readonly help: true } | { readonly help: false; readonly values: Values<O> };

/** Parses a command's arguments; throws UsageError on an unknown or missing option. */
export function parseCommandArgs<O extends Options>(
  command: Command<O>,
  args: readonly string[],
): Parsed<O> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: parserOptions(command.options),
      strict: true,
    }));
  } catch (err) {
    // parseArgs's own messages are good ("Unknown option '--yes'"); only the class changes.
    throw new UsageError((err as Error).message, { cause: err });
  }
  if (values.help === true) return { help: true };
  // Names every required option, not only the missing ones: the whole form to type.
  const required = Object.entries(command.options).filter(([, o]) => o.required);
  if (required.some(([name]) => values[name] === undefined))
    throw new UsageError(
      `${command.name} needs ${required.map(([name, o]) => flag(name, o)).join(' and ')}`,
    );
  delete values.help;
  return { help: false, values: values as Values<O> };
}

/** `--from FILE`, `--json`. */
export function flag(name: string, o: OptionSpec): string {
  return o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`;
}

/** The command's synopsis, in parts: its name, required options bare, the others in brackets. */
function synopsis(command: Command, leave: readonly string[] = []): string[] {
  const parts = Object.entries(command.options)
    .filter(([name]) => !leave.includes(name))
    .map(([name, o]) => (o.required ? flag(name, o) : `[${flag(name, o)}]`));
  return [command.name, ...parts];
}

/** `first-responder <command> --help`: synopsis, what it does, and every option it parses. */
export function commandHelp(program: string, command: Command): string {
  const rows = [
    ...Object.entries(command.options).map(([name, o]): Row => [[flag(name, o)], describe(o)]),
    [['-h, --help'], HELP.description] as Row,
  ];
  const head = `usage: ${program} `;
  return [
    ...fill(synopsis(command), WIDTH - head.length).map((l, i) =>
      i === 0 ? head + l : ' '.repeat(head.length) + l,
    ),
    '',
    ...fill((command.description ?? command.summary).split(/\s+/), WIDTH),
    '',
    'options:',
    ...table(rows, OPTION_GUTTER),
  ].join('\n');
}

/** The list of commands, each with its synopsis and summary, then `footer`. */
export function programHelp(
  program: string,
  commands: readonly Command[],
  footer: readonly string[],
  leave: readonly string[] = [],
): string {
  return [
    `usage: ${program} <command> [options]`,
    '',
    'commands:',
    ...table(
      commands.map((c): Row => [synopsis(c, leave), c.summary]),
      COMMAND_GUTTER,
    ),
    '',
    ...footer,
  ].join('\n');
}

function describe(o: OptionSpec): string {
  const shown = o.defaultText ?? o.default;
  const notes = [
    ...(o.required ? ['required'] : []),
    ...(shown !== undefined ? [`default: ${shown}`] : []),
  ];
  return notes.length ? `${o.description} (${notes.join('; ')})` : o.description;
}

/** The left column in parts that stay whole when it must be filled, and the text to its right. */
type Row = readonly [readonly string[], string];

const WIDTH = 100;
/** Where the right column starts; a longer left column takes a line of its own. */
const COMMAND_GUTTER = 41;
const OPTION_GUTTER = 24;

/** Two columns: the left one indented by 2, the right one starting at `gutter`, both filled to WIDTH. */
function table(rows: readonly Row[], gutter: number): string[] {
  const lines: string[] = [];
  const indent = ' '.repeat(gutter);
  for (const [left, right] of rows) {
    const text = fill(right.split(/\s+/), WIDTH - gutter);
    const head = fill(left, WIDTH - 6).map((l, i) => (i === 0 ? `  ${l}` : `      ${l}`));
    if (head.length === 1 && head[0]!.length < gutter - 1)
      lines.push(head[0]!.padEnd(gutter) + text[0]);
    else lines.push(...head, indent + text[0]);
    lines.push(...text.slice(1).map((l) => indent + l));
  }
  return lines;
}

/** Words (or whole parts) into lines of at most `width` characters; a longer part gets its own line. */
export function fill(parts: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of parts.filter(Boolean)) {
    if (line && line.length + 1 + part.length > width) {
      lines.push(line);
      line = part;
    } else line = line ? `${line} ${part}` : part;
  }
  return [...lines, line];
}
