/**
 * Where incidents live, as the intake sees it: one small interface, so that the intake's
 * decision and deduplication do not depend on the service. Incident Manager is the first
 * implementation (../aws/incident-manager-backend.ts); another (OpsCenter, a pager) implements
 * the same four operations.
 */
import type { IncidentDraft } from '../intake/decide';
import type { IncidentStatus } from '../intake/dedupe';

export interface RepeatNote {
  /** The repeat's one-line gist. */
  readonly gist: string;
  /** The dedupe key, for whoever reads the timeline. */
  readonly dedupeKey: string;
  readonly eventId: string;
  readonly detection: string;
  /** Resources the repeat concerns (ARNs), at most a few. */
  readonly resources?: readonly string[];
  /** Organization mode: the account and region the repeat happened in. Absent: the incident's own. */
  readonly account?: string;
  readonly region?: string;
}

/** What the intake knows of an incident it opens, beyond the draft. */
export interface OpenContext {
  /** The dedupe key: OpsCenter keeps it as the OpsItem's own dedup string. */
  readonly dedupeKey: string;
}

export interface IncidentBackend {
  /** Short name for logs and the drill, e.g. "incident-manager". */
  readonly name: string;
  /**
   * Opens an incident and returns the backend's reference to it. The same `idempotencyToken`
   * with the same draft opens one incident however often it is called.
   */
  open(draft: IncidentDraft, idempotencyToken: string, context?: OpenContext): Promise<string>;
  /** Whether the incident behind a reference is still open (the one to append to). */
  status(incidentRef: string): Promise<IncidentStatus>;
  /** Adds one "seen again" entry to an open incident; idempotent for the same token. */
  append(incidentRef: string, note: RepeatNote, idempotencyToken: string): Promise<void>;
}
