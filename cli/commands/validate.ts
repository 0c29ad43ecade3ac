/**
 * `first-responder validate`: shows the deployment working in the user's own account. Generates
 * GuardDuty sample findings of a High and a Critical type, then waits, with a bound, for each
 * step a real finding goes through: the incident opens from the GuardDuty response plan, the
 * engagement starts, the runbook finishes. Each step is reported with its time. With
 * `--tripwire` it also runs the security-group tripwire (./tripwire.ts).
 *
 * Organization mode: `--account ID --tripwire` runs the tripwire in a member account, through a
 * role assumed there, and waits, with the CLI's own (security-account) credentials, for the
 * incident it opens centrally. GuardDuty sample findings are then not generated: CreateSampleFindings
 * makes samples for the detector's own account (the administrator), never for a member.
 */
import { CreateSampleFindingsCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { GetAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { ListEngagementsCommand, type Engagement } from '@aws-sdk/client-ssm-contacts';
import {
  GetIncidentRecordCommand,
  ListIncidentRecordsCommand,
  type IncidentRecordSummary,
} from '@aws-sdk/client-ssm-incidents';
import { readTrigger } from '../../handlers/aws/incidents';
import { AccountPlacements } from '../../handlers/aws/organizations';
import { resolveMode } from '../../handlers/policy/scope';
import { InputError } from '../../handlers/shared/errors';
import { findingFacts } from '../../handlers/incident/guardduty';
import { regionOf, responsePlansOf, type FirstResponderConfig } from '../../infra/config';
import { DEFAULT_GUARDDUTY_MIN_SEVERITY } from '../../patterns';
import { call, clientsInAccount, whoAmI, type AwsClients } from '../aws';
import { formatDuration, stderrProgress, systemClock, waitFor, type Clock } from '../wait';
import { runTripwire, type SignalSource, type Step, type TripwireReport } from './tripwire';

/**
 * The sample findings: one High, one Critical type. Severities are the types' documented
 * defaults (GuardDuty finding types reference); samples carry their type's default.
 */
export const SAMPLE_FINDINGS = [
  { type: 'Backdoor:EC2/C&CActivity.B', label: 'High', severity: 8 },
  { type: 'AttackSequence:EC2/CompromisedInstanceGroup', label: 'Critical', severity: 9 },
] as const;

/** Automation states after which nothing more happens. */
const FINISHED = new Set([
  'Success',
  'CompletedWithSuccess',
  'Failed',
  'TimedOut',
  'Cancelled',
  'CompletedWithFailure',
  'Rejected',
  'Exited',
  'ChangeCalendarOverrideRejected',
]);
const SUCCEEDED = new Set(['Success', 'CompletedWithSuccess']);
/** Incidents created this long before the start still count: clocks differ a little. */
const CLOCK_SLACK_MS = 10 * 60_000;

export interface ValidateOptions {
  readonly clients: AwsClients;
  readonly config: FirstResponderConfig;
  /** Each wait's bound. @default 600_000 */
  readonly timeoutMs?: number;
  /** @default 5_000 */
  readonly intervalMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default stderr */
  readonly progress?: (line: string) => void;
  /** Also run the tripwire in this VPC. */
  readonly tripwireVpcId?: string;
  /** @default process */
  readonly signals?: SignalSource;
  /**
   * Organization mode: run the tripwire in this member account (needs tripwireVpcId, a VPC
   * there), through `roleName` assumed in it; sample findings are not generated.
   */
  readonly member?: {
    readonly account: string;
    /** @default "OrganizationAccountAccessRole" */
    readonly roleName?: string;
  };
}

export interface ValidatedIncident {
  readonly findingType: string;
  readonly incidentArn: string;
  readonly openedAtMs: number;
  readonly engagedAtMs?: number;
  readonly runbook?: { readonly status: string; readonly atMs: number; readonly document?: string };
}

export interface ValidateReport {
  readonly ok: boolean;
  readonly account: string;
  readonly region: string;
  readonly responsePlan: string;
  readonly startedAt: string;
  readonly steps: readonly Step[];
  readonly incidents: readonly ValidatedIncident[];
  readonly tripwire?: TripwireReport;
  /** Organization mode: the member account the tripwire ran in. */
  readonly memberAccount?: string;
}

export async function runValidate(options: ValidateOptions): Promise<ValidateReport> {
  const { clients, config } = options;
  const clock = options.clock ?? systemClock;
  const progress = options.progress ?? stderrProgress;
  const region = clients.region ?? regionOf(config);
  const plan = responsePlansOf(config).find((p) => p.detection === 'guardDutyFinding')!;
  const minSeverity = config.detection.guardDuty.minSeverity ?? DEFAULT_GUARDDUTY_MIN_SEVERITY;
  const waits = {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    clock,
    progress,
  };
  const me = await whoAmI(clients, region);
  const start = clock.now();
  const since = new Date(start - CLOCK_SLACK_MS);
  const at = () => clock.now() - start;
  const steps: Step[] = [];
  const step = (s: Step) => {
    steps.push(s);
    progress(`${s.status === 'pass' ? 'ok' : s.status}: ${s.name}: ${s.detail}`);
  };
  const found: ValidatedIncident[] = [];
  const finish = (tripwire?: TripwireReport): ValidateReport => ({
    ok: steps.every((s) => s.status !== 'fail') && (tripwire?.ok ?? true),
    account: me.account,
    region,
    responsePlan: plan.name,
    startedAt: new Date(start).toISOString(),
    steps,
    incidents: found,
    ...(tripwire ? { tripwire } : {}),
    ...(member ? { memberAccount: member.account } : {}),
  });

  const member =
    options.member && options.member.account !== me.account ? options.member : undefined;
  if (member) {
    if (!options.tripwireVpcId)
      throw new InputError(
        `--account ${member.account} validates the tripwire in that member account: give --tripwire --vpc-id VPC (a VPC of account ${member.account} in ${region})`,
      );
    const regions = config.organization?.regions;
    if (regions && !regions.includes(region))
      throw new InputError(
        `--region ${region} is not in organization.regions (${regions.join(', ')}): no forwarder sends its events to the central bus, so nothing would respond`,
      );
    if (config.organization) await memberMode(config.organization, member.account);
    step({
      name: 'GuardDuty sample findings',
      status: 'skip',
      detail: `not generated with --account: CreateSampleFindings makes samples for the detector's own account (the administrator, ${me.account}), never for member ${member.account}; run validate without --account to check the GuardDuty path`,
    });
    return finish(await memberTripwire(member));
  }

  const gd = clients.guardduty(region);
  const detectorId = (await call(gd, new ListDetectorsCommand({}))).DetectorIds?.[0];
  if (!detectorId) {
    step({
      name: 'GuardDuty detector',
      status: 'fail',
      detail: `GuardDuty has no detector in ${region}: run 'first-responder preflight'`,
      atMs: at(),
    });
    return finish(await tripwire());
  }

  const expected = SAMPLE_FINDINGS.filter((f) => f.severity >= minSeverity);
  for (const f of SAMPLE_FINDINGS.filter((x) => x.severity < minSeverity))
    step({
      name: `incident for ${f.type}`,
      status: 'skip',
      detail: `${f.label} (${f.severity}) is below detection.guardDuty.minSeverity ${minSeverity}: no incident expected`,
    });

  const incidents = clients.incidents(region);
  const before = new Set((await planIncidents(plan.name, since)).map((i) => i.arn));
  await call(
    gd,
    new CreateSampleFindingsCommand({
      DetectorId: detectorId,
      FindingTypes: SAMPLE_FINDINGS.map((f) => f.type),
    }),
  );
  step({
    name: 'generate sample findings',
    status: 'pass',
    detail: `${SAMPLE_FINDINGS.map((f) => `${f.type} (${f.label})`).join(' and ')} on detector ${detectorId}`,
    atMs: at(),
  });

  // Incidents: matched to findings by the type in their trigger event.
  const typeOf = new Map<string, string>();
  const opened = new Map<string, { arn: string; atMs: number }>();
  const incidentWait = await waitFor(
    `the incidents to open from response plan ${plan.name} (${expected.length} expected)`,
    async () => {
      for (const i of await planIncidents(plan.name, since)) {
        if (before.has(i.arn) || typeOf.has(i.arn)) continue;
        const trigger = await readTrigger(incidents, i.arn);
        if (trigger.status === 'missing') continue; // not written yet: next poll
        typeOf.set(
          i.arn,
          trigger.status === 'event' ? findingFacts(trigger.event).type : 'unknown',
        );
        const free = expected.find((f) => f.type === typeOf.get(i.arn) && !opened.has(f.type));
        const slot = free ?? expected.find((f) => !opened.has(f.type));
        if (slot && (free || typeOf.get(i.arn) === 'unknown'))
          opened.set(slot.type, { arn: i.arn, atMs: at() });
      }
      return opened.size >= expected.length ? true : undefined;
    },
    waits,
  );
  for (const f of expected) {
    const o = opened.get(f.type);
    if (o) {
      step({
        name: `incident for ${f.type}`,
        status: 'pass',
        detail: `${o.arn} opened ${formatDuration(o.atMs)} after the start`,
        atMs: o.atMs,
      });
      found.push({ findingType: f.type, incidentArn: o.arn, openedAtMs: o.atMs });
    } else
      step({
        name: `incident for ${f.type}`,
        status: 'fail',
        detail: `no incident from response plan ${plan.name} within ${formatDuration(incidentWait.elapsedMs)}: check the EventBridge rule for GuardDuty findings (minSeverity ${minSeverity}) and run 'first-responder preflight'`,
        atMs: at(),
      });
  }

  for (const [n, incident] of found.entries()) {
    const short = incident.incidentArn.split('/').pop();
    if (plan.engagements.length === 0)
      step({
        name: `engagement for incident ${short}`,
        status: 'skip',
        detail: `response plan ${plan.name} engages nobody (responsePlans.guardDutyFinding.engagements)`,
      });
    else {
      const engaged = await waitFor(
        `the engagement to start for incident ${short}`,
        async () => firstEngagement(incident.incidentArn),
        waits,
      );
      if (engaged.status === 'done') {
        const who = engaged.value.ContactArn?.split('/').pop() ?? 'a contact';
        step({
          name: `engagement for incident ${short}`,
          status: 'pass',
          detail: `engaged ${who}${engaged.value.StartTime ? ` at ${engaged.value.StartTime.toISOString()}` : ''}`,
          atMs: at(),
        });
        found[n] = { ...incident, engagedAtMs: at() };
      } else
        step({
          name: `engagement for incident ${short}`,
          status: 'fail',
          detail: `no engagement within ${formatDuration(engaged.elapsedMs)}: check that the plan's contacts exist and their channels are activated ('first-responder preflight')`,
          atMs: at(),
        });
    }

    const runbook = await waitFor(
      `the runbook to finish for incident ${short}`,
      async () => runbookState(incident.incidentArn),
      waits,
    );
    if (runbook.status === 'done') {
      const r = runbook.value;
      const ok = SUCCEEDED.has(r.status);
      step({
        name: `runbook for incident ${short}`,
        status: ok ? 'pass' : 'fail',
        detail: `${r.document ?? 'runbook'} finished: ${r.status}${r.failure ? ` (${r.failure})` : ''}`,
        atMs: at(),
      });
      found[n] = {
        ...found[n]!,
        runbook: { status: r.status, atMs: at(), ...(r.document ? { document: r.document } : {}) },
      };
    } else
      step({
        name: `runbook for incident ${short}`,
        status: 'fail',
        detail: `the runbook did not finish within ${formatDuration(runbook.elapsedMs)}: see the incident's Runbook tab`,
        atMs: at(),
      });
  }
  return finish(await tripwire());

  async function tripwire(inAccount: AwsClients = clients): Promise<TripwireReport | undefined> {
    if (!options.tripwireVpcId) return undefined;
    return runTripwire({
      clients: inAccount,
      vpcId: options.tripwireVpcId,
      exemptTag: config.policy.exempt.tag,
      ...waits,
      startedAtMs: at(),
      ...(options.signals ? { signals: options.signals } : {}),
    });
  }

  /**
   * The member's mode, placed as the functions place it (ListParents up to the root): an
   * observed account never has the group reverted, so the tripwire is refused there.
   */
  async function memberMode(
    org: NonNullable<FirstResponderConfig['organization']>,
    account: string,
  ): Promise<void> {
    const placements = new AccountPlacements({ organizations: clients.organizations(region) });
    const placement = await placements.place(account);
    const name = `mode of account ${account}`;
    if (!placement.found) {
      // The functions look it up with their own role; this caller may not be allowed to.
      step({
        name,
        status: 'skip',
        detail: `not placed from here (${placement.reason}); if the functions cannot place it either, it is observed and the tripwire is not reverted`,
      });
      return;
    }
    const scope = resolveMode(org, account, placement);
    if (scope.mode === 'observe')
      throw new InputError(
        `--account ${account}: ${scope.reason}: first-responder records a plan there and changes nothing, so the tripwire group would never be reverted; pick an account of an enforce (or approve) target`,
      );
    step({
      name,
      status: 'pass',
      detail:
        scope.mode === 'approve'
          ? `${scope.reason}: the revert waits for an approval, which must come within --timeout`
          : scope.reason,
      atMs: at(),
    });
  }

  /**
   * The tripwire in a member account, then the incident it opened in the security account,
   * found by the group's ID in its title, with the CLI's own credentials.
   */
  async function memberTripwire(m: {
    readonly account: string;
    readonly roleName?: string;
  }): Promise<TripwireReport> {
    const inMember = await clientsInAccount(clients, {
      account: m.account,
      ...(m.roleName !== undefined ? { roleName: m.roleName } : {}),
      sessionName: 'first-responder-validate-tripwire',
      why: `--account ${m.account}: the tripwire group is created there`,
    });
    const report = (await tripwire(inMember))!;
    const groupId = report.groupId;
    if (!groupId) return report;
    const sgPlan = responsePlansOf(config).find((p) => p.detection === 'securityGroupOpened')!;
    const home = regionOf(config);
    const result = await waitFor(
      `the incident for ${groupId} (${m.account}/${region}) to open in ${me.account}/${home}`,
      async () => {
        for (const i of await planIncidents(sgPlan.name, since, home))
          if (i.title?.includes(groupId)) return i.arn;
        return undefined;
      },
      waits,
    );
    const incidentStep: Step =
      result.status === 'done'
        ? {
            name: 'incident in the security account',
            status: 'pass',
            detail: `${result.value} (response plan ${sgPlan.name}, ${me.account}/${home})`,
            atMs: at(),
          }
        : {
            name: 'incident in the security account',
            status: 'fail',
            detail: `no incident from response plan ${sgPlan.name} names ${groupId} within ${formatDuration(result.elapsedMs)}: check the member's forwarder rule in ${m.account}/${region} ('first-responder preflight --organization') and the central bus`,
            atMs: at(),
          };
    progress(
      `${incidentStep.status === 'pass' ? 'ok' : 'fail'}: ${incidentStep.name}: ${incidentStep.detail}`,
    );
    return {
      ...report,
      ok: report.ok && incidentStep.status === 'pass',
      steps: [...report.steps, incidentStep],
    };
  }

  async function planIncidents(
    name: string,
    after: Date,
    inRegion: string = region,
  ): Promise<{ arn: string; title?: string }[]> {
    const out: IncidentRecordSummary[] = [];
    let token: string | undefined;
    do {
      const page = await call(
        clients.incidents(inRegion),
        new ListIncidentRecordsCommand({
          filters: [{ key: 'creationTime', condition: { after } }],
          maxResults: 100,
          nextToken: token,
        }),
      );
      out.push(...(page.incidentRecordSummaries ?? []));
      token = page.nextToken;
    } while (token);
    // An incident's ARN names its response plan: incident-record/<plan>/<id>.
    return out
      .filter((i) => i.arn?.includes(`:incident-record/${name}/`))
      .map((i) => ({ arn: i.arn!, ...(i.title ? { title: i.title } : {}) }));
  }

  async function firstEngagement(incidentArn: string): Promise<Engagement | undefined> {
    const out = await call(
      clients.contacts(region),
      new ListEngagementsCommand({ IncidentId: incidentArn }),
    );
    return [...(out.Engagements ?? [])].sort(
      (a, b) => (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0),
    )[0];
  }

  async function runbookState(
    incidentArn: string,
  ): Promise<{ status: string; document?: string; failure?: string } | undefined> {
    const record = await call(incidents, new GetIncidentRecordCommand({ arn: incidentArn }));
    const arn = record.incidentRecord?.automationExecutions
      ?.map((e) => e.ssmExecutionArn)
      .find((a): a is string => !!a);
    if (!arn) return undefined; // not started yet
    // arn:aws:ssm:<region>:<account>:automation-execution/<id>
    const execRegion = arn.split(':')[3] || region;
    const got = await call(
      clients.ssm(execRegion),
      new GetAutomationExecutionCommand({ AutomationExecutionId: arn.split('/').pop() }),
    );
    const e = got.AutomationExecution;
    const status = e?.AutomationExecutionStatus;
    if (!status || !FINISHED.has(status)) return undefined;
    return {
      status,
      ...(e?.DocumentName ? { document: e.DocumentName } : {}),
      ...(e?.FailureMessage ? { failure: e.FailureMessage } : {}),
    };
  }
}

const MARK: Record<Step['status'], string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

function renderSteps(steps: readonly Step[]): string[] {
  return steps.map(
    (s) =>
      `  ${MARK[s.status]}  ${(s.atMs !== undefined ? formatDuration(s.atMs) : '').padStart(10)}  ${s.name}: ${s.detail}`,
  );
}

export function renderValidate(report: ValidateReport): string {
  const lines = [
    `validate in account ${report.account}, region ${report.region}, response plan ${report.responsePlan} (started ${report.startedAt})`,
    '',
    ...renderSteps(report.steps),
  ];
  if (report.tripwire) lines.push('', 'tripwire:', ...renderTripwireLines(report.tripwire));
  lines.push(
    '',
    report.ok
      ? 'the deployment works end to end'
      : 'some steps failed: see above, then run first-responder preflight',
  );
  return lines.join('\n');
}

function renderTripwireLines(t: TripwireReport): string[] {
  return [
    ...renderSteps(t.steps),
    ...(t.timeToRevertMs !== undefined
      ? [`  time to revert: ${formatDuration(t.timeToRevertMs)}`]
      : []),
  ];
}
