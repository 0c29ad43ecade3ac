/**
 * Which incident backend the intake uses, and the OpsCenter backend's settings, from the
 * environment (set by infra/constructs/intake.ts). Without INTAKE_BACKEND the intake uses
 * Incident Manager, as it always did.
 */
import * as z from 'zod';
import type { OpsCenterSettings } from '../aws/opscenter-backend';
import { INTAKE_DETECTIONS } from '../intake/request';
import { InputError } from './errors';
import { parseOrThrow } from './validation';

export const BACKEND_ENV = {
  backend: 'INTAKE_BACKEND',
  opsCenter: 'INTAKE_OPSCENTER',
} as const;

export type BackendChoice =
  | { readonly backend: 'incident-manager' }
  | { readonly backend: 'opscenter'; readonly settings: OpsCenterSettings };

const runbookSchema = z.object({
  document: z.string().min(1),
  parameters: z.record(z.string(), z.array(z.string())),
});
const opsCenterSchema = z.object({
  escalationArn: z.string().startsWith('arn:', { error: 'the state machine ARN' }),
  runbooks: z.record(z.enum(INTAKE_DETECTIONS), runbookSchema),
  notificationTopicArns: z.partialRecord(z.enum(INTAKE_DETECTIONS), z.string()).optional(),
});

export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendChoice {
  const backend = env[BACKEND_ENV.backend] || 'incident-manager';
  if (backend === 'incident-manager') return { backend };
  if (backend !== 'opscenter')
    throw new InputError(
      `${BACKEND_ENV.backend} is ${JSON.stringify(backend)}; valid: incident-manager or opscenter`,
    );
  const text = env[BACKEND_ENV.opsCenter];
  if (!text)
    throw new InputError(`${BACKEND_ENV.opsCenter} is not set: the OpsCenter backend needs it`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${BACKEND_ENV.opsCenter} is not JSON`, { cause: err });
  }
  return { backend, settings: parseOrThrow(opsCenterSchema, raw, BACKEND_ENV.opsCenter) };
}
