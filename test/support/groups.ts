/** Small builders for tests: a group from EC2-shaped permissions, and the recorded fixtures. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { snapshotFromDescribe, type GroupSnapshot } from '../../handlers/policy/rules';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const SG_FIXTURES = join(FIXTURES, 'security-groups');

export function group(
  ipPermissions: IpPermission[],
  groupId = 'sg-0123456789abcdef0',
): GroupSnapshot {
  return snapshotFromDescribe({ GroupId: groupId, IpPermissions: ipPermissions });
}

/** Every recorded DescribeSecurityGroups response, as [file, group]. */
export function recordedGroups(): [string, SecurityGroup][] {
  const out: [string, SecurityGroup][] = [];
  for (const file of readdirSync(SG_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const doc = JSON.parse(readFileSync(join(SG_FIXTURES, file), 'utf8')) as {
      data: { SecurityGroups: SecurityGroup[] };
    };
    for (const g of doc.data.SecurityGroups) out.push([`${file}:${g.GroupId}`, g]);
  }
  return out;
}
