/**
 * How the command line ends: exit codes, and the one line on stderr that says why. Input that a
 * parser refused (with its field path) is the user's to fix; an AWS call that failed is the
 * account's; anything else is a bug in first-responder and says so.
 */
import { AwsCallError, InputError } from '../handlers/shared/errors';
import { cut, ValidationError } from '../handlers/shared/validation';
import { UsageError } from './options';

export const EXIT = {
  ok: 0,
  /** The command ran and found a problem (a failed check, an AWS call that failed). */
  problem: 1,
  /** Bad input: a parser refused it, naming the field; nothing was done. */
  badInput: 2,
  /** A bug: an exception nothing expected (sysexits' EX_SOFTWARE). */
  internal: 70,
} as const;

/** node:util parseArgs refuses unknown options and bad values with these codes. */
function isArgumentError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

const REPORT =
  "this is a bug in first-responder, not in your input: report it with the command and input to the project's issue tracker";

/** The exit code and the single stderr line for an error that ended `command`. */
export function explainError(
  command: string,
  err: unknown,
  /** Where usage is explained. @default "first-responder --help" */
  help = 'first-responder --help',
): { code: number; line: string } {
  const prefix = `first-responder ${command}`.trimEnd();
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');
  if (err instanceof ValidationError)
    return { code: EXIT.badInput, line: `${prefix}: ${oneLine(err.summary)}` };
  if (err instanceof UsageError || isArgumentError(err))
    return {
      code: EXIT.badInput,
      line: `${prefix}: ${oneLine(cut(err.message, 500))} (${help})`,
    };
  if (err instanceof InputError)
    return { code: EXIT.badInput, line: `${prefix}: ${oneLine(cut(err.message, 1000))}` };
  if (err instanceof AwsCallError)
    return { code: EXIT.problem, line: `${prefix}: ${oneLine(cut(err.message, 1000))}` };
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const where = err instanceof Error ? err.stack?.split('\n')[1]?.trim() : undefined;
  return {
    code: EXIT.internal,
    line: `${prefix}: internal error: ${oneLine(cut(what, 300))}${where ? ` (${where})` : ''}; ${REPORT}`,
  };
}
