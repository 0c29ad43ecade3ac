/**
 * Paging without Incident Manager, pure: the configuration's contacts, engagement plans and
 * escalation plans flattened into a schedule of pages (minute, contact, channel), and the
 * escalation's one decision: given the schedule, when the OpsItem opened, what was sent and
 * whether someone acknowledged (set the OpsItem to InProgress or Resolved), which pages are due
 * now and how long to wait for the next. The pager Lambda (../pager.ts) and the drill both ask
 * it; the Step Functions state machine only waits and loops.
 */

/** One page: a channel of a contact, some minutes after the incident opened. */
export interface Page {
  readonly atMinute: number;
  readonly contact: string;
  /** The contact's channel name ("email", "sms", ...). */
  readonly channel: string;
}

/** A personal contact as paging sees it: its channels and its engagement plan's stages. */
export interface PagingContact {
  readonly alias: string;
  readonly channels: readonly string[];
  /** Stages in order; undefined: one stage that engages every channel at once. */
  readonly stages?: readonly {
    readonly channels: readonly string[];
    readonly durationMinutes: number;
  }[];
}

/** An escalation plan: stages of contact aliases. */
export interface PagingEscalation {
  readonly alias: string;
  readonly stages: readonly {
    readonly contacts: readonly string[];
    readonly durationMinutes: number;
  }[];
}

/** The key of a contact's channel, as topics are looked up: "alice/email". */
export const channelKey = (contact: string, channel: string) => `${contact}/${channel}`;

/**
 * The pages a response plan's engagements send while nobody acknowledges, in time order: an
 * escalation stage starts each of its contacts' engagement plans at the stage's minute. A
 * contact reached twice at the same minute on the same channel is paged once.
 */
export function pageSchedule(
  engagements: readonly string[],
  contacts: readonly PagingContact[],
  escalations: readonly PagingEscalation[],
): Page[] {
  const people = new Map(contacts.map((c) => [c.alias, c]));
  const plans = new Map(escalations.map((e) => [e.alias, e]));
  const pages = new Map<string, Page>();
  const engage = (alias: string, at: number) => {
    const person = people.get(alias);
    if (person) {
      let start = at;
      for (const stage of person.stages ?? [{ channels: person.channels, durationMinutes: 0 }]) {
        for (const channel of stage.channels) {
          const page = { atMinute: start, contact: alias, channel };
          pages.set(`${start}|${channelKey(alias, channel)}`, page);
        }
        start += stage.durationMinutes;
      }
      return;
    }
    let start = at;
    // An escalation plan names contacts only (the configuration checks it): no cycles.
    for (const stage of plans.get(alias)?.stages ?? []) {
      for (const a of stage.contacts) if (people.has(a)) engage(a, start);
      start += stage.durationMinutes;
    }
  };
  for (const alias of engagements) engage(alias, 0);
  return [...pages.values()].sort(
    (x, y) =>
      x.atMinute - y.atMinute ||
      x.contact.localeCompare(y.contact) ||
      x.channel.localeCompare(y.channel),
  );
}

export interface EscalationState {
  /** The schedule, in time order (pageSchedule's output). */
  readonly schedule: readonly Page[];
  /** When the incident opened, epoch milliseconds. */
  readonly openedAt: number;
  readonly now: number;
  /** How many pages of the schedule were sent already (they are sent in order). */
  readonly sent: number;
  /** When someone acknowledged, epoch milliseconds; undefined while nobody has. */
  readonly acknowledgedAt?: number;
}

export type EscalationStep =
  | {
      readonly done: false;
      /** Send these now, in order. */
      readonly due: readonly Page[];
      /** Then wait this long and look again. */
      readonly waitSeconds: number;
    }
  | {
      readonly done: true;
      /** Send these before stopping (the last stage's pages). */
      readonly due: readonly Page[];
      readonly reason: 'acknowledged' | 'schedule complete';
    };

const MINUTE_MS = 60_000;

/** The pages due at `now` and what to do next. Pages scheduled after an acknowledgement never go. */
export function escalationStep(state: EscalationState): EscalationStep {
  const { schedule, openedAt, now, sent, acknowledgedAt } = state;
  const at = (p: Page) => openedAt + p.atMinute * MINUTE_MS;
  const rest = schedule.slice(sent);
  if (acknowledgedAt !== undefined)
    return {
      done: true,
      due: rest.filter((p) => at(p) < acknowledgedAt && at(p) <= now),
      reason: 'acknowledged',
    };
  const due = rest.filter((p) => at(p) <= now);
  const next = rest.find((p) => at(p) > now);
  if (!next) return { done: true, due, reason: 'schedule complete' };
  return { done: false, due, waitSeconds: Math.max(1, Math.ceil((at(next) - now) / 1000)) };
}
