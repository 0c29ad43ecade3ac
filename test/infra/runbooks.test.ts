import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RUNBOOK_IDS } from '../../infra/config';
import { DYNAMIC_PARAMETERS } from '../../infra/constructs/response-plans';
import {
  ANSWER_SCRIPT_PATH,
  FUNCTION_PARAMETER,
  INVOKE_SCRIPT_PATH,
  ORGANIZATION_RUNBOOK_DIR,
  ORGANIZATION_RUNBOOKS,
  RUNBOOK_DIR,
  invokeStepOf,
  RUNBOOK_FUNCTIONS,
  loadRunbook,
  renderRunbook,
  type RunbookDocument,
} from '../../infra/runbooks';

/** Every action SSM Automation documents (schema 0.3) may use. */
const AUTOMATION_ACTIONS = new Set([
  'aws:approve',
  'aws:assertAwsResourceProperty',
  'aws:branch',
  'aws:changeInstanceState',
  'aws:copyImage',
  'aws:createImage',
  'aws:createStack',
  'aws:createTags',
  'aws:deleteImage',
  'aws:deleteStack',
  'aws:executeAutomation',
  'aws:executeAwsApi',
  'aws:executeScript',
  'aws:executeStateMachine',
  'aws:invokeLambdaFunction',
  'aws:invokeWebhook',
  'aws:loop',
  'aws:pause',
  'aws:runCommand',
  'aws:runInstances',
  'aws:sleep',
  'aws:updateVariable',
  'aws:waitForAwsResourceProperty',
]);

const PARAMETER_TYPES = new Set([
  'String',
  'StringList',
  'Integer',
  'Boolean',
  'MapList',
  'StringMap',
  'AWS::EC2::Instance::Id',
  'List<AWS::EC2::Instance::Id>',
  'AWS::IAM::Role::Arn',
  'AWS::S3::Bucket::Name',
]);

/** Every {{ reference }} in the document's strings. */
function references(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string')
    for (const m of value.matchAll(/\{\{\s*([\w.:]+)\s*\}\}/g)) out.add(m[1]!);
  else if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (value && typeof value === 'object')
    Object.values(value).forEach((v) => references(v, out));
  return out;
}

describe.each([
  ...RUNBOOK_IDS.map((id) => [id, 'single-account'] as const),
  ...ORGANIZATION_RUNBOOKS.map((id) => [id, 'organization'] as const),
])('runbook %s (%s form)', (id, form) => {
  let doc: RunbookDocument;
  beforeAll(() => {
    doc = loadRunbook(id, form === 'organization');
  });

  it('parses as an Automation document of schema 0.3', () => {
    expect(doc.schemaVersion).toBe('0.3');
    expect(doc.mainSteps.length).toBeGreaterThan(0);
    expect(doc.assumeRole).toBe('{{ AutomationAssumeRole }}');
  });

  it('declares every parameter it uses, with a known type', () => {
    const stepNames = new Set(doc.mainSteps.map((s) => s.name));
    for (const ref of references({ ...doc, parameters: undefined })) {
      const [head] = ref.split('.');
      // Built-in variables (automation:EXECUTION_ID, global:REGION) and step outputs need no declaration.
      if (ref.includes(':') || stepNames.has(head!)) continue;
      expect(doc.parameters).toHaveProperty([ref]);
    }
    for (const p of Object.values(doc.parameters)) expect(PARAMETER_TYPES).toContain(p.type);
  });

  it('takes the incident parameters with the types Incident Manager requires', () => {
    for (const p of DYNAMIC_PARAMETERS) expect(doc.parameters[p.key]?.type).toBe(p.type);
    expect(doc.parameters.AutomationAssumeRole?.type).toBe('String');
  });

  it('names real Automation actions in every step, with unique step names', () => {
    for (const step of doc.mainSteps) expect(AUTOMATION_ACTIONS).toContain(step.action);
    expect(new Set(doc.mainSteps.map((s) => s.name)).size).toBe(doc.mainSteps.length);
  });
});

describe.each(RUNBOOK_IDS)('runbook %s, as deployed', (id) => {
  it('invokes its function with the incident from runbooks/invoke.py, put in at synth', () => {
    // GIVEN
    const rendered = renderRunbook(id, 'the-deployed-function', 120);

    // THEN
    expect(rendered.parameters[FUNCTION_PARAMETER]?.default).toBe('the-deployed-function');
    const invoke = invokeStepOf(rendered);
    expect(invoke.inputs).toMatchObject({
      Runtime: 'python3.11',
      Handler: 'invoke',
      Script: readFileSync(INVOKE_SCRIPT_PATH, 'utf8'),
      InputPayload: {
        FunctionName: `{{ ${FUNCTION_PARAMETER} }}`,
        ReadTimeoutSeconds: 135,
        Payload: {
          incidentRecordArn: '{{ IncidentRecordArn }}',
          involvedResources: '{{ InvolvedResources }}',
        },
      },
    });
    expect(invoke.timeoutSeconds).toBe(165);
    // The step's output is the function's answer.
    expect(rendered.outputs).toEqual([`${invoke.name}.Payload`]);
    // Nobody relies on aws:invokeLambdaFunction, whose step succeeds on a function error.
    for (const step of rendered.mainSteps) expect(step.action).not.toBe('aws:invokeLambdaFunction');
    // The file on disk is left as it is.
    expect(loadRunbook(id).parameters[FUNCTION_PARAMETER]?.default).not.toBe(
      'the-deployed-function',
    );
  });
});

describe('runbooks/', () => {
  it('holds exactly the runbooks the app knows, each mapped to a function', () => {
    const files = readdirSync(RUNBOOK_DIR).filter((f) => f.endsWith('.yaml'));
    // ...and the one script their invoke steps share, which Automation must not mistake for a
    // template: it would substitute a {{ }} inside the script.
    expect(readdirSync(RUNBOOK_DIR).filter((f) => !f.endsWith('.yaml'))).toEqual([
      'invoke.py',
      'organization',
    ]);
    expect(readFileSync(INVOKE_SCRIPT_PATH, 'utf8')).not.toMatch(/\{\{/);
    // Organization mode's forms, and the handlers appended to the script in them.
    expect(readdirSync(ORGANIZATION_RUNBOOK_DIR).sort()).toEqual(
      ['answer.py', ...ORGANIZATION_RUNBOOKS.map((r) => `${r}.yaml`)].sort(),
    );
    expect(readFileSync(ANSWER_SCRIPT_PATH, 'utf8')).not.toMatch(/\{\{/);
    expect(files.map((f) => f.replace(/\.yaml$/, '')).sort()).toEqual([...RUNBOOK_IDS].sort());
    expect(Object.keys(RUNBOOK_FUNCTIONS).sort()).toEqual([...RUNBOOK_IDS].sort());
  });

  it('passes the revert runbook the explicit group override and the dry-run switch', () => {
    const doc = parseYaml(
      readFileSync(join(RUNBOOK_DIR, 'revert-security-groups.yaml'), 'utf8'),
    ) as RunbookDocument;
    expect(doc.parameters.SecurityGroupIds).toMatchObject({ type: 'StringList', default: [] });
    expect(doc.parameters.DryRun).toMatchObject({ type: 'Boolean', default: false });
    expect(invokeStepOf(doc).inputs?.InputPayload).toMatchObject({
      Payload: { groupIds: '{{ SecurityGroupIds }}', dryRun: '{{ DryRun }}' },
    });
  });
});
