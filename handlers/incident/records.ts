/**
 * Where the response functions and `restore` keep their records: one small interface with two
 * implementations, the incident's timeline (Incident Manager, ../aws/incidents.ts) and the
 * OpsItem's operational data (OpsCenter, ../aws/opsitems.ts). What is written is the same JSON
 * either way (./timeline.ts): one contract, one reader.
 */
import type { IncidentTrigger } from './trigger';

/** A record as written: the text of ./timeline.ts, the resources it is about, an idempotency token. */
export interface RecordEntry {
  readonly eventData: string;
  /** ARNs of the resources the record is about (at most 10 are kept). */
  readonly references?: readonly string[];
  /** The same token writes the record once, however often the write is retried. */
  readonly token: string;
}

/** A record as read back, oldest first. */
export interface StoredRecord {
  /** Where it is: a timeline event ID, or an operational-data key. */
  readonly eventId: string;
  readonly eventTime?: Date;
  readonly eventData?: string;
  readonly references: readonly string[];
}

export interface IncidentRecords {
  /** The incident record ARN or the OpsItem ID. */
  readonly id: string;
  /** "incident" or "OpsItem", for messages. */
  readonly noun: string;
  /** The event that opened the incident. */
  readTrigger(): Promise<IncidentTrigger>;
  /** Resource ARNs the incident names beyond the runbook's parameters. */
  involvedResources(): Promise<readonly string[]>;
  /** Partition and account of the incident, for resource ARNs; undefined when unknown. */
  owner(): Promise<{ readonly partition: string; readonly account: string } | undefined>;
  /** Whether a record's text fits where this backend keeps one. */
  readonly fits: (eventData: string) => boolean;
  addRecord(entry: RecordEntry): Promise<void>;
  addRelatedResource(resourceArn: string, title: string): Promise<void>;
  readRecords(): Promise<StoredRecord[]>;
}
