/**
 * The configuration's tags (app.tags) on every resource that takes them: a tag that a few
 * resource types refuse (see TAG_RULES_BY_TYPE) is left off those types, and synth says so.
 */
import { Annotations, Tags, type Stack } from 'aws-cdk-lib';
import { tagExclusions } from './aws-constraints';

export function applyTags(stack: Stack, tags: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(tags)) {
    const { types, reasons } = tagExclusions(key, value);
    Tags.of(stack).add(key, value, types.length ? { excludeResourceTypes: types } : {});
    if (types.length)
      Annotations.of(stack).addWarningV2(
        'first-responder:tag-not-everywhere',
        `app.tags ${JSON.stringify(key)}: ${JSON.stringify(value)} is not applied to ${types.join(', ')}: ${reasons.join('; ')}.`,
      );
  }
}
