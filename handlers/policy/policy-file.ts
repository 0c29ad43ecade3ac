/**
 * Policy files as people write them, JSON or YAML: for the CLI and the CDK app. The Lambda
 * functions get JSON from their environment and use parsePolicyJson, so YAML stays out of them.
 */
import { parseJsonOrYaml, readTextFile } from '../shared/text-file';
import { parsePolicy, type SecurityGroupPolicy } from './policy';

/** Reads a JSON or YAML policy document (YAML 1.2; see parseJsonOrYaml). */
export function parsePolicyText(text: string, source = 'policy'): SecurityGroupPolicy {
  return parsePolicy(parseJsonOrYaml(text, source, 'policy'));
}

/** The document as written (for the functions' environment) and the policy it holds. */
export function readPolicyFile(path: string): { document: unknown; policy: SecurityGroupPolicy } {
  const document = parseJsonOrYaml(readTextFile(path, 'policy'), path, 'policy');
  return { document, policy: parsePolicy(document) };
}

export function loadPolicyFile(path: string): SecurityGroupPolicy {
  return readPolicyFile(path).policy;
}
