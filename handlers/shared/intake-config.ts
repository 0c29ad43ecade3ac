/** What the intake reads from its environment (set by infra/constructs/intake.ts). */
import * as z from 'zod';
import { INTAKE_DETECTIONS, type IntakeDetection } from '../intake/request';
import { InputError } from './errors';
import { parseOrThrow } from './validation';

export const INTAKE_ENV = {
  table: 'INTAKE_TABLE_NAME',
  deadLetterQueueUrl: 'INTAKE_DEAD_LETTER_QUEUE_URL',
  responsePlans: 'INTAKE_RESPONSE_PLANS',
} as const;

export interface PlanSettings {
  /** The response plan's ARN (Incident Manager backend only). */
  readonly arn?: string;
  /** Its impact, used when the event carries no severity. */
  readonly impact: number;
}

export interface IntakeSettings {
  readonly tableName: string;
  readonly deadLetterQueueUrl: string;
  readonly plans: Readonly<Record<IntakeDetection, PlanSettings>>;
}

const plansSchema = z.record(
  z.enum(INTAKE_DETECTIONS),
  z.object({ arn: z.string().min(1).optional(), impact: z.number().int().min(1).max(5) }),
);

let cached: { key: string; settings: IntakeSettings } | undefined;

export function intakeSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): IntakeSettings {
  const get = (name: string) => {
    const v = env[name];
    if (!v) throw new InputError(`${name} is not set: the intake cannot run without it`);
    return v;
  };
  const key = [INTAKE_ENV.table, INTAKE_ENV.deadLetterQueueUrl, INTAKE_ENV.responsePlans]
    .map((n) => env[n])
    .join('\n');
  if (cached?.key === key) return cached.settings;
  let plans: unknown;
  try {
    plans = JSON.parse(get(INTAKE_ENV.responsePlans));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${INTAKE_ENV.responsePlans} is not JSON`, { cause: err });
  }
  const parsed = parseOrThrow(plansSchema, plans, INTAKE_ENV.responsePlans);
  const missing = INTAKE_DETECTIONS.filter((d) => !parsed[d]);
  if (missing.length)
    throw new InputError(`${INTAKE_ENV.responsePlans} has no plan for ${missing.join(', ')}`);
  const settings: IntakeSettings = {
    tableName: get(INTAKE_ENV.table),
    deadLetterQueueUrl: get(INTAKE_ENV.deadLetterQueueUrl),
    plans: parsed,
  };
  cached = { key, settings };
  return settings;
}
