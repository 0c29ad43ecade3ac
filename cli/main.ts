/**
 * The first-responder command line: finds the command in the table (cli/command-table.ts),
 * parses its options, prints help, and maps errors to exit codes. Every command returns its
 * output, so tests call them directly or through `main`.
 */
import { AWS_OPTIONS, COMMANDS } from './command-table';
import {
  commandHelp,
  flag,
  parseCommandArgs,
  programHelp,
  UsageError,
  type Command,
} from './options';

export { ROOT } from './command-table';
export { UsageError } from './options';

const PROGRAM = 'first-responder';

/** The list of commands; the AWS options, common to the live ones, are named once below it. */
export function usage(): string {
  const aws = Object.entries(AWS_OPTIONS);
  return programHelp(
    PROGRAM,
    COMMANDS,
    [
      `live commands also take ${aws.map(([name, o]) => flag(name, o)).join(' and ')}`,
      `'${PROGRAM} <command> --help' describes a command and each of its options`,
    ],
    aws.map(([name]) => name),
  );
}

const HELP_WORDS = new Set(['-h', '--help', 'help']);

/** Exit codes (EXIT in errors.ts): 0 done, 1 a problem found, 2 bad input, 70 a bug. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === undefined) {
      console.error(usage());
      return 2;
    }
    if (HELP_WORDS.has(name)) {
      // `help plan` is `plan --help`.
      const about = rest[0] === undefined ? undefined : find(rest[0]);
      console.log(about ? commandHelp(PROGRAM, about) : usage());
      return 0;
    }
    command = find(name);
    const parsed = parseCommandArgs(command, rest);
    if (parsed.help) {
      console.log(commandHelp(PROGRAM, command));
      return 0;
    }
    return await command.run(parsed.values);
  } catch (err) {
    // One line: bad input names the field and exits 2; anything unexpected is a bug (70).
    const help = `${PROGRAM}${command ? ` ${command.name}` : ''} --help`;
    // Loaded only when something failed, so that --help stays as light as it is.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- on-demand, as in command-table.ts
    const { explainError } = require('./errors') as typeof import('./errors');
    const { code, line } = explainError(name ?? '', err, help);
    console.error(line);
    return code;
  }
}

function find(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command '${name}'`);
  return command;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
