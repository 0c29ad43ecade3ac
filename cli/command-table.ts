/**
 * Every first-responder command: its name, summary, options and how it runs. The usage and each
 * command's --help are generated from this table (cli/options.ts).
 *
 * Commands load on demand: this file imports no command, no AWS SDK and no CDK, and each `run`
 * requires what it needs when it is called. `import()` would not do: the installed command runs
 * under tsx's CommonJS hook (bin/first-responder.js), which compiles `require`d TypeScript but
 * leaves `import()` to Node's ESM loader, which cannot read it. So `plan` loads the planner and
 * zod, and `--help` loads nothing but this table. The prebuilt bundle (bin/bundle.js) keeps this:
 * esbuild runs a module it bundles only when its `require` is first called.
 */
import { join } from 'node:path';
import { defineCommand, UsageError, type Command, type OptionSpec } from './options';

/** The repository (or installed package) root, where `examples/` is. */
export const ROOT = join(__dirname, '..');

/* eslint-disable @typescript-eslint/no-require-imports -- on-demand loading, see above */
const load = {
  aws: () => require('./aws') as typeof import('./aws'),
  config: () => require('../infra/config') as typeof import('../infra/config'),
  drill: () => require('./commands/drill') as typeof import('./commands/drill'),
  plan: () => require('./commands/plan') as typeof import('./commands/plan'),
  preflight: () => require('./commands/preflight') as typeof import('./commands/preflight'),
  preflightOrganization: () =>
    require('./commands/preflight-organization') as typeof import('./commands/preflight-organization'),
  restore: () => require('./commands/restore') as typeof import('./commands/restore'),
  start: () => require('./commands/start') as typeof import('./commands/start'),
  validate: () => require('./commands/validate') as typeof import('./commands/validate'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

const example = (...path: string[]) => ({
  default: join(ROOT, 'examples', ...path),
  defaultText: join('examples', ...path),
});

const CONFIG = {
  type: 'string',
  value: 'FILE',
  description: 'the first-responder configuration, YAML',
  ...example('config.yaml'),
} as const satisfies OptionSpec;

const JSON_OUTPUT = {
  type: 'boolean',
  description: 'print the result as JSON, for scripts',
} as const satisfies OptionSpec;

/** What every command that calls AWS takes; the usage says so once rather than on every line. */
export const AWS_OPTIONS = {
  profile: {
    type: 'string',
    value: 'NAME',
    description: 'the named profile of ~/.aws/config to use',
    defaultText: 'AWS_PROFILE, else "default"',
  },
  region: {
    type: 'string',
    value: 'REGION',
    description: 'the region to call',
    defaultText: "AWS_REGION, else the profile's region",
  },
} as const satisfies Record<string, OptionSpec>;

/** One output line on stdout; commands return their text, the table prints it. */
const print = (text: string) => console.log(text);

/** A whole number of seconds from 1 to `max`, from an option's text. */
export function seconds(option: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(
      `${option}: got ${JSON.stringify(text)}; a whole number of seconds from 1 to ${max}`,
    );
  return n;
}

const start = defineCommand({
  name: 'start',
  summary: 'synthesize, check and replay the example offline (npm start)',
  description:
    "Synthesize every stack from the configuration, run cdk-nag and cfn-lint, print the reverter's plan for the example security groups, and replay the sample events through the detection patterns (the drill). Offline; needs no AWS credentials.",
  options: { config: CONFIG },
  run: (values) => load.start().runStart({ root: ROOT, config: values.config, out: print }),
});

const drill = defineCommand({
  name: 'drill',
  summary:
    "replay events through the patterns, the intake's decision and the configuration, and show what would happen (offline)",
  description:
    'Replay events through the detection patterns, the intake\'s own decision and the configuration, and show for each which rule matches, whether the intake opens an incident, appends to the one already open or opens none (with the reason and the dedupe key), who is engaged in which order and what the runbook would decide. Security groups are judged on the --groups snapshots by the reverter\'s planner. With an organization: section, each event\'s account and region are shown with the account\'s mode (enforce, approve or observe; from --accounts) and what the runbook would do in it. Offline. Exits 1 when an event would not open the incident it should. --json prints {"events":[{"file","detection","decision","reason","dedupeKey","incident"}]}, with "account", "region" and "mode" in organization mode.',
  options: {
    config: CONFIG,
    events: {
      type: 'string',
      value: 'DIR',
      description:
        'a directory of events, one JSON file each, optionally with expectations.json (see examples/events/README.md)',
      defaultText: 'examples/events; examples/organization-events with an organization: section',
    },
    groups: {
      type: 'string',
      value: 'FILE',
      description:
        "the security groups as they are after the events, judged by the intake and planned by the runbooks, from 'aws ec2 describe-security-groups --output json'",
      defaultText:
        'examples/security-groups.json; examples/organization-security-groups.json with an organization: section',
    },
    accounts: {
      type: 'string',
      value: 'FILE',
      description:
        'organization mode: where each account sits, {"ACCOUNT": ["ou-…", …, "r-…"]}, its parents from the nearest OU to the root as Organizations ListParents returns them; an account not in it is observed (fail closed)',
      defaultText: 'examples/organization-accounts.json with an organization: section',
    },
    json: JSON_OUTPUT,
  },
  run(values) {
    const {
      drillJson,
      exampleDrillInputs,
      loadDrillEvents,
      loadPlacements,
      renderDrill,
      runDrill,
    } = load.drill();
    const config = load.config().loadConfig(values.config);
    const examples = exampleDrillInputs(join(ROOT, 'examples'), config);
    const accounts = values.accounts ?? examples.accounts;
    const report = runDrill({
      config,
      events: loadDrillEvents(values.events ?? examples.events),
      groups: load.plan().readDescribeFile(values.groups ?? examples.groups),
      ...(accounts !== undefined ? { placements: loadPlacements(accounts) } : {}),
    });
    print(values.json ? JSON.stringify(drillJson(report), null, 2) : renderDrill(report));
    return Promise.resolve(report.ok ? 0 : 1);
  },
});

const plan = defineCommand({
  name: 'plan',
  summary: "what the reverter would do to groups from 'aws ec2 describe-security-groups' (offline)",
  description:
    "Show what the reverter would do to security groups described by 'aws ec2 describe-security-groups --output json' under a policy, with the same planner the deployed functions use. Offline; changes nothing.",
  options: {
    policy: {
      type: 'string',
      value: 'FILE',
      description: 'the security-group policy, JSON or YAML',
      required: true,
    },
    from: {
      type: 'string',
      value: 'FILE',
      description: "the groups, as 'aws ec2 describe-security-groups --output json' prints them",
      required: true,
    },
    json: JSON_OUTPUT,
  },
  run(values) {
    print(load.plan().runPlan({ policy: values.policy, from: values.from, json: values.json }));
    return Promise.resolve(0);
  },
});

const preflight = defineCommand({
  name: 'preflight',
  summary:
    'check, read-only, what the deployment relies on in the account, with the fix for each failure (live)',
  description:
    "Check, read-only, what the deployment relies on in the account (Incident Manager onboarded, contact channels activated, GuardDuty, AWS Config, CloudTrail, the stacks) and print a checklist with the fix for each failure. With --organization, run from the security account, check organization mode instead: the organization, trusted access for StackSets, the delegated administrators (StackSets, GuardDuty, Config), the central bus and its policy, the member StackSets' instances per account and region, and the target OUs; a check AWS answers only in the management account is reported as not checked here, with what to run there. Calls AWS; changes nothing. Exits 1 when a check fails.",
  options: {
    config: CONFIG,
    organization: {
      type: 'boolean',
      description:
        "check organization mode from the security account (the configuration's organization: section; docs/organization.md)",
    },
    json: JSON_OUTPUT,
    ...AWS_OPTIONS,
  },
  async run(values) {
    const { clientsFromArgs, explained } = load.aws();
    const { renderPreflight, runPreflight } = load.preflight();
    const clients = clientsFromArgs(values);
    const config = load.config().loadConfig(values.config);
    const report = await explained(clients, () =>
      values.organization
        ? load.preflightOrganization().runOrganizationPreflight({ clients, config })
        : runPreflight({ clients, config }),
    );
    print(values.json ? JSON.stringify(report, null, 2) : renderPreflight(report));
    return report.ok ? 0 : 1;
  },
});

/** The role the live commands assume in a member account (organization mode). */
const MEMBER_ROLE = {
  type: 'string',
  value: 'NAME',
  default: 'OrganizationAccountAccessRole', // DEFAULT_MEMBER_ROLE in cli/aws.ts (not loaded for --help)
  description:
    "organization mode: the IAM role to assume in a member account (your credentials must be allowed to assume it; Organizations' default role trusts only the management account, see docs/organization.md)",
} as const satisfies OptionSpec;

const validate = defineCommand({
  name: 'validate',
  summary:
    'GuardDuty sample findings through incident, engagement and runbook, timed; --tripwire also opens a temporary group and times its revert (live; creates and deletes resources)',
  description:
    "Generate a High and a Critical GuardDuty sample finding and wait, step by step, for the incidents to open, the engagement to start and the runbook to finish, printing each step's time. With --tripwire, also create a temporary security group open to the world, time its revert and delete it. In organization mode, --account ID --tripwire runs the tripwire in that member account through --role (refused when the account is in observe mode, where nothing is reverted), and waits for its incident in the security account with your own credentials; sample findings are then not generated (GuardDuty makes them only for the administrator's own account). Calls AWS and creates resources (sample findings change nothing). Exits 1 when a step fails.",
  options: {
    config: CONFIG,
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: 'how long each wait may take, 1 to 3600',
      default: '600',
    },
    interval: {
      type: 'string',
      value: 'SECONDS',
      description: 'how often a wait polls AWS, 1 to 300',
      default: '5',
    },
    tripwire: {
      type: 'boolean',
      description: 'also run the tripwire: open a temporary security group and time its revert',
    },
    'vpc-id': {
      type: 'string',
      value: 'VPC',
      description: "the VPC of the tripwire's temporary group (with --tripwire)",
    },
    account: {
      type: 'string',
      value: 'ID',
      description:
        'organization mode: run the tripwire in this member account (with --tripwire, and --vpc-id a VPC there)',
      defaultText: 'the account of your credentials',
    },
    role: MEMBER_ROLE,
    json: JSON_OUTPUT,
    ...AWS_OPTIONS,
  },
  async run(values) {
    if (values.tripwire !== (values['vpc-id'] !== undefined))
      throw new UsageError('--tripwire needs --vpc-id VPC, the VPC of the temporary group');
    const account = values.account;
    if (account !== undefined && !/^\d{12}$/.test(account))
      throw new UsageError(`--account: got ${JSON.stringify(account)}; a 12-digit account ID`);
    if (account !== undefined && !values.tripwire)
      throw new UsageError(
        "--account runs the tripwire in a member account: give --tripwire --vpc-id VPC (a VPC there); GuardDuty sample findings are made only for the administrator's own account",
      );
    const timeoutMs = seconds('--timeout', values.timeout, 3600) * 1000;
    const intervalMs = seconds('--interval', values.interval, 300) * 1000;
    const { clientsFromArgs, explained } = load.aws();
    const { renderValidate, runValidate } = load.validate();
    const clients = clientsFromArgs(values);
    const config = load.config().loadConfig(values.config);
    const report = await explained(clients, () =>
      runValidate({
        clients,
        config,
        timeoutMs,
        intervalMs,
        ...(values['vpc-id'] ? { tripwireVpcId: values['vpc-id'] } : {}),
        ...(account !== undefined ? { member: { account, roleName: values.role } } : {}),
      }),
    );
    print(values.json ? JSON.stringify(report, null, 2) : renderValidate(report));
    return report.ok ? 0 : 1;
  },
});

const restore = defineCommand({
  name: 'restore',
  summary: 'undo a remediation from its record on the incident or OpsItem (live)',
  description:
    'Undo a remediation from its record on the incident (or, under incidents.backend opscenter, on the OpsItem): re-authorize what was revoked and revoke what was authorized (authorizing first). Give --incident or --ops-item, exactly one. In organization mode a record names its member account and region: restore acts there through --role, and refuses, changing nothing, when it cannot assume it. Shows the plan and asks before it changes anything. Calls AWS and changes security groups. Exits 1 when a group could not be restored, or when the change was not confirmed.',
  options: {
    incident: {
      type: 'string',
      value: 'ARN',
      description: 'the incident whose remediation to undo (Incident Manager)',
      defaultText: 'none: give --incident or --ops-item',
    },
    'ops-item': {
      type: 'string',
      value: 'ID',
      description: 'the OpsItem whose remediation to undo (incidents.backend opscenter)',
      defaultText: 'none: give --incident or --ops-item',
    },
    group: {
      type: 'string',
      value: 'SG',
      description: 'only this security group',
      defaultText: 'every group with a record on the incident or OpsItem',
    },
    role: MEMBER_ROLE,
    'dry-run': { type: 'boolean', description: 'show the plan and change nothing' },
    yes: {
      type: 'boolean',
      description: 'apply without asking (needed when stdin is not a terminal)',
    },
    json: JSON_OUTPUT,
    ...AWS_OPTIONS,
  },
  async run(values) {
    if ((values.incident === undefined) === (values['ops-item'] === undefined))
      throw new UsageError('restore needs --incident ARN or --ops-item ID, exactly one of them');
    const { clientsFromArgs, explained } = load.aws();
    const { askOnTerminal, renderRestore, runRestore } = load.restore();
    const clients = clientsFromArgs(values);
    const json = values.json;
    const report = await explained(clients, () =>
      runRestore({
        clients,
        ...(values.incident !== undefined ? { incidentArn: values.incident } : {}),
        ...(values['ops-item'] !== undefined ? { opsItemId: values['ops-item'] } : {}),
        ...(values.group ? { groupId: values.group } : {}),
        roleName: values.role,
        yes: values.yes,
        dryRun: values['dry-run'],
        ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
        // The plan goes where the user reads it; with --json, stdout is for the result only.
        showPlan: (plan) => (json ? console.error : console.log)(renderRestore(plan)),
      }),
    );
    print(json ? JSON.stringify(report, null, 2) : renderRestore(report));
    return report.ok ? 0 : 1;
  },
});

/** In the order the usage lists them: offline first, then the live ones in the order of use. */
export const COMMANDS: readonly Command[] = [start, drill, plan, preflight, validate, restore];
