/**
 * Organization mode: where an incident's resources are, as account and region. Pure.
 *
 * An event forwarded from a member's bus to the central bus keeps its `account` and `region`.
 * A GuardDuty finding reaches the delegated administrator with `account` = the administrator:
 * the member and its region are `detail.accountId` and `detail.region`.
 */
import type { IncidentTrigger } from './trigger';

export interface Place {
  readonly account: string;
  readonly region: string;
}

/** "222222222222/us-east-1": how records and titles name a place. */
export const placeName = (p: Place): string => `${p.account}/${p.region}`;

/** The partition of a region, for ARNs. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export const samePlace = (a: Place, b: Place): boolean =>
  a.account === b.account && a.region === b.region;

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function placeOf(account: unknown, region: unknown): Place | undefined {
  const a = str(account);
  const r = str(region);
  return a && r && ACCOUNT.test(a) && REGION.test(r) ? { account: a, region: r } : undefined;
}

/** Where the event's resources are; undefined when the event does not say. */
export function eventPlace(event: Json): Place | undefined {
  if (str(event['detail-type']) === 'GuardDuty Finding') {
    const detail = obj(event.detail);
    return placeOf(detail.accountId, detail.region);
  }
  return placeOf(event.account, event.region);
}

/** Account and region of an EC2 resource ARN (arn:aws:ec2:us-east-1:2222…:security-group/sg-…). */
export function arnPlace(arn: string): Place | undefined {
  const m = /^arn:aws[a-z-]*:ec2:([a-z0-9-]+):(\d{12}):/.exec(arn);
  return m ? placeOf(m[2], m[1]) : undefined;
}

export type IncidentPlace =
  | { readonly found: true; readonly place: Place; readonly from: 'event' | 'involved-resources' }
  | { readonly found: false; readonly reason: string };

/**
 * The place of an incident: its trigger event's; when the trigger cannot be read, the one place
 * every involved resource names (written by the intake). Never a guess between two places.
 */
export function incidentPlace(
  trigger: IncidentTrigger | undefined,
  involvedResources: readonly string[],
): IncidentPlace {
  if (trigger?.status === 'event') {
    const place = eventPlace(trigger.event);
    if (place) return { found: true, place, from: 'event' };
  }
  const named = new Map(
    involvedResources.flatMap((arn) => {
      const p = arnPlace(arn);
      return p ? [[placeName(p), p] as const] : [];
    }),
  );
  const [only, ...others] = [...named.values()];
  if (only && others.length === 0) return { found: true, place: only, from: 'involved-resources' };
  const why =
    trigger === undefined
      ? 'the incident trigger was not read'
      : trigger.status === 'event'
        ? 'the trigger event names no account and region'
        : trigger.reason;
  return {
    found: false,
    reason: named.size
      ? `${why}, and the involved resources name ${named.size} places (${[...named.keys()].join(', ')})`
      : `${why}, and no involved resource names an account and region`,
  };
}
