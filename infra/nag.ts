/**
 * cdk-nag on every synth (AwsSolutions and NIST 800-53 rev 5), and the one way this app
 * acknowledges a finding: with a reason that is a sentence, so a reviewer can judge it.
 */
import { Token, Validations, type App, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Names of the packs, as they appear in the validation report. */
export const NAG_PACKS = ['AwsSolutions', 'NIST.800.53.R5'] as const;

/** Attaches the packs the way cdk-nag 3 attaches: as validation plugins of the app. */
export function attachNagPacks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
}

export interface Acknowledgement {
  /** Rule id, with the finding when the rule reports several, e.g. "AwsSolutions-IAM5[Resource::*]". */
  readonly id: string;
  /** Why the finding is accepted: one or more full sentences. */
  readonly reason: string;
}

/** A reason is a sentence: a capital letter, at least a few words, a full stop. */
export function isSentence(reason: string): boolean {
  return /^[A-Z].{20,}[.!]$/s.test(reason.trim()) && reason.trim().split(/\s+/).length >= 5;
}

/** Acknowledges findings on `scope` and everything under it; refuses a reason that is not a sentence. */
export function acknowledge(scope: IConstruct, ...acks: Acknowledgement[]): void {
  for (const ack of acks) {
    if (!isSentence(ack.reason))
      throw new Error(
        `acknowledgement of ${ack.id} at ${scope.node.path}: the reason must be a sentence (capital letter, five words or more, full stop); got ${JSON.stringify(ack.reason)}`,
      );
    Validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason });
  }
}

/**
 * Region and account as cdk-nag spells them in finding ids: the literal when the stack's
 * environment is concrete, else the pseudo parameter in angle brackets.
 */
export function nagEnv(stack: Stack): { region: string; account: string } {
  return {
    region: Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region,
    account: Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account,
  };
}
