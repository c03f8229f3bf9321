import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as wafv2 from "@pulumi/aws/wafv2";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmDefinition, type AlarmTarget, alarmArgs, alarmName } from "../lib/alarms";

export interface FirewallArgs {
  /** Physical web ACL name (also its metric name prefix), e.g. `huntaze-api-prod`. */
  aclName: string;
  /** The REST API stage to protect. */
  stageArn: pulumi.Input<string>;
  /** Requests one IP may make per 5 minutes before its requests are blocked (≥ 10). */
  ratePerIpPer5Minutes: number;
  logRetentionInDays: number;
  /** The customer-managed key the WAF log group is encrypted with (its policy grants CloudWatch Logs). */
  logsKmsKeyArn: pulumi.Input<string>;
  /** Where the blocked-requests alarm notifies. */
  alarmTarget: AlarmTarget;
  /** Blocked requests per 5 minutes that page someone. */
  blockedRequestsAlarmThreshold: number;
  region: string;
}

/** AWS managed rule groups, in evaluation order (WCU: common 700, known bad inputs 200). */
export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
] as const;

/**
 * A WAFv2 web ACL in front of the REST API stage: AWS's common rule set (OWASP-style bad
 * requests) and known bad inputs (Log4Shell and the like), then a per-IP rate limit. Requests
 * that pass every rule are allowed. Logs go to a group WAF accepts (its name must start with
 * `aws-waf-logs-`) with the stack's retention, with the Authorization header redacted (bearer
 * tokens must not land in logs), and blocked-request spikes raise an alarm.
 */
export class Firewall extends pulumi.ComponentResource {
  readonly webAcl: wafv2.WebAcl;
  readonly association: wafv2.WebAclAssociation;
  readonly logGroup: cloudwatch.LogGroup;
  readonly logging: wafv2.WebAclLoggingConfiguration;
  readonly alarm: cloudwatch.MetricAlarm;
  readonly definitions: AlarmDefinition[];
  readonly alarmNames: string[];
  readonly alarmArns: pulumi.Output<string>[];

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Firewall", name, {}, opts);
    const parent = this;
    normalizeArgs(args);
    const metricPrefix = args.aclName.replace(/[^A-Za-z0-9_-]/g, "-");

    this.webAcl = createWebAcl();
    this.association = new wafv2.WebAclAssociation(
      `${name}-association`,
      { resourceArn: args.stageArn, webAclArn: this.webAcl.arn },
      { parent },
    );
    this.logGroup = new cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `aws-waf-logs-${args.aclName}`,
        retentionInDays: args.logRetentionInDays,
        kmsKeyId: args.logsKmsKeyArn,
      },
      { parent },
    );
    this.logging = new wafv2.WebAclLoggingConfiguration(
      `${name}-logging`,
      {
        resourceArn: this.webAcl.arn,
        logDestinationConfigs: [this.logGroup.arn],
        redactedFields: [{ singleHeader: { name: "authorization" } }],
      },
      { parent },
    );
    const definition = blockedRequestsAlarm(
      args.aclName,
      args.region,
      args.blockedRequestsAlarmThreshold,
    );
    this.definitions = [definition];
    this.alarmNames = [alarmName(args.alarmTarget.naming, definition)];
    this.alarm = new cloudwatch.MetricAlarm(
      `${name}-blocked-requests`,
      alarmArgs(args.alarmTarget, definition),
      { parent, dependsOn: [this.webAcl] },
    );
    this.alarmArns = [this.alarm.arn];
    this.registerOutputs({ webAclArn: this.webAcl.arn, logGroupName: this.logGroup.name });

    function visibility(metric: string): wafv2.WebAclArgs["visibilityConfig"] {
      return {
        cloudwatchMetricsEnabled: true,
        sampledRequestsEnabled: true,
        metricName: `${metricPrefix}-${metric}`,
      };
    }

    function createWebAcl(): wafv2.WebAcl {
      return new wafv2.WebAcl(
        `${name}-acl`,
        {
          name: args.aclName,
          description: `Edge firewall of ${args.aclName}: AWS managed rules and a per-IP rate limit`,
          scope: "REGIONAL",
          defaultAction: { allow: {} },
          rules: [
            ...MANAGED_RULE_GROUPS.map((group, i) => ({
              name: group,
              priority: i + 1,
              overrideAction: { none: {} },
              statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
              visibilityConfig: visibility(group),
            })),
            {
              name: "rate-per-ip",
              priority: MANAGED_RULE_GROUPS.length + 1,
              action: { block: {} },
              statement: {
                rateBasedStatement: {
                  limit: args.ratePerIpPer5Minutes,
                  aggregateKeyType: "IP",
                  evaluationWindowSec: 300,
                },
              },
              visibilityConfig: visibility("rate-per-ip"),
            },
          ],
          visibilityConfig: visibility("acl"),
        },
        { parent },
      );
    }
  }
}

/**
 * Blocked requests (every rule) over 5 minutes: a spike is an attack, a client stuck in a retry
 * loop, or a managed rule newly blocking legitimate traffic — each needs a person.
 */
function blockedRequestsAlarm(aclName: string, region: string, threshold: number): AlarmDefinition {
  return {
    section: "waf-blocked-requests",
    title: "WAF blocked requests",
    summary: `The web ACL ${aclName} blocked more than ${threshold} requests in 5 minutes (AWS/WAFV2 BlockedRequests, all rules).`,
    signal: {
      metric: {
        namespace: "AWS/WAFV2",
        metricName: "BlockedRequests",
        dimensions: { WebACL: aclName, Region: region, Rule: "ALL" },
        stat: "Sum",
      },
    },
    threshold,
    comparison: "GreaterThanThreshold",
    evaluation: { periodSeconds: 300, datapointsToAlarm: 1, evaluationPeriods: 1 },
    treatMissingData: "notBreaching",
  };
}

function normalizeArgs(args: FirewallArgs): void {
  if (!Number.isInteger(args.ratePerIpPer5Minutes) || args.ratePerIpPer5Minutes < 10) {
    throw new Error(
      `Firewall ${args.aclName}: ratePerIpPer5Minutes must be an integer ≥ 10 (WAF's minimum), got ${args.ratePerIpPer5Minutes}`,
    );
  }
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(args.aclName)) {
    throw new Error(`Firewall: aclName "${args.aclName}" must be 1-128 letters, digits, - or _`);
  }
}
