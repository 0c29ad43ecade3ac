/**
 * Lambda: the intake, the one doorway from the detection rules to incidents.
 * Parse (zod; a bad delivery goes to the dead-letter queue with the reason, no retry) -> decide
 * (the intake's pure decision; for a security-group change, on the group's verdict from the
 * reverter's own read and planner) -> act (the dedupe table, then the incident backend).
 *
 * Anything a retry may cure (AWS throttling, a timeout, the deadline) is thrown: Lambda retries
 * the asynchronous invocation, then its on-failure destination (the same queue) gets the event
 * with the error.
 *
 * Organization mode (FIRST_RESPONDER_ORGANIZATION set): the group is read in the event's account
 * and region through the member role; a failed AssumeRole leaves the group "unknown", so the
 * incident opens "not verified" rather than being dropped.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { CONNECTION_TIMEOUT_MS, createIntakeClients, REQUEST_TIMEOUT_MS } from './aws/clients';
import { sendDeadLetter } from './aws/dead-letters';
import { DedupeTable } from './aws/dedupe-table';
import { IncidentManagerBackend } from './aws/incident-manager-backend';
import type { MemberTarget } from './aws/member-session';
import { OpsCenterBackend } from './aws/opscenter-backend';
import {
  backendFromEnv,
  ENV,
  intakeSettingsFromEnv,
  limitsFromEnv,
  organizationFromEnv,
  policyFromEnv,
  type IntakeSettings,
  type OrganizationSettings,
} from './env';
import { InputError } from './shared/errors';
import type { IncidentBackend } from './incident/backend';
import type { Place } from './incident/place';
import {
  changedGroupId,
  decideIntake,
  placeOf,
  securityGroupKey,
  type GroupVerdict,
} from './intake/decide';
import { BadEventError, parseIntakeRequest, type EventEnvelope } from './intake/request';
import type { SecurityGroupPolicy } from './policy/policy';
import type { RemediationLimits } from './policy/results';
import { readGroupVerdict } from './respond/group-verdict';
import { responderFromSettings } from './respond/organization';
import { invocationContext } from './respond/incident-response';
import { applyDecision, type IntakeOutcome } from './respond/intake-flow';
import { logger } from './shared/logger';

/** Below this, no new step starts: one call's connection and request timeouts need the rest. */
export const DEADLINE_MARGIN_MS = CONNECTION_TIMEOUT_MS + REQUEST_TIMEOUT_MS;
/** The source identity when the function has no service name ("<prefix>-intake" when deployed). */
export const DEFAULT_SOURCE_IDENTITY = 'first-responder-intake';

export interface IntakeDeps {
  /** EC2 in the intake's own account and region (a single-account deployment). */
  readonly ec2: EC2Client;
  /**
   * Organization mode's settings, or undefined in a single-account deployment.
   * @default () => undefined
   */
  readonly organization?: () => OrganizationSettings | undefined;
  /**
   * Organization mode: EC2 in a member account and region, through the member role.
   * @default none; required when `organization` gives settings
   */
  readonly memberEc2?: (settings: OrganizationSettings, target: MemberTarget) => EC2Client;
  /**
   * The source identity CloudTrail records in the member account.
   * @default "first-responder-intake"
   */
  readonly sourceIdentity?: () => string;
  readonly table: () => DedupeTable;
  readonly backend: () => IncidentBackend;
  readonly sqs: SQSClient;
  readonly settings: () => IntakeSettings;
  readonly policy: () => SecurityGroupPolicy;
  readonly limits: () => RemediationLimits;
  readonly now: () => number;
}

export type IntakeResponse =
  IntakeOutcome | { readonly decision: 'rejected'; readonly reason: string };

/** Thrown before a step the invocation no longer has the time for; Lambda retries. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

type IntakeContext = Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>;

export function makeHandler(deps: IntakeDeps) {
  return async (input: unknown, context?: IntakeContext): Promise<IntakeResponse> => {
    const settings = deps.settings();
    const requestId = context?.awsRequestId;
    let req;
    try {
      req = parseIntakeRequest(input);
    } catch (err) {
      if (!(err instanceof BadEventError)) throw err;
      logger.error('bad delivery: sent to the dead-letter queue', { reason: err.message });
      await sendDeadLetter(deps.sqs, settings.deadLetterQueueUrl, {
        reason: err.message,
        error: err.name,
        ...(requestId ? { requestId } : {}),
        receivedAt: new Date(deps.now()).toISOString(),
        delivery: input,
      });
      return { decision: 'rejected', reason: err.message };
    }
    const { detection, event } = req;
    const checkDeadline = (step: string) => {
      const left = context?.getRemainingTimeInMillis();
      if (left !== undefined && left < DEADLINE_MARGIN_MS)
        throw new DeadlineError(
          `${left} ms left before ${step}; stopping so that the retry starts clean`,
        );
    };
    const { pointer } = invocationContext(requestId);
    // The full event, once: the incident's trigger names this line when it carries less.
    logger.info('intake event', { detection, eventId: event.id, bytes: req.bytes, event });

    const organization = deps.organization?.();
    let group: GroupVerdict | undefined;
    if (detection === 'securityGroupOpened') {
      const groupId = changedGroupId(event.detail);
      if (groupId) {
        checkDeadline('reading the group');
        const { ec2, place } = whereTheGroupIs(deps, organization, event, groupId);
        // A failed AssumeRole fails the read, and an unread group is judged "unknown".
        const read = await readGroupVerdict(ec2, groupId, {
          policy: deps.policy(),
          limits: deps.limits(),
        });
        group = read.verdict;
        logger.info('group verdict', {
          groupId,
          ...(place ? { account: place.account, region: place.region } : {}),
          verdict: group,
          ec2Calls: read.calls,
        });
      }
    }
    const decision = decideIntake({
      detection,
      event,
      ...(req.ruleArn ? { ruleArn: req.ruleArn } : {}),
      planImpact: settings.plans[detection].impact,
      ...(group ? { group } : {}),
      log: { ...pointer, requestId },
      ...(organization ? { organization: true } : {}),
    });
    const outcome = await applyDecision(
      { table: deps.table(), backend: deps.backend(), now: deps.now, checkDeadline },
      decision,
      event.id,
    );
    logger.info('intake decision', {
      detection,
      eventId: event.id,
      dedupeKey: decision.dedupeKey,
      reason: decision.reason,
      ...(decision.kind === 'incident' ? { title: decision.incident.title } : {}),
      outcome,
    });
    return outcome;
  };
}

/**
 * EC2 where the group is: the intake's own account and region, or in organization mode the
 * event's member account and region through the member role, in a session named for the
 * problem (its dedupe key) with this function as the source identity.
 */
function whereTheGroupIs(
  deps: IntakeDeps,
  organization: OrganizationSettings | undefined,
  event: EventEnvelope,
  groupId: string,
): { ec2: EC2Client; place?: Place } {
  if (!organization) return { ec2: deps.ec2 };
  if (!deps.memberEc2)
    throw new InputError('organization mode needs member sessions (IntakeDeps.memberEc2)');
  const place = placeOf('securityGroupOpened', event);
  const ec2 = deps.memberEc2(organization, {
    ...place,
    sessionName: securityGroupKey(place, groupId),
    sourceIdentity: deps.sourceIdentity?.() ?? DEFAULT_SOURCE_IDENTITY,
  });
  return { ec2, place };
}

// Module scope: one client each per container, reused across invocations.
const clients = createIntakeClients();

/** The backend the stack chose (INTAKE_BACKEND): Incident Manager unless told OpsCenter. */
export function backendFor(env: NodeJS.ProcessEnv = process.env): IncidentBackend {
  const choice = backendFromEnv(env);
  if (choice.backend === 'opscenter')
    return new OpsCenterBackend(clients.ssm, clients.sfn, choice.settings);
  const plans = intakeSettingsFromEnv(env).plans;
  const arns = Object.fromEntries(Object.entries(plans).map(([d, p]) => [d, p.arn]));
  const missing = Object.entries(arns).filter(([, arn]) => !arn);
  if (missing.length)
    throw new InputError(
      `the Incident Manager backend needs a response plan ARN for ${missing.map(([d]) => d).join(', ')}`,
    );
  return new IncidentManagerBackend(
    clients.incidents,
    arns as Record<keyof IntakeSettings['plans'], string>,
  );
}

// The response functions' own builder of member sessions: one per container, cached across
// invocations; the intake only asks it for EC2 clients.
const responder = responderFromSettings(
  () => organizationFromEnv(),
  process.env[ENV.serviceName] || DEFAULT_SOURCE_IDENTITY,
);

function memberEc2(_settings: OrganizationSettings, target: MemberTarget): EC2Client {
  const members = responder();
  if (!members) throw new InputError(`${ENV.organization} is not set: no member sessions`);
  return members.ec2(target);
}

export const handler = makeHandler({
  ec2: clients.ec2,
  organization: () => organizationFromEnv(),
  memberEc2,
  // "<prefix>-intake", as the stack names the function's service.
  sourceIdentity: () => process.env[ENV.serviceName] || DEFAULT_SOURCE_IDENTITY,
  sqs: clients.sqs,
  table: () => new DedupeTable(clients.dynamo, intakeSettingsFromEnv().tableName),
  backend: () => backendFor(),
  settings: () => intakeSettingsFromEnv(),
  policy: () => policyFromEnv(),
  limits: () => limitsFromEnv(),
  now: () => Date.now(),
});
