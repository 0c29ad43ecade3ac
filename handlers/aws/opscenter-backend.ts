/**
 * The intake's incident backend on OpsCenter, for accounts without Incident Manager: one OpsItem
 * per incident (category Security, the dedupe key as OpsCenter's dedup string), then what a
 * response plan would start: the escalation (a Step Functions execution that pages through SNS
 * until someone acknowledges) and the detection's runbook, linked to the OpsItem.
 *
 * Every start is idempotent for the intake's token, so a retried or taken-over open finds the
 * OpsItem OpsCenter kept and starts nothing twice.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { StartAutomationExecutionCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { IncidentBackend, OpenContext, RepeatNote } from '../incident/backend';
import { DATA_KEYS, intakeStatusOf, opsItemRequest, type LogEntry } from '../incident/opsitem';
import type { IncidentDraft } from '../intake/decide';
import type { IncidentStatus } from '../intake/dedupe';
import type { IntakeDetection } from '../intake/request';
import { AwsCallError, errorCode, errorMessage } from '../shared/errors';
import { logger } from '../shared/logger';
import {
  appendToLog,
  createOrFindOpsItem,
  getOpsItem,
  OpsItemNotFoundError,
  putOperationalData,
} from './opsitems';

/** What the escalation state machine receives: the OpsItem and the detection's schedule. */
export interface EscalationInput {
  readonly opsItemId: string;
  readonly detection: IntakeDetection;
  /** Pages of the schedule sent so far. */
  readonly sent: number;
}

/** The runbook a detection starts, with its fixed parameters (role, dry run). */
export interface RunbookStart {
  readonly document: string;
  readonly parameters: Readonly<Record<string, readonly string[]>>;
}

export interface OpsCenterSettings {
  /** The escalation state machine's ARN. */
  readonly escalationArn: string;
  readonly runbooks: Readonly<Record<IntakeDetection, RunbookStart>>;
  /** SNS topics OpsCenter notifies when the OpsItem changes, per detection. */
  readonly notificationTopicArns?: Readonly<Partial<Record<IntakeDetection, string>>>;
}

/** The runbook parameters the OpsItem fills (names shared with the Incident Manager path). */
export const INCIDENT_PARAMETER = 'IncidentRecordArn';
export const INVOLVED_RESOURCES_PARAMETER = 'InvolvedResources';

/** A 64-hex-digit token as the UUID StartAutomationExecution's ClientToken must be. */
export function uuidOf(token: string): string {
  const h = token.replace(/[^0-9a-f]/gi, '').padEnd(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Step Functions execution names: 1-80 of letters, digits, "-" and "_". */
export const executionName = (token: string) =>
  `open-${token.replace(/[^0-9A-Za-z_-]/g, '')}`.slice(0, 80);

export class OpsCenterBackend implements IncidentBackend {
  readonly name = 'opscenter';

  constructor(
    private readonly ssm: SSMClient,
    private readonly sfn: SFNClient,
    private readonly settings: OpsCenterSettings,
  ) {}

  async open(
    draft: IncidentDraft,
    idempotencyToken: string,
    context?: OpenContext,
  ): Promise<string> {
    const dedupeKey = context?.dedupeKey ?? idempotencyToken;
    const id = await createOrFindOpsItem(
      this.ssm,
      opsItemRequest(draft, dedupeKey, this.settings.notificationTopicArns?.[draft.detection]),
      dedupeKey,
    );
    await this.startEscalation(id, draft.detection, idempotencyToken);
    await this.startRunbook(id, draft, idempotencyToken);
    return id;
  }

  private async startEscalation(opsItemId: string, detection: IntakeDetection, token: string) {
    const input: EscalationInput = { opsItemId, detection, sent: 0 };
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.settings.escalationArn,
          name: executionName(token),
          input: JSON.stringify(input),
        }),
      );
    } catch (err) {
      // The same name: this token's escalation runs already (Step Functions keeps names 90 days).
      if (errorCode(err) === 'ExecutionAlreadyExists') return;
      throw new AwsCallError('StartExecution', errorMessage(err), { cause: err });
    }
  }

  private async startRunbook(opsItemId: string, draft: IncidentDraft, token: string) {
    const runbook = this.settings.runbooks[draft.detection];
    let executionId: string | undefined;
    try {
      const out = await this.ssm.send(
        new StartAutomationExecutionCommand({
          DocumentName: runbook.document,
          ClientToken: uuidOf(token),
          Parameters: {
            ...Object.fromEntries(Object.entries(runbook.parameters).map(([k, v]) => [k, [...v]])),
            // The OpsItem ID stands where Incident Manager passes the incident ARN.
            [INCIDENT_PARAMETER]: [opsItemId],
            [INVOLVED_RESOURCES_PARAMETER]: draft.relatedItems.map((r) => r.arn),
          },
          Tags: [{ Key: 'first-responder:ops-item', Value: opsItemId }],
        }),
      );
      executionId = out.AutomationExecutionId;
    } catch (err) {
      // The token was used: this open's runbook started before (a retry after a lost answer).
      if (errorCode(err) !== 'IdempotentParameterMismatch')
        throw new AwsCallError('StartAutomationExecution', errorMessage(err), { cause: err });
      logger.info('the runbook was started for this incident already', { opsItemId });
      return;
    }
    await putOperationalData(this.ssm, opsItemId, {
      [DATA_KEYS.automations]: {
        Value: JSON.stringify([
          { automationType: 'AWS::SSM::Automation', automationId: runbook.document },
        ]),
        Type: 'SearchableString',
      },
      [DATA_KEYS.runbook]: {
        Value: JSON.stringify({
          document: runbook.document,
          executionId,
          startedAt: new Date().toISOString(),
        }),
        Type: 'SearchableString',
      },
    });
  }

  async status(incidentRef: string): Promise<IncidentStatus> {
    try {
      return intakeStatusOf((await getOpsItem(this.ssm, incidentRef)).Status);
    } catch (err) {
      if (err instanceof OpsItemNotFoundError) return 'gone';
      throw err;
    }
  }

  async append(incidentRef: string, note: RepeatNote, idempotencyToken: string): Promise<void> {
    const entry: LogEntry = {
      id: idempotencyToken,
      at: new Date().toISOString(),
      text: `Seen again: ${note.gist}`,
      eventId: note.eventId,
      detection: note.detection,
      ...(note.account ? { account: note.account, region: note.region } : {}),
      ...(note.resources?.length ? { resources: note.resources.slice(0, 10) } : {}),
    };
    await appendToLog(this.ssm, incidentRef, DATA_KEYS.seenAgain, entry);
  }
}
