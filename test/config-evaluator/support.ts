/** Fixtures and event builders shared by the Config evaluator's tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecurityGroupPolicy } from '../../handlers/policy/policy';
import { EXAMPLE_POLICY } from '../support/groups';

const ROOT = join(__dirname, '..', '..');

export function readJson<T = unknown>(...path: string[]): T {
  return JSON.parse(readFileSync(join(ROOT, ...path), 'utf8')) as T;
}

export const examplePolicy: SecurityGroupPolicy = EXAMPLE_POLICY;

type Json = Record<string, unknown>;

/** The real Config rule invocation recorded by Cloud Custodian (sg-e2fb6999, SSH open). */
export function recordedEvent(): Json {
  return readJson<Json>(
    'test/fixtures/security-groups/extra/cwe__event-config-rule-security-group.json',
  );
}

export function recordedInvokingEvent(): { configurationItem: Json } & Json {
  return JSON.parse(recordedEvent().invokingEvent as string) as { configurationItem: Json } & Json;
}

/** `configuration` of SelectResourceConfig's first result (floats: 22.0). */
export function selectResourceConfiguration(): Json {
  const raw = readJson<{ data: { Results: string[] } }>(
    'test/fixtures/security-groups/extra/test_security_group_set_permissions__config.SelectResourceConfig_1.json',
  );
  return (JSON.parse(raw.data.Results[0]!) as { configuration: Json }).configuration;
}

/** GetResourceConfigHistory's first item: `configuration` is a JSON string, ipRanges only. */
export function historyItem(): { configuration: string; tags: Record<string, string> } & Json {
  const raw = readJson<{
    data: {
      configurationItems: ({ configuration: string; tags: Record<string, string> } & Json)[];
    };
  }>(
    'test/fixtures/security-groups/extra/test_sg_config_patch_pitr__config.GetResourceConfigHistory_1.json',
  );
  return raw.data.configurationItems[0]!;
}

export function fixtureItem(name: string): Json {
  return readJson<Json>('test/fixtures/config', name);
}

export function fixtureInvoking(name: string): Json {
  return readJson<Json>('test/fixtures/config', name);
}

/** A Config rule invocation around an invoking event, as Config sends it (JSON strings). */
export function ruleEvent(
  invoking: Json,
  opts: { resultToken?: string; ruleParameters?: Json | string; eventLeftScope?: boolean } = {},
): Json {
  const params = opts.ruleParameters ?? {};
  return {
    configRuleId: 'config-rule-abc123',
    version: '1.0',
    configRuleName: 'first-responder-security-groups',
    configRuleArn: 'arn:aws:config:us-east-1:123456789012:config-rule/config-rule-abc123',
    invokingEvent: JSON.stringify(invoking),
    ruleParameters: typeof params === 'string' ? params : JSON.stringify(params),
    resultToken: opts.resultToken ?? 'TESTMODE',
    eventLeftScope: opts.eventLeftScope ?? false,
    executionRoleArn: 'arn:aws:iam::123456789012:role/config-role',
    accountId: '123456789012',
  };
}

/** A change notification for a configuration item. */
export function changeEvent(item: Json, opts: Parameters<typeof ruleEvent>[1] = {}): Json {
  return ruleEvent(
    {
      configurationItemDiff: null,
      configurationItem: item,
      notificationCreationTime: '2024-05-02T09:15:31.000Z',
      messageType: 'ConfigurationItemChangeNotification',
      recordVersion: '1.3',
    },
    opts,
  );
}

let counter = 0;

/** A security-group configuration item with the given ingress, in Config's camelCase shape. */
export function sgItem(
  ipPermissions: Json[],
  opts: {
    groupId?: string;
    itemTags?: Record<string, string>;
    configTags?: { key: string; value: string }[];
  } = {},
): Json {
  const groupId = opts.groupId ?? `sg-0aaaaaaaaaaaa${String(++counter).padStart(4, '0')}`;
  return {
    configuration: {
      groupName: 'hand-written',
      groupId,
      ownerId: '123456789012',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      ipPermissions,
      ipPermissionsEgress: [],
      tags: opts.configTags ?? [],
    },
    tags: opts.itemTags ?? {},
    configurationItemCaptureTime: '2024-05-02T09:15:30.123Z',
    configurationItemStatus: 'OK',
    resourceType: 'AWS::EC2::SecurityGroup',
    resourceId: groupId,
    awsRegion: 'us-east-1',
  };
}

/** One Config ingress permission: `ipRanges` strings beside `ipv4Ranges`, as Config writes them. */
export function perm(
  ipProtocol: string,
  fromPort: number | null,
  toPort: number | null,
  sources: {
    v4?: string[];
    v4Legacy?: string[];
    v6?: string[];
    prefixLists?: string[];
    groups?: Json[];
  },
): Json {
  return {
    ipProtocol,
    fromPort,
    toPort,
    ipv4Ranges: (sources.v4 ?? []).map((cidrIp) => ({ cidrIp })),
    ipRanges: sources.v4Legacy ?? sources.v4 ?? [],
    ipv6Ranges: (sources.v6 ?? []).map((cidrIpv6) => ({ cidrIpv6 })),
    prefixListIds: (sources.prefixLists ?? []).map((prefixListId) => ({ prefixListId })),
    userIdGroupPairs: sources.groups ?? [],
  };
}
