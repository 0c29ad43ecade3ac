/**
 * The main stack, in the app's region: functions, runbooks, contacts, response plans, Config
 * rules and the EventBridge rules that start incidents.
 */
import { Annotations, RemovalPolicy, Stack, Token, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import * as ssmincidents from 'aws-cdk-lib/aws-ssmincidents';
import type { Construct } from 'constructs';
import { applyTags } from '../tags';
import { detectionById, type DetectionId, type EventPattern } from '../../patterns';
import {
  alarmTopicsOf,
  responsePlansOf,
  type FirstResponderConfig,
  type ResponsePlanConfig,
} from '../config';
import { ConfigRules } from '../constructs/config-rules';
import { CentralBus, guardDutyForwarder } from '../constructs/central-bus';
import type { DetectionRule } from '../constructs/detection';
import { memberRoleNameOf, organizationSettingsOf } from '../config-organization';
import { detectionPatterns, ruleNameOf, securityGroupConfigRuleName } from '../detection-patterns';
import { Intake } from '../constructs/intake';
import { OnCall } from '../constructs/on-call';
import { ResponseFunctions } from '../constructs/response-functions';
import { Paging } from '../constructs/paging';
import { ResponsePlans } from '../constructs/response-plans';
import { Runbooks } from '../constructs/runbooks';
import { ASSUME_ROLE_PARAMETER, loadRunbook } from '../runbooks';

/** Shown in `existing` mode, where the app creates no replication set. */
export const ONBOARDING_NOTICE =
  'Incident Manager replication set: mode "existing" assumes this account is already onboarded to Incident Manager and creates none. AWS closed Incident Manager to new accounts on 2025-11-07: an account that was not onboarded before then cannot deploy the contacts and response plans of this app. See docs/configuration.md.';

export interface FirstResponderStackProps extends StackProps {
  readonly config: FirstResponderConfig;
}

export class FirstResponderStack extends Stack {
  readonly responseFunctions: ResponseFunctions;
  readonly runbooks: Runbooks;
  /** Incident Manager contacts and response plans (backend "incident-manager" only). */
  readonly onCall?: OnCall;
  readonly responsePlans?: ResponsePlans;
  /** SNS paging and the escalation state machine (backend "opscenter" only). */
  readonly paging?: Paging;
  readonly plans: readonly ResponsePlanConfig[];
  readonly configRules: ConfigRules;
  readonly intake: Intake;
  readonly detections = new Map<DetectionId, events.CfnRule>();
  /** The event pattern of each detection, as deployed. */
  readonly patterns = new Map<DetectionId, EventPattern>();
  readonly replicationSet?: ssmincidents.CfnReplicationSet;
  /** Organization mode: the central bus the detection rules are on. */
  readonly centralBus?: CentralBus;
  /** Organization mode: the rule forwarding the home region's GuardDuty findings to it. */
  readonly guardDutyForwarder?: DetectionRule;

  constructor(scope: Construct, id: string, props: FirstResponderStackProps) {
    super(scope, id, props);
    const config = props.config;
    const prefix = config.app.prefix;
    this.plans = responsePlansOf(config);
    const org = config.organization;
    const member = org && {
      organizationId: org.organizationId,
      memberRoleName: memberRoleNameOf(org, prefix),
      settings: organizationSettingsOf(org, prefix),
    };

    // Construct id kept from when the class was named Remediation: it prefixes the logical IDs of
    // every function, role and log group, and a new one would replace them on update.
    this.responseFunctions = new ResponseFunctions(this, 'Remediation', {
      prefix,
      policyJson: config.policyJson,
      exempt: config.policy.exempt,
      responsePlans: this.plans,
      logRetention: config.logs.retentionDays,
      ...(config.logs.kmsKeyArn ? { logKmsKeyArn: config.logs.kmsKeyArn } : {}),
      ...(config.remediation.maxRevokesPerGroup !== undefined
        ? { maxRevokesPerGroup: config.remediation.maxRevokesPerGroup }
        : {}),
      ...(config.remediation.maxGroupsPerCall !== undefined
        ? { maxGroupsPerCall: config.remediation.maxGroupsPerCall }
        : {}),
      ...(config.remediation.maxInboundRulesPerGroup !== undefined
        ? { maxInboundRulesPerGroup: config.remediation.maxInboundRulesPerGroup }
        : {}),
      guardDutyRevertMinSeverity: config.remediation.guardDutyRevertMinSeverity,
      opsCenter: config.incidents.backend === 'opscenter',
      ...(member ? { organization: member } : {}),
    });

    const opsCenter = config.incidents.backend === 'opscenter';
    this.runbooks = new Runbooks(this, 'Runbooks', {
      prefix,
      functions: this.responseFunctions.functions,
      incidentManager: !opsCenter,
      ...(org ? { organization: org } : {}),
    });

    const rs = config.incidentManager.replicationSet;
    if (opsCenter) {
      this.paging = new Paging(this, 'Paging', {
        prefix,
        contacts: config.contacts,
        escalationPlans: config.escalationPlans,
        plans: this.plans,
        logRetention: config.logs.retentionDays,
        ...(config.logs.kmsKeyArn ? { logKmsKeyArn: config.logs.kmsKeyArn } : {}),
      });
    } else if (rs.mode === 'create') {
      const regions = rs.regions ?? [this.region];
      this.replicationSet = new ssmincidents.CfnReplicationSet(this, 'ReplicationSet', {
        deletionProtected: true,
        regions: regions.map((regionName) => {
          const key = rs.kmsKeyArns?.[regionName];
          return { regionName, ...(key ? { regionConfiguration: { sseKmsKeyId: key } } : {}) };
        }),
      });
      // Deleting the replication set deletes every incident; a stack deletion must not do that.
      this.replicationSet.applyRemovalPolicy(RemovalPolicy.RETAIN);
    } else {
      Annotations.of(this).addInfo(ONBOARDING_NOTICE);
    }

    if (!opsCenter) {
      const onCall = new OnCall(this, 'OnCall', {
        contacts: config.contacts,
        escalationPlans: config.escalationPlans,
        rotations: config.rotations,
        deferChannelActivation: config.incidentManager.deferChannelActivation,
      });
      const responsePlans = new ResponsePlans(this, 'ResponsePlans', {
        plans: this.plans,
        engagementArn: (a) => onCall.arnOf(a),
        documents: this.runbooks.documents,
        incidentManagerRole: this.runbooks.incidentManagerRole!,
        automationRole: this.runbooks.automationRole,
        dryRun: config.remediation.dryRun,
      });
      this.onCall = onCall;
      this.responsePlans = responsePlans;
      if (this.replicationSet)
        for (const r of [...onCall.resources, ...responsePlans.plans.values()])
          r.addResourceDependency(this.replicationSet);
    }

    for (const p of this.plans)
      if (p.engagements.length === 0)
        Annotations.of(this.responsePlans?.plans.get(p.detection) ?? this).addWarningV2(
          'first-responder:no-engagements',
          `responsePlans.${p.detection} has no engagements: its incidents start and run the runbook, but nobody is paged. Add contact or escalation-plan aliases to responsePlans.${p.detection}.engagements.`,
        );

    this.configRules = new ConfigRules(this, 'ConfigRules', {
      rules: config.detection.config.rules,
      securityGroupRuleName: securityGroupConfigRuleName(config),
      evaluator: this.responseFunctions.functions.configEvaluator,
      recorder: config.detection.config.recorder,
    });

    // The app's own remediation changes groups too; it must not open incidents about itself.
    const patterns = detectionPatterns(
      config,
      this.responseFunctions.remediationRoles.map((r) => r.roleArn),
    );
    for (const [id, pattern] of patterns) this.patterns.set(id, pattern);

    // Every rule targets the intake, which judges, deduplicates and starts the incident.
    const alarmTopics = alarmTopicsOf(
      config,
      Token.isUnresolved(this.region) ? undefined : this.region,
    );
    if (alarmTopics.length === 0)
      Annotations.of(this).addWarningV2(
        'first-responder:alarm-notifies-nobody',
        "The intake's dead-letter alarm (an event that could not become an incident) notifies nobody: set alarms.topicArns, or a notificationTopicArn on a response plan.",
      );
    if (org) {
      this.centralBus = new CentralBus(this, 'CentralBus', {
        prefix,
        organizationId: org.organizationId,
      });
      // Each signal is consumed in one place: members forward all but GuardDuty's, which reach
      // this (the delegated administrator's) bus in each region; the other regions' forwarders
      // are stacks of their own (infra/stacks/guardduty-forwarder-stack.ts).
      this.guardDutyForwarder = guardDutyForwarder(this, {
        prefix,
        homeRegion: org.homeRegion,
        centralBusArn: this.centralBus.eventBusArn,
        pattern: this.patterns.get('guardDutyFinding')!,
      });
    }
    this.intake = new Intake(this, 'Intake', {
      prefix,
      policyJson: config.policyJson,
      responsePlans: Object.fromEntries(
        this.plans.map((p) => [p.detection, { name: p.name, impact: p.impact }]),
      ) as Record<DetectionId, { name: string; impact: number }>,
      logRetention: config.logs.retentionDays,
      ...(config.logs.kmsKeyArn ? { logKmsKeyArn: config.logs.kmsKeyArn } : {}),
      alarmActionArns: alarmTopics,
      ...(config.remediation.maxRevokesPerGroup !== undefined
        ? { maxRevokesPerGroup: config.remediation.maxRevokesPerGroup }
        : {}),
      ...(member && this.centralBus
        ? { organization: { ...member, eventBusName: this.centralBus.eventBusName } }
        : {}),
      ...(this.paging
        ? {
            opsCenter: {
              escalation: this.paging.stateMachine,
              runbooks: runbookStarts(this.plans, this.runbooks, config.remediation.dryRun),
              automationRole: this.runbooks.automationRole,
              notificationTopicArns: Object.fromEntries(
                this.plans.flatMap((p) =>
                  p.notificationTopicArn ? [[p.detection, p.notificationTopicArn]] : [],
                ),
              ),
            },
          }
        : {}),
    });
    for (const p of this.plans) {
      const rule = this.intake.addRule(`Detect-${p.detection}`, {
        detection: p.detection,
        ruleName: ruleNameOf(config, p.detection),
        description: `Sends matching events to the intake, which opens incidents from response plan ${p.name}.`,
        eventPattern: this.patterns.get(p.detection)!,
        state: detectionById(p.detection).ruleState,
      });
      // The intake starts incidents from the plan: it must exist before events arrive.
      const plan = this.responsePlans?.plans.get(p.detection);
      if (plan) rule.addResourceDependency(plan);
      this.detections.set(p.detection, rule);
    }

    applyTags(this, config.app.tags);
  }
}

/**
 * What the intake passes each runbook under OpsCenter: the parameters a response plan would
 * (the automation role, and DryRun where declared); the OpsItem fills the rest.
 */
export function runbookStarts(
  plans: readonly ResponsePlanConfig[],
  runbooks: Runbooks,
  dryRun: boolean,
): Record<DetectionId, RunbookStartProps> {
  const out = {} as Record<DetectionId, RunbookStartProps>;
  for (const p of plans) {
    const declared = loadRunbook(p.runbook).parameters;
    const parameters: Record<string, string[]> = {
      [ASSUME_ROLE_PARAMETER]: [runbooks.automationRole.roleArn],
    };
    if (declared.DryRun) parameters.DryRun = [String(dryRun)];
    out[p.detection] = { document: runbooks.documents[p.runbook], parameters };
  }
  return out;
}

type RunbookStartProps = { document: ssm.CfnDocument; parameters: Record<string, string[]> };
