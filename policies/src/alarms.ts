import { Integration as RestApiIntegration } from "@pulumi/aws/apigateway/integration";
import { RestApi } from "@pulumi/aws/apigateway/restApi";
import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { Api as HttpApi } from "@pulumi/aws/apigatewayv2/api";
import { Integration as HttpApiIntegration } from "@pulumi/aws/apigatewayv2/integration";
import { Stage as HttpApiStage } from "@pulumi/aws/apigatewayv2/stage";
import { EventTarget } from "@pulumi/aws/cloudwatch/eventTarget";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Instance as RdsInstance } from "@pulumi/aws/rds/instance";
import { TopicSubscription } from "@pulumi/aws/sns/topicSubscription";
import { Queue } from "@pulumi/aws/sqs/queue";
import { RedrivePolicy } from "@pulumi/aws/sqs/redrivePolicy";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { lastArnSegment } from "./lib/aws";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { knownOrUndefined } from "./lib/known";
import {
  ALARM_DIMENSION_PROPERTIES,
  type AlarmLookup,
  alarmWatches,
  indexAlarmsBy,
  literalDimensionValues,
} from "./lib/metrics";
import { dependenciesVia, dependsVia, label, ofType, referencedVia } from "./lib/stack";

/**
 * True when the alarm's dimensions point at `target`: through a property dependency, or, for
 * literal dimensions, by `dimension` equal to one of the target's identities (name, id).
 */
function alarmRefersTo(
  alarm: PolicyResource,
  target: PolicyResource,
  dimension: string,
  identities: () => string[],
): boolean {
  if (dependsVia(alarm, ALARM_DIMENSION_PROPERTIES, target)) return true;
  const literal = literalDimensionValues(alarm, dimension);
  return literal.length > 0 && literal.some((v) => identities().includes(v));
}

function nameOf(r: PolicyResource, property = "name"): () => string[] {
  let cached: string[] | undefined;
  return () => {
    cached ??= [r.props[property]].filter((v): v is string => typeof v === "string");
    return cached;
  };
}

// ---------------------------------------------------------------------------------------------

export interface AlarmActionsConfig extends ExemptionConfig {
  requireOkActions: boolean;
}

const alarmActionsSchema = schema({
  requireOkActions: {
    type: "boolean",
    default: false,
    description: "Also require okActions, so recoveries are notified.",
  },
});

/** @internal */
export const cloudwatchAlarmActions: ResourceValidationPolicy = {
  name: "cloudwatch-alarm-actions",
  description:
    "CloudWatch alarms must notify someone: non-empty alarmActions with actions enabled (mirrors Checkov CKV_AWS_319, cdk-nag CloudWatchAlarmAction and AWS Config cloudwatch-alarm-action-check).",
  configSchema: alarmActionsSchema,
  validateResource: validateUnlessExempt(MetricAlarm, alarmActionsSchema, (alarm, args, report) => {
    const { requireOkActions } = configOf<AlarmActionsConfig>(alarmActionsSchema, args);
    if (alarm.actionsEnabled === false) {
      report("CloudWatch alarm must have its actions enabled (actionsEnabled is false).");
    }
    if ((alarm.alarmActions ?? []).length === 0) {
      report(
        "CloudWatch alarm must have at least one alarm action (alarmActions), e.g. the SNS alert topic.",
      );
    }
    if (requireOkActions && (alarm.okActions ?? []).length === 0) {
      report("CloudWatch alarm must have at least one OK action (okActions).");
    }
  }),
};

// ---------------------------------------------------------------------------------------------

const lambdaErrorAlarmSchema = schema({});

/** @internal */
export const lambdaErrorAlarm: StackValidationPolicy = {
  name: "lambda-error-alarm",
  description:
    "Every Lambda function must have a CloudWatch alarm on its AWS/Lambda Errors metric, plain or inside metric math (AWS recommended alarms: Lambda Errors; no Checkov or cdk-nag equivalent).",
  configSchema: lambdaErrorAlarmSchema,
  validateStack: (args, report) => {
    const alarms = ofType(args.resources, MetricAlarm).filter((a) =>
      alarmWatches(a, "AWS/Lambda", ["Errors"]),
    );
    const functions = notExempt(
      ofType(args.resources, LambdaFunction),
      lambdaErrorAlarmSchema,
      args,
    );
    if (functions.length === 0) args.notApplicable("no Lambda functions");
    const hasErrorAlarm = indexAlarmsBy(alarms, "FunctionName");
    for (const fn of functions) {
      if (!hasErrorAlarm(fn, nameOf(fn))) {
        report(
          `${label("Lambda function", fn)} must have an error alarm (AWS/Lambda Errors with its FunctionName dimension, e.g. a metric-math error rate).`,
          fn.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface LatencyAlarmConfig extends ExemptionConfig {
  acceptApiGatewayLatency: boolean;
}

const latencyAlarmSchema = schema({
  acceptApiGatewayLatency: {
    type: "boolean",
    default: true,
    description:
      "Accept an API Gateway Latency/IntegrationLatency alarm on an API that invokes the function instead of a Lambda Duration alarm.",
  },
});

/** The stack's APIs, their integrations and stages, indexed once per evaluation. */
interface ApiIndex {
  apis: PolicyResource[];
  integrations: Array<{ i: PolicyResource; api: string; uri: string }>;
  stages: PolicyResource[];
  /** Positions in `integrations` of those whose URI was built from the resource with this URN. */
  invoking: Map<string, number[]>;
  /** Integrations whose URI was written in the program, with its known string value. */
  literalUris: Array<{ at: number; values: string[] }>;
  /**
   * What follows each `:function:` in the literal URIs, sorted, with the URI's position in
   * `integrations`: a URI contains `:function:<name>` exactly when one of its tails starts
   * with the name, and the tails starting with a name are one run of the sorted list.
   */
  functionTails: Array<{ tail: string; at: number }>;
}

const FUNCTION_MARK = ":function:";

function functionTails(literalUris: ApiIndex["literalUris"]): ApiIndex["functionTails"] {
  const tails: ApiIndex["functionTails"] = [];
  for (const { at, values } of literalUris) {
    for (const value of values) {
      for (let from = value.indexOf(FUNCTION_MARK); from >= 0; ) {
        tails.push({ tail: value.slice(from + FUNCTION_MARK.length), at });
        from = value.indexOf(FUNCTION_MARK, from + 1);
      }
    }
  }
  return tails.sort((a, b) => (a.tail < b.tail ? -1 : a.tail > b.tail ? 1 : 0));
}

/** Positions of the literal URIs containing `:function:<name>` (see `functionTails`). */
function literalUrisNaming(name: string, tails: ApiIndex["functionTails"]): number[] {
  let low = 0;
  let high = tails.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((tails[mid] as { tail: string }).tail < name) low = mid + 1;
    else high = mid;
  }
  const at: number[] = [];
  for (let i = low; i < tails.length && (tails[i] as { tail: string }).tail.startsWith(name); i++) {
    at.push((tails[i] as { at: number }).at);
  }
  return at;
}

function indexApis(resources: PolicyResource[]): ApiIndex {
  const integrations = [
    ...ofType(resources, RestApiIntegration).map((i) => ({ i, api: "restApi", uri: "uri" })),
    ...ofType(resources, HttpApiIntegration).map((i) => ({
      i,
      api: "apiId",
      uri: "integrationUri",
    })),
  ];
  const invoking = new Map<string, number[]>();
  const literalUris: ApiIndex["literalUris"] = [];
  integrations.forEach(({ i, uri }, at) => {
    const sources = dependenciesVia(i, [uri]);
    for (const urn of new Set(sources.map((d) => d.urn))) {
      invoking.set(urn, [...(invoking.get(urn) ?? []), at]);
    }
    if (sources.length > 0) return;
    const values =
      knownOrUndefined(() => [i.props[uri]].filter((v): v is string => typeof v === "string")) ??
      [];
    if (values.length > 0) literalUris.push({ at, values });
  });
  return {
    apis: [...ofType(resources, RestApi), ...ofType(resources, HttpApi)],
    integrations,
    stages: [...ofType(resources, RestApiStage), ...ofType(resources, HttpApiStage)],
    invoking,
    literalUris,
    functionTails: functionTails(literalUris),
  };
}

/**
 * The APIs (REST or HTTP) with an integration that invokes `fn`: its URI built from `fn`, or a
 * literal URI naming it (`referencedVia`'s rules, looked up in the index instead of scanning).
 */
function apisInvoking(fn: PolicyResource, index: ApiIndex): PolicyResource[] {
  const fnNames = nameOf(fn);
  const positions = [...(index.invoking.get(fn.urn) ?? [])];
  // The names are read only when some URI is a literal, as a scan of the literal URIs would.
  if (index.literalUris.length > 0) {
    const named = new Set(fnNames().flatMap((n) => literalUrisNaming(n, index.functionTails)));
    positions.push(...named);
  }
  return positions
    .sort((a, b) => a - b)
    .flatMap((at) => {
      const { i, api } = index.integrations[at] as ApiIndex["integrations"][number];
      return referencedVia(
        i,
        [api],
        index.apis,
        () => [i.props[api]].filter((v): v is string => typeof v === "string"),
        (value, candidate) => value === candidate.props.id,
      );
    });
}

function alarmRefersToApi(alarm: PolicyResource, api: PolicyResource, index: ApiIndex): boolean {
  const stages = index.stages.filter((s) => dependsVia(s, ["restApi", "apiId"], api));
  if ([api, ...stages].some((r) => dependsVia(alarm, ALARM_DIMENSION_PROPERTIES, r))) return true;
  // REST APIs are identified by ApiName, HTTP APIs by ApiId.
  return (
    alarmRefersTo(alarm, api, "ApiName", nameOf(api)) ||
    alarmRefersTo(alarm, api, "ApiId", nameOf(api, "id"))
  );
}

/** @internal */
export const lambdaLatencyAlarm: StackValidationPolicy = {
  name: "lambda-latency-alarm",
  description:
    "Every Lambda function must have a latency alarm: AWS/Lambda Duration on the function, or API Gateway Latency on an API that invokes it (AWS recommended alarms: Lambda Duration, API Gateway Latency).",
  configSchema: latencyAlarmSchema,
  validateStack: (args, report) => {
    const { acceptApiGatewayLatency } = configOf<LatencyAlarmConfig>(latencyAlarmSchema, args);
    const alarms = ofType(args.resources, MetricAlarm);
    const durationAlarms = alarms.filter((a) => alarmWatches(a, "AWS/Lambda", ["Duration"]));
    const apiLatencyAlarms = alarms.filter((a) =>
      alarmWatches(a, "AWS/ApiGateway", ["Latency", "IntegrationLatency"]),
    );
    const functions = notExempt(ofType(args.resources, LambdaFunction), latencyAlarmSchema, args);
    if (functions.length === 0) args.notApplicable("no Lambda functions");
    // Built once, and only if a function lacks a Duration alarm.
    let apiIndex: ApiIndex | undefined;
    const apiIndexOnce = (): ApiIndex => {
      apiIndex ??= indexApis(args.resources);
      return apiIndex;
    };
    const hasDurationAlarm = indexAlarmsBy(durationAlarms, "FunctionName");
    for (const fn of functions) {
      if (hasDurationAlarm(fn, nameOf(fn))) continue;
      if (
        acceptApiGatewayLatency &&
        apiLatencyAlarms.length > 0 &&
        apisInvoking(fn, apiIndexOnce()).some((api) =>
          apiLatencyAlarms.some((a) => alarmRefersToApi(a, api, apiIndexOnce())),
        )
      ) {
        continue;
      }
      report(
        `${label("Lambda function", fn)} must have a latency alarm (AWS/Lambda Duration on the function${acceptApiGatewayLatency ? ", or AWS/ApiGateway Latency on an API that invokes it" : ""}).`,
        fn.urn,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface DlqAlarmConfig extends ExemptionConfig {
  metricNames: string[];
}

const dlqAlarmSchema = schema({
  metricNames: {
    type: "array",
    items: { type: "string" },
    minItems: 1,
    default: ["ApproximateNumberOfMessagesVisible"],
    description: "AWS/SQS metrics that count as a depth alarm on a dead-letter queue.",
  },
});

/** Queues used as a dead-letter queue: by a function, an EventBridge target, a queue or a subscription. */
export function deadLetterQueues(resources: PolicyResource[]): PolicyResource[] {
  const queues = ofType(resources, Queue);
  const position = new Map(queues.map((q, at) => [q.urn, at]));
  // Queues by name, read once the first literal ARN is compared. As a scan comparing the ARN
  // with every queue's name would, a queue whose name is unknown at preview (auto-named, at a
  // first preview) stops the comparison: the read throws.
  let byName: Map<unknown, number[]> | undefined;
  let unreadable: { error: unknown } | undefined;
  const queuesByName = (): Map<unknown, number[]> => {
    if (byName === undefined) {
      byName = new Map();
      for (const [at, q] of queues.entries()) {
        let name: unknown;
        try {
          name = q.props.name;
        } catch (error) {
          unreadable = { error };
          break;
        }
        byName.set(name, [...(byName.get(name) ?? []), at]);
      }
    }
    if (unreadable) throw unreadable.error;
    return byName;
  };
  /** `referencedVia(source, [property], queues, literal, <ARN names the queue>)`, looked up. */
  const referencedQueues = (
    source: PolicyResource,
    property: string,
    literal: () => string[],
  ): PolicyResource[] => {
    const deps = dependenciesVia(source, [property]);
    const found = new Set<number>();
    if (deps.length > 0) {
      for (const d of deps) {
        const at = position.get(d.urn);
        if (at !== undefined) found.add(at);
      }
    } else {
      const values = knownOrUndefined(literal) ?? [];
      if (values.length > 0 && queues.length > 0) {
        const names = queuesByName();
        for (const v of values) for (const at of names.get(lastArnSegment(v)) ?? []) found.add(at);
      }
    }
    return [...found].sort((a, b) => a - b).map((at) => queues[at] as PolicyResource);
  };
  const redriveTargets = (json: unknown): string[] => {
    if (typeof json !== "string" || json === "") return [];
    try {
      const arn = (JSON.parse(json) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
      return typeof arn === "string" ? [arn] : [];
    } catch {
      return []; // Not JSON: the provider rejects it before anything is deployed.
    }
  };
  const sources: Array<[PolicyResource, string, () => string[]]> = [
    ...ofType(resources, LambdaFunction).map((r): [PolicyResource, string, () => string[]] => [
      r,
      "deadLetterConfig",
      () => [r.props.deadLetterConfig?.targetArn].filter((v): v is string => !!v),
    ]),
    ...ofType(resources, EventTarget).map((r): [PolicyResource, string, () => string[]] => [
      r,
      "deadLetterConfig",
      () => [r.props.deadLetterConfig?.arn].filter((v): v is string => !!v),
    ]),
    ...[...ofType(resources, Queue), ...ofType(resources, RedrivePolicy)].map(
      (r): [PolicyResource, string, () => string[]] => [
        r,
        "redrivePolicy",
        () => redriveTargets(r.props.redrivePolicy),
      ],
    ),
    ...ofType(resources, TopicSubscription).map((r): [PolicyResource, string, () => string[]] => [
      r,
      "redrivePolicy",
      () => redriveTargets(r.props.redrivePolicy),
    ]),
  ];
  const dlqs = new Map<string, PolicyResource>();
  for (const [source, property, literal] of sources) {
    for (const q of referencedQueues(source, property, literal)) {
      if (q.urn !== source.urn) dlqs.set(q.urn, q);
    }
  }
  return [...dlqs.values()];
}

/** @internal */
export const dlqDepthAlarm: StackValidationPolicy = {
  name: "dlq-depth-alarm",
  description:
    "Every dead-letter queue (target of a deadLetterConfig or redrive policy) must have an alarm on its depth, or failed events pile up unseen (SQS guide on DLQ alarms; Checkov CKV_AWS_116 and AWS Config lambda-dlq-check only require the queue).",
  configSchema: dlqAlarmSchema,
  validateStack: (args, report) => {
    const { metricNames } = configOf<DlqAlarmConfig>(dlqAlarmSchema, args);
    const alarms = ofType(args.resources, MetricAlarm).filter((a) =>
      alarmWatches(a, "AWS/SQS", metricNames),
    );
    const queues = notExempt(deadLetterQueues(args.resources), dlqAlarmSchema, args);
    if (queues.length === 0) args.notApplicable("no dead-letter queues");
    const hasDepthAlarm = indexAlarmsBy(alarms, "QueueName");
    for (const queue of queues) {
      if (!hasDepthAlarm(queue, nameOf(queue))) {
        report(
          `${label("Dead-letter queue", queue)} must have a depth alarm (AWS/SQS ${metricNames.join(" or ")} with its QueueName dimension).`,
          queue.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface RdsAlarmsConfig extends ExemptionConfig {
  requiredMetrics: string[];
}

const rdsAlarmsSchema = schema({
  requiredMetrics: {
    type: "array",
    items: { type: "string" },
    minItems: 1,
    default: ["CPUUtilization", "FreeStorageSpace"],
    description: "AWS/RDS metrics each instance must have an alarm on.",
  },
});

/** @internal */
export const rdsInstanceAlarms: StackValidationPolicy = {
  name: "rds-instance-alarms",
  description:
    "Every RDS instance must have alarms on at least CPU and free storage (AWS recommended alarms for RDS: CPUUtilization, FreeStorageSpace).",
  configSchema: rdsAlarmsSchema,
  validateStack: (args, report) => {
    const { requiredMetrics } = configOf<RdsAlarmsConfig>(rdsAlarmsSchema, args);
    const alarms = ofType(args.resources, MetricAlarm);
    const instances = notExempt(ofType(args.resources, RdsInstance), rdsAlarmsSchema, args);
    if (instances.length === 0) args.notApplicable("no RDS instances");
    // Per metric, the alarms on it indexed by the instance they watch.
    const hasAlarmOn = new Map(
      requiredMetrics.map((metric) => [
        metric,
        indexAlarmsBy(alarms, "DBInstanceIdentifier", (a) => alarmWatches(a, "AWS/RDS", [metric])),
      ]),
    );
    for (const db of instances) {
      const identities = nameOf(db, "identifier");
      const missing = requiredMetrics.filter(
        (metric) => !(hasAlarmOn.get(metric) as AlarmLookup)(db, identities),
      );
      if (missing.length > 0) {
        report(
          `${label("RDS instance", db)} must have alarms on ${missing.join(" and ")} (AWS/RDS with its DBInstanceIdentifier dimension).`,
          db.urn,
        );
      }
    }
  },
};
