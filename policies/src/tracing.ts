import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { SamplingRule } from "@pulumi/aws/xray/samplingRule";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  configOf,
  type ExemptionConfig,
  notExempt,
  schema,
  validateUnlessExempt,
} from "./lib/config";
import { label, ofType } from "./lib/stack";

// ---------------------------------------------------------------------------------------------

export interface TracingConfig extends ExemptionConfig {
  allowPassThrough: boolean;
}

const tracingSchema = schema({
  allowPassThrough: {
    type: "boolean",
    default: false,
    description:
      "Accept PassThrough (traces only when the caller samples), as Checkov CKV_AWS_50 does.",
  },
});

/** @internal */
export const lambdaTracingActive: ResourceValidationPolicy = {
  name: "lambda-tracing-active",
  description:
    "Lambda functions must trace with X-Ray in Active mode (mirrors Checkov CKV_AWS_50, cdk-nag Serverless-LambdaTracing and AWS Config lambda-function-xray-enabled).",
  configSchema: tracingSchema,
  validateResource: validateUnlessExempt(LambdaFunction, tracingSchema, (fn, args, report) => {
    const { allowPassThrough } = configOf<TracingConfig>(tracingSchema, args);
    // Lambda's default is PassThrough.
    const mode = fn.tracingConfig?.mode ?? "PassThrough";
    if (mode !== "Active" && !(allowPassThrough && mode === "PassThrough")) {
      report(`Lambda function must set tracingConfig.mode to Active (it is ${mode}).`);
    }
  }),
};

// ---------------------------------------------------------------------------------------------

export interface SamplingRuleConfig extends ExemptionConfig {
  maxFixedRate: number;
}

const samplingRuleSchema = schema({
  maxFixedRate: {
    type: "number",
    minimum: 0,
    maximum: 1,
    default: 1,
    description: "Highest accepted fixedRate of the sampling rule (prod samples 10 %).",
  },
});

/** @internal */
export const xraySamplingRule: StackValidationPolicy = {
  name: "xray-sampling-rule",
  description:
    "A stack with an X-Ray traced REST API stage should define an X-Ray sampling rule within the configured rate, since AWS's default rule records the first request each second and 5 % of the rest, which the project wants set on purpose (no peer rule; advisory).",
  enforcementLevel: "advisory",
  configSchema: samplingRuleSchema,
  validateStack: (args, report) => {
    const { maxFixedRate } = configOf<SamplingRuleConfig>(samplingRuleSchema, args);
    const traced = notExempt(ofType(args.resources, RestApiStage), samplingRuleSchema, args).filter(
      (s) => s.props.xrayTracingEnabled === true,
    );
    if (traced.length === 0) {
      args.notApplicable("no REST API stage has X-Ray tracing enabled");
    }
    const rules = ofType(args.resources, SamplingRule);
    if (rules.length === 0) {
      report(
        `A stack with a traced ${label("API Gateway stage", traced[0])} must define an X-Ray sampling rule (aws.xray.SamplingRule) at a fixed rate of at most ${maxFixedRate}.`,
        traced[0].urn,
      );
      return;
    }
    for (const rule of rules) {
      const rate = rule.props.fixedRate as number;
      if (rate > maxFixedRate) {
        report(
          `${label("X-Ray sampling rule", rule)} must sample at most ${maxFixedRate} of requests (fixedRate is ${rate}).`,
          rule.urn,
        );
      }
    }
  },
};
