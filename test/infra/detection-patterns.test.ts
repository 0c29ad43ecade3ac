/**
 * The detection catalogue (DETECTIONS in patterns/) and the synthesized stack agree: every
 * detection has its EventBridge rule and its response plan, with the catalogue's name, rule
 * state, defaults and runbook.
 */
import { existsSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { runbookPath } from '../../infra/runbooks';
import { DETECTIONS } from '../../patterns';
import { configFrom, minimalInput, resourcesOf, synth, type Synthesized } from './support';

let built: Synthesized;
let template: Template;

beforeAll(() => {
  // GIVEN a configuration that leaves every response plan to its defaults
  built = synth(configFrom(minimalInput()));
  template = Template.fromStack(built.main);
});

describe('DETECTIONS and the stack', () => {
  it('deploys one rule and one response plan per detection, and no other', () => {
    expect(resourcesOf(template, 'AWS::Events::Rule')).toHaveLength(DETECTIONS.length);
    expect(resourcesOf(template, 'AWS::SSMIncidents::ResponsePlan')).toHaveLength(
      DETECTIONS.length,
    );
  });

  it.each(DETECTIONS.map((d) => [d.id, d] as const))(
    '%s has its rule, with its name, state and kind of event',
    (_id, d) => {
      const pattern = d.pattern();
      template.hasResourceProperties('AWS::Events::Rule', {
        Name: `first-responder-${d.name}`,
        State: d.ruleState,
        EventPattern: Match.objectLike({
          source: pattern.source,
          'detail-type': pattern['detail-type'],
        }),
      });
    },
  );

  it.each(DETECTIONS.map((d) => [d.id, d] as const))(
    '%s has its response plan, with the catalogue defaults and runbook',
    (id, d) => {
      expect(existsSync(runbookPath(d.runbook))).toBe(true);
      const document = built.main.resolve(built.main.runbooks.documents[d.runbook].ref);
      template.hasResourceProperties('AWS::SSMIncidents::ResponsePlan', {
        Name: `first-responder-${d.name}`,
        DisplayName: d.title,
        IncidentTemplate: Match.objectLike({
          Title: d.title,
          Impact: d.responsePlan.impact,
          Summary: d.responsePlan.summary,
        }),
        Actions: [{ SsmAutomation: Match.objectLike({ DocumentName: document }) }],
      });
      // AND the detection's rule sends its events to the intake, which opens from that plan
      const rule = built.main.detections.get(id)!;
      const targets = JSON.stringify(built.main.resolve(rule.targets));
      expect(targets).toContain(`{\\"detection\\":\\"${id}\\"`);
      const intake = template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { INTAKE_RESPONSE_PLANS: Match.anyValue() } } },
      });
      expect(JSON.stringify(intake)).toContain(`:response-plan/first-responder-${d.name}`);
    },
  );
});
