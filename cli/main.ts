/**
 * The first-responder command line. Every command is a function that returns its output, so
 * tests call them directly; this file only parses arguments and maps errors to exit codes.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadConfig } from '../infra/config';
import { loadDrillEvents, renderDrill, runDrill } from './commands/drill';
import { readDescribeFile, runPlan } from './commands/plan';
import { runStart } from './commands/start';
import { ValidationError } from '../handlers/shared/validation';

export const ROOT = join(__dirname, '..');

const USAGE = `usage: first-responder <command> [options]

commands:
  start [--config FILE]                  synthesize, check and replay the example offline (npm start)
  drill [--config FILE] [--events DIR] [--groups FILE] [--json]
                                         replay events through the patterns and the configuration
                                         and show what would happen (offline)
  plan --policy FILE --from FILE [--json]
                                         what the reverter would do to groups from
                                         'aws ec2 describe-security-groups' (offline)`;

/** Exit codes: 0 done, 1 the command ran and found a problem, 2 bad input. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'plan': {
        const { values } = parseArgs({
          args: [...rest],
          options: {
            policy: { type: 'string' },
            from: { type: 'string' },
            json: { type: 'boolean', default: false },
          },
          strict: true,
        });
        if (!values.policy || !values.from)
          throw new UsageError('plan needs --policy FILE and --from FILE');
        console.log(runPlan({ policy: values.policy, from: values.from, json: values.json }));
        return 0;
      }
      case 'start': {
        const { values } = parseArgs({
          args: [...rest],
          options: { config: { type: 'string' } },
          strict: true,
        });
        return await runStart({
          root: ROOT,
          ...(values.config ? { config: values.config } : {}),
          out: (line) => console.log(line),
        });
      }
      case 'drill': {
        const { values } = parseArgs({
          args: [...rest],
          options: {
            config: { type: 'string', default: join(ROOT, 'examples', 'config.yaml') },
            events: { type: 'string', default: join(ROOT, 'examples', 'events') },
            groups: { type: 'string', default: join(ROOT, 'examples', 'security-groups.json') },
            json: { type: 'boolean', default: false },
          },
          strict: true,
        });
        const report = runDrill({
          config: loadConfig(values.config),
          events: loadDrillEvents(values.events),
          groups: readDescribeFile(values.groups),
        });
        console.log(values.json ? JSON.stringify(report, null, 2) : renderDrill(report));
        return report.ok ? 0 : 1;
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    // One clear line: the message already names the field, the value and the fix.
    const message =
      err instanceof ValidationError
        ? err.problems.join('; ')
        : err instanceof Error
          ? err.message
          : String(err);
    const hint = err instanceof UsageError ? ' (first-responder --help)' : '';
    console.error(`first-responder ${command ?? ''}: ${message.replace(/\n\s*/g, ' ')}${hint}`);
    return 2;
  }
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
