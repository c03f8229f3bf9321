import type { CapturedResource } from "../preview/run-program";
import type { CostAssumptions } from "./assumptions";
import { prop, UNKNOWN_PLAIN } from "./props";
import { schedulePerMonth } from "./schedule";

export type FunctionRole = "api" | "scheduled" | "other";

export interface FunctionUse {
  resource: CapturedResource;
  role: FunctionRole;
  invocations: number;
  avgDurationMs: number;
}

/** The run's resources by type. */
export interface ResourcesByType {
  ofType(type: string): readonly CapturedResource[];
}

/**
 * Which functions serve API requests, which run on a schedule (and how often), and which
 * neither; the Lambda and X-Ray lines both follow from it.
 */
export function classifyFunctions(run: ResourcesByType, a: CostAssumptions): FunctionUse[] {
  const functions = run.ofType("aws:lambda/function:Function");
  const refsOf = (fn: CapturedResource) =>
    [
      prop(fn, "name"),
      prop(fn, "arn"),
      prop(fn, "invokeArn"),
      prop(fn, "qualifiedArn"),
      fn.urn,
    ].filter((v): v is string => typeof v === "string" && v !== "");
  const mentions = (value: unknown, fn: CapturedResource) =>
    typeof value === "string" &&
    value !== UNKNOWN_PLAIN &&
    refsOf(fn).some((ref) => value === ref || value.includes(ref));
  // On a first deploy ARNs are unknown at preview: the property's dependency names the function.
  const links = (r: CapturedResource, property: string, fn: CapturedResource) =>
    (r.propertyDependencies[property] ?? []).includes(fn.urn) ||
    mentions((r.inputs[property] as { arn?: unknown } | undefined)?.arn ?? r.inputs[property], fn);

  const rulesByName = new Map<string, CapturedResource>();
  for (const r of run.ofType("aws:cloudwatch/eventRule:EventRule")) {
    for (const key of [prop(r, "name"), prop(r, "arn"), r.urn]) {
      if (typeof key === "string") rulesByName.set(key, r);
    }
  }
  const apiPermissions = run
    .ofType("aws:lambda/permission:Permission")
    .filter((r) => r.inputs.principal === "apigateway.amazonaws.com");
  const restIntegrations = run.ofType("aws:apigateway/integration:Integration");
  const httpIntegrations = run.ofType("aws:apigatewayv2/integration:Integration");
  const targets = run.ofType("aws:cloudwatch/eventTarget:EventTarget");
  const schedules = run.ofType("aws:scheduler/schedule:Schedule");

  const apiFunctions = functions.filter(
    (fn) =>
      apiPermissions.some((r) => links(r, "function", fn)) ||
      restIntegrations.some((r) => links(r, "uri", fn)) ||
      httpIntegrations.some((r) => links(r, "integrationUri", fn)),
  );
  return functions.map((fn) => {
    if (apiFunctions.includes(fn)) {
      // Requests are spread over the API functions; with one API function it gets them all.
      return {
        resource: fn,
        role: "api" as const,
        invocations: a.requestsPerMonth / apiFunctions.length,
        avgDurationMs: a.apiAvgDurationMs,
      };
    }
    let scheduled = 0;
    for (const r of targets) {
      if (!links(r, "arn", fn)) continue;
      const ruleUrn = (r.propertyDependencies.rule ?? [])[0];
      const rule = rulesByName.get(ruleUrn ?? "") ?? rulesByName.get(String(r.inputs.rule));
      const expr = rule ? prop(rule, "scheduleExpression") : undefined;
      if (typeof expr === "string") scheduled += schedulePerMonth(expr) ?? 0;
    }
    for (const r of schedules) {
      const expr = prop(r, "scheduleExpression");
      if (links(r, "target", fn) && typeof expr === "string") {
        scheduled += schedulePerMonth(expr) ?? 0;
      }
    }
    if (scheduled > 0) {
      return {
        resource: fn,
        role: "scheduled" as const,
        invocations: scheduled,
        avgDurationMs: a.scheduledAvgDurationMs,
      };
    }
    return {
      resource: fn,
      role: "other" as const,
      invocations: a.otherInvocationsPerMonth,
      avgDurationMs: a.otherAvgDurationMs,
    };
  });
}
