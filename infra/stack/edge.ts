import { Firewall } from "../components/firewall";
import { RestApi } from "../components/rest-api";
import { Tracing } from "../components/tracing";
import type { StackAlerting } from "./alerting";
import type { StackFunctions } from "./functions";
import type { StackKeys, StackScope } from "./scope";

/** What callers reach: the REST API, the web ACL in front of it, and its trace sampling. */
export interface Edge {
  restApi: RestApi;
  /** The edge firewall: prod always (config refuses to turn it off), staging unless opted out. */
  firewall?: Firewall;
  tracing: Tracing;
}

export function createEdge(
  { cfg, naming, region, partition, accountId }: StackScope,
  { logs }: StackKeys,
  { api, auth }: StackFunctions,
  { alarmTarget }: StackAlerting,
): Edge {
  const restApi = new RestApi("http", {
    apiName: naming.prefix,
    stageName: cfg.api.stageName,
    functionName: api.function.name,
    functionInvokeArn: api.invokeArn,
    ...logs,
    throttleRateLimit: cfg.api.throttle.rateLimit,
    throttleBurstLimit: cfg.api.throttle.burstLimit,
    executionLogLevel: cfg.api.executionLogLevel,
    manageAccountLogRole: cfg.api.manageAccountLogRole,
    region,
    accountId,
    partition,
    auth: auth.restApiAuth,
  });
  const firewall = cfg.firewall.enabled
    ? new Firewall("firewall", {
        aclName: naming.prefix,
        stageArn: restApi.stageArn,
        ratePerIpPer5Minutes: cfg.firewall.ratePerIpPer5Minutes,
        ...logs,
        alarmTarget,
        blockedRequestsAlarmThreshold: cfg.firewall.blockedRequestsAlarmThreshold,
        region,
      })
    : undefined;
  const tracing = new Tracing("tracing", {
    ruleName: naming.name("samplingRule"),
    serviceName: restApi.xrayServiceName,
    resourceArn: restApi.stageArn,
    fixedRate: cfg.tracing.samplingRate,
    reservoirSize: cfg.tracing.reservoirSize,
    priority: cfg.tracing.priority,
  });
  return { restApi, firewall, tracing };
}
