/**
 * examples/config-unusual.yaml: values that AWS accepts but that sit at the edges (Unicode names,
 * 5 chat topics, a key in every replication region, as many excluded roles as fit, tags some
 * types refuse, a second deployment's prefix). It must load, synthesize and pass cfn-lint with
 * the informational checks too.
 */
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../infra/config';
import { EXAMPLES_DIR, lint, messagesOf, resourcesOf, synth, type Synthesized } from './support';

let built: Synthesized;
let t: Template;
beforeAll(() => {
  built = synth(loadConfig(join(EXAMPLES_DIR, 'config-unusual.yaml')));
  t = Template.fromStack(built.main);
});

it('passes cfn-lint with every check, informational ones included, in both stacks', () => {
  const report = lint(built.assembly, { includeChecks: ['I'] });
  expect(report.templates).toHaveLength(2);
  expect(report.findings).toEqual([]);
});

it('creates the channels with their Unicode names', () => {
  t.hasResourceProperties('AWS::SSMContacts::Contact', {
    Alias: 'zoe_celik',
    DisplayName: 'Zoe Celik',
  });
  for (const name of ['Büro-E-Mail', 'Téléphone mobile', 'けいたい'])
    t.hasResourceProperties('AWS::SSMContacts::ContactChannel', { ChannelName: name });
});

it('gives the GuardDuty plan 5 chat channel topics', () => {
  const [plan] = resourcesOf<{ ChatChannel: { ChatbotSns: string[] } }>(
    t,
    'AWS::SSMIncidents::ResponsePlan',
    { Name: 'fr-second-guardduty-finding' },
  );
  expect(plan!.Properties.ChatChannel.ChatbotSns).toHaveLength(5);
});

it('encrypts each of the 3 replication regions with its own key', () => {
  const [set] = resourcesOf<{
    Regions: { RegionName: string; RegionConfiguration: { SseKmsKeyId: string } }[];
  }>(t, 'AWS::SSMIncidents::ReplicationSet');
  const regions = set!.Properties.Regions;
  expect(regions.map((r) => r.RegionName)).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
  for (const r of regions)
    expect(r.RegionConfiguration.SseKmsKeyId.split(':')[3]).toBe(r.RegionName);
});

it('excludes all 14 pipeline roles, and names every account-wide resource with the prefix', () => {
  const pattern = JSON.stringify(built.main.patterns.get('securityGroupOpened'));
  expect(pattern.match(/role\/delivery\/pipeline-/g)).toHaveLength(14);
  for (const r of resourcesOf<{ Name?: string; ConfigRuleName?: string }>(
    t,
    'AWS::SSMIncidents::ResponsePlan',
  ))
    expect(r.Properties.Name).toMatch(/^fr-second-/);
  t.hasResourceProperties('AWS::Config::ConfigRule', {
    ConfigRuleName: 'fr-second-security-group-policy',
  });
  for (const r of resourcesOf<{ Name: string }>(t, 'AWS::Events::Rule'))
    expect(r.Properties.Name).toMatch(/^fr-second-/);
});

it('leaves a tag off only the types that refuse it, and says so', () => {
  const tagged = (type: string, key: string) =>
    resourcesOf<{ Tags?: { Key: string }[] }>(t, type).every((r) =>
      r.Properties.Tags?.some((x) => x.Key === key),
    );
  expect(tagged('AWS::SSMContacts::Contact', 'owner:email')).toBe(false);
  expect(tagged('AWS::SSMContacts::Contact', 'team')).toBe(true);
  expect(tagged('AWS::SSMIncidents::ResponsePlan', 'team')).toBe(false);
  expect(tagged('AWS::SSMIncidents::ResponsePlan', 'owner:email')).toBe(true);
  expect(tagged('AWS::Lambda::Function', 'team')).toBe(true);
  expect(messagesOf(built.assembly, 'FrSecond', 'warning')).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^app\.tags "owner:email": .* not applied to AWS::SSMContacts::Contact, AWS::SSMContacts::Rotation: /,
      ),
      expect.stringMatching(
        /^app\.tags "team": .* not applied to AWS::SSMIncidents::ResponsePlan, AWS::SSMIncidents::ReplicationSet: /,
      ),
    ]),
  );
});
