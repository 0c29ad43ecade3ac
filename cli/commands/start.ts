/**
 * `npm start`: the main job on the built-in example, offline and without credentials.
 * For now: the reverter's plan for the bundled example groups under the example policy.
 */
import { join } from 'node:path';
import { loadPolicyFile } from '../../handlers/policy/policy-file';
import { planGroups, readDescribeFile, renderPlans } from './plan';

export interface StartOptions {
  /** The repository root, where `examples/` is. */
  readonly root: string;
  readonly out: (line: string) => void;
}

export function runStart(options: StartOptions): Promise<number> {
  const examples = join(options.root, 'examples');
  const policyPath = join(examples, 'policy.json');
  const groupsPath = join(examples, 'security-groups.json');
  options.out(`== Security-group plan: examples/security-groups.json under examples/policy.json`);
  options.out(renderPlans(planGroups(readDescribeFile(groupsPath), loadPolicyFile(policyPath))));
  return Promise.resolve(0);
}
