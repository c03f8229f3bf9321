import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { SamplingRule } from "@pulumi/aws/xray/samplingRule";
import { lambdaTracingActive, xraySamplingRule } from "../../policies/src/tracing";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  assertStackNotApplicable,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
} from "./helpers";

describe("#lambda-tracing-active", () => {
  const policy = lambdaTracingActive;
  const happy = (props: Record<string, unknown> = {}, config?: Record<string, unknown>) =>
    createResourceValidationArgs(
      LambdaFunction,
      { name: "huntaze-api-prod-api", tracingConfig: { mode: "Active" }, ...props },
      { config },
    );

  it("passes a function traced in Active mode", async () => {
    await assertNoResourceViolations(policy, happy());
  });

  it("fails a function without tracingConfig, which Lambda runs as PassThrough", async () => {
    await assertHasResourceViolation(policy, happy({ tracingConfig: undefined }), {
      message: "Lambda function must set tracingConfig.mode to Active (it is PassThrough).",
    });
  });

  it("accepts PassThrough only when the config allows it", async () => {
    await assertHasResourceViolation(policy, happy({ tracingConfig: { mode: "PassThrough" } }), {
      message: "(it is PassThrough)",
    });
    await assertNoResourceViolations(
      policy,
      happy({ tracingConfig: { mode: "PassThrough" } }, { allowPassThrough: true }),
    );
  });
});

describe("#xray-sampling-rule", () => {
  const policy = xraySamplingRule;
  const stage = res(RestApiStage, "http-stage", { stageName: "v1", xrayTracingEnabled: true });
  const rule = (fixedRate: number) =>
    res(SamplingRule, "sampling", { ruleName: "huntaze-api-prod", fixedRate });

  it("is advisory by default", () => {
    if (policy.enforcementLevel !== "advisory")
      throw new Error(`enforcementLevel is ${policy.enforcementLevel}`);
  });

  it("passes a traced stage with a sampling rule", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs([stage, rule(0.1)]));
  });

  it("flags a traced stage without a sampling rule", async () => {
    await assertHasStackViolation(policy, createStackValidationArgs([stage]), {
      message:
        'A stack with a traced API Gateway stage "http-stage" must define an X-Ray sampling rule (aws.xray.SamplingRule) at a fixed rate of at most 1.',
    });
  });

  it("flags a rule above the configured rate (prod samples 10 %)", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs([stage, rule(1)], { config: { maxFixedRate: 0.1 } }),
      {
        message:
          'X-Ray sampling rule "sampling" must sample at most 0.1 of requests (fixedRate is 1).',
      },
    );
  });

  it("does not apply without a traced REST stage", async () => {
    const untraced = res(RestApiStage, "http-stage", { stageName: "v1" });
    await assertStackNotApplicable(
      policy,
      createStackValidationArgs([untraced, rule(1)]),
      /no REST API stage/,
    );
  });
});
