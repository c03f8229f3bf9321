import { MethodSettings } from "@pulumi/aws/apigateway/methodSettings";
import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { Stage as HttpApiStage } from "@pulumi/aws/apigatewayv2/stage";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { isSetOutput, known } from "./lib/preview";
import { dependenciesVia, isLiteral, label, ofType } from "./lib/stack";

/**
 * Policies on API Gateway stages beyond access logging. HTTP APIs (apigatewayv2) support neither
 * X-Ray nor execution logs (AWS's "Choose between REST APIs and HTTP APIs"), so those two judge
 * REST stages only; throttling applies to both.
 */

/** The `*\/*` method settings of each REST stage, indexed once: stage URN → settings. */
function stageWideSettings(resources: PolicyResource[]): Map<string, PolicyResource[]> {
  const stages = ofType(resources, RestApiStage);
  const byStage = new Map<string, PolicyResource[]>();
  const add = (stage: PolicyResource, s: PolicyResource) =>
    byStage.set(stage.urn, [...(byStage.get(stage.urn) ?? []), s]);
  const apiOf = (r: PolicyResource) => {
    const deps = dependenciesVia(r, ["restApi"]);
    return deps.length > 0 ? deps[0].urn : known(() => String(r.props.restApi));
  };
  const stagesByNameAndApi = new Map<string, PolicyResource>();
  for (const stage of stages) {
    if (!isLiteral(stage, ["stageName"])) continue;
    stagesByNameAndApi.set(`${apiOf(stage)}/${known(() => stage.props.stageName)}`, stage);
  }
  for (const s of ofType(resources, MethodSettings)) {
    if (known(() => s.props.methodPath) !== "*/*") continue;
    const viaDeps = dependenciesVia(s, ["stageName"]).filter((d) => d.isType(RestApiStage));
    if (viaDeps.length > 0) {
      for (const stage of viaDeps) add(stage, s);
      continue;
    }
    const stage = stagesByNameAndApi.get(`${apiOf(s)}/${known(() => s.props.stageName)}`);
    if (stage) add(stage, s);
  }
  return byStage;
}

function setting(s: PolicyResource, key: string): unknown {
  return known(() => (s.props.settings as Record<string, unknown> | undefined)?.[key]);
}

// ---------------------------------------------------------------------------------------------

const xraySchema = schema({});

/** @internal */
export const apiStageXray: ResourceValidationPolicy = {
  name: "api-stage-xray",
  description:
    "API Gateway REST stages must trace requests with X-Ray (xrayTracingEnabled; off by default), so a slow or failed request can be followed into the function (mirrors Checkov CKV_AWS_73, cdk-nag APIGWXrayEnabled and AWS Config api-gw-xray-enabled; HTTP APIs cannot trace).",
  configSchema: xraySchema,
  validateResource: validateUnlessExempt(RestApiStage, xraySchema, (stage, _args, report) => {
    if (known(() => stage.xrayTracingEnabled) !== true) {
      report("API Gateway stage must enable X-Ray tracing (xrayTracingEnabled: true).");
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface ExecutionLoggingConfig extends ExemptionConfig {
  allowedLevels: string[];
}

const executionLoggingSchema = schema({
  allowedLevels: {
    type: "array",
    items: { type: "string", enum: ["ERROR", "INFO"] },
    minItems: 1,
    default: ["ERROR", "INFO"],
    description: "Execution log levels accepted (OFF, the default, never is).",
  },
});

/** @internal */
export const apiExecutionLogging: StackValidationPolicy = {
  name: "api-execution-logging",
  description:
    'API Gateway REST stages must turn on execution logging for every method (aws.apigateway.MethodSettings with methodPath "*/*" and loggingLevel ERROR or INFO; the default is OFF) (mirrors Checkov CKV2_AWS_4, cdk-nag AwsSolutions-APIG6 and AWS Config api-gw-execution-logging-enabled; HTTP APIs have no execution logs).',
  configSchema: executionLoggingSchema,
  validateStack: (args, report) => {
    const { allowedLevels } = configOf<ExecutionLoggingConfig>(executionLoggingSchema, args);
    const stages = notExempt(ofType(args.resources, RestApiStage), executionLoggingSchema, args);
    if (stages.length === 0) args.notApplicable("no API Gateway REST stages");
    const settings = stageWideSettings(args.resources);
    for (const stage of stages) {
      const levels = (settings.get(stage.urn) ?? []).map((s) => setting(s, "loggingLevel"));
      if (!levels.some((l) => typeof l === "string" && allowedLevels.includes(l))) {
        report(
          `${label("API Gateway stage", stage)} must log execution for every method at ${allowedLevels.join(" or ")} (MethodSettings "*/*" settings.loggingLevel; it is ${levels.map(String).join(", ") || "OFF"}).`,
          stage.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

const throttlingSchema = schema({});

/** A throttling limit that overrides the account default: set, and not -1 ("use the default"). */
function overrides(value: () => unknown, present: boolean): boolean {
  if (!present) return false;
  const v = known(value);
  return v === undefined || (typeof v === "number" && v >= 0);
}

/** @internal */
export const apiThrottling: StackValidationPolicy = {
  name: "api-throttling",
  description:
    'API Gateway stages must set their own rate and burst limits instead of the account-wide defaults (10 000 requests/s, 5 000 burst, shared by every API of the region): REST stages through MethodSettings "*/*", HTTP API stages through defaultRouteSettings (mirrors cdk-nag Serverless-APIGWDefaultThrottling).',
  configSchema: throttlingSchema,
  validateStack: (args, report) => {
    const stages = notExempt(
      [...ofType(args.resources, RestApiStage), ...ofType(args.resources, HttpApiStage)],
      throttlingSchema,
      args,
    );
    if (stages.length === 0) args.notApplicable("no API Gateway stages");
    const settings = stageWideSettings(args.resources);
    for (const stage of stages) {
      let throttled: boolean;
      if (stage.isType(HttpApiStage)) {
        const route = () => stage.props.defaultRouteSettings as Record<string, unknown> | undefined;
        throttled =
          overrides(
            () => route()?.throttlingRateLimit,
            isSetOutput(stage, "defaultRouteSettings", "throttlingRateLimit"),
          ) &&
          overrides(
            () => route()?.throttlingBurstLimit,
            isSetOutput(stage, "defaultRouteSettings", "throttlingBurstLimit"),
          );
      } else {
        throttled = (settings.get(stage.urn) ?? []).some(
          (s) =>
            overrides(
              () => setting(s, "throttlingRateLimit"),
              isSetOutput(s, "settings", "throttlingRateLimit"),
            ) &&
            overrides(
              () => setting(s, "throttlingBurstLimit"),
              isSetOutput(s, "settings", "throttlingBurstLimit"),
            ),
        );
      }
      if (!throttled) {
        report(
          `${label("API Gateway stage", stage)} must set its own throttling rate and burst limits (${stage.isType(HttpApiStage) ? "defaultRouteSettings" : 'MethodSettings "*/*"'} throttlingRateLimit and throttlingBurstLimit).`,
          stage.urn,
        );
      }
    }
  },
};
