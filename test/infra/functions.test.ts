/**
 * The function catalogue (infra/functions.ts) and the synthesized stack agree: every function in
 * FUNCTIONS is deployed with its handler, limits, environment and permissions, and is the one its
 * runbooks invoke.
 */
import { existsSync } from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import {
  FUNCTION_IDS,
  INTAKE_FUNCTION,
  FUNCTIONS,
  type FunctionId,
  type FunctionInput,
  type FunctionPermission,
} from '../../infra/functions';
import { RUNBOOK_FUNCTIONS, runbookPath } from '../../infra/runbooks';
import { RUNBOOK_IDS } from '../../infra/config';
import {
  configFrom,
  minimalInput,
  resourcesOf,
  synth,
  type Statement,
  type Synthesized,
} from './support';

/** The variables each environment input sets, when the configuration sets it (single-account). */
const VARIABLES: Record<FunctionInput, readonly string[]> = {
  policy: ['FIRST_RESPONDER_POLICY'],
  revertLimits: ['MAX_REVOKES_PER_GROUP', 'MAX_GROUPS_PER_CALL'],
  guardDutyRevertMinSeverity: ['GUARDDUTY_REVERT_MIN_SEVERITY'],
  // Organization mode only (test/infra/organization.test.ts).
  organization: [],
};

/** The statements (by Sid) each permission adds to the function's policy (single-account). */
const STATEMENTS: Record<FunctionPermission, readonly string[]> = {
  describeSecurityGroups: ['DescribeSecurityGroups'],
  describeInstances: [],
  changeIngress: ['ChangeIngress', 'NeverChangeExemptGroups'],
  incidentTimeline: ['IncidentTimeline'],
  reportEvaluations: ['ReportEvaluations'],
  // Organization mode only (test/infra/organization.test.ts).
  actInMembers: [],
};

let built: Synthesized;
let template: Template;

interface FunctionProperties {
  readonly Description: string;
  readonly Timeout: number;
  readonly MemorySize: number;
  readonly Role: { 'Fn::GetAtt': [string, string] };
  readonly Environment: { Variables: Record<string, unknown> };
}

function deployed(id: FunctionId) {
  const stack: Stack = built.main;
  const fn = built.main.responseFunctions.functions[id];
  const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnFunction);
  const found = resourcesOf<FunctionProperties>(template, 'AWS::Lambda::Function').find(
    (r) => r.id === logicalId,
  );
  expect(found).toBeDefined();
  return found!;
}

beforeAll(() => {
  // GIVEN a configuration that sets every environment input a function can read
  built = synth(
    configFrom(
      minimalInput({
        remediation: { maxRevokesPerGroup: 7, maxGroupsPerCall: 3, guardDutyRevertMinSeverity: 8 },
      }),
    ),
  );
  template = Template.fromStack(built.main);
});

describe('FUNCTIONS and the stack', () => {
  it('deploys exactly the functions of the catalogue, and the intake', () => {
    expect(resourcesOf(template, 'AWS::Lambda::Function')).toHaveLength(FUNCTION_IDS.length + 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: INTAKE_FUNCTION.description,
      Timeout: INTAKE_FUNCTION.limits.timeout.toSeconds(),
      MemorySize: INTAKE_FUNCTION.limits.memorySize,
    });
    expect(Object.keys(built.main.responseFunctions.functions).sort()).toEqual(
      [...FUNCTION_IDS].sort(),
    );
  });

  it.each(FUNCTION_IDS)('%s has the description, timeout and memory of its entry', (id) => {
    const spec = FUNCTIONS[id];
    const fn = deployed(id);
    expect(fn.Properties).toMatchObject({
      Description: spec.description,
      Timeout: spec.limits.timeout.toSeconds(),
      MemorySize: spec.limits.memorySize,
    });
    expect(existsSync(`${__dirname}/../../${spec.entry}`)).toBe(true);
  });

  it.each(FUNCTION_IDS)('%s keeps the logical ID it had as part of Remediation', (id) => {
    // Renaming the construct id would replace every function, role and log group on update.
    expect(deployed(id).id).toMatch(new RegExp(`^Remediation${id}Function[0-9A-F]{8}$`));
  });

  it.each(FUNCTION_IDS)('%s gets exactly the environment its entry lists', (id) => {
    const spec = FUNCTIONS[id];
    const expected = [
      'POWERTOOLS_SERVICE_NAME',
      ...spec.environment.flatMap((input) => VARIABLES[input]),
    ];
    const variables = deployed(id).Properties.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual(expected.sort());
    expect(variables.POWERTOOLS_SERVICE_NAME).toBe(`first-responder-${spec.name}`);
  });

  it.each(FUNCTION_IDS)('%s may do exactly what its entry lists', (id) => {
    const spec = FUNCTIONS[id];
    const roleId = deployed(id).Properties.Role['Fn::GetAtt'][0];
    const policies = resourcesOf<{ PolicyDocument: { Statement: Statement[] } }>(
      template,
      'AWS::IAM::ManagedPolicy',
      { Roles: [{ Ref: roleId }] },
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement;
    expect(statements.map((s) => s.Sid).sort()).toEqual(
      ['WriteOwnLogs', ...spec.permissions.flatMap((p) => STATEMENTS[p])].sort(),
    );
    const describe = statements.find((s) => s.Sid === 'DescribeSecurityGroups');
    expect([describe?.Action].flat().includes('ec2:DescribeInstances')).toBe(
      spec.permissions.includes('describeInstances'),
    );
  });

  it.each(RUNBOOK_IDS)('runbook %s exists and invokes the function the catalogue names', (id) => {
    // GIVEN the function whose entry lists this runbook
    const fnId = RUNBOOK_FUNCTIONS[id];
    expect(FUNCTIONS[fnId].invokedBy).toContain(id);
    expect(existsSync(runbookPath(id))).toBe(true);
    // THEN the deployed document's FunctionName defaults to that function
    const stack = built.main;
    const content = stack.resolve(stack.runbooks.documents[id].content) as {
      parameters: { FunctionName: { default: unknown } };
    };
    expect(content.parameters.FunctionName.default).toEqual(
      stack.resolve(stack.responseFunctions.functions[fnId].functionName),
    );
  });

  it('names only runbooks that exist', () => {
    for (const id of FUNCTION_IDS)
      for (const runbook of FUNCTIONS[id].invokedBy)
        expect(existsSync(runbookPath(runbook))).toBe(true);
  });
});
