/**
 * What the intake receives: each detection rule's target wraps the matched event with the id of
 * the detection that matched it (an input transformer: `{"detection": …, "ruleArn": …, "event":
 * <aws.events.event.json>}`), so one event matched by two rules is two deliveries, one per
 * detection. Checked with zod before anything else runs; every problem names its field.
 * Pure.
 */
import * as z from 'zod';
import { InputError } from '../shared/errors';
import { parseOrThrow, ValidationError } from '../shared/validation';

/** The detections the intake opens incidents for (infra's DETECTION_IDS, checked by a test). */
export const INTAKE_DETECTIONS = [
  'rootActivity',
  'guardDutyFinding',
  'configNoncompliance',
  'securityGroupOpened',
] as const;
export type IntakeDetection = (typeof INTAKE_DETECTIONS)[number];

/**
 * The largest event the intake accepts, in bytes of JSON: CloudWatch Logs keeps at most 256 KB
 * per log event, and the full event must fit in one log line beside its metadata.
 */
export const MAX_EVENT_BYTES = 200 * 1024;

const str = (what: string) => z.string({ error: what }).min(1, { error: what });

/** The EventBridge envelope: the fields every detection needs. */
const envelope = z
  .object({
    id: str('the EventBridge event ID'),
    'detail-type': str('the event type, e.g. "GuardDuty Finding"'),
    source: str('the event source, e.g. "aws.guardduty"'),
    account: z.string({ error: 'a 12-digit account ID' }).regex(/^\d{12}$/, {
      error: 'a 12-digit account ID',
    }),
    time: str('an ISO 8601 time'),
    region: str('a region such as us-east-1'),
    detail: z.record(z.string(), z.unknown(), { error: 'the event detail (an object)' }),
  })
  .loose();

const guardDutyDetail = z
  .object({
    id: str('the finding ID'),
    type: str('the finding type, e.g. "Recon:EC2/PortProbeUnprotectedPort"'),
    severity: z.number({ error: 'a number from 1 to 10' }).min(0).max(10),
  })
  .loose();

const configDetail = z
  .object({
    configRuleName: str('the Config rule name'),
    newEvaluationResult: z.object({ complianceType: str('NON_COMPLIANT, COMPLIANT, …') }).loose(),
  })
  .loose();

const cloudTrailDetail = z
  .object({
    eventName: str('the API call or sign-in, e.g. "AuthorizeSecurityGroupIngress"'),
    userIdentity: z
      .object(
        { type: str('Root, IAMUser, AssumedRole, …') },
        {
          error: 'the caller (userIdentity, an object)',
        },
      )
      .loose(),
  })
  .loose();

const DETAIL_SCHEMAS: Record<IntakeDetection, z.ZodType> = {
  guardDutyFinding: guardDutyDetail,
  configNoncompliance: configDetail,
  rootActivity: cloudTrailDetail,
  securityGroupOpened: cloudTrailDetail.extend({
    eventName: z.enum(['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules'], {
      error: 'AuthorizeSecurityGroupIngress or ModifySecurityGroupRules',
    }),
  }),
};

const requestSchema = z
  .object({
    detection: z.enum(INTAKE_DETECTIONS, { error: `one of ${INTAKE_DETECTIONS.join(', ')}` }),
    ruleArn: z.string().optional(),
    event: envelope,
  })
  .strict();

export type EventEnvelope = z.output<typeof envelope>;

export interface IntakeRequest {
  readonly detection: IntakeDetection;
  readonly ruleArn?: string;
  readonly event: EventEnvelope;
  /** Size of the event as JSON, in bytes. */
  readonly bytes: number;
}

/** A delivery the intake will not act on: it goes to the dead-letter queue with this reason. */
export class BadEventError extends InputError {
  override readonly name = 'BadEventError';
}

/** Parses a delivery or throws a BadEventError naming every problem. */
export function parseIntakeRequest(input: unknown): IntakeRequest {
  const bytes = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  if (bytes > MAX_EVENT_BYTES)
    throw new BadEventError(
      `request: the delivery is ${bytes} bytes; the intake takes at most ${MAX_EVENT_BYTES} (the event must fit whole in one log line)`,
    );
  try {
    const req = parseOrThrow(requestSchema, input, 'request');
    parseOrThrow(DETAIL_SCHEMAS[req.detection], req.event.detail, 'request.event.detail');
    return { ...req, bytes };
  } catch (err) {
    if (err instanceof ValidationError) throw new BadEventError(err.message, { cause: err });
    throw err;
  }
}
