/**
 * The `organization:` section: a valid one parses with its defaults; each mistake is refused in
 * one line naming the field, the value and what is valid.
 */
import { ValidationError } from '../../handlers/shared/validation';
import { organizationSettingsOf } from '../../infra/config-organization';
import { configFrom } from './support';

const ORG = {
  organizationId: 'o-a1b2c3d4e5',
  rootId: 'r-ab12',
  homeRegion: 'eu-west-1',
  regions: ['eu-west-1', 'us-east-1'],
  targets: [
    { organizationalUnits: ['ou-ab12-11111111'], mode: 'enforce' },
    { accounts: ['222222222222'], mode: 'observe' },
  ],
};
const withOrg = (org: Record<string, unknown>) => ({
  app: { region: 'eu-west-1' },
  organization: { ...ORG, ...org },
});

function problemsOf(input: unknown): readonly string[] {
  try {
    configFrom(input);
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe('organization configuration', () => {
  it('Compliance 1: a valid section parses, with its defaults', () => {
    const config = configFrom(withOrg({}));
    expect(config.organization).toMatchObject({
      excludeAccounts: [],
      stackSets: { autoDeployment: true, retainStacksOnAccountRemoval: false },
    });
    expect(organizationSettingsOf(config.organization!, config.app.prefix)).toEqual({
      organizationId: 'o-a1b2c3d4e5',
      memberRoleName: 'first-responder-member',
      homeRegion: 'eu-west-1',
      targets: [
        { organizationalUnits: ['ou-ab12-11111111'], mode: 'enforce' },
        { accounts: ['222222222222'], mode: 'observe' },
      ],
      excludeAccounts: [],
    });
  });

  it('Compliance 2: a single-account configuration has no organization', () => {
    expect(configFrom({ app: { region: 'eu-west-1' } }).organization).toBeUndefined();
  });

  const APPROVAL = {
    approverArns: ['arn:aws:iam::123456789012:role/SecurityLead'],
    notificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:AutomationApprovals',
  };

  it.each([
    [
      'a bad organization ID',
      { organizationId: 'org-1' },
      /^config\.organization\.organizationId: got "org-1"; the organization ID/,
    ],
    [
      'a home region other than the app region',
      { homeRegion: 'us-east-1' },
      /^config\.organization\.homeRegion: got "us-east-1", but app\.region is "eu-west-1"/,
    ],
    [
      'regions without the home region',
      { regions: ['us-east-1'] },
      /^config\.organization\.regions: got \["us-east-1"\], without the home region eu-west-1/,
    ],
    [
      'a region twice',
      { regions: ['eu-west-1', 'eu-west-1'] },
      /^config\.organization\.regions\[1\]: got "eu-west-1" twice/,
    ],
    [
      'an OU ID with a typo',
      { targets: [{ organizationalUnits: ['ou-1'], mode: 'enforce' }] },
      /^config\.organization\.targets\[0\]\.organizationalUnits\[0\]: got "ou-1"; an OU ID/,
    ],
    [
      'an unknown mode',
      { targets: [{ organizationalUnits: ['ou-ab12-11111111'], mode: 'auto' }] },
      /^config\.organization\.targets\[0\]\.mode: got "auto"; valid: enforce, approve, observe/,
    ],
    [
      'a target with both OUs and accounts',
      {
        targets: [
          {
            organizationalUnits: ['ou-ab12-11111111'],
            accounts: ['222222222222'],
            mode: 'enforce',
          },
        ],
      },
      /^config\.organization\.targets\[0\]: .*either organizationalUnits or accounts/,
    ],
    [
      'account targets without rootId',
      { rootId: undefined },
      /^config\.organization\.targets\[1\]\.accounts: .*organization\.rootId/,
    ],
    [
      'an OU in two targets',
      {
        targets: [
          { organizationalUnits: ['ou-ab12-11111111'], mode: 'enforce' },
          { organizationalUnits: ['ou-ab12-11111111'], mode: 'observe' },
        ],
      },
      /^config\.organization\.targets\[1\]\.organizationalUnits\[0\]: got "ou-ab12-11111111", already in organization\.targets\[0\]/,
    ],
    [
      'an account both targeted and excluded',
      { excludeAccounts: ['222222222222'] },
      /^config\.organization\.targets\[1\]\.accounts\[0\]: got "222222222222", also in organization\.excludeAccounts/,
    ],
    [
      'approve mode without approvers',
      { targets: [{ organizationalUnits: ['ou-ab12-11111111'], mode: 'approve' }] },
      /^config\.organization\.targets\[0\]\.mode: got "approve" without organization\.approval/,
    ],
    [
      'an approval topic aws:approve cannot publish to',
      {
        approval: {
          ...APPROVAL,
          notificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals',
        },
      },
      /^config\.organization\.approval\.notificationTopicArn: got ".*:approvals"; a standard SNS topic whose name starts with "Automation"/,
    ],
    [
      'more approvals required than approvers',
      { approval: { ...APPROVAL, minRequiredApprovals: 2 } },
      /^config\.organization\.approval\.minRequiredApprovals: got 2 with 1 approvers/,
    ],
    [
      'a member role name IAM refuses',
      { memberRoleName: 'first responder' },
      /^config\.organization\.memberRoleName: got "first responder"; an IAM role name/,
    ],
    [
      'an account ID as a number',
      { excludeAccounts: [123456789012] },
      /^config\.organization\.excludeAccounts\[0\]: got 123456789012; a 12-digit account ID \(quote it in YAML/,
    ],
  ] as const)('Noncompliance %$: refuses %s in one line', (_what, org, line) => {
    const problems = problemsOf(withOrg(org));
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toContain('\n');
    expect(problems[0]).toMatch(line);
  });
});
