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
import { AWS_CLI_OPTIONS, clientsFromArgs, explained } from './aws';
import { renderPreflight, runPreflight } from './commands/preflight';
import { askOnTerminal, renderRestore, runRestore } from './commands/restore';
import { renderValidate, runValidate } from './commands/validate';
import { explainError, UsageError } from './errors';

export const ROOT = join(__dirname, '..');

const USAGE = `usage: first-responder <command> [options]

commands:
  start [--config FILE]                  synthesize, check and replay the example offline (npm start)
  drill [--config FILE] [--events DIR] [--groups FILE] [--json]
                                         replay events through the patterns and the configuration
                                         and show what would happen (offline)
  plan --policy FILE --from FILE [--json]
                                         what the reverter would do to groups from
                                         'aws ec2 describe-security-groups' (offline)
  preflight [--config FILE] [--json]     check, read-only, what the deployment relies on in the
                                         account, with the fix for each failure (live)
  validate [--config FILE] [--timeout SECONDS] [--tripwire --vpc-id VPC] [--json]
                                         GuardDuty sample findings through incident, engagement and
                                         runbook, timed; --tripwire also opens a temporary group
                                         and times its revert (live; creates and deletes resources)
  restore --incident ARN [--group SG] [--dry-run] [--yes] [--json]
                                         undo a remediation from its record on the incident (live)

live commands also take --profile NAME and --region REGION`;

/** Exit codes (EXIT in errors.ts): 0 done, 1 a problem found, 2 bad input, 70 a bug. */
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
      case 'preflight': {
        const { values } = parseArgs({
          args: [...rest],
          options: {
            ...AWS_CLI_OPTIONS,
            ...CONFIG_OPTION,
            json: { type: 'boolean', default: false },
          },
          strict: true,
        });
        const clients = clientsFromArgs(values);
        const config = loadConfig(values.config);
        const report = await explained(clients, () => runPreflight({ clients, config }));
        console.log(values.json ? JSON.stringify(report, null, 2) : renderPreflight(report));
        return report.ok ? 0 : 1;
      }
      case 'validate': {
        const { values } = parseArgs({
          args: [...rest],
          options: {
            ...AWS_CLI_OPTIONS,
            ...CONFIG_OPTION,
            timeout: { type: 'string', default: '600' },
            interval: { type: 'string', default: '5' },
            tripwire: { type: 'boolean', default: false },
            'vpc-id': { type: 'string' },
            json: { type: 'boolean', default: false },
          },
          strict: true,
        });
        if (values.tripwire !== (values['vpc-id'] !== undefined))
          throw new UsageError('--tripwire needs --vpc-id VPC, the VPC of the temporary group');
        const clients = clientsFromArgs(values);
        const config = loadConfig(values.config);
        const report = await explained(clients, () =>
          runValidate({
            clients,
            config,
            timeoutMs: seconds('--timeout', values.timeout, 3600) * 1000,
            intervalMs: seconds('--interval', values.interval, 300) * 1000,
            ...(values['vpc-id'] ? { tripwireVpcId: values['vpc-id'] } : {}),
          }),
        );
        console.log(values.json ? JSON.stringify(report, null, 2) : renderValidate(report));
        return report.ok ? 0 : 1;
      }
      case 'restore': {
        const { values } = parseArgs({
          args: [...rest],
          options: {
            ...AWS_CLI_OPTIONS,
            incident: { type: 'string' },
            group: { type: 'string' },
            yes: { type: 'boolean', default: false },
            'dry-run': { type: 'boolean', default: false },
            json: { type: 'boolean', default: false },
          },
          strict: true,
        });
        if (!values.incident) throw new UsageError('restore needs --incident ARN');
        const clients = clientsFromArgs(values);
        const json = values.json;
        const report = await explained(clients, () =>
          runRestore({
            clients,
            incidentArn: values.incident!,
            ...(values.group ? { groupId: values.group } : {}),
            yes: values.yes,
            dryRun: values['dry-run'],
            ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
            // The plan goes where the user reads it; with --json, stdout is for the result only.
            showPlan: (plan) => (json ? console.error : console.log)(renderRestore(plan)),
          }),
        );
        console.log(json ? JSON.stringify(report, null, 2) : renderRestore(report));
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
    // One line: bad input names the field and exits 2; anything unexpected is a bug (70).
    const { code, line } = explainError(command ?? '', err);
    console.error(line);
    return code;
  }
}

const CONFIG_OPTION = {
  config: { type: 'string', default: join(ROOT, 'examples', 'config.yaml') },
} as const;

/** A whole number of seconds from 1 to `max`, from an option's text. */
function seconds(option: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(
      `${option}: got ${JSON.stringify(text)}; a whole number of seconds from 1 to ${max}`,
    );
  return n;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
