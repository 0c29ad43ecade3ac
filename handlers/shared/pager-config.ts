/** What the pager reads from its environment (set by infra/constructs/paging.ts). */
import * as z from 'zod';
import { channelKey, type Page } from '../incident/paging';
import { INTAKE_DETECTIONS, type IntakeDetection } from '../intake/request';
import { InputError } from './errors';
import { parseOrThrow } from './validation';

export const PAGER_ENV = {
  /** Each detection's page schedule: {"rootActivity": [{atMinute, contact, channel}], ...}. */
  schedules: 'PAGER_SCHEDULES',
  /** The SNS topic of each contact's channel: {"alice/email": "arn:aws:sns:..."}. */
  topics: 'PAGER_TOPICS',
} as const;

export interface PagerSettings {
  readonly schedules: Readonly<Partial<Record<IntakeDetection, readonly Page[]>>>;
  readonly topics: Readonly<Record<string, string>>;
  /** For the console link in each page. */
  readonly region: string;
}

const pageSchema = z.object({
  atMinute: z.number().int().min(0),
  contact: z.string().min(1),
  channel: z.string().min(1),
});
const schedulesSchema = z.partialRecord(z.enum(INTAKE_DETECTIONS), z.array(pageSchema));
const topicsSchema = z.record(z.string(), z.string().startsWith('arn:'));

function json(env: NodeJS.ProcessEnv, name: string): unknown {
  const text = env[name];
  if (!text) throw new InputError(`${name} is not set: the pager cannot run without it`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${name} is not JSON`, { cause: err });
  }
}

export function pagerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PagerSettings {
  const schedules = parseOrThrow(
    schedulesSchema,
    json(env, PAGER_ENV.schedules),
    PAGER_ENV.schedules,
  );
  const topics = parseOrThrow(topicsSchema, json(env, PAGER_ENV.topics), PAGER_ENV.topics);
  for (const [detection, pages] of Object.entries(schedules))
    for (const p of pages ?? [])
      if (!topics[channelKey(p.contact, p.channel)])
        throw new InputError(
          `${PAGER_ENV.schedules}.${detection} pages ${p.contact}/${p.channel}, which has no topic in ${PAGER_ENV.topics}`,
        );
  return { schedules, topics, region: env.AWS_REGION ?? 'us-east-1' };
}
