/**
 * Lambda: one look of the OpsCenter escalation. The state machine calls it, waits as long as it
 * answers, and calls it again until it answers done. Parse (zod) -> decide (escalationStep, from
 * the OpsItem's status and creation time) -> act (publish each due page to its SNS topic and
 * record it on the OpsItem).
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { CONNECTION_TIMEOUT_MS, createPagerClients, REQUEST_TIMEOUT_MS } from './aws/clients';
import { appendToLog, getOpsItem } from './aws/opsitems';
import { publishPage } from './aws/pages';
import { channelKey, escalationStep, type Page } from './incident/paging';
import { DATA_KEYS, isAcknowledged, OPS_ITEM_ID, parseLog } from './incident/opsitem';
import { INTAKE_DETECTIONS } from './intake/request';
import { AwsCallError } from './shared/errors';
import { logger } from './shared/logger';
import { pagerSettingsFromEnv, type PagerSettings } from './env';
import { parseOrThrow } from './shared/validation';

const inputSchema = z.object({
  opsItemId: z.string().regex(OPS_ITEM_ID, { error: 'an OpsItem ID such as oi-0123456789ab' }),
  detection: z.enum(INTAKE_DETECTIONS, { error: `one of ${INTAKE_DETECTIONS.join(', ')}` }),
  sent: z.number().int().min(0, { error: 'a whole number of pages already sent' }),
});

export type PagerInput = z.output<typeof inputSchema>;
export interface PagerOutput extends PagerInput {
  readonly done: boolean;
  /** Seconds the state machine waits before the next look (0 when done). */
  readonly waitSeconds: number;
  readonly reason?: string;
}

/**
 * No page starts with less time left than this: a page is one Publish and a recorded entry (a
 * write and a read, more when another writer interferes), each bounded by the SDK's timeouts.
 */
export const PAGE_MARGIN_MS = 4 * (CONNECTION_TIMEOUT_MS + REQUEST_TIMEOUT_MS);

export interface PagerDeps {
  readonly ssm: SSMClient;
  readonly sns: SNSClient;
  readonly settings: () => PagerSettings;
  readonly now: () => number;
}

/** The page's text: short for SMS (one message), complete for email. */
export function pageMessage(
  opsItemId: string,
  title: string,
  severity: string,
  region: string,
): { subject: string; message: string } {
  const link = `https://${region}.console.aws.amazon.com/systems-manager/opsitems/${opsItemId}?region=${region}`;
  const sms = `first-responder sev ${severity}: ${title}`.slice(0, 120) + ` ${opsItemId}`;
  const email = [
    `first-responder opened OpsItem ${opsItemId} (severity ${severity}):`,
    '',
    title,
    '',
    `Acknowledge by setting the OpsItem to In progress; that stops the paging: ${link}`,
  ].join('\n');
  return {
    // SNS email subjects: at most 100 characters, no line breaks.
    subject: `[first-responder] ${title}`.replace(/\s+/g, ' ').slice(0, 100),
    message: JSON.stringify({ default: email, email, sms }),
  };
}

export function makeHandler(deps: PagerDeps) {
  return async (
    event: unknown,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<PagerOutput> => {
    const input = parseOrThrow(inputSchema, event, 'escalation');
    const settings = deps.settings();
    const schedule = settings.schedules[input.detection] ?? [];
    const item = await getOpsItem(deps.ssm, input.opsItemId);
    const now = deps.now();
    const openedAt = item.CreatedTime?.getTime() ?? now;
    const acknowledged = isAcknowledged(item.Status);
    const step = escalationStep({
      schedule,
      openedAt,
      now,
      sent: input.sent,
      ...(acknowledged ? { acknowledgedAt: item.LastModifiedTime?.getTime() ?? now } : {}),
    });
    let sent = input.sent;
    let known = item;
    for (const page of step.due) {
      const left = context?.getRemainingTimeInMillis();
      if (left !== undefined && left < PAGE_MARGIN_MS) {
        // Answer before Lambda kills the invocation: the state machine looks again at once and
        // sends the rest (pages are sent in order, so `sent` says where to resume).
        const out: PagerOutput = { ...input, sent, done: false, waitSeconds: 1 };
        logger.warn('escalation step cut short by the deadline', { ...out, left });
        return out;
      }
      const id = `${input.opsItemId}#${sent}`;
      // A retried look (the previous one's answer lost) finds its pages recorded: not sent again.
      if (
        parseLog(known.OperationalData?.[DATA_KEYS.pages]?.Value).latest.some((e) => e.id === id)
      ) {
        sent++;
        continue;
      }
      await publish(
        deps.sns,
        settings,
        page,
        input.opsItemId,
        item.Title ?? '',
        item.Severity ?? '?',
      );
      known = await appendToLog(
        deps.ssm,
        input.opsItemId,
        DATA_KEYS.pages,
        {
          id,
          at: new Date(now).toISOString(),
          text: `Paged ${page.contact} by ${page.channel} (minute ${page.atMinute} of the plan)`,
          contact: page.contact,
          channel: page.channel,
        },
        known,
      );
      sent++;
    }
    const out: PagerOutput = step.done
      ? { ...input, sent, done: true, waitSeconds: 0, reason: step.reason }
      : { ...input, sent, done: false, waitSeconds: step.waitSeconds };
    logger.info('escalation step', { ...out, status: item.Status, paged: step.due });
    return out;
  };

  async function publish(
    sns: SNSClient,
    settings: PagerSettings,
    page: Page,
    opsItemId: string,
    title: string,
    severity: string,
  ) {
    const key = channelKey(page.contact, page.channel);
    const topic = settings.topics[key];
    if (!topic)
      throw new AwsCallError('Publish', `no SNS topic for ${key} in the pager's settings`);
    const { subject, message } = pageMessage(opsItemId, title, severity, settings.region);
    await publishPage(sns, topic, subject, message);
  }
}

const clients = createPagerClients();
export const handler = makeHandler({
  ssm: clients.ssm,
  sns: clients.sns,
  settings: () => pagerSettingsFromEnv(),
  now: () => Date.now(),
});
