/**
 * The verdict table: every fixture in test/fixtures/events/ with the detections it must trigger.
 * Every other detection must stay silent on it. Both the moto test and the evaluator test read
 * this one table (SOURCES.md beside the fixtures says where each event comes from).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DETECTIONS,
  type DetectionId,
  type DetectionSettings,
  type EventPattern,
} from '../../patterns';

export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'events');

/** The remediation role the security-group fixtures use; the table's settings exclude it. */
export const REMEDIATION_ROLE_ARN = 'arn:aws:iam::770203350335:role/first-responder-remediation';

/** The configuration the table is written for: defaults, plus the remediation role excluded. */
export const SETTINGS: DetectionSettings = {
  securityGroupOpened: { excludedRoleArns: [REMEDIATION_ROLE_ARN] },
};

export interface FixtureVerdict {
  /** File name under test/fixtures/events/. */
  readonly file: string;
  /** The detections that must match it; every other one must not. */
  readonly matches: readonly DetectionId[];
  /**
   * Cells moto cannot decide, with the reason; the moto test checks that moto still gets them
   * wrong, so the entry goes when moto learns.
   * @default none
   */
  readonly motoCannotDecide?: Partial<Record<DetectionId, string>>;
}

export const VERDICTS: readonly FixtureVerdict[] = [
  // GuardDuty: numeric >= 7, so 7, 7.25, 8 and Critical match; 6.9, 5 and a string do not.
  { file: 'guardduty-sample-finding-eventbridge.json', matches: ['guardDutyFinding'] },
  { file: 'guardduty-severity-7.json', matches: ['guardDutyFinding'] },
  { file: 'guardduty-severity-7.25.json', matches: ['guardDutyFinding'] },
  { file: 'guardduty-severity-9.5-critical.json', matches: ['guardDutyFinding'] },
  { file: 'guardduty-severity-6.9.json', matches: [] },
  { file: 'guardduty-severity-5.json', matches: [] },
  { file: 'guardduty-severity-string-8.json', matches: [] },
  // A real-shaped finding on an instance, and GuardDuty's re-publication of it.
  { file: 'guardduty-ssh-brute-force.json', matches: ['guardDutyFinding'] },
  { file: 'guardduty-ssh-brute-force-repeat.json', matches: ['guardDutyFinding'] },
  { file: 'guardduty-ssh-brute-force-member.json', matches: ['guardDutyFinding'] },

  // Console sign-ins: root, successful or not, yes; IAM users no.
  { file: 'signin-root-success.json', matches: ['rootActivity'] },
  { file: 'signin-root-failure.json', matches: ['rootActivity'] },
  { file: 'signin-iam-user-success-mfa.json', matches: [] },
  { file: 'signin-iam-user-failure-console-sample.json', matches: [] },

  // AuthorizeSecurityGroupIngress: a root API call that opens 22 to 0.0.0.0/0 and ::/0 is both.
  {
    file: 'authorize-ingress-root-world-ipv4-ipv6.json',
    matches: ['rootActivity', 'securityGroupOpened'],
  },
  { file: 'authorize-ingress-world-by-assumed-role.json', matches: ['securityGroupOpened'] },
  // Every successful ingress change reaches the intake, which judges the group against the policy.
  { file: 'authorize-ingress-private-10-8-only.json', matches: ['securityGroupOpened'] },
  { file: 'authorize-ingress-group-reference.json', matches: ['securityGroupOpened'] },
  // Evasions of a /0 test, and a change the policy allows: all reach the intake, which judges.
  { file: 'authorize-ingress-evasion-ipv4-halves.json', matches: ['securityGroupOpened'] },
  { file: 'authorize-ingress-evasion-ipv6-halves.json', matches: ['securityGroupOpened'] },
  { file: 'modify-security-group-rules-ipv6-2000-3.json', matches: ['securityGroupOpened'] },
  { file: 'authorize-ingress-world-443-allowed.json', matches: ['securityGroupOpened'] },
  { file: 'authorize-ingress-world-by-remediation-role.json', matches: [] },
  { file: 'authorize-ingress-world-failed.json', matches: [] },

  // ModifySecurityGroupRules: one rule is an object, several are an array.
  { file: 'modify-security-group-rules-world-ipv4.json', matches: ['securityGroupOpened'] },
  {
    file: 'modify-security-group-rules-two-rules-world-ipv6.json',
    matches: ['securityGroupOpened'],
  },

  // Config: NON_COMPLIANT with a listed rule only.
  { file: 'config-s3-public-read-noncompliant.json', matches: ['configNoncompliance'] },
  { file: 'config-s3-public-write-noncompliant.json', matches: ['configNoncompliance'] },
  { file: 'config-security-group-policy-noncompliant.json', matches: ['configNoncompliance'] },
  { file: 'config-s3-public-read-compliant.json', matches: [] },
  { file: 'config-s3-public-read-not-applicable.json', matches: [] },
  { file: 'config-access-keys-rotated-noncompliant.json', matches: [] },
];

export interface Cell {
  readonly file: string;
  readonly detection: DetectionId;
  readonly expected: boolean;
  /** Why moto cannot decide this cell. @default none */
  readonly motoGap?: string;
}

/** The table spelled out: one cell per fixture and detection. */
export const CELLS: readonly Cell[] = VERDICTS.flatMap((v) =>
  DETECTIONS.map((d) => ({
    file: v.file,
    detection: d.id,
    expected: v.matches.includes(d.id),
    motoGap: v.motoCannotDecide?.[d.id],
  })),
);

/** Each detection's pattern rendered with {@link SETTINGS}, as the rules would receive it. */
export const PATTERNS: Readonly<Record<DetectionId, EventPattern>> = Object.fromEntries(
  DETECTIONS.map((d) => [d.id, d.pattern(SETTINGS)]),
) as Record<DetectionId, EventPattern>;

export function loadFixture(file: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8'));
}

export function fixtureFiles(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}
