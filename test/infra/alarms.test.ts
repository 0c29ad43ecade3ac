/** Where the intake's dead-letter alarm notifies: an event that could not become an incident. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build';
import { alarmTopicsOf } from '../../infra/config';
import { configFrom, messagesOf, minimalInput, synth } from './support';

const TOPIC = (n: number) => `arn:aws:sns:us-east-1:111122223333:ops-${n}`;
const NOTIFIES_NOBODY = /dead-letter alarm .* notifies nobody/;

function alarmActions(input: Record<string, unknown>) {
  const built = synth(configFrom(minimalInput(input)));
  const main = Template.fromStack(built.main);
  const alarms = main.findResources('AWS::CloudWatch::Alarm', {
    Properties: { MetricName: 'ApproximateNumberOfMessagesVisible' },
  });
  return {
    actions: Object.values(alarms).map(
      (a) => (a as { Properties: { AlarmActions?: string[] } }).Properties.AlarmActions,
    ),
    warnings: messagesOf(built.assembly, 'FirstResponder', 'warning'),
    main,
  };
}

describe('alarm topics', () => {
  it.each([
    ['Compliance 1: alarms.topicArns wins', { alarms: { topicArns: [TOPIC(1)] } }, [TOPIC(1)]],
    [
      "Compliance 2: the response plans' notification topics, each once",
      {
        responsePlans: {
          rootActivity: { notificationTopicArn: TOPIC(2) },
          guardDutyFinding: { notificationTopicArn: TOPIC(2) },
          configNoncompliance: { notificationTopicArn: TOPIC(3) },
        },
      },
      [TOPIC(2), TOPIC(3)],
    ],
    ['Compliance 3: none, so the alarm notifies nobody', {}, []],
  ])('%s', (_name, input, expected) => {
    // GIVEN a configuration / WHEN the alarm topics are resolved / THEN
    expect(alarmTopicsOf(configFrom(minimalInput(input)))).toEqual(expected);
  });

  it("Compliance 4: leaves out a response plan's topic in another region than the alarm", () => {
    // GIVEN plan topics in us-east-1 and eu-west-1 WHEN resolved for us-east-1 THEN only the first
    const config = configFrom(
      minimalInput({
        responsePlans: {
          rootActivity: { notificationTopicArn: TOPIC(2) },
          guardDutyFinding: { notificationTopicArn: 'arn:aws:sns:eu-west-1:111122223333:ops-9' },
        },
      }),
    );
    expect(alarmTopicsOf(config, 'us-east-1')).toEqual([TOPIC(2)]);
  });

  it('Noncompliance: refuses an alarm topic outside app.region (PutMetricAlarm: "Invalid region")', () => {
    expect(() =>
      configFrom(
        minimalInput({ alarms: { topicArns: [TOPIC(1), 'arn:aws:sns:eu-west-1:111122223333:x'] } }),
      ),
    ).toThrow(
      /alarms\.topicArns\[1\]: got "arn:aws:sns:eu-west-1:111122223333:x", a topic in eu-west-1; a CloudWatch alarm in us-east-1 notifies only topics of its own region/,
    );
  });

  it("Noncompliance: refuses an alarm topic outside the CLI's region when app.region is unset", () => {
    const config = configFrom({ alarms: { topicArns: [TOPIC(1)] } });
    expect(() =>
      buildApp(config, { bundle: false, nag: false, env: { CDK_DEFAULT_REGION: 'eu-west-1' } }),
    ).toThrow(
      /config\.alarms\.topicArns\[0\]: got .*, a topic in us-east-1; a CloudWatch alarm in eu-west-1/,
    );
  });

  it.each([
    ['six topics', { alarms: { topicArns: [1, 2, 3, 4, 5, 6].map(TOPIC) } }, /at most 5 actions/],
    ['a FIFO topic', { alarms: { topicArns: [`${TOPIC(1)}.fifo`] } }, /FIFO topic/],
    ['an empty list', { alarms: { topicArns: [] } }, /list 1 to 5 topics/],
    ['an unknown field', { alarms: { topicArn: TOPIC(1) } }, /alarms/],
  ])('Noncompliance: refuses %s', (_name, input, message) => {
    expect(() => configFrom(minimalInput(input))).toThrow(message);
  });
});

describe('the dead-letter alarm', () => {
  it('Compliance 1: notifies the configured topics, and synth does not warn', () => {
    const { actions, warnings } = alarmActions({ alarms: { topicArns: [TOPIC(1), TOPIC(2)] } });
    expect(actions).toEqual([[TOPIC(1), TOPIC(2)]]);
    expect(warnings).not.toContainEqual(expect.stringMatching(NOTIFIES_NOBODY));
  });

  it("Compliance 2: notifies a response plan's notification topic when no alarm topic is set", () => {
    const { main } = alarmActions({
      responsePlans: { rootActivity: { notificationTopicArn: TOPIC(4) } },
    });
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [TOPIC(4)],
    });
  });

  it('Noncompliance 1: with no topic at all, the alarm has no action and synth warns', () => {
    const { actions, warnings, main } = alarmActions({});
    expect(actions).toEqual([undefined]);
    main.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: Match.absent(),
    });
    expect(warnings).toContainEqual(expect.stringMatching(NOTIFIES_NOBODY));
  });
});
