import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { Stage as HttpApiStage } from "@pulumi/aws/apigatewayv2/stage";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { CloudFormationStack } from "@pulumi/aws/serverlessrepository/cloudFormationStack";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { logGroupNameFromArn, RDS_OS_METRICS_LOG_GROUP, rdsLogGroupName } from "./lib/aws";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { dependenciesVia, isLiteral, label, ofType } from "./lib/stack";

// ---------------------------------------------------------------------------------------------

export interface LogGroupRetentionConfig extends ExemptionConfig {
  minRetentionDays: number;
}

const logGroupRetentionSchema = schema({
  minRetentionDays: {
    type: "integer",
    minimum: 1,
    default: 30,
    description:
      "Shortest retention accepted, in days. AWS Config's cw-loggroup-retention-period-check defaults to 365.",
  },
});

/** @internal */
export const cloudwatchLogGroupRetention: ResourceValidationPolicy = {
  name: "cloudwatch-log-group-retention",
  description:
    "CloudWatch log groups must expire their logs after a configured minimum retention, never keep them forever (mirrors Checkov CKV_AWS_66, cdk-nag CloudWatchLogGroupRetentionPeriod and AWS Config cw-loggroup-retention-period-check).",
  configSchema: logGroupRetentionSchema,
  validateResource: validateUnlessExempt(
    LogGroup,
    logGroupRetentionSchema,
    (logGroup, args, report) => {
      const { minRetentionDays } = configOf<LogGroupRetentionConfig>(logGroupRetentionSchema, args);
      const days = logGroup.retentionInDays;
      // CloudWatch's default (and 0) is "never expire".
      if (days === undefined || days === 0) {
        report(
          `CloudWatch log group must set retentionInDays (at least ${minRetentionDays}); unset or 0 keeps logs forever.`,
        );
      } else if (days < minRetentionDays) {
        report(
          `CloudWatch log group must keep logs for at least ${minRetentionDays} days (retentionInDays is ${days}).`,
        );
      }
    },
  ),
};

// ---------------------------------------------------------------------------------------------

const lambdaLogGroupSchema = schema({});

function defaultLogGroupName(fn: PolicyResource): string {
  return `/aws/lambda/${fn.props.name}`;
}

/**
 * The stack's log groups, indexed once per stack evaluation so that finding a resource's groups
 * is a lookup, not a scan of every group: by the resources their `name` was built from, and by
 * their name when it was written in the program. Lookups decide exactly as scanning the groups in
 * stack order would, including where a literal-named group's name is unknown at preview (an
 * auto-named group at a first preview): the read throws where the scan would have reached it.
 */
class LogGroupIndex {
  private readonly namedFrom = new Map<string, PolicyResource[]>();
  private readonly byName = new Map<unknown, Array<{ group: PolicyResource; at: number }>>();
  private readonly position = new Map<PolicyResource, number>();
  /** How many groups have a name written in the program. */
  readonly literalCount: number;
  private firstUnreadable = Number.POSITIVE_INFINITY;
  private unreadable: unknown;

  constructor(logGroups: PolicyResource[]) {
    let literalCount = 0;
    logGroups.forEach((lg, at) => {
      this.position.set(lg, at);
      const sources = dependenciesVia(lg, ["name"]);
      for (const urn of new Set(sources.map((d) => d.urn))) {
        this.namedFrom.set(urn, [...(this.namedFrom.get(urn) ?? []), lg]);
      }
      if (sources.length > 0) return;
      literalCount++;
      let name: unknown;
      try {
        name = lg.props.name;
      } catch (err) {
        if (at < this.firstUnreadable) [this.firstUnreadable, this.unreadable] = [at, err];
        return;
      }
      const same = this.byName.get(name) ?? [];
      same.push({ group: lg, at });
      this.byName.set(name, same);
    });
    this.literalCount = literalCount;
  }

  /** Groups whose name was built from any of `urns`, in stack order. */
  namedFromAny(urns: Iterable<string>): PolicyResource[] {
    const groups = new Set<PolicyResource>();
    for (const urn of urns) for (const lg of this.namedFrom.get(urn) ?? []) groups.add(lg);
    return [...groups].sort((a, b) => (this.position.get(a) ?? 0) - (this.position.get(b) ?? 0));
  }

  /** Every literal-named group named `name` (`filter` over the literal-named groups). */
  allNamed(name: unknown): PolicyResource[] {
    if (this.firstUnreadable !== Number.POSITIVE_INFINITY) throw this.unreadable;
    return (this.byName.get(name) ?? []).map((g) => g.group);
  }

  /** The first literal-named group named `name` (`find` over the groups in stack order). */
  firstNamed(name: unknown): PolicyResource | undefined {
    const first = this.byName.get(name)?.[0];
    if (this.firstUnreadable < (first?.at ?? Number.POSITIVE_INFINITY)) throw this.unreadable;
    return first?.group;
  }
}

/**
 * The in-stack log groups the function's logs land in: the one named in `loggingConfig`, or
 * AWS's default `/aws/lambda/<function name>`.
 */
function managedLogGroupsOf(fn: PolicyResource, logGroups: LogGroupIndex): PolicyResource[] {
  const viaConfig = dependenciesVia(fn, ["loggingConfig"]).filter((d) => d.isType(LogGroup));
  if (viaConfig.length > 0) return viaConfig;

  const configured = isLiteral(fn, ["loggingConfig"])
    ? (fn.props.loggingConfig?.logGroup as string | undefined)
    : undefined;
  if (configured === undefined) {
    // A name built from the function's own name (`/aws/lambda/${fn.name}`), known or not.
    const named = logGroups.namedFromAny([fn.urn]);
    if (named.length > 0) return named;
  }
  if (logGroups.literalCount === 0) return [];
  const wanted = configured ?? defaultLogGroupName(fn);
  return logGroups.allNamed(wanted);
}

/**
 * Functions a Serverless Application Repository app deploys through CloudFormation (the Secrets
 * Manager rotation apps take their function's name as the `functionName` parameter): Lambda
 * creates their log group on first run, never expiring, unless the stack creates it first.
 */
function applicationFunctionNames(app: PolicyResource): string[] {
  // Only the one parameter is read: others (subnets, endpoints) may be unknown in a preview.
  const name = app.props.parameters?.functionName;
  return typeof name === "string" ? [name] : [];
}

/** @internal */
export const lambdaManagedLogGroup: StackValidationPolicy = {
  name: "lambda-managed-log-group",
  description:
    "Lambda functions, including those a Serverless Application Repository app deploys, must log to a log group created in this stack (their /aws/lambda/<name> group or loggingConfig.logGroup), or Lambda creates one that never expires (cdk-nag LambdaLogging/LambdaLogLevel; Serverless-CloudWatchLogGroupRetentionPeriod rationale).",
  configSchema: lambdaLogGroupSchema,
  validateStack: (args, report) => {
    const logGroups = new LogGroupIndex(ofType(args.resources, LogGroup));
    const functions = notExempt(ofType(args.resources, LambdaFunction), lambdaLogGroupSchema, args);
    const apps = notExempt(ofType(args.resources, CloudFormationStack), lambdaLogGroupSchema, args);
    if (functions.length === 0 && apps.length === 0) args.notApplicable("no Lambda functions");
    for (const fn of functions) {
      if (managedLogGroupsOf(fn, logGroups).length > 0) continue;
      const configured = isLiteral(fn, ["loggingConfig"])
        ? (fn.props.loggingConfig?.logGroup as string | undefined)
        : undefined;
      report(
        `${label("Lambda function", fn)} must log to a log group in this stack with retention: create "${configured ?? defaultLogGroupName(fn)}" here (before the function) or point loggingConfig.logGroup at one.`,
        fn.urn,
      );
    }
    for (const app of apps) {
      for (const functionName of applicationFunctionNames(app)) {
        const wanted = `/aws/lambda/${functionName}`;
        const inStack = logGroups.firstNamed(wanted) !== undefined;
        if (!inStack) {
          report(
            `${label("Serverless application", app)} must have the log group of its function created in this stack with retention: create "${wanted}" before the application.`,
            app.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface AccessLoggingConfig extends ExemptionConfig {
  requireFormat: boolean;
}

const accessLoggingSchema = schema({
  requireFormat: {
    type: "boolean",
    default: true,
    description: "Also require accessLogSettings.format (cdk-nag AwsSolutions-APIG1 does).",
  },
});

/** @internal */
export const apiStageAccessLogging: StackValidationPolicy = {
  name: "api-stage-access-logging",
  description:
    "API Gateway stages must write access logs to a log group created in this stack, so their retention is enforced too (mirrors Checkov CKV_AWS_76, cdk-nag AwsSolutions-APIG1 and Serverless-APIGWAccessLogging).",
  configSchema: accessLoggingSchema,
  validateStack: (args, report) => {
    const { requireFormat } = configOf<AccessLoggingConfig>(accessLoggingSchema, args);
    const logGroups = new LogGroupIndex(ofType(args.resources, LogGroup));
    const stages = notExempt(
      [...ofType(args.resources, RestApiStage), ...ofType(args.resources, HttpApiStage)],
      accessLoggingSchema,
      args,
    );
    if (stages.length === 0) args.notApplicable("no API Gateway stages");
    for (const stage of stages) {
      const settings = stage.props.accessLogSettings as
        | { destinationArn?: string; format?: string }
        | undefined;
      if (settings === undefined) {
        report(
          `${label("API Gateway stage", stage)} must send access logs to a CloudWatch log group in this stack (accessLogSettings).`,
          stage.urn,
        );
        continue;
      }
      const viaDeps = dependenciesVia(stage, ["accessLogSettings"]).some((d) => d.isType(LogGroup));
      if (!viaDeps) {
        const name = isLiteral(stage, ["accessLogSettings"])
          ? logGroupNameFromArn(settings.destinationArn ?? "")
          : undefined;
        const inStack = name !== undefined && logGroups.firstNamed(name) !== undefined;
        if (!inStack) {
          report(
            `${label("API Gateway stage", stage)} must send access logs to a log group created in this stack (accessLogSettings.destinationArn is ${settings.destinationArn ?? "unset"}).`,
            stage.urn,
          );
        }
      }
      if (requireFormat && !settings.format) {
        report(
          `${label("API Gateway stage", stage)} must set an access log format (accessLogSettings.format).`,
          stage.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface RdsLogGroupsConfig extends ExemptionConfig {
  requireDependency: boolean;
  requireOsMetricsLogGroup: boolean;
}

const rdsLogGroupsSchema = schema({
  requireDependency: {
    type: "boolean",
    default: true,
    description:
      "Also require the instance to depend on each of its log groups, so a group exists before RDS first publishes to it (RDS creates its own, never expiring, when it does not).",
  },
  requireOsMetricsLogGroup: {
    type: "boolean",
    default: false,
    description:
      "Also require Enhanced Monitoring's account-wide RDSOSMetrics log group in the stack for instances with monitoringInterval > 0. Set it only for the one stack per account and region that owns that group.",
  },
});

/** How a message names a log group: its name when written in the program, else its logical name. */
function logGroupLabel(lg: PolicyResource): string {
  return isLiteral(lg, ["name"]) && typeof lg.props.name === "string"
    ? `"${lg.props.name}"`
    : `"${lg.name}" (logical name)`;
}

/** `enabledCloudwatchLogsExports` of an instance; unset means none. */
function logExportsOf(db: PolicyResource): string[] {
  const exports = db.props.enabledCloudwatchLogsExports as unknown;
  return Array.isArray(exports) ? exports.filter((e): e is string => typeof e === "string") : [];
}

/** @internal */
export const rdsLogGroupsManaged: StackValidationPolicy = {
  name: "rds-log-groups-managed",
  description:
    "RDS instances that export logs to CloudWatch must have each export's /aws/rds/instance/<identifier>/<export> log group created in this stack before them, or RDS creates one that never expires (the gap AWS CDK's cloudwatchLogsRetention closes; extends AWS Config cw-loggroup-retention-period-check to deploy time for the groups Checkov CKV_AWS_129 and AWS Config rds-postgresql-logs-to-cloudwatch ask for).",
  configSchema: rdsLogGroupsSchema,
  validateStack: (args, report) => {
    const { requireDependency, requireOsMetricsLogGroup } = configOf<RdsLogGroupsConfig>(
      rdsLogGroupsSchema,
      args,
    );
    const logGroups = new LogGroupIndex(ofType(args.resources, LogGroup));
    const instances = notExempt(ofType(args.resources, RdsInstance), rdsLogGroupsSchema, args);
    const monitored = (db: PolicyResource) =>
      requireOsMetricsLogGroup && typeof db.props.monitoringInterval === "number"
        ? db.props.monitoringInterval > 0
        : false;
    const judged = instances.filter((db) => logExportsOf(db).length > 0 || monitored(db));
    if (judged.length === 0) args.notApplicable("no RDS instances exporting logs");

    const requireBefore = (db: PolicyResource, lg: PolicyResource) => {
      if (!requireDependency || db.dependencies.some((d) => d.urn === lg.urn)) return;
      if (dependenciesVia(lg, ["name"]).some((d) => d.urn === db.urn)) {
        report(
          `${label("RDS instance", db)} must not name its log group ${logGroupLabel(lg)} from its own outputs: that group is created after the instance, when RDS may already have created its own without retention; name it from the identifier and make the instance depend on it.`,
          db.urn,
        );
      } else {
        report(
          `${label("RDS instance", db)} must depend on its log group ${logGroupLabel(lg)} (dependsOn), so the group exists before RDS first publishes to it.`,
          db.urn,
        );
      }
    };

    for (const db of judged) {
      // The identifier as written in the program, when it was; one taken from another resource
      // may be unknown in a preview, and is then matched through that resource.
      const identifierSources = new Set(dependenciesVia(db, ["identifier"]).map((d) => d.urn));
      const identifier =
        identifierSources.size === 0 ? (db.props.identifier as string | undefined) : undefined;
      // Groups named from the same source as the identifier, or from the instance itself.
      const spare = logGroups.namedFromAny([db.urn, ...identifierSources]);
      for (const logExport of logExportsOf(db)) {
        const wanted =
          identifier === undefined ? undefined : rdsLogGroupName(identifier, logExport);
        const group = logGroups.firstNamed(wanted) ?? spare.shift();
        if (group) {
          requireBefore(db, group);
        } else if (identifier === undefined && identifierSources.size === 0) {
          report(
            `${label("RDS instance", db)} must set an explicit identifier and create the log group of its "${logExport}" export, "/aws/rds/instance/<identifier>/${logExport}", in this stack before it, or RDS creates one that never expires.`,
            db.urn,
          );
        } else {
          report(
            `${label("RDS instance", db)} must have the log group of its "${logExport}" export created in this stack with retention: create "${wanted ?? `/aws/rds/instance/<identifier>/${logExport}`}" and make the instance depend on it, or RDS creates one that never expires.`,
            db.urn,
          );
        }
      }
      if (monitored(db)) {
        const group = logGroups.firstNamed(RDS_OS_METRICS_LOG_GROUP);
        if (group) {
          requireBefore(db, group);
        } else {
          report(
            `${label("RDS instance", db)} must have Enhanced Monitoring's "${RDS_OS_METRICS_LOG_GROUP}" log group created in this stack with retention (requireOsMetricsLogGroup), or RDS creates one that never expires.`,
            db.urn,
          );
        }
      }
    }
  },
};
