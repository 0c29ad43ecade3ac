/**
 * Throttling is retried by the SDK (standard retry, handlers/aws/clients.ts), not by hand: the real client against a
 * loopback endpoint that answers "ThrottlingException" first, as Incident Manager does under load.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIncidentsClient, readTrigger } from '../../handlers/aws/incidents';
import { INCIDENT_ARN, TRIGGER_ID, triggerData } from '../incident/support';

it('retries a throttled Incident Manager call and reads the trigger', async () => {
  // GIVEN an Incident Manager endpoint that throttles the first request
  const paths: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      paths.push((req.url ?? '').split('?')[0]!);
      res.setHeader('content-type', 'application/json');
      if (paths.length === 1) {
        res.writeHead(400, { 'x-amzn-errortype': 'ThrottlingException' });
        res.end(JSON.stringify({ message: 'Rate exceeded' }));
      } else if (req.url === '/listTimelineEvents') {
        res.end(
          JSON.stringify({
            eventSummaries: [
              {
                eventId: TRIGGER_ID,
                eventTime: 1,
                eventType: 'SSM Incident Trigger',
                eventUpdatedTime: 1,
                incidentRecordArn: INCIDENT_ARN,
              },
            ],
          }),
        );
      } else {
        res.end(
          JSON.stringify({
            event: {
              eventData: triggerData({ 'detail-type': 'GuardDuty Finding', detail: {} }),
              eventId: TRIGGER_ID,
              eventTime: 1,
              eventType: 'SSM Incident Trigger',
              eventUpdatedTime: 1,
              incidentRecordArn: INCIDENT_ARN,
            },
          }),
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.AWS_ENDPOINT_URL_SSM_INCIDENTS = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // WHEN the handlers' own client reads the trigger
    const trigger = await readTrigger(createIncidentsClient(), INCIDENT_ARN);
    // THEN the throttled list was sent again, and the trigger was read
    expect(paths).toEqual(['/listTimelineEvents', '/listTimelineEvents', '/getTimelineEvent']);
    expect(trigger).toMatchObject({
      status: 'event',
      event: { 'detail-type': 'GuardDuty Finding' },
    });
  } finally {
    delete process.env.AWS_ENDPOINT_URL_SSM_INCIDENTS;
    server.close();
  }
});
