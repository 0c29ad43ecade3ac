/**
 * The event pattern of every detection, rendered from the configuration: what the stack deploys
 * and what the offline drill replays events against, from one function.
 */
import { ValidationError } from '../handlers/shared/validation';
import {
  DEFAULT_GUARDDUTY_MIN_SEVERITY,
  DETECTIONS,
  PatternParameterError,
  type DetectionId,
  type DetectionSettings,
  type EventPattern,
} from '../patterns';
import { deployedNameOf, type FirstResponderConfig } from './config';
import { S3_PUBLIC_READ_RULE, S3_PUBLIC_WRITE_RULE } from './constructs/config-rule-names';

/** Renders a pattern; a parameter patterns/ refuses becomes a configuration error naming the field. */
function render(detection: (typeof DETECTIONS)[number], settings: DetectionSettings): EventPattern {
  try {
    return detection.pattern(settings);
  } catch (err) {
    if (!(err instanceof PatternParameterError)) throw err;
    // The settings' fields are the configuration's `detection` section, parameter for parameter.
    const key: keyof DetectionSettings | undefined =
      'settings' in detection ? detection.settings : undefined;
    const field = key
      ? `config.detection.${key}.${err.parameter}`
      : `config.detection (${err.parameter})`;
    throw new ValidationError('config', [`${field}: ${err.message}`], { cause: err });
  }
}

/**
 * The app's own Config rule. Config rule names are account-wide, so it carries app.prefix: with
 * the default prefix it is "first-responder-security-group-policy".
 */
export function securityGroupConfigRuleName(config: FirstResponderConfig): string {
  return `${config.app.prefix}-security-group-policy`;
}

/** The names of the Config rules whose noncompliance starts an incident. */
export function watchedConfigRuleNames(config: FirstResponderConfig): string[] {
  if (config.detection.config.ruleNames) return [...config.detection.config.ruleNames];
  const rules = config.detection.config.rules;
  return [
    ...(rules.s3PublicRead ? [S3_PUBLIC_READ_RULE] : []),
    ...(rules.s3PublicWrite ? [S3_PUBLIC_WRITE_RULE] : []),
    ...(rules.securityGroupPolicy ? [securityGroupConfigRuleName(config)] : []),
  ];
}

/**
 * @param remediationRoleArns the app's own roles that change security groups (CDK tokens at
 * synth); their calls must not open incidents. The drill, offline, has none to pass.
 */
export function detectionPatterns(
  config: FirstResponderConfig,
  remediationRoleArns: readonly string[],
): Map<DetectionId, EventPattern> {
  const settings: DetectionSettings = {
    guardDuty: {
      minSeverity: config.detection.guardDuty.minSeverity ?? DEFAULT_GUARDDUTY_MIN_SEVERITY,
    },
    config: { ruleNames: watchedConfigRuleNames(config) },
    securityGroupOpened: {
      excludedRoleArns: [
        ...config.detection.securityGroupOpened.excludedRoleArns,
        ...remediationRoleArns,
      ],
    },
  };
  return new Map(DETECTIONS.map((d) => [d.id, render(d, settings)]));
}

/** The EventBridge rule's name for a detection. */
export function ruleNameOf(config: FirstResponderConfig, detection: DetectionId): string {
  return deployedNameOf(config, detection);
}
