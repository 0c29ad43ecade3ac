/**
 * Values that `cdk synth` used to let through and AWS refuses at deploy time (infra/aws-constraints.ts
 * names the source of each rule). Each goes through the configuration loader and is refused with
 * one line naming the field, the value and what AWS accepts; through the CDK app, the synth exits
 * non-zero with that line and no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ValidationError } from '../../handlers/shared/validation';
import { buildApp } from '../../infra/build';
import { configFrom, EXAMPLES_DIR } from './support';

const ACCOUNT = '123456789012';
const person = (extra: Record<string, unknown> = {}) => ({
  alias: 'alice',
  displayName: 'Alice Example',
  channels: [{ type: 'EMAIL', address: 'alice@example.com' }],
  ...extra,
});
const topic = (name: string) => `arn:aws:sns:eu-west-1:${ACCOUNT}:${name}`;
const key = (region: string) =>
  `arn:aws:kms:${region}:${ACCOUNT}:key/1b2c3d4e-0000-4000-8000-000000000001`;
const roles = (n: number) =>
  Array.from({ length: n }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/delivery/pipeline-${i}-deploy`);

/** [what, configuration, the one problem it is refused with] */
const BAD: readonly [string, Record<string, unknown>, RegExp][] = [
  [
    'a contact alias with "."',
    { contacts: [person({ alias: 'alice.example' })] },
    /^config\.contacts\[0\]\.alias: got "alice\.example"; an alias is 1-255 characters of lowercase letters, digits, "_" or "-" .*no "\."/,
  ],
  [
    'an escalation plan alias with "."',
    {
      contacts: [person()],
      escalationPlans: [
        { alias: 'sec.esc', displayName: 'Esc', stages: [{ contacts: ['alice'] }] },
      ],
    },
    /^config\.escalationPlans\[0\]\.alias: got "sec\.esc"; an alias is/,
  ],
  [
    'an engagement ARN whose alias has "."',
    {
      responsePlans: {
        rootActivity: {
          engagements: [`arn:aws:ssm-contacts:eu-west-1:${ACCOUNT}:contact/alice.example`],
        },
      },
    },
    /^config\.responsePlans\.rootActivity\.engagements\[0\]: got "arn:aws:ssm-contacts:eu-west-1:123456789012:contact\/alice\.example"; valid: .*the ARN of an existing contact/,
  ],
  ...(['Work+Mobile', "Alice's phone", 'Email & SMS'] as const).map(
    (name): [string, Record<string, unknown>, RegExp] => [
      `a channel name ${JSON.stringify(name)}`,
      {
        contacts: [person({ channels: [{ type: 'EMAIL', address: 'alice@example.com', name }] })],
      },
      new RegExp(
        `^config\\.contacts\\[0\\]\\.channels\\[0\\]\\.name: got ${JSON.stringify(name).replace(/[+]/g, '\\+')}; a channel name is 1-255 letters .*accepts no "\\+", "'" or "&"`,
      ),
    ],
  ),
  [
    'a channel name of Han characters only',
    {
      contacts: [
        person({ channels: [{ type: 'EMAIL', address: 'alice@example.com', name: '携帯電話' }] }),
      ],
    },
    /^config\.contacts\[0\]\.channels\[0\]\.name: got "携帯電話"; a channel name needs at least one ASCII letter.*AWS::SSMContacts::ContactChannel/,
  ],
  [
    'a display name with accented letters',
    { contacts: [person({ displayName: 'Zoë Çelik' })] },
    /^config\.contacts\[0\]\.displayName: got "Zoë Çelik"; a display name is 1-255 ASCII letters/,
  ],
  [
    'a tag key in the reserved "aws:" namespace',
    { app: { tags: { 'aws:team': 'security' } } },
    /^config\.app\.tags\.aws:team: got the key "aws:team"; a tag key is 1-128 .*does not start with "aws:"/,
  ],
  [
    'a tag value with "#"',
    { app: { tags: { team: 'sec#1' } } },
    /^config\.app\.tags\.team: got "sec#1"; a tag value is 0-256 letters, digits, spaces or _ \. : \/ = \+ - @$/,
  ],
  [
    'a tag key longer than 128 characters',
    { app: { tags: { ['k'.repeat(129)]: 'v' } } },
    /^config\.app\.tags\.k{129}: got the key "k{129}"; a tag key is 1-128/,
  ],
  [
    'a FIFO notification topic',
    { responsePlans: { guardDutyFinding: { notificationTopicArn: topic('updates.fifo') } } },
    /^config\.responsePlans\.guardDutyFinding\.notificationTopicArn: got "arn:aws:sns:eu-west-1:123456789012:updates\.fifo"; a standard SNS topic: this is a FIFO topic/,
  ],
  [
    'a FIFO chat channel topic',
    { responsePlans: { guardDutyFinding: { chatChannelTopicArns: [topic('chat.fifo')] } } },
    /^config\.responsePlans\.guardDutyFinding\.chatChannelTopicArns\[0\]: got ".*chat\.fifo"; a standard SNS topic/,
  ],
  [
    'six chat channel topics',
    {
      responsePlans: {
        guardDutyFinding: { chatChannelTopicArns: [1, 2, 3, 4, 5, 6].map((n) => topic(`c${n}`)) },
      },
    },
    /^config\.responsePlans\.guardDutyFinding\.chatChannelTopicArns: got \[.*; Incident Manager takes at most 5 chat channel topics per response plan$/,
  ],
  [
    'an empty list of chat channel topics',
    { responsePlans: { guardDutyFinding: { chatChannelTopicArns: [] } } },
    /^config\.responsePlans\.guardDutyFinding\.chatChannelTopicArns: got \[\]; list 1 to 5 topics/,
  ],
  [
    'an app region without Incident Manager',
    { app: { region: 'ap-east-1' } },
    /^config\.app\.region: got "ap-east-1"; a region where Incident Manager and its contacts exist: ap-northeast-1, .*us-west-2$/,
  ],
  [
    'a replication region without Incident Manager',
    {
      incidentManager: { replicationSet: { mode: 'create', regions: ['eu-west-1', 'me-south-1'] } },
    },
    /^config\.incidentManager\.replicationSet\.regions\[1\]: got "me-south-1"; a region where Incident Manager/,
  ],
  [
    "replication regions without the app's region",
    { incidentManager: { replicationSet: { mode: 'create', regions: ['eu-central-1'] } } },
    /^config\.incidentManager\.replicationSet\.regions: got \["eu-central-1"\], without app\.region eu-west-1; a replication set must include/,
  ],
  [
    'KMS keys for some replication regions only',
    {
      incidentManager: {
        replicationSet: {
          mode: 'create',
          regions: ['eu-west-1', 'eu-central-1'],
          kmsKeyArns: { 'eu-west-1': key('eu-west-1') },
        },
      },
    },
    /^config\.incidentManager\.replicationSet\.kmsKeyArns: got keys for eu-west-1 but none for eu-central-1; Incident Manager takes a customer-managed key for every region of the replication set or for none$/,
  ],
  [
    'a KMS key from another region than the one it encrypts',
    {
      incidentManager: {
        replicationSet: { mode: 'create', kmsKeyArns: { 'eu-west-1': key('us-east-1') } },
      },
    },
    /^config\.incidentManager\.replicationSet\.kmsKeyArns\.eu-west-1: got ".*:kms:us-east-1:.*", a key in us-east-1; each region's data is encrypted with a key of that same region$/,
  ],
  [
    'more excluded roles than the event pattern quota holds',
    { detection: { securityGroupOpened: { excludedRoleArns: roles(40) } } },
    /^config\.detection\.securityGroupOpened\.excludedRoleArns: got 40 roles, which make the security-group-opened event pattern \d+ characters long; EventBridge accepts 2048 .*: 24 of these roles fit\./,
  ],
  [
    'an event pattern quota above what PutRule takes',
    { detection: { eventPatternQuota: 8192 } },
    /^config\.detection\.eventPatternQuota: got 8192; a whole number of characters from 2048 to 4096/,
  ],
  [
    'a response plan name without the prefix',
    { responsePlans: { rootActivity: { name: 'root-activity' } } },
    /^config\.responsePlans\.rootActivity\.name: got "root-activity"; a response plan name is account-wide, so it must start with app\.prefix and "-" \("first-responder-…"\)/,
  ],
];

/** The problems a configuration is refused with. */
function problemsOf(input: Record<string, unknown>): string[] {
  try {
    configFrom({ app: { region: 'eu-west-1', ...(input.app as object) }, ...omit(input, 'app') });
  } catch (err) {
    if (err instanceof ValidationError) return [...err.problems];
    throw err;
  }
  throw new Error('the configuration was accepted');
}

function omit(o: Record<string, unknown>, k: string): Record<string, unknown> {
  const { [k]: _dropped, ...rest } = o;
  return rest;
}

describe('values AWS refuses, through the configuration loader', () => {
  it.each(BAD)(
    'refuses %s, in one line naming the field, the value and what AWS accepts',
    (_what, input, line) => {
      const problems = problemsOf(input);
      expect(problems).toHaveLength(1);
      expect(problems[0]).not.toContain('\n');
      expect(problems[0]).toMatch(line);
    },
  );

  it('refuses a region from the CLI profile where Incident Manager does not exist', () => {
    // GIVEN no app.region, and a profile in a region without Incident Manager
    const config = configFrom({});
    // THEN building the app refuses it, naming where the region came from
    expect(() =>
      buildApp(config, { bundle: false, nag: false, env: { CDK_DEFAULT_REGION: 'il-central-1' } }),
    ).toThrow(
      /config\.app\.region: got nothing, so the CLI's region "il-central-1" \(CDK_DEFAULT_REGION\); Incident Manager and its contacts exist only in/,
    );
  });

  it('accepts as many excluded roles as fit, and a raised quota takes more', () => {
    expect(() =>
      problemsOf({ detection: { securityGroupOpened: { excludedRoleArns: roles(15) } } }),
    ).toThrow(/was accepted/);
    expect(() =>
      problemsOf({
        detection: {
          eventPatternQuota: 4096,
          securityGroupOpened: { excludedRoleArns: roles(40) },
        },
      }),
    ).toThrow(/was accepted/);
  });
});

describe('values AWS refuses, through the CDK app (what npx cdk synth runs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fr-bad-config-'));
  it.each([BAD[0]!, BAD[9]!, BAD[18]!])(
    'exits non-zero on %s, printing the one line and no stack trace',
    (_what, input, line) => {
      // GIVEN a configuration file with the bad value
      const path = join(dir, `${_what.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(
        path,
        stringify({
          securityGroupPolicy: join(EXAMPLES_DIR, 'policy.json'),
          ...input,
          app: { region: 'eu-west-1', ...(input.app as object) },
        }),
      );
      // WHEN the CDK app runs as `cdk synth -c config=PATH` runs it
      const r = spawnSync('npx', ['tsx', 'infra/app.ts'], {
        cwd: join(__dirname, '..', '..'),
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify({ config: path }),
          CDK_OUTDIR: join(dir, 'out'),
        },
      });
      // THEN
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toEqual(['invalid config:', expect.stringMatching(/^ {2}- /)]);
      expect(lines[1]!.slice(4)).toMatch(line);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );
});
