/**
 * `first-responder restore --incident ARN | --ops-item ID [--group sg-…]`: the way back when a
 * remediation got something wrong. Reads the records the reverter wrote on the incident's timeline
 * (or its OpsItem, through the same record interface the handlers write with), and for each
 * remediated group re-authorizes exactly what was revoked and revokes what was authorized. It
 * shows the plan and asks before changing anything (--yes skips the question), applies it with
 * the reverter's own applyPlan (authorize first: the group never allows less than either state),
 * checks the result, and writes a note on the incident saying who restored what, and when.
 *
 * Organization mode: a record names the member account and region of its group. Restore acts
 * there by assuming --role in that account (the session named after the incident), and refuses,
 * before changing anything, when it cannot. Records without an account are the CLI's own account.
 */
import { createInterface } from 'node:readline/promises';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { applyPlan, describeGroup, describeRules } from '../../handlers/aws/ec2';
import {
  IncidentNotFoundError,
  incidentArnParts,
  incidentRecords,
} from '../../handlers/aws/incidents';
import { OpsItemNotFoundError, opsItemRecords } from '../../handlers/aws/opsitems';
import type { IncidentRecords } from '../../handlers/incident/records';
import { addNote } from '../../handlers/respond/incident-response';
import { OPS_ITEM_ID } from '../../handlers/shared/requests';
import { GROUP_ID } from '../../handlers/incident/targets';
import {
  NOTE_KIND,
  parseTimelineRecord,
  RECORD_IN_LOG_KIND,
  RECORD_KIND,
  type RecordInLog,
  type RemediationRecord,
  type RestoreDetails,
  type TimelineNote,
} from '../../handlers/incident/timeline';
import type { Plan } from '../../handlers/policy/planner';
import {
  formatRule,
  ruleFromJson,
  ruleKey,
  rulesFromSecurityGroupRules,
  ruleToJson,
  type Rule,
  type RuleJson,
} from '../../handlers/policy/rules';
import { AwsCallError, errorMessage, InputError } from '../../handlers/shared/errors';
import { clientsInAccount, whoAmI, type AwsClients } from '../aws';

export type GroupRestoreStatus =
  /** The plan, before it is applied (or with --dry-run). */
  | 'planned'
  | 'restored'
  /** The group is already as it was before the remediation. */
  | 'nothing to do'
  | 'gone'
  /** The record is only in the function's log: restore cannot proceed automatically. */
  | 'log only'
  | 'already restored'
  | 'failed';

export interface GroupRestore {
  readonly groupId: string;
  /** Organization mode: the member account of the group, from its record. */
  readonly account?: string;
  readonly region: string;
  /** The timeline event holding the record. */
  readonly eventId: string;
  readonly recordedAt?: string;
  readonly status: GroupRestoreStatus;
  readonly detail: string;
  /** Revoked by the remediation and to be authorized again. */
  readonly reauthorize: readonly RuleJson[];
  /** Authorized by the remediation and to be revoked. */
  readonly revoke: readonly RuleJson[];
  /** Revoked by the remediation, but back already. */
  readonly alreadyBack: readonly RuleJson[];
  /** Authorized by the remediation, but gone already. */
  readonly alreadyGone: readonly RuleJson[];
  /** Authorized by the remediation, but the group had it before too: left alone. */
  readonly keptAsBefore: readonly RuleJson[];
}

export interface RestoreReport {
  /** False when a group could not be restored (failed, record only in the logs, not confirmed). */
  readonly ok: boolean;
  /** The incident restored from (--incident), or */
  readonly incidentArn?: string;
  /** the OpsItem (--ops-item). */
  readonly opsItemId?: string;
  /** Whether anything was changed. */
  readonly applied: boolean;
  readonly groups: readonly GroupRestore[];
  /** Why nothing was applied, when nothing was. */
  readonly reason?: string;
  /** The note written on the incident, or why it could not be written. */
  readonly note?: string;
}

export interface RestoreOptions {
  readonly clients: AwsClients;
  /** The incident whose records to undo; give it or opsItemId, not both. */
  readonly incidentArn?: string;
  /** The OpsItem whose records to undo (incidents.backend "opscenter"). */
  readonly opsItemId?: string;
  /** Only this group. @default every group with a record */
  readonly groupId?: string;
  /** Apply without asking. @default false */
  readonly yes?: boolean;
  /** Show the plan, change nothing. @default false */
  readonly dryRun?: boolean;
  /** Asks on the terminal; undefined when stdin is not a terminal. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Called with the plan before asking, so the user sees what they confirm. */
  readonly showPlan?: (report: RestoreReport) => void;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * The role to assume in a record's account when it is not the CLI's own.
   * @default "OrganizationAccountAccessRole" (DEFAULT_MEMBER_ROLE)
   */
  readonly roleName?: string;
}

/**
 * EC2 in a record's account and region: the CLI's own credentials for its own account (and for
 * records that name none), else the role assumed there, once per account.
 */
class GroupAccounts {
  private caller?: Promise<string>;
  private readonly members = new Map<string, Promise<AwsClients>>();
  constructor(
    private readonly clients: AwsClients,
    private readonly roleName: string | undefined,
    /** Names the incident in the member account's CloudTrail. */
    private readonly sessionName: string,
  ) {}

  async ec2(account: string | undefined, region: string): Promise<EC2Client> {
    if (account === undefined) return this.clients.ec2(region);
    this.caller ??= whoAmI(this.clients).then((me) => me.account);
    const caller = await this.caller;
    if (account === caller) return this.clients.ec2(region);
    let member = this.members.get(account);
    if (!member) {
      member = clientsInAccount(this.clients, {
        account,
        ...(this.roleName !== undefined ? { roleName: this.roleName } : {}),
        sessionName: this.sessionName,
        why: `the record of this group is for account ${account}, and your credentials are for ${caller}`,
      });
      this.members.set(account, member);
    }
    return (await member).ec2(region);
  }
}

interface TimelineEntry {
  readonly eventId: string;
  readonly eventTime?: Date;
  /** ARNs of the resources the event is about. */
  readonly references: readonly string[];
  readonly record?: RemediationRecord;
  /** A record too large for the timeline: only its counts are here, the rules are in the log. */
  readonly inLog?: RecordInLog;
  readonly note?: TimelineNote;
}

/** Only remediations that changed something are undone; a failed one may have half-changed. */
const changedSomething = (status: string) => status === 'remediated' || status === 'failed';
const undoable = (r: RemediationRecord) =>
  changedSomething(r.status) && r.revoked.length + r.authorized.length > 0;

export async function runRestore(options: RestoreOptions): Promise<RestoreReport> {
  const { clients, incidentArn, opsItemId } = options;
  if ((incidentArn === undefined) === (opsItemId === undefined))
    throw new InputError(
      'give --incident ARN (Incident Manager) or --ops-item ID (OpsCenter), exactly one of them',
    );
  if (incidentArn !== undefined && !incidentArnParts(incidentArn))
    throw new InputError(
      `--incident: got ${JSON.stringify(incidentArn)}; an incident ARN looks like arn:aws:ssm-incidents::111122223333:incident-record/<response-plan>/<id> (Incident Manager console, or aws ssm-incidents list-incident-records)`,
    );
  if (opsItemId !== undefined && !OPS_ITEM_ID.test(opsItemId))
    throw new InputError(
      `--ops-item: got ${JSON.stringify(opsItemId)}; an OpsItem ID looks like oi-0123456789ab (OpsCenter console, or aws ssm describe-ops-items)`,
    );
  if (options.groupId !== undefined && !GROUP_ID.test(options.groupId))
    throw new InputError(
      `--group: got ${JSON.stringify(options.groupId)}; a security-group ID looks like sg-0123456789abcdef0`,
    );
  const region = await clients.resolveRegion();
  const store =
    incidentArn !== undefined
      ? incidentRecords(clients.incidents(), incidentArn)
      : opsItemRecords(clients.ssm(), opsItemId!);
  const where = `${store.noun} ${store.id}`;
  const timeline = await readTimeline(store, region);

  const restored = new Set(timeline.flatMap((e) => e.note?.restoredEvents ?? []));
  const logOnly = timeline.filter((e) => logOnlyGroup(e) !== undefined);
  const records = timeline.filter((e) => e.record && undoable(e.record));
  const matches = (id: string | undefined) =>
    options.groupId === undefined || id === options.groupId;
  const chosen = records.filter((e) => matches(e.record!.groupId));
  const chosenLogOnly = logOnly.filter((e) => matches(logOnlyGroup(e)));
  if (chosen.length + chosenLogOnly.length === 0) {
    const groups = [
      ...new Set([
        ...records.map((e) => e.record!.groupId),
        ...logOnly.map((e) => logOnlyGroup(e)!),
      ]),
    ];
    throw new InputError(
      options.groupId && groups.length
        ? `${where} has no remediation record for ${options.groupId}; groups with one: ${groups.join(', ')}`
        : `${where} has no remediation record from first-responder (nothing was reverted on it): nothing to restore`,
    );
  }

  // Newest first: undoing in reverse order is right when a group was remediated twice.
  const entries = [...chosen, ...chosenLogOnly].sort(
    (a, b) => (b.eventTime?.getTime() ?? 0) - (a.eventTime?.getTime() ?? 0),
  );
  const accounts = new GroupAccounts(
    clients,
    options.roleName,
    `fr-restore-${store.id.slice(store.id.lastIndexOf('/') + 1)}`,
  );
  const groups: GroupRestore[] = [];
  for (const e of entries)
    groups.push(await planRestore(accounts, e, region, restored, store.noun));

  const planned = () => groups.filter((g) => g.status === 'planned');
  // Not ok: a group that could not be restored, or nothing left that restore could act on.
  const settled = new Set<GroupRestoreStatus>([
    'planned',
    'restored',
    'nothing to do',
    'already restored',
  ]);
  const report = (extra: Partial<RestoreReport> & { applied: boolean }): RestoreReport => ({
    ok:
      groups.every((g) => g.status !== 'failed' && g.status !== 'log only') &&
      groups.some((g) => settled.has(g.status)),
    ...(incidentArn !== undefined ? { incidentArn } : { opsItemId }),
    groups,
    ...extra,
  });
  if (planned().length === 0)
    return report({ applied: false, reason: 'nothing to restore: see each group' });
  if (options.dryRun) return report({ applied: false, reason: 'dry run: nothing was changed' });

  if (!options.yes) {
    options.showPlan?.(report({ applied: false }));
    if (!options.confirm)
      throw new InputError(
        'restore changes security groups and asks first: run it on a terminal, or pass --yes to apply without asking',
      );
    if (!(await options.confirm('Apply? [y/N] ')))
      return {
        ...report({ applied: false, reason: 'not confirmed: nothing was changed' }),
        ok: false,
      };
  }

  for (const [i, g] of groups.entries())
    if (g.status === 'planned')
      groups[i] = await applyGroup(await accounts.ec2(g.account, g.region), g);

  const done = groups.filter((g) => g.status === 'restored');
  const note = done.length ? await writeNote(clients, store, done, options.now) : undefined;
  return report({ applied: done.length > 0, ...(note ? { note } : {}) });
}

/** The records, through the handlers' own adapter, each read by the records' one reader. */
async function readTimeline(records: IncidentRecords, region: string): Promise<TimelineEntry[]> {
  let events;
  try {
    events = await records.readRecords();
  } catch (err) {
    if (err instanceof IncidentNotFoundError || err instanceof OpsItemNotFoundError)
      throw new InputError(
        `${records.noun} ${records.id} does not exist in ${region} (or your role cannot see it): check the ${err instanceof IncidentNotFoundError ? 'ARN' : 'ID'}, and --region for the ${records.noun}'s region`,
        { cause: err },
      );
    // Name the IAM action, as the other live commands do, so a denied call says what to grant.
    if (err instanceof AwsCallError)
      throw new AwsCallError(
        `${records.noun === 'OpsItem' ? 'ssm' : 'ssm-incidents'}:${err.operation}`,
        errorMessage(err.cause),
        { cause: err.cause },
      );
    throw err;
  }
  return events.map(({ eventData, ...event }) => {
    const record = parseTimelineRecord(eventData);
    return {
      ...event,
      ...(record?.kind === RECORD_KIND ? { record } : {}),
      ...(record?.kind === RECORD_IN_LOG_KIND ? { inLog: record } : {}),
      ...(record?.kind === NOTE_KIND ? { note: record } : {}),
    };
  });
}

/** A record that did not fit on the timeline, of a remediation that changed something. */
function logOnlyGroup(e: TimelineEntry): string | undefined {
  return e.inLog && changedSomething(e.inLog.status) ? e.inLog.groupId : undefined;
}

/** The group's region from the record's resource reference, else the command's. */
function regionFromReferences(refs: readonly string[], fallback: string): string {
  for (const r of refs) {
    const m = /^arn:[^:]+:ec2:([a-z0-9-]+):\d*:security-group\//.exec(r);
    if (m) return m[1]!;
  }
  return fallback;
}

const withoutId = ({ ruleId: _id, ...rule }: Rule): Rule => rule;

/** What restoring one record takes, from the record and the group as it is now. */
async function planRestore(
  accounts: GroupAccounts,
  e: TimelineEntry,
  fallbackRegion: string,
  restored: ReadonlySet<string>,
  /** "incident" or "OpsItem", where the records are. */
  noun: string,
): Promise<GroupRestore> {
  const account = e.record?.account ?? e.inLog?.account;
  const region =
    e.record?.region ?? e.inLog?.region ?? regionFromReferences(e.references, fallbackRegion);
  const empty = { reauthorize: [], revoke: [], alreadyBack: [], alreadyGone: [], keptAsBefore: [] };
  const base = {
    ...(account !== undefined ? { account } : {}),
    region,
    eventId: e.eventId,
    ...(e.eventTime ? { recordedAt: e.eventTime.toISOString() } : {}),
  };
  if (!e.record) {
    const p = e.inLog!.fullRecord;
    return {
      ...base,
      groupId: logOnlyGroup(e)!,
      status: 'log only',
      detail: `the record was too large for the ${noun === 'OpsItem' ? 'OpsItem' : 'timeline'}; its rules are only in the reverter's log (CloudWatch Logs group ${p.logGroup ?? '?'}, stream ${p.logStream ?? '?'}, request ${p.requestId ?? '?'}, line "revoking for …"): restore cannot proceed automatically; re-authorize the "revoke" rules of that line by hand`,
      ...empty,
    };
  }
  const record = e.record;
  const groupId = record.groupId;
  if (restored.has(e.eventId))
    return {
      ...base,
      groupId,
      status: 'already restored',
      detail: `a restore note on the ${noun} says this record was restored already`,
      ...empty,
    };
  const ec2 = await accounts.ec2(account, region);
  const read = await describeGroup(ec2, groupId);
  if (!read.found)
    return {
      ...base,
      groupId,
      status: 'gone',
      detail: `${groupId} no longer exists in ${region}: skipped, nothing to restore`,
      ...empty,
    };
  const current = rulesFromSecurityGroupRules(await describeRules(ec2, groupId));
  const now = new Map(current.map((r) => [ruleKey(r), r]));
  const before = new Set((record.before ?? []).map((r) => ruleKey(ruleFromJson(r))));

  const reauthorize: Rule[] = [];
  const alreadyBack: Rule[] = [];
  for (const r of record.revoked.map(ruleFromJson).map(withoutId))
    (now.has(ruleKey(r)) ? alreadyBack : reauthorize).push(r);
  const revoke: Rule[] = [];
  const alreadyGone: Rule[] = [];
  const keptAsBefore: Rule[] = [];
  for (const r of record.authorized.map(ruleFromJson)) {
    const key = ruleKey(r);
    if (before.has(key)) keptAsBefore.push(r);
    // Revoked by content (protocol, ports, source), whatever the description says.
    else if (now.has(key)) revoke.push(withoutId(r));
    else alreadyGone.push(r);
  }
  const toJson = (rules: readonly Rule[]) => rules.map(ruleToJson);
  const plan = {
    reauthorize: toJson(reauthorize),
    revoke: toJson(revoke),
    alreadyBack: toJson(alreadyBack),
    alreadyGone: toJson(alreadyGone),
    keptAsBefore: toJson(keptAsBefore),
  };
  if (reauthorize.length + revoke.length === 0)
    return {
      ...base,
      groupId,
      status: 'nothing to do',
      detail: `${groupId} is already as it was before the remediation`,
      ...plan,
    };
  return { ...base, groupId, status: 'planned', detail: summaryOf(plan), ...plan };
}

function summaryOf(g: Pick<GroupRestore, 'reauthorize' | 'revoke'>): string {
  const list = (rules: readonly RuleJson[]) =>
    rules.map((r) => formatRule(ruleFromJson(r))).join(', ');
  return [
    ...(g.reauthorize.length ? [`re-authorize ${list(g.reauthorize)}`] : []),
    ...(g.revoke.length ? [`revoke ${list(g.revoke)}`] : []),
  ].join('; ');
}

async function applyGroup(ec2: EC2Client, g: GroupRestore): Promise<GroupRestore> {
  const reason = 'restore: undo the remediation recorded on the incident';
  const authorize = g.reauthorize.map(ruleFromJson);
  const revoke = g.revoke.map(ruleFromJson);
  const plan: Plan = {
    groupId: g.groupId,
    compliant: false,
    authorize: authorize.map((rule) => ({ rule, reason })),
    revoke: revoke.map((rule) => ({ rule, reason })),
    after: [],
  };
  // Whatever the answers said, the read back below decides: a lost answer may hide a success.
  const applied = await applyPlan(ec2, plan);
  if (applied.result.kind === 'refused')
    return {
      ...g,
      status: 'failed',
      detail: `${applied.result.error.message} (done before the failure: ${applied.authorized.length} authorized, ${applied.revoked.length} revoked)`,
    };
  if (applied.result.kind === 'gone')
    return { ...g, status: 'gone', detail: `${g.groupId} was deleted during the restore` };
  // Read back: the group must hold every re-authorized rule and none of the revoked ones.
  const present = new Set(
    rulesFromSecurityGroupRules(await describeRules(ec2, g.groupId)).map(ruleKey),
  );
  const missing = authorize.filter((r) => !present.has(ruleKey(r)));
  const still = revoke.filter((r) => present.has(ruleKey(r)));
  if (missing.length || still.length)
    return {
      ...g,
      status: 'failed',
      detail: `applied, but the group ${[
        ...(missing.length ? [`lacks ${missing.map(formatRule).join(', ')}`] : []),
        ...(still.length ? [`still has ${still.map(formatRule).join(', ')}`] : []),
      ].join(' and ')}`,
    };
  return { ...g, status: 'restored', detail: summaryOf(g) };
}

async function writeNote(
  clients: AwsClients,
  records: IncidentRecords,
  done: readonly GroupRestore[],
  now: () => Date = () => new Date(),
): Promise<string> {
  let by = 'an unknown caller';
  try {
    by = (await whoAmI(clients)).arn || by;
  } catch {
    // The restore happened; the note says less, that is all.
  }
  const at = now().toISOString();
  const summary = `Restored by first-responder restore (${by}, ${at}): ${done.map((g) => `${g.groupId}: ${g.detail}`).join('. ')}`;
  try {
    const details: RestoreDetails = {
      restoredEvents: done.map((g) => g.eventId),
      groups: done.map((g) => ({
        groupId: g.groupId,
        reauthorized: g.reauthorize,
        revoked: g.revoke,
      })),
      by,
      at,
    };
    await addNote(records, summary, { details: { ...details } });
    return summary;
  } catch (err) {
    return `the groups were restored, but the note could not be written on the ${records.noun}: ${errorMessage(err)}`;
  }
}

/** Asks a yes/no question on the terminal (stderr, so stdout stays clean for --json). */
export async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function renderRestore(report: RestoreReport): string {
  const lines = [
    report.opsItemId !== undefined
      ? `restore for OpsItem ${report.opsItemId}`
      : `restore for incident ${report.incidentArn ?? ''}`,
    '',
  ];
  const list = (label: string, rules: readonly RuleJson[]) =>
    rules.map((r) => {
      const rule = ruleFromJson(r);
      return `    ${label.padEnd(13)} ${formatRule(rule)}${rule.description ? ` ("${rule.description}")` : ''}`;
    });
  for (const g of report.groups) {
    const when = g.recordedAt ? `, remediated ${g.recordedAt}` : '';
    const where = g.account !== undefined ? `${g.account}/${g.region}` : g.region;
    lines.push(`  ${g.groupId} (${where}${when}): ${g.status}`);
    if (g.status === 'planned' || g.status === 'restored') {
      lines.push(...list('re-authorize', g.reauthorize), ...list('revoke', g.revoke));
      lines.push(...list('already back', g.alreadyBack), ...list('already gone', g.alreadyGone));
      lines.push(...list('kept (before)', g.keptAsBefore));
    } else lines.push(`    ${g.detail}`);
  }
  lines.push('');
  if (report.reason) lines.push(report.reason);
  else if (!report.applied) lines.push('not applied yet');
  if (report.note)
    lines.push(`${report.opsItemId !== undefined ? 'OpsItem' : 'timeline'} note: ${report.note}`);
  return lines.join('\n');
}
