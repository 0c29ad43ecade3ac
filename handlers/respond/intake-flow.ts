/**
 * The intake's act step: carries a decision through the dedupe table to the incident backend.
 * Every branch is chosen by `nextStep` (../intake/dedupe.ts); this file only makes the calls and
 * re-reads the record whenever a conditional write finds it changed.
 */
import type { IncidentBackend, RepeatNote } from '../incident/backend';
import type { IncidentDraft, IntakeDecision } from '../intake/decide';
import { nextStep, type DedupeRecord, type IncidentStatus } from '../intake/dedupe';
import { logger } from '../shared/logger';
import type { DedupeTable } from '../aws/dedupe-table';
import { clientToken } from '../aws/incidents';

/** Each step either settles or re-reads a record another delivery changed; a few always do. */
const MAX_STEPS = 10;

export interface IntakeFlowDeps {
  readonly table: DedupeTable;
  readonly backend: IncidentBackend;
  readonly now: () => number;
  /** Throws when too little time is left to start the named step. */
  readonly checkDeadline: (step: string) => void;
}

export type IntakeOutcome =
  | { readonly decision: 'none'; readonly reason: string; readonly dedupeKey?: string }
  | {
      readonly decision: 'open';
      readonly dedupeKey: string;
      readonly incidentRef: string;
      readonly generation: number;
      /** Repeats recorded while it opened, appended by this delivery. */
      readonly appended: number;
      /** True when this delivery had opened it already (a retry). */
      readonly retried?: boolean;
    }
  | {
      readonly decision: 'append';
      readonly dedupeKey: string;
      /** Undefined when the repeat was left on the record for the opener to append. */
      readonly incidentRef?: string;
      readonly generation: number;
    };

/** The incident's idempotency token: one per problem and generation. */
export const openToken = (key: string, generation: number) =>
  clientToken('open', key, String(generation));
const appendToken = (key: string, generation: number, eventId: string) =>
  clientToken('repeat', key, String(generation), eventId);

/** Unexpected: the record kept changing under this delivery. Retried by Lambda. */
export class DedupeContentionError extends Error {
  override readonly name = 'DedupeContentionError';
}

export async function applyDecision(
  deps: IntakeFlowDeps,
  decision: IntakeDecision,
  eventId: string,
): Promise<IntakeOutcome> {
  if (decision.kind === 'none')
    return {
      decision: 'none',
      reason: decision.reason,
      ...(decision.dedupeKey ? { dedupeKey: decision.dedupeKey } : {}),
    };
  const { table, backend } = deps;
  const key = decision.dedupeKey;
  const request = JSON.stringify(decision.incident);
  const note = (gist: string, id: string): RepeatNote => ({
    gist,
    dedupeKey: key,
    eventId: id,
    detection: decision.detection,
    resources: decision.incident.relatedItems.map((r) => r.arn),
    ...(decision.place ? { account: decision.place.account, region: decision.place.region } : {}),
  });

  const appendPending = async (ref: string, record: DedupeRecord) => {
    for (const p of record.pending)
      await backend.append(
        ref,
        note(p.gist, p.eventId),
        appendToken(key, record.generation, p.eventId),
      );
    if (record.pendingDropped)
      logger.warn('repeats while opening beyond the record limit were counted, not appended', {
        dedupeKey: key,
        dropped: record.pendingDropped,
      });
    return record.pending.length;
  };

  /** Opens the record's generation: StartIncident, then mark the record open. */
  const open = async (record: DedupeRecord, draft: IncidentDraft): Promise<IntakeOutcome> => {
    const generation = record.generation;
    let ref: string;
    try {
      deps.checkDeadline('StartIncident');
      ref = await backend.open(draft, openToken(key, generation), { dedupeKey: key });
    } catch (err) {
      // Let the next delivery (this one's retry included) take over at once, same token.
      await table
        .release(key, generation, eventId, deps.now())
        .catch((e: unknown) =>
          logger.warn('could not release the lease', { dedupeKey: key, error: e as Error }),
        );
      throw err;
    }
    const marked = await table.markOpen(key, generation, ref, deps.now());
    let settled = marked.ok ? marked.record : await table.read(key);
    if (settled?.incidentRef !== ref) {
      // A take-over opened with the same token, so it can only have found the same incident.
      logger.warn('the dedupe record changed while opening', { dedupeKey: key, ref, settled });
      settled = undefined;
    }
    const appended = settled ? await appendPending(ref, settled) : 0;
    return { decision: 'open', dedupeKey: key, incidentRef: ref, generation, appended };
  };

  let record: DedupeRecord | undefined;
  let status: IncidentStatus | undefined;
  const reread = async () => {
    record = await table.read(key);
    status = undefined;
  };
  for (let i = 0; i < MAX_STEPS; i++) {
    const now = deps.now();
    const step = nextStep(record, now, eventId, status);
    deps.checkDeadline(step.kind);
    switch (step.kind) {
      case 'claim': {
        const claimed = await table.claim(key, eventId, request, decision.detection, now);
        if (claimed.ok) return open(claimed.record, decision.incident);
        await reread();
        break;
      }
      case 'check':
        status = await backend.status(step.incidentRef);
        break;
      case 'append':
        await backend.append(
          step.incidentRef,
          note(decision.gist, eventId),
          appendToken(key, step.generation, eventId),
        );
        await table.touch(key, step.generation, now);
        return {
          decision: 'append',
          dedupeKey: key,
          incidentRef: step.incidentRef,
          generation: step.generation,
        };
      case 'opened': {
        // This delivery opened the incident before; finish what a crash may have cut short.
        const appended = await appendPending(step.incidentRef, record!);
        return {
          decision: 'open',
          dedupeKey: key,
          incidentRef: step.incidentRef,
          generation: step.generation,
          appended,
          retried: true,
        };
      }
      case 'reopen': {
        const replaced = await table.reopen(key, step.generation, eventId, request, now);
        if (replaced.ok) return open(replaced.record, decision.incident);
        await reread();
        break;
      }
      case 'record': {
        const recorded = await table.record(
          key,
          step.generation,
          { eventId, gist: decision.gist },
          now,
        );
        if (recorded.ok) return { decision: 'append', dedupeKey: key, generation: step.generation };
        await reread();
        break;
      }
      case 'takeOver': {
        const taken = await table.takeOver(key, step.generation, eventId, now);
        if (!taken.ok) {
          await reread();
          break;
        }
        // The stored request: the same token with the same details finds a crashed opener's incident.
        const stored = taken.record.request
          ? (JSON.parse(taken.record.request) as IncidentDraft)
          : decision.incident;
        const opened = await open(taken.record, stored);
        if (step.own || opened.decision !== 'open') return opened;
        await backend.append(
          opened.incidentRef,
          note(decision.gist, eventId),
          appendToken(key, step.generation, eventId),
        );
        return { ...opened, appended: opened.appended + 1 };
      }
    }
  }
  throw new DedupeContentionError(
    `the dedupe record ${key} changed ${MAX_STEPS} times while this delivery worked on it`,
  );
}
