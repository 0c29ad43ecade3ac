/**
 * Whom the on-call construct engages, and when, as plain data computed from the configuration:
 * what `npm start` and the drill print. Pure and free of the CDK, so the drill can read the
 * engagement order without loading synth.
 */
import type { FirstResponderConfig } from '../config';

/** A stage as the summary reports it. */
export interface StageSummary {
  readonly afterMinutes: number;
  readonly engages: readonly string[];
}

export interface ContactSummary {
  readonly alias: string;
  readonly displayName: string;
  readonly kind: 'personal' | 'escalation' | 'on-call schedule';
  /** Personal contacts: their channels. */
  readonly channels: readonly { name: string; type: string; address: string }[];
  /** When each stage starts and whom (channels or contacts) it engages. */
  readonly stages: readonly StageSummary[];
}

/** Stages with the minute each one starts, for the summary. */
export function stagesOf(
  stages: readonly { durationMinutes: number; engages: readonly string[] }[],
): StageSummary[] {
  let at = 0;
  return stages.map((s) => {
    const out = { afterMinutes: at, engages: s.engages };
    at += s.durationMinutes;
    return out;
  });
}

/** Every contact with its stages: when each starts and whom it engages. Pure, from the config. */
export function contactsOf(config: FirstResponderConfig): ContactSummary[] {
  return [
    ...config.contacts.map((c) => ({
      alias: c.alias,
      displayName: c.displayName,
      kind: 'personal' as const,
      channels: c.channels.map((ch) => ({ name: ch.name, type: ch.type, address: ch.address })),
      stages: stagesOf(
        (
          c.engagementPlan ?? [{ channels: c.channels.map((ch) => ch.name), durationMinutes: 0 }]
        ).map((s) => ({ durationMinutes: s.durationMinutes, engages: s.channels })),
      ),
    })),
    ...config.rotations.map((r) => ({
      alias: r.alias,
      displayName: r.displayName,
      kind: 'on-call schedule' as const,
      channels: [],
      stages: [{ afterMinutes: 0, engages: r.contacts }],
    })),
    ...config.escalationPlans.map((e) => ({
      alias: e.alias,
      displayName: e.displayName,
      kind: 'escalation' as const,
      channels: [],
      stages: stagesOf(
        e.stages.map((s) => ({ durationMinutes: s.durationMinutes, engages: s.contacts })),
      ),
    })),
  ];
}
