import type { CapturedResource } from "../../preview/run-program";
import type { Pricer } from "../context";
import { HOURS_PER_MONTH } from "../prices";
import { num, prop } from "../props";

const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/**
 * X-Ray's default sampling: 1 request/s, then 5 %. It is also Lambda's fixed sampling of the
 * traces Lambda starts, which sampling rules do not change.
 */
const DEFAULT_SAMPLING = { reservoirPerSecond: 1, fixedRate: 0.05 } as const;

/** Traces recorded per month for uniform traffic under a reservoir (per second) + fixed rate. */
export function tracesPerMonth(
  requests: number,
  reservoirPerSecond: number,
  fixedRate: number,
): number {
  const perSecond = requests / SECONDS_PER_MONTH;
  const traced =
    Math.min(perSecond, reservoirPerSecond) +
    fixedRate * Math.max(0, perSecond - reservoirPerSecond);
  return traced * SECONDS_PER_MONTH;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * Traces recorded: API requests under the first sampling rule when the stage traces (else
 * Lambda's own sampling, when the API function traces), and the other traced functions'
 * invocations; traces retrieved from the assumption.
 */
export const xrayPricer: Pricer = {
  service: "X-Ray",
  price(ctx, lines) {
    const a = ctx.assumptions;
    const uses = ctx.functionUses();
    const rules = ctx.ofType("aws:xray/samplingRule:SamplingRule");
    const tracedStages = ctx
      .ofType("aws:apigateway/stage:Stage")
      .filter((r) => prop(r, "xrayTracingEnabled") === true);
    const active = (fn: CapturedResource) =>
      (prop(fn, "tracingConfig") as { mode?: unknown } | undefined)?.mode === "Active";
    const rule = [...rules].sort(
      (x, y) => num(prop(x, "priority"), 10_000) - num(prop(y, "priority"), 10_000),
    )[0];
    const apiUses = uses.filter((u) => u.role === "api");
    const { reservoirPerSecond, fixedRate } = DEFAULT_SAMPLING;
    let traces = 0;
    const parts: string[] = [];
    if (tracedStages.length && apiUses.length) {
      const reservoir = rule
        ? num(prop(rule, "reservoirSize"), reservoirPerSecond)
        : reservoirPerSecond;
      const rate = rule ? num(prop(rule, "fixedRate"), fixedRate) : fixedRate;
      const apiTraces = tracesPerMonth(a.requestsPerMonth, reservoir, rate);
      traces += apiTraces;
      parts.push(
        `API ${count(apiTraces)} (rule ${rule ? rule.name : "default"}: ${reservoir}/s + ${rate * 100} %)`,
      );
    } else if (apiUses.some((u) => active(u.resource))) {
      const apiTraces = tracesPerMonth(a.requestsPerMonth, reservoirPerSecond, fixedRate);
      traces += apiTraces;
      parts.push(
        `API ${count(apiTraces)} (Lambda's fixed ${reservoirPerSecond}/s + ${fixedRate * 100} %: sampling rules do not apply to Lambda-started traces)`,
      );
    }
    const otherTraced = uses.filter((u) => u.role !== "api" && active(u.resource));
    if (otherTraced.length) {
      const n = otherTraced.reduce(
        (sum, u) => sum + tracesPerMonth(u.invocations, reservoirPerSecond, fixedRate),
        0,
      );
      traces += n;
      parts.push(`other functions ${count(n)}`);
    }
    if (traces <= 0 && !rules.length) return;
    lines.price(
      `traces recorded: ${parts.join("; ") || "none"}`,
      traces,
      "xrayTraceRecorded",
      [...rules, ...tracedStages],
      "uniform traffic assumed: the per-second reservoir traces everything below its rate",
    );
    if (a.xrayTracesRetrievedPerMonth > 0) {
      lines.price(
        "traces retrieved/scanned (xrayTracesRetrievedPerMonth)",
        a.xrayTracesRetrievedPerMonth,
        "xrayTraceRetrieved",
        rules,
      );
    }
  },
};
