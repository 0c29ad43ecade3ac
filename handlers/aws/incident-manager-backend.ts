/**
 * The intake's incident backend on Incident Manager: StartIncident from the detection's response
 * plan (so its engagements and runbook run), GetIncidentRecord for the status, and a timeline
 * event for each repeat.
 */
import {
  GetIncidentRecordCommand,
  StartIncidentCommand,
  type SSMIncidentsClient,
} from '@aws-sdk/client-ssm-incidents';
import type { IncidentBackend, RepeatNote } from '../incident/backend';
import { noteRecord } from '../incident/timeline';
import type { IncidentDraft } from '../intake/decide';
import type { IncidentStatus } from '../intake/dedupe';
import type { IntakeDetection } from '../intake/request';
import { AwsCallError, errorCode, errorMessage } from '../shared/errors';
import { addTimelineEvent } from './incidents';

/** The timeline event's references: CreateTimelineEvent takes at most 10. */
const MAX_REFERENCES = 10;

export class IncidentManagerBackend implements IncidentBackend {
  readonly name = 'incident-manager';

  constructor(
    private readonly client: SSMIncidentsClient,
    /** The response plan each detection opens its incidents from. */
    private readonly responsePlanArns: Readonly<Record<IntakeDetection, string>>,
  ) {}

  async open(draft: IncidentDraft, idempotencyToken: string): Promise<string> {
    try {
      const out = await this.client.send(
        new StartIncidentCommand({
          responsePlanArn: this.responsePlanArns[draft.detection],
          title: draft.title,
          impact: draft.impact,
          clientToken: idempotencyToken,
          triggerDetails: {
            source: draft.trigger.source,
            timestamp: new Date(draft.trigger.timestamp),
            rawData: draft.trigger.rawData,
            ...(draft.trigger.triggerArn ? { triggerArn: draft.trigger.triggerArn } : {}),
          },
          // Involved resources reach the runbook as INVOLVED_RESOURCES: it never has to parse
          // the trigger to know which groups an incident is about.
          relatedItems: draft.relatedItems.map((r) => ({
            identifier: { type: 'INVOLVED_RESOURCE', value: { arn: r.arn } },
            title: r.title,
          })),
        }),
      );
      if (!out.incidentRecordArn)
        throw new Error('StartIncident answered without an incidentRecordArn');
      return out.incidentRecordArn;
    } catch (err) {
      throw new AwsCallError('StartIncident', errorMessage(err), { cause: err });
    }
  }

  async status(incidentRef: string): Promise<IncidentStatus> {
    try {
      const out = await this.client.send(new GetIncidentRecordCommand({ arn: incidentRef }));
      return out.incidentRecord?.status === 'RESOLVED' ? 'resolved' : 'open';
    } catch (err) {
      if (errorCode(err) === 'ResourceNotFoundException') return 'gone';
      throw new AwsCallError('GetIncidentRecord', errorMessage(err), { cause: err });
    }
  }

  async append(incidentRef: string, note: RepeatNote, idempotencyToken: string): Promise<void> {
    await addTimelineEvent(this.client, incidentRef, {
      eventData: noteRecord(`Seen again: ${note.gist}`, {
        dedupeKey: note.dedupeKey,
        eventId: note.eventId,
        detection: note.detection,
        ...(note.account ? { account: note.account, region: note.region } : {}),
      }),
      ...(note.resources?.length ? { references: note.resources.slice(0, MAX_REFERENCES) } : {}),
      clientToken: idempotencyToken,
    });
  }
}
