/**
 * The event that opened an incident, as Incident Manager keeps it: the timeline event of type
 * "SSM Incident Trigger", whose eventData is JSON with `rawData`, the original event as a string.
 * Incident Manager caps rawData at 10,000 characters, so a large event arrives cut off.
 */

export const TRIGGER_EVENT_TYPE = 'SSM Incident Trigger';
/** rawData's documented maximum length (TriggerDetails.rawData). */
export const RAW_DATA_MAX = 10_000;

export type IncidentTrigger =
  | { readonly status: 'event'; readonly event: Record<string, unknown> }
  /** rawData was cut at the cap: the event cannot be trusted to name every target. */
  | { readonly status: 'truncated'; readonly reason: string; readonly length: number }
  | { readonly status: 'missing'; readonly reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a trigger timeline event's eventData; never throws. */
export function parseTrigger(eventData: string | undefined): IncidentTrigger {
  if (eventData === undefined || eventData === '')
    return { status: 'missing', reason: 'the incident has no trigger event' };
  let data: unknown;
  try {
    data = JSON.parse(eventData);
  } catch {
    return { status: 'missing', reason: 'the trigger event data is not JSON' };
  }
  const raw = isRecord(data) ? data.rawData : undefined;
  if (typeof raw !== 'string' || raw === '')
    return {
      status: 'missing',
      reason: 'the trigger carries no raw event (it was not opened by EventBridge)',
    };
  try {
    const event: unknown = JSON.parse(raw);
    if (isRecord(event)) return { status: 'event', event };
    return { status: 'missing', reason: 'the trigger raw event is not a JSON object' };
  } catch {
    return {
      status: 'truncated',
      length: raw.length,
      reason: `the trigger raw event is not complete JSON (${raw.length} characters; Incident Manager keeps at most ${RAW_DATA_MAX}), so its targets cannot be trusted`,
    };
  }
}
