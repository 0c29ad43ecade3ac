/**
 * The first-responder command line: finds the command in the table (cli/command-table.ts),
 * parses its options, prints help, and maps errors to exit codes. Every command returns its
 * output, so tests call them directly or through `main`.
 */
import { ValidationError } from '../handlers/shared/validation';
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

/** Exit codes: 0 done, 1 the command ran and found a problem, 2 bad input. */
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
    // One clear line: the message already names the field, the value and the fix.
    const message =
      err instanceof ValidationError
        ? err.problems.join('; ')
        : err instanceof Error
          ? err.message
          : String(err);
    const hint =
      err instanceof UsageError ? ` (${PROGRAM}${command ? ` ${command.name}` : ''} --help)` : '';
    console.error(`${PROGRAM} ${name ?? ''}: ${message.replace(/\n\s*/g, ' ')}${hint}`);
    return 2;
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
