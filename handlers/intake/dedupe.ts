/**
 * Deduplication, as a state machine over one record per open problem. Pure: the DynamoDB
 * adapter (../aws/dedupe-table.ts) stores the record with conditional writes, and the drill
 * replays events against an in-memory copy; both ask `nextStep` what to do.
 *
 * The record's life, and why no race opens two incidents or loses a repeat:
 *
 *   (none) --claim: put if absent--> opening(g=1, lease) --StartIncident, then mark open--> open(ref)
 *   open --the backend says resolved or gone--> opening(g+1) (replaced conditionally: only one wins)
 *
 * - Two events at once: both try the conditional put; one wins and opens, the other reads the
 *   record. An event that finds "opening" while the lease runs records itself on the record
 *   (`pending`, conditional on still "opening"); the opener marks the record open and, in the same
 *   atomic update, reads what was recorded and appends it. An event that arrives after the mark
 *   sees "open" and appends itself. Each repeat is appended once, by exactly one of the two.
 * - A crash between the put and StartIncident leaves "opening" with a lease: once it expires,
 *   the next delivery (the crashed invocation's own retry, or another event) takes the record
 *   over and opens with the request stored on it and the same idempotency token (key and
 *   generation), so if the crashed StartIncident did succeed, Incident Manager returns that
 *   incident instead of opening a second one.
 * - State lives in the table only. A record left "open" for an incident resolved by hand is
 *   noticed at the next repeat (the backend is asked), and replaced for a new incident.
 */

/** How long an opener holds the record: longer than the function may run. */
export const LEASE_MS = 120_000;
/** Repeats recorded while opening, at most; beyond that they are counted only. */
export const MAX_PENDING = 25;
/** A record outlives its last sighting by this much, then DynamoDB's TTL removes it. */
export const RECORD_TTL_DAYS = 30;

export interface PendingRepeat {
  /** The repeat's event ID: with the key and generation, its timeline event's idempotency token. */
  readonly eventId: string;
  readonly gist: string;
}

export interface DedupeRecord {
  readonly key: string;
  readonly state: 'opening' | 'open';
  /** 1 for the first incident of this problem, +1 for each one opened after a resolve. */
  readonly generation: number;
  /** The event whose delivery is opening (or opened) this generation's incident. */
  readonly owner: string;
  /** opening: epoch milliseconds until which the owner holds the record. */
  readonly leaseUntil?: number;
  /** open: the backend's reference to the incident (an incident record ARN). */
  readonly incidentRef?: string;
  /** The incident request, stored so that a take-over opens exactly the same incident. */
  readonly request?: string;
  readonly pending: readonly PendingRepeat[];
  /** Repeats beyond MAX_PENDING, counted and not appended. */
  readonly pendingDropped?: number;
  /** Deliveries seen for this generation, the first included. */
  readonly seen: number;
}

export type IncidentStatus = 'open' | 'resolved' | 'gone';

export type DedupeStep =
  /** No record: put one, conditionally, and open. */
  | { readonly kind: 'claim' }
  /** Open, and the backend has not been asked yet. */
  | { readonly kind: 'check'; readonly incidentRef: string }
  /** Open and still open: append this event to the incident. */
  | { readonly kind: 'append'; readonly incidentRef: string; readonly generation: number }
  /** Open, but the incident was resolved (or deleted): replace the record, open a new one. */
  | { readonly kind: 'reopen'; readonly generation: number }
  /** Someone is opening now: record this event for them to append. */
  | { readonly kind: 'record'; readonly generation: number }
  /** This event opened the incident already (a retried delivery): finish, append nothing. */
  | { readonly kind: 'opened'; readonly incidentRef: string; readonly generation: number }
  /** The opener's lease ran out (or this is the opener's own retry): take over and open. */
  | { readonly kind: 'takeOver'; readonly generation: number; readonly own: boolean };

/**
 * What to do next for an event, given the record (undefined: none), the time, the event's ID and,
 * for an open record, what the backend said of its incident.
 */
export function nextStep(
  record: DedupeRecord | undefined,
  now: number,
  eventId: string,
  status?: IncidentStatus,
): DedupeStep {
  if (!record) return { kind: 'claim' };
  const generation = record.generation;
  if (record.state === 'opening') {
    const own = record.owner === eventId;
    if (own || (record.leaseUntil ?? 0) <= now) return { kind: 'takeOver', generation, own };
    return { kind: 'record', generation };
  }
  const incidentRef = record.incidentRef ?? '';
  if (record.owner === eventId) return { kind: 'opened', incidentRef, generation };
  if (status === undefined) return { kind: 'check', incidentRef };
  if (status === 'open') return { kind: 'append', incidentRef, generation };
  return { kind: 'reopen', generation };
}

/** Epoch seconds at which DynamoDB may delete a record last touched at `now`. */
export function expiresAt(now: number): number {
  return Math.floor(now / 1000) + RECORD_TTL_DAYS * 86_400;
}
