/**
 * The pattern builders: what they render from the configuration, and how they refuse a
 * parameter that would give EventBridge a wrong or invalid pattern.
 */
import {
  DEFAULT_CONFIG_RULE_NAMES,
  DEFAULT_GUARDDUTY_MIN_SEVERITY,
  DETECTIONS,
  MAX_EVENT_PATTERN_LENGTH,
  PatternParameterError,
  ROOT_CONSOLE_SIGN_IN_REGION,
  SECURITY_GROUP_CONFIG_RULE_NAME,
  configNoncompliancePattern,
  guardDutyFindingPattern,
  rootActivityPattern,
  securityGroupOpenedPattern,
  type EventPattern,
} from '../../patterns';
import { matchesPattern } from '../../patterns/match';

type Detail = Record<string, unknown>;
const detailOf = (pattern: EventPattern) => pattern.detail as Detail;

const ROLE = 'arn:aws:iam::123456789012:role/first-responder-remediation';

function thrown(build: () => unknown): PatternParameterError {
  try {
    build();
  } catch (error) {
    if (error instanceof PatternParameterError) return error;
    throw error;
  }
  throw new Error('expected a PatternParameterError, nothing was thrown');
}

describe('rootActivityPattern', () => {
  it('takes API calls and console sign-ins by the root user, from AWS sources only', () => {
    // GIVEN nothing to configure, WHEN rendered
    const pattern = rootActivityPattern();
    // THEN it names both CloudTrail detail types, the Root identity and aws.* sources
    expect(pattern['detail-type']).toEqual([
      'AWS API Call via CloudTrail',
      'AWS Console Sign In via CloudTrail',
    ]);
    expect(detailOf(pattern).userIdentity).toEqual({ type: ['Root'] });
    expect(pattern.source).toEqual([{ prefix: 'aws.' }]);
  });

  it('ignores a forged event from a custom source', () => {
    // GIVEN a root sign-in copied into a custom event, as PutEvents would allow
    const forged = {
      source: 'custom.app',
      'detail-type': 'AWS Console Sign In via CloudTrail',
      detail: { userIdentity: { type: 'Root' } },
    };
    // WHEN judged THEN it does not match
    expect(matchesPattern(rootActivityPattern(), forged)).toBe(false);
  });
});

describe('guardDutyFindingPattern', () => {
  it.each([
    { props: undefined, min: DEFAULT_GUARDDUTY_MIN_SEVERITY },
    { props: {}, min: 7 },
    { props: { minSeverity: 8.5 }, min: 8.5 },
    { props: { minSeverity: 1 }, min: 1 },
    { props: { minSeverity: 10 }, min: 10 },
  ])('minSeverity $props.minSeverity renders numeric >= $min', ({ props, min }) => {
    // GIVEN a threshold (or none), WHEN rendered THEN severity is compared as a number
    const pattern = guardDutyFindingPattern(props);
    expect(detailOf(pattern).severity).toEqual([{ numeric: ['>=', min] }]);
    expect(pattern.source).toEqual(['aws.guardduty']);
    expect(pattern['detail-type']).toEqual(['GuardDuty Finding']);
  });

  it.each([
    { value: 0, shown: '0' },
    { value: 0.99, shown: '0.99' },
    { value: 10.5, shown: '10.5' },
    { value: -7, shown: '-7' },
    { value: NaN, shown: 'NaN' },
    { value: Infinity, shown: 'Infinity' },
    { value: '7', shown: '"7"' },
    { value: null, shown: 'null' },
  ])('refuses minSeverity $shown', ({ value, shown }) => {
    // GIVEN a threshold outside GuardDuty's 1-10 scale, or not a number
    // WHEN rendered THEN the error names the parameter, the value and the valid range
    const error = thrown(() => guardDutyFindingPattern({ minSeverity: value as number }));
    expect(error.parameter).toBe('minSeverity');
    expect(error.message).toContain(`minSeverity is ${shown}`);
    expect(error.message).toContain('1 to 10');
  });
});

describe('configNoncompliancePattern', () => {
  it('defaults to the two S3 rules and the project security-group rule', () => {
    // GIVEN no rule names, WHEN rendered
    const detail = detailOf(configNoncompliancePattern());
    // THEN those three rules, compliance changes to NON_COMPLIANT only
    expect(detail.configRuleName).toEqual([
      's3-bucket-public-read-prohibited',
      's3-bucket-public-write-prohibited',
      SECURITY_GROUP_CONFIG_RULE_NAME,
    ]);
    expect(detail.configRuleName).toEqual(DEFAULT_CONFIG_RULE_NAMES);
    expect(detail.messageType).toEqual(['ComplianceChangeNotification']);
    expect(detail.newEvaluationResult).toEqual({ complianceType: ['NON_COMPLIANT'] });
  });

  it('renders the configured rule names, CDK tokens included', () => {
    // GIVEN names from the configuration, one of them unresolved at synth time
    const names = ['restricted-ssh', '${Token[TOKEN.123]}'];
    // WHEN rendered THEN they are the pattern's rule names, in order
    expect(detailOf(configNoncompliancePattern({ ruleNames: names })).configRuleName).toEqual(
      names,
    );
  });

  it.each([
    { what: 'an empty list', ruleNames: [], says: 'ruleNames is []' },
    { what: 'not a list', ruleNames: 'restricted-ssh', says: 'ruleNames is "restricted-ssh"' },
    { what: 'a non-string', ruleNames: ['a', 42], says: 'ruleNames[1] is 42' },
    { what: 'an empty name', ruleNames: [''], says: 'ruleNames[0] is ""' },
    { what: 'surrounding spaces', ruleNames: [' a'], says: 'ruleNames[0] is " a"' },
    { what: 'a name over 128 characters', ruleNames: ['r'.repeat(129)], says: '1 to 128' },
    { what: 'a repeated name', ruleNames: ['a', 'a'], says: 'ruleNames[1] repeats "a"' },
  ])('refuses $what', ({ ruleNames, says }) => {
    // GIVEN rule names Config could not have, WHEN rendered THEN the error says which and why
    const error = thrown(() =>
      configNoncompliancePattern({ ruleNames: ruleNames as unknown as string[] }),
    );
    expect(error.parameter).toBe('ruleNames');
    expect(error.message).toContain(says);
  });

  it('refuses more rule names than an EventBridge pattern holds', () => {
    // GIVEN enough long names to pass PutRule's limit
    const ruleNames = Array.from({ length: 40 }, (_, i) => `rule-${i}-${'x'.repeat(100)}`);
    // WHEN rendered THEN the error names the parameter and the limit
    const error = thrown(() => configNoncompliancePattern({ ruleNames }));
    expect(error.parameter).toBe('ruleNames');
    expect(error.message).toContain(`at most ${MAX_EVENT_PATTERN_LENGTH}`);
  });

  it('keeps its defaults and earlier results apart from later changes', () => {
    // GIVEN a rendered pattern whose rule list is then modified
    const first = configNoncompliancePattern();
    (detailOf(first).configRuleName as string[]).push('tampered');
    // WHEN rendered again THEN the defaults are intact and cannot be modified
    expect(detailOf(configNoncompliancePattern()).configRuleName).toHaveLength(3);
    expect(Object.isFrozen(DEFAULT_CONFIG_RULE_NAMES)).toBe(true);
  });
});

describe('securityGroupOpenedPattern', () => {
  it('takes every successful authorize and modify call, whatever the range', () => {
    // GIVEN no excluded role, WHEN rendered
    const pattern = securityGroupOpenedPattern();
    const detail = detailOf(pattern);
    // THEN EC2 CloudTrail calls without errorCode, and no condition on the CIDR (the intake judges)
    expect(pattern.source).toEqual(['aws.ec2']);
    expect(detail.eventName).toEqual(['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules']);
    expect(detail.errorCode).toEqual([{ exists: false }]);
    expect(detail).not.toHaveProperty('$or');
    expect(JSON.stringify(pattern)).not.toContain('/0');
    // AND no condition on the caller
    expect(detail).not.toHaveProperty('userIdentity');
  });

  it('excludes the given roles while keeping callers that have no session issuer', () => {
    // GIVEN the remediation role, WHEN rendered
    const detail = detailOf(securityGroupOpenedPattern({ excludedRoleArns: [ROLE] }));
    // THEN the caller must lack a session issuer, or have one that is not the role
    expect(detail.userIdentity).toEqual({
      $or: [
        { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } },
        { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [ROLE] }] } } },
      ],
    });
  });

  it.each([
    ['arn:aws:iam::123456789012:role/service-role/remediation'],
    ['arn:aws-us-gov:iam::123456789012:role/remediation'],
    ['arn:aws-cn:iam::123456789012:role/remediation'],
    ['arn:aws:iam::${Token[AWS.AccountId.4]}:role/remediation'],
    ['${Token[TOKEN.812]}'],
  ])('accepts %s', (arn) => {
    // GIVEN a role ARN with a path, in another partition, or a CDK token
    // WHEN rendered THEN it is excluded as given
    const detail = detailOf(securityGroupOpenedPattern({ excludedRoleArns: [arn] }));
    expect(JSON.stringify(detail.userIdentity)).toContain(JSON.stringify(arn));
  });

  it.each([
    {
      arn: 'first-responder-remediation',
      says: 'excludedRoleArns[0] is "first-responder-remediation"',
    },
    { arn: 'arn:aws:iam::12345:role/x', says: 'must be an IAM role ARN' },
    { arn: 'arn:aws:iam::123456789012:user/alice', says: 'must be an IAM role ARN' },
    {
      arn: 'arn:aws:sts::123456789012:assumed-role/remediation/session',
      says: 'that is a session ARN',
    },
    { arn: 7, says: 'excludedRoleArns[0] is 7' },
  ])('refuses $arn', ({ arn, says }) => {
    // GIVEN something that is not a role ARN, WHEN rendered THEN the error says what is wrong
    const error = thrown(() => securityGroupOpenedPattern({ excludedRoleArns: [arn as string] }));
    expect(error.parameter).toBe('excludedRoleArns');
    expect(error.message).toContain(says);
  });

  it('refuses a list that is not a list', () => {
    const error = thrown(() =>
      securityGroupOpenedPattern({ excludedRoleArns: ROLE as unknown as string[] }),
    );
    expect(error.parameter).toBe('excludedRoleArns');
  });

  it('treats an empty list as no exclusion (EventBridge rejects empty lists)', () => {
    expect(detailOf(securityGroupOpenedPattern({ excludedRoleArns: [] }))).not.toHaveProperty(
      'userIdentity',
    );
  });
});

describe('DETECTIONS', () => {
  it('lists the four detections, each once', () => {
    expect(DETECTIONS.map((d) => d.id)).toEqual([
      'rootActivity',
      'guardDutyFinding',
      'configNoncompliance',
      'securityGroupOpened',
    ]);
  });

  it.each([
    {
      id: 'guardDutyFinding',
      settings: { guardDuty: { minSeverity: 9 } },
      expected: guardDutyFindingPattern({ minSeverity: 9 }),
    },
    {
      id: 'configNoncompliance',
      settings: { config: { ruleNames: ['restricted-ssh'] } },
      expected: configNoncompliancePattern({ ruleNames: ['restricted-ssh'] }),
    },
    {
      id: 'securityGroupOpened',
      settings: { securityGroupOpened: { excludedRoleArns: [ROLE] } },
      expected: securityGroupOpenedPattern({ excludedRoleArns: [ROLE] }),
    },
    { id: 'rootActivity', settings: {}, expected: rootActivityPattern() },
  ])('$id passes its own settings to its builder', ({ id, settings, expected }) => {
    // GIVEN settings for the detection, WHEN its pattern is rendered from them
    const detection = DETECTIONS.find((d) => d.id === id)!;
    // THEN it is the builder's pattern for those settings
    expect(detection.pattern(settings)).toEqual(expected);
  });

  it('flags the region root console sign-ins are delivered in, and read-only calls', () => {
    // GIVEN the root-activity detection
    const root = DETECTIONS.find((d) => d.id === 'rootActivity')!;
    // THEN it says us-east-1 must be covered and that its rule needs read-only events
    expect(root.onlyDeliveredIn?.region).toBe(ROOT_CONSOLE_SIGN_IN_REGION);
    expect(ROOT_CONSOLE_SIGN_IN_REGION).toBe('us-east-1');
    expect(root.ruleState).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
  });

  it.each(DETECTIONS.map((d) => [d.id, d] as const))(
    '%s renders with defaults to a pattern PutRule and the evaluator accept',
    (_id, detection) => {
      // GIVEN no settings, WHEN rendered
      const pattern = detection.pattern();
      // THEN it fits PutRule's limit and uses only operators the offline evaluator implements
      expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(MAX_EVENT_PATTERN_LENGTH);
      expect(() => matchesPattern(pattern, {})).not.toThrow();
    },
  );
});
