/**
 * Policy files as people write them, JSON or YAML: for the CLI and the CDK app. The Lambda
 * functions get JSON from their environment and use parsePolicyJson, so YAML stays out of them.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../shared/validation';
import { parsePolicy, type SecurityGroupPolicy } from './policy';

/** Reads a JSON or YAML policy document. */
export function parsePolicyText(text: string, source = 'policy'): SecurityGroupPolicy {
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    throw new ValidationError(
      'policy',
      [`${source}: not JSON or YAML (${(err as Error).message.split('\n')[0]})`],
      { cause: err },
    );
  }
  return parsePolicy(doc);
}

export function loadPolicyFile(path: string): SecurityGroupPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError('policy', [`cannot read ${path}: ${(err as Error).message}`], {
      cause: err,
    });
  }
  return parsePolicyText(text, path);
}
