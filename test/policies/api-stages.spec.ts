import { MethodSettings } from "@pulumi/aws/apigateway/methodSettings";
import { RestApi } from "@pulumi/aws/apigateway/restApi";
import { Stage as RestApiStage } from "@pulumi/aws/apigateway/stage";
import { Stage as HttpApiStage } from "@pulumi/aws/apigatewayv2/stage";
import { apiExecutionLogging, apiStageXray, apiThrottling } from "../../policies/src/api-stages";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  createResourceValidationArgs,
  createStackValidationArgs,
  res,
  UNKNOWN,
} from "./helpers";

const SETTINGS = {
  metricsEnabled: true,
  loggingLevel: "ERROR",
  dataTraceEnabled: false,
  throttlingRateLimit: 50,
  throttlingBurstLimit: 100,
};

/** A REST API, its stage, and "*\/*" method settings linked the way the project links them. */
function restStack(settings: Record<string, unknown> = SETTINGS, literal = false) {
  const api = res(RestApi, "http", { name: "huntaze-api-prod" });
  const stage = res(
    RestApiStage,
    "http-stage",
    { restApi: UNKNOWN, deployment: UNKNOWN, stageName: "v1", xrayTracingEnabled: true },
    { restApi: [api] },
  );
  const methodSettings = literal
    ? res(
        MethodSettings,
        "http-method-settings",
        { restApi: UNKNOWN, stageName: "v1", methodPath: "*/*", settings },
        { restApi: [api] },
      )
    : res(
        MethodSettings,
        "http-method-settings",
        { restApi: UNKNOWN, stageName: UNKNOWN, methodPath: "*/*", settings },
        { restApi: [api], stageName: [stage] },
      );
  return [api, stage, methodSettings];
}

describe("#api-stage-xray", () => {
  const policy = apiStageXray;
  const args = (xrayTracingEnabled?: boolean) =>
    createResourceValidationArgs(
      RestApiStage,
      { restApi: UNKNOWN, deployment: UNKNOWN, stageName: "v1", xrayTracingEnabled },
      { policy },
    );

  it("passes a traced stage", async () => {
    await assertNoResourceViolations(policy, args(true));
  });

  it("fails a stage on the default (no tracing)", async () => {
    await assertHasResourceViolation(policy, args(undefined), {
      message: "API Gateway stage must enable X-Ray tracing (xrayTracingEnabled: true).",
    });
  });
});

describe("#api-execution-logging", () => {
  const policy = apiExecutionLogging;

  it("passes a stage whose */* method settings log at ERROR", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs(restStack(), { policy }));
  });

  it("matches method settings to a stage by literal stage name and API", async () => {
    await assertNoStackViolations(
      policy,
      createStackValidationArgs(restStack(SETTINGS, true), { policy }),
    );
  });

  it("fails a stage whose execution logging is OFF", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs(restStack({ ...SETTINGS, loggingLevel: "OFF" }), { policy }),
      {
        message:
          'API Gateway stage "http-stage" must log execution for every method at ERROR or INFO (MethodSettings "*/*" settings.loggingLevel; it is OFF).',
        resource: "http-stage",
      },
    );
  });

  it("fails a stage without method settings", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs(restStack().slice(0, 2), { policy }),
      { message: '(MethodSettings "*/*" settings.loggingLevel; it is OFF).' },
    );
  });
});

describe("#api-throttling", () => {
  const policy = apiThrottling;

  it("passes a REST stage with */* rate and burst limits", async () => {
    await assertNoStackViolations(policy, createStackValidationArgs(restStack(), { policy }));
  });

  it("fails a REST stage on the account defaults (-1)", async () => {
    await assertHasStackViolation(
      policy,
      createStackValidationArgs(restStack({ ...SETTINGS, throttlingRateLimit: -1 }), { policy }),
      {
        message:
          'API Gateway stage "http-stage" must set its own throttling rate and burst limits (MethodSettings "*/*" throttlingRateLimit and throttlingBurstLimit).',
      },
    );
  });

  it("judges HTTP API stages by their default route settings", async () => {
    const stage = (defaultRouteSettings?: Record<string, unknown>) =>
      res(HttpApiStage, "http-v2", { apiId: "a1b2c3", name: "$default", defaultRouteSettings });
    await assertNoStackViolations(
      policy,
      createStackValidationArgs([stage({ throttlingRateLimit: 50, throttlingBurstLimit: 100 })], {
        policy,
      }),
    );
    await assertHasStackViolation(policy, createStackValidationArgs([stage()], { policy }), {
      message: "(defaultRouteSettings throttlingRateLimit and throttlingBurstLimit).",
    });
  });
});
