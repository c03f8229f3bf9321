import type { FunctionAlarmsInput } from "../components/alarms";
import {
  type ApiAuth,
  AUTHORIZER_DURATION_P95_MS,
  apiAuth,
  oidcAuthorizerArgs,
} from "../components/api-auth";
import { LambdaFunction } from "../components/function";
import { Identity } from "../components/identity";
import { Schedule } from "../components/schedule";
import type { StackAlerting } from "./alerting";
import type { DataTier } from "./data-tier";
import type { StackKeys, StackScope } from "./scope";

/** The functions: the API, its OIDC authorizer if any, the nightly worker and its schedule. */
export interface StackFunctions {
  /** The created Cognito user pool (`auth` names no existing pool and no OIDC issuer). */
  identity?: Identity;
  /** An OIDC issuer's token authorizer: API Gateway cannot verify such tokens itself. */
  authorizer?: LambdaFunction;
  /** Who verifies callers' tokens, as the REST API needs it. */
  auth: ApiAuth;
  api: LambdaFunction;
  worker: LambdaFunction;
  /** Each function's alarms, in the order `Alarms` creates them. */
  alarmsInputs: FunctionAlarmsInput[];
  /** Variables every function gets: the handlers' contract (handlers/lib/env.ts). */
  environment: Record<string, string>;
}

export function createFunctions(
  { cfg, naming }: StackScope,
  { key, logs }: StackKeys,
  { network, dbSecrets, dbProxy }: DataTier,
  { dlq }: StackAlerting,
): StackFunctions {
  /** What every function shares: logging, the environment key, and the handlers' contract. */
  const common = {
    ...logs,
    applicationLogLevel: cfg.logs.applicationLogLevel,
    systemLogLevel: cfg.logs.systemLogLevel,
    kmsKeyArn: key.arn,
    environment: {
      STAGE: cfg.stage,
      POWERTOOLS_SERVICE_NAME: "huntaze-api",
      SLOW_QUERY_MS: String(cfg.handlers.slowQueryMs),
    },
  };
  /** The API and the worker: in the VPC (behind the proxy if any), reading the app secret. */
  const dataAccess = { vpc: network.clientVpc, ...dbSecrets.readAccess };
  const dataEnvironment = {
    ...common.environment,
    ...dbSecrets.environment,
    ...dbProxy?.clientEnvironment,
  };

  const { pool, creatorClaim } = cfg.auth;
  const identity =
    pool.kind === "created"
      ? new Identity("identity", {
          poolName: naming.prefix,
          settings: pool,
          creatorAttribute: creatorClaim.replace(/^custom:/, ""),
        })
      : undefined;
  const authorizer =
    pool.kind === "oidc"
      ? new LambdaFunction("authorizer", {
          ...common,
          ...oidcAuthorizerArgs(pool, creatorClaim, common.environment),
          functionName: naming.name("lambda", "authorizer"),
          reservedConcurrency: cfg.api.reservedConcurrency,
        })
      : undefined;
  const auth = apiAuth(cfg.auth, { identity, authorizer });

  const api = new LambdaFunction("api", {
    ...common,
    ...dataAccess,
    environment: { ...dataEnvironment, ...auth.apiEnvironment },
    functionName: naming.name("lambda", "api"),
    entry: "handlers/api.ts",
    description: "huntaze-api HTTP API (behind API Gateway REST)",
    memoryMb: cfg.api.memoryMb,
    timeoutSeconds: cfg.api.timeoutSeconds,
    reservedConcurrency: cfg.api.reservedConcurrency,
  });

  const worker = new LambdaFunction("worker", {
    ...common,
    ...dataAccess,
    environment: dataEnvironment,
    functionName: naming.name("lambda", "worker"),
    entry: "handlers/worker.ts",
    description: "huntaze-api nightly worker (invoked asynchronously by EventBridge)",
    memoryMb: cfg.worker.memoryMb,
    timeoutSeconds: cfg.worker.timeoutSeconds,
    reservedConcurrency: cfg.worker.reservedConcurrency,
    deadLetterQueue: { arn: dlq.arn, kmsKeyArn: key.arn },
    asyncInvoke: {
      maxRetries: cfg.worker.maxRetries,
      maxEventAgeSeconds: cfg.worker.maxEventAgeSeconds,
      recordFailures: true,
    },
  });
  new Schedule("worker-schedule", {
    ruleName: naming.name("eventRule", "worker-nightly"),
    scheduleExpression: cfg.worker.schedule,
    functionName: worker.function.name,
    functionArn: worker.arn,
    deadLetterQueueArn: dlq.arn,
    description: "Nightly revenue roll-up",
  });

  const alarmsInputs = [
    api.alarmsInput({
      subject: "api",
      invocation: "request",
      durationP95Ms: cfg.api.durationP95Ms,
    }),
    worker.alarmsInput({
      subject: "worker",
      invocation: "scheduled",
      durationP95Ms: cfg.worker.durationP95Ms,
    }),
    ...(authorizer
      ? [
          authorizer.alarmsInput({
            subject: "authorizer",
            invocation: "request",
            durationP95Ms: AUTHORIZER_DURATION_P95_MS,
          }),
        ]
      : []),
  ];
  return { identity, authorizer, auth, api, worker, alarmsInputs, environment: common.environment };
}
