/**
 * What the runbooks send the functions. Runbooks pass parameters as they are typed there: lists
 * may arrive as JSON text and booleans as text, so both forms are accepted.
 */
import * as z from 'zod';
import { InputError } from './errors';
import { parseOrThrow, ValidationError } from './validation';

export const INCIDENT_ARN = /^arn:aws[a-z-]*:ssm-incidents::\d{12}:incident-record\/[^/]+\/[^/]+$/;
/** OpsItem IDs as the SSM API reference documents OpsItemId: ^(oi)-[0-9a-f]{12}$. */
export const OPS_ITEM_ID = /^(oi)-[0-9a-f]{12}$/;

const fromJsonText = (v: unknown): unknown =>
  typeof v === 'string' && v.trim().startsWith('[') ? (JSON.parse(v) as unknown) : v;

export const stringList = <T extends z.ZodType<string>>(item: T, what: string) =>
  z.preprocess(fromJsonText, z.array(item, { error: what }));

export const booleanText = z
  .union([z.boolean(), z.enum(['true', 'false'])], { error: 'true or false' })
  .transform((v) => v === true || v === 'true');

export const incidentArn = z.string({ error: 'an incident record ARN' }).regex(INCIDENT_ARN, {
  error: 'an incident record ARN: arn:aws:ssm-incidents::ACCOUNT:incident-record/PLAN/ID',
});

/** Where the runbook's incident lives: an Incident Manager record, or an OpsItem (opscenter). */
export const incidentOrOpsItem = z
  .string({ error: 'an incident record ARN or an OpsItem ID' })
  .refine((v) => INCIDENT_ARN.test(v) || OPS_ITEM_ID.test(v), {
    error:
      'an incident record ARN (arn:aws:ssm-incidents::ACCOUNT:incident-record/PLAN/ID) or an OpsItem ID (oi- and 12 hex digits)',
  });

/** The request every incident runbook sends. */
export const incidentRequestSchema = z
  .object({
    incidentRecordArn: incidentOrOpsItem,
    involvedResources: stringList(z.string(), 'a list of resource ARNs').default([]),
  })
  .strict();

/** Parses a request, turning every problem into one InputError before any AWS call. */
export function parseRequestOrThrow<T extends z.ZodType>(schema: T, event: unknown): z.output<T> {
  try {
    return parseOrThrow(schema, event, 'request');
  } catch (err) {
    if (err instanceof ValidationError) throw new InputError(err.line, { cause: err });
    if (err instanceof SyntaxError)
      throw new InputError(`request: a list parameter is not valid JSON (${err.message})`, {
        cause: err,
      });
    throw err;
  }
}
