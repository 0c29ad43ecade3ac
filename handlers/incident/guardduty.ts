/**
 * The facts of a GuardDuty finding a responder reads first, and whether to revert the instance's
 * security groups. Pure.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** GuardDuty's labels: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0. */
export function severityLabel(severity: number): string {
  if (severity >= 9) return 'Critical';
  if (severity >= 7) return 'High';
  if (severity >= 4) return 'Medium';
  return 'Low';
}

/** Reverting a finding's instance groups by default only for Critical findings. */
export const DEFAULT_REVERT_MIN_SEVERITY = 9;

export interface Finding {
  readonly id?: string;
  readonly type: string;
  readonly title?: string;
  readonly severity?: number;
  readonly severityLabel?: string;
  readonly resourceType?: string;
  readonly instanceId?: string;
  readonly region?: string;
  readonly account?: string;
  readonly sample: boolean;
  readonly consoleUrl?: string;
}

/** The facts of a GuardDuty finding event a responder needs, read from its detail. */
export function findingFacts(event: Json): Finding {
  const d = obj(event.detail);
  const resource = obj(d.resource);
  const sampleFlag = obj(obj(d.service).additionalInfo).sample;
  const severity = typeof d.severity === 'number' ? d.severity : undefined;
  const region = str(d.region) ?? str(event.region);
  const id = str(d.id);
  return {
    ...(id ? { id } : {}),
    type: str(d.type) ?? 'unknown type',
    ...(str(d.title) ? { title: str(d.title) } : {}),
    ...(severity !== undefined ? { severity, severityLabel: severityLabel(severity) } : {}),
    ...(str(resource.resourceType) ? { resourceType: str(resource.resourceType) } : {}),
    ...(str(obj(resource.instanceDetails).instanceId)
      ? { instanceId: str(obj(resource.instanceDetails).instanceId) }
      : {}),
    ...(region ? { region } : {}),
    ...(str(d.accountId) ? { account: str(d.accountId) } : {}),
    sample: sampleFlag === true || sampleFlag === 'true',
    ...(region && id
      ? {
          consoleUrl: `https://${region}.console.aws.amazon.com/guardduty/home?region=${region}#/findings?macros=current&fId=${id}`,
        }
      : {}),
  };
}

export function summarizeFinding(f: Finding): string {
  const sev = f.severity !== undefined ? `${f.severityLabel} (${f.severity})` : 'unknown severity';
  const on = f.instanceId ? `instance ${f.instanceId}` : (f.resourceType ?? 'a resource');
  return `GuardDuty ${f.sample ? 'SAMPLE ' : ''}finding ${f.type}, ${sev}, on ${on}${f.title ? `: ${f.title.replace(/\.$/, '')}` : ''}${f.consoleUrl ? `. ${f.consoleUrl}` : ''}`;
}

export type RevertDecision =
  { readonly revert: true } | { readonly revert: false; readonly reason: string };

/** `minSeverity` undefined: reverting for findings is switched off. */
export function revertDecision(f: Finding, minSeverity: number | undefined): RevertDecision {
  if (f.sample) return { revert: false, reason: 'a sample finding names placeholder resources' };
  if (f.resourceType !== 'Instance')
    return {
      revert: false,
      reason: `the finding concerns ${f.resourceType ?? 'no resource'}, not an EC2 instance`,
    };
  if (minSeverity === undefined)
    return { revert: false, reason: 'reverting for GuardDuty findings is switched off' };
  if (f.severity === undefined || f.severity < minSeverity)
    return {
      revert: false,
      reason: `severity ${f.severity ?? 'unknown'} is below the configured ${minSeverity} for reverting; a person decides`,
    };
  return { revert: true };
}
