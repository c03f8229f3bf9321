import type { ProgramRun } from "../preview/run-program";
import type { LoadedStackConfig } from "../preview/stack-config";
import { loadCostAssumptions, type ResolvedAssumptions } from "./assumptions";
import { type CostReport, estimateCost } from "./estimate";

export { loadCostAssumptions, type ResolvedAssumptions } from "./assumptions";
export { type CostReport, estimateCost } from "./estimate";
export { renderCostReport } from "./render";

/**
 * The estimate for one preview run. Pass `assumptions` already loaded (the preview command
 * reads them before running the program, so a typo fails fast).
 */
export function costForRun(
  run: ProgramRun,
  stackConfig: LoadedStackConfig,
  assumptions: ResolvedAssumptions = loadCostAssumptions(stackConfig),
): CostReport {
  return estimateCost(run, assumptions, stackConfig.config["aws:region"] ?? "us-east-1");
}
