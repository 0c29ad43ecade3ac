/**
 * The IAM actions this app grants or denies, with the resource types the Service Authorization
 * Reference (SAR) lists for each: a statement must name every required type (marked * in the SAR),
 * may name the optional ones, and must say Resource "*" when the SAR lists none. IAM evaluates a
 * request against every required resource, so a statement that leaves one out is refused at run
 * time, which no synth or lint check notices.
 *
 * Sources (Service Authorization Reference, "Actions, resources, and condition keys for ..."):
 * - ssm-incidents: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanagerincidentmanager.html
 * - ssm:           https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
 * - ec2:           https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 * - lambda:        https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 * - logs:          https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 * - iam:           https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 * - events:        https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
 * - config:        https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsconfig.html
 * - s3:            https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 * - dynamodb:      https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 * - sqs:           https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
 * - sns:           https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
 * - states:        https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 * - xray:          https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
 * - sts:           https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
 * - organizations: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
 * The same data, machine-readable: https://servicereference.us-east-1.amazonaws.com/v1/<prefix>/<prefix>.json
 * Read for issue 9 (2026-11); ssm:GetOpsItem and ssm:UpdateOpsItem (resource type opsitem*) for issue 14.
 * The OpsCenter backend's intake, pager and escalation rows were added in review (2026-11):
 * ssm:CreateOpsItem takes opsitem* (an AWS managed policy for CloudWatch investigations scopes it
 * to arn:*:ssm:*:*:opsitem/*); ssm:DescribeOpsItems, Step Functions' log delivery
 * actions and the X-Ray trace actions list no resource type. When the app uses a new action, add
 * it here from those pages. The sts and organizations rows are for organization mode (issue 13),
 * written from the SAR as remembered: the pages could not be re-read in that session (see
 * docs/organization.md, "What cannot be confirmed without a live organization").
 */

/** A resource type, and which policy resources (as resolved by the test) cover it. */
export interface ResourceType {
  readonly name: string;
  /** Matches a policy Resource entry that names resources of this type (wildcards included). */
  readonly covers: RegExp;
}

const ACCOUNT = String.raw`(\d{12}|\*)`;
const REGION = String.raw`([a-z0-9-]*|\*)`;
const arn = (service: string, rest: string) =>
  new RegExp(`^arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}$`);

export const TYPES = {
  securityGroup: { name: 'ec2 security-group', covers: arn('ec2', 'security-group/.+') },
  securityGroupRule: {
    name: 'ec2 security-group-rule',
    covers: arn('ec2', 'security-group-rule/.+'),
  },
  incidentRecord: {
    name: 'ssm-incidents incident-record',
    covers: arn('ssm-incidents', 'incident-record/[^/]+/.+'),
  },
  responsePlan: {
    name: 'ssm-incidents response-plan',
    covers: arn('ssm-incidents', 'response-plan/[^/]+'),
  },
  document: { name: 'ssm document', covers: arn('ssm', 'document/.+') },
  automationDefinition: {
    name: 'ssm automation-definition',
    covers: arn('ssm', 'automation-definition/[^:]+:.+'),
  },
  opsItem: { name: 'ssm opsitem', covers: arn('ssm', 'opsitem/.+') },
  automationExecution: {
    name: 'ssm automation-execution',
    covers: arn('ssm', 'automation-execution/.+'),
  },
  function: { name: 'lambda function', covers: arn('lambda', 'function:.+') },
  logGroup: { name: 'logs log-group', covers: arn('logs', 'log-group:[^:]+(:\\*)?') },
  // A log group's ARN as CloudFormation returns it ends in ":*", which covers its streams.
  logStream: {
    name: 'logs log-stream',
    covers: arn('logs', 'log-group:[^:]+:(\\*|log-stream:.+)'),
  },
  role: { name: 'iam role', covers: /^arn:aws:iam::(\d{12}|\*):role\/.+$/ },
  user: { name: 'iam user', covers: /^arn:aws:iam::(\d{12}|\*):user\/.+$/ },
  // Organizations ARNs carry the management account (any here) and the organization ID.
  organizationAccount: {
    name: 'organizations account',
    covers: /^arn:aws:organizations::(\d{12}|\*):account\/o-[a-z0-9]{10,32}\/(\d{12}|\*)$/,
  },
  organizationalUnit: {
    name: 'organizations ou',
    covers: /^arn:aws:organizations::(\d{12}|\*):ou\/o-[a-z0-9]{10,32}\/ou-.+$/,
  },
  eventBus: { name: 'events event-bus', covers: arn('events', 'event-bus/.+') },
  bucket: { name: 's3 bucket', covers: /^arn:aws:s3:::[^/]+$/ },
  object: { name: 's3 object', covers: /^arn:aws:s3:::[^/]+\/.+$/ },
  table: { name: 'dynamodb table', covers: arn('dynamodb', 'table/[^/]+') },
  queue: { name: 'sqs queue', covers: arn('sqs', '[^:/]+') },
  topic: { name: 'sns topic', covers: arn('sns', '[^:/]+') },
  stateMachine: { name: 'states stateMachine', covers: arn('states', 'stateMachine:[^:]+') },
} satisfies Record<string, ResourceType>;

export interface ActionEntry {
  /** Resource types marked * in the SAR: the statement must name each. */
  readonly required: readonly ResourceType[];
  /** Other resource types the SAR lists: the statement may name them. */
  readonly optional?: readonly ResourceType[];
}

/** Every action the app's policies use. No resource types at all: Resource must be "*". */
export const SERVICE_AUTHORIZATION: Readonly<Record<string, ActionEntry>> = {
  // ssm-incidents: the timeline actions need the record and its response plan.
  'ssm-incidents:GetIncidentRecord': { required: [TYPES.incidentRecord, TYPES.responsePlan] },
  'ssm-incidents:ListTimelineEvents': { required: [TYPES.incidentRecord, TYPES.responsePlan] },
  'ssm-incidents:GetTimelineEvent': { required: [TYPES.incidentRecord, TYPES.responsePlan] },
  'ssm-incidents:CreateTimelineEvent': { required: [TYPES.incidentRecord, TYPES.responsePlan] },
  'ssm-incidents:UpdateRelatedItems': { required: [TYPES.incidentRecord, TYPES.responsePlan] },
  'ssm-incidents:StartIncident': { required: [TYPES.responsePlan] },
  // ssm: starting a runbook names the document, its definition (versions) and the new execution.
  'ssm:StartAutomationExecution': {
    required: [TYPES.automationDefinition, TYPES.automationExecution, TYPES.document],
  },
  // ssm: the response functions read the OpsItem and record on it (incidents.backend opscenter).
  'ssm:GetOpsItem': { required: [TYPES.opsItem] },
  'ssm:UpdateOpsItem': { required: [TYPES.opsItem] },
  // ec2: the writes act on the group (tags, conditions) and optionally its rules.
  'ec2:AuthorizeSecurityGroupIngress': {
    required: [TYPES.securityGroup],
    optional: [TYPES.securityGroupRule],
  },
  'ec2:RevokeSecurityGroupIngress': {
    required: [TYPES.securityGroup],
    optional: [TYPES.securityGroupRule],
  },
  'ec2:DescribeSecurityGroups': { required: [] },
  'ec2:DescribeSecurityGroupRules': { required: [] },
  'ec2:DescribeInstances': { required: [] },
  'config:PutEvaluations': { required: [] },
  'lambda:InvokeFunction': { required: [TYPES.function] },
  'logs:CreateLogStream': { required: [TYPES.logGroup] },
  'logs:PutLogEvents': { required: [TYPES.logStream] },
  'iam:PassRole': { required: [TYPES.role] },
  'events:PutEvents': { required: [TYPES.eventBus] },
  's3:GetBucketAcl': { required: [TYPES.bucket] },
  's3:ListBucket': { required: [TYPES.bucket] },
  's3:PutObject': { required: [TYPES.object] },
  // The intake's dedupe records and dead-letter queue.
  'dynamodb:GetItem': { required: [TYPES.table] },
  'dynamodb:PutItem': { required: [TYPES.table] },
  'dynamodb:UpdateItem': { required: [TYPES.table] },
  'sqs:SendMessage': { required: [TYPES.queue] },
  // OpsCenter backend: the intake opens and finds OpsItems and starts the escalation; the pager
  // publishes pages. DescribeOpsItems lists no resource type.
  'ssm:CreateOpsItem': { required: [TYPES.opsItem] },
  'ssm:DescribeOpsItems': { required: [] },
  // Tags given to StartAutomationExecution; every resource type of AddTagsToResource is optional.
  'ssm:AddTagsToResource': {
    required: [],
    optional: [TYPES.automationExecution, TYPES.opsItem, TYPES.document],
  },
  'states:StartExecution': { required: [TYPES.stateMachine] },
  'sns:Publish': { required: [TYPES.topic] },
  // The escalation state machine's log delivery and tracing: none lists a resource type.
  'logs:CreateLogDelivery': { required: [] },
  'logs:GetLogDelivery': { required: [] },
  'logs:UpdateLogDelivery': { required: [] },
  'logs:DeleteLogDelivery': { required: [] },
  'logs:ListLogDeliveries': { required: [] },
  'logs:PutResourcePolicy': { required: [] },
  'logs:DescribeResourcePolicies': { required: [] },
  'logs:DescribeLogGroups': { required: [] },
  'xray:PutTraceSegments': { required: [] },
  'xray:PutTelemetryRecords': { required: [] },
  'xray:GetSamplingRules': { required: [] },
  'xray:GetSamplingTargets': { required: [] },
  // Organization mode: the central functions assume the member role with a source identity, and
  // place an account in its OU (ListParents on an account or an OU, either type).
  'sts:AssumeRole': { required: [TYPES.role] },
  // The SAR lists role and user; with AssumeRole the resource is the role assumed.
  'sts:SetSourceIdentity': { required: [TYPES.role], optional: [TYPES.user] },
  'organizations:ListParents': {
    required: [],
    optional: [TYPES.organizationAccount, TYPES.organizationalUnit],
  },
};
