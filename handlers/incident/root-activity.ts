/**
 * What a responder needs to know first about root-user activity: who, what, from where, with
 * or without MFA, and whether it worked. Pure; reads the CloudTrail event that opened the incident.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface RootActivity {
  readonly actor: string;
  readonly action: string;
  readonly eventSource?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly region?: string;
  readonly time?: string;
  /** yes / no / unknown, as CloudTrail reports it. */
  readonly mfa: 'yes' | 'no' | 'unknown';
  readonly outcome: 'success' | 'failure';
  readonly error?: string;
}

/** The facts of a root-user event a responder needs, read from its CloudTrail detail. */
export function rootActivityFacts(event: Json): RootActivity {
  const d = obj(event.detail);
  const who = obj(d.userIdentity);
  const extra = obj(d.additionalEventData);
  const attributes = obj(obj(who.sessionContext).attributes);
  // Console sign-ins say MFAUsed; API calls say sessionContext.attributes.mfaAuthenticated.
  const mfaText = str(extra.MFAUsed) ?? str(attributes.mfaAuthenticated);
  const mfa = mfaText === undefined ? 'unknown' : /^(yes|true)$/i.test(mfaText) ? 'yes' : 'no';
  const consoleLogin = str(obj(d.responseElements).ConsoleLogin);
  const error = str(d.errorMessage) ?? str(d.errorCode);
  const failed = consoleLogin === 'Failure' || str(d.errorCode) !== undefined;
  return {
    actor: `${str(who.type) ?? 'unknown'} (${str(who.arn) ?? str(who.accountId) ?? 'no ARN'})`,
    action: str(d.eventName) ?? str(event['detail-type']) ?? 'unknown action',
    ...(str(d.eventSource) ? { eventSource: str(d.eventSource) } : {}),
    ...(str(d.sourceIPAddress) ? { sourceIp: str(d.sourceIPAddress) } : {}),
    ...(str(d.userAgent) ? { userAgent: str(d.userAgent) } : {}),
    ...(str(d.awsRegion) ? { region: str(d.awsRegion) } : {}),
    ...(str(d.eventTime) ? { time: str(d.eventTime) } : {}),
    mfa,
    outcome: failed ? 'failure' : 'success',
    ...(failed && error ? { error } : {}),
  };
}

export function summarizeRootActivity(a: RootActivity): string {
  const where = [a.sourceIp && `from ${a.sourceIp}`, a.region && `in ${a.region}`]
    .filter(Boolean)
    .join(' ');
  const result = a.outcome === 'success' ? 'succeeded' : `FAILED${a.error ? ` (${a.error})` : ''}`;
  return `Root activity: ${a.action} by ${a.actor} ${where}, MFA ${a.mfa}, ${result}${a.time ? ` at ${a.time}` : ''}. Nothing was changed; confirm who did this.`;
}
