/**
 * OpsCenter and Automation as their API references document them (moto has no OpsItems):
 * CreateOpsItem answers {OpsItemId} or, for a dedup string that an Open or InProgress OpsItem
 * already has, OpsItemAlreadyExistsException naming it; GetOpsItem answers {OpsItem} or
 * OpsItemNotFoundException; UpdateOpsItem adds or replaces the given operational-data keys and
 * sets the status; StartAutomationExecution answers {AutomationExecutionId}.
 */
import {
  CreateOpsItemCommand,
  GetOpsItemCommand,
  OpsItemAlreadyExistsException,
  OpsItemNotFoundException,
  SSMClient,
  StartAutomationExecutionCommand,
  UpdateOpsItemCommand,
  type OpsItem,
  type OpsItemStatus,
} from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type {
  ServiceInputTypes,
  ServiceOutputTypes,
  SSMClientResolvedConfig,
} from '@aws-sdk/client-ssm';

export interface FakeOpsCenter {
  readonly mock: AwsStub<ServiceInputTypes, ServiceOutputTypes, SSMClientResolvedConfig>;
  readonly client: SSMClient;
  readonly items: Map<string, OpsItem>;
  /** What a person does in the console: set the status. */
  setStatus(id: string, status: OpsItemStatus, at: Date): void;
  /** An operational-data value, parsed as JSON. */
  data(id: string, key: string): unknown;
}

export function fakeOpsCenter(clock: () => Date = () => new Date()): FakeOpsCenter {
  const mock = mockClient(SSMClient);
  const items = new Map<string, OpsItem>();
  let n = 0;
  const dedupOf = (item: OpsItem) => item.OperationalData?.['/aws/dedup']?.Value;
  mock.on(CreateOpsItemCommand).callsFake((input: CreateOpsItemCommand['input']) => {
    const dedup = input.OperationalData?.['/aws/dedup']?.Value;
    for (const item of items.values())
      if (dedup && dedupOf(item) === dedup && item.Status !== 'Resolved')
        throw new OpsItemAlreadyExistsException({
          message: `OpsItem already exists`,
          $metadata: {},
          OpsItemId: item.OpsItemId!,
        });
    const id = `oi-${(0xabc000000000 + ++n).toString(16)}`;
    items.set(id, {
      OpsItemId: id,
      Title: input.Title,
      Description: input.Description,
      Source: input.Source,
      OpsItemType: input.OpsItemType,
      Category: input.Category,
      Severity: input.Severity,
      Priority: input.Priority,
      Status: 'Open',
      CreatedTime: clock(),
      LastModifiedTime: clock(),
      OperationalData: { ...input.OperationalData },
      ...(input.Notifications ? { Notifications: input.Notifications } : {}),
    });
    return { OpsItemId: id };
  });
  const get = (id: string | undefined) => {
    const item = id ? items.get(id) : undefined;
    if (!item) throw new OpsItemNotFoundException({ message: `${id} not found`, $metadata: {} });
    return item;
  };
  mock.on(GetOpsItemCommand).callsFake((input: GetOpsItemCommand['input']) => ({
    // A copy: callers must not see later writes through an old answer.
    OpsItem: structuredClone(get(input.OpsItemId)),
  }));
  mock.on(UpdateOpsItemCommand).callsFake((input: UpdateOpsItemCommand['input']) => {
    const item = get(input.OpsItemId);
    items.set(item.OpsItemId!, {
      ...item,
      ...(input.Status ? { Status: input.Status } : {}),
      OperationalData: { ...item.OperationalData, ...input.OperationalData },
      LastModifiedTime: clock(),
    });
    return {};
  });
  let executions = 0;
  mock
    .on(StartAutomationExecutionCommand)
    .callsFake(() => ({ AutomationExecutionId: `exec-${++executions}` }));
  return {
    mock,
    client: new SSMClient({ region: 'eu-west-1' }),
    items,
    setStatus(id, status, at) {
      items.set(id, { ...get(id), Status: status, LastModifiedTime: at });
    },
    data(id, key) {
      const v = get(id).OperationalData?.[key]?.Value;
      return v === undefined ? undefined : (JSON.parse(v) as unknown);
    },
  };
}
