/** Hand-made program runs: what the offline preview captures, for driver-level tests. */
import * as path from "node:path";
import type { CapturedResource, ProgramRun } from "../../tools/preview/run-program";
import { capturedResource, stackUrn } from "./captured";

export const stackConfig = {
  project: "huntaze-api",
  stack: "prod",
  config: { "aws:region": "eu-west-1", "huntaze-api:stage": "prod" },
  secretKeys: [],
};

export const STACK_URN = stackUrn(stackConfig);

/** A registration of the prod stack, as the offline preview captures it (see `capturedResource`). */
export function captured(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<CapturedResource> = {},
): CapturedResource {
  return capturedResource(stackConfig, type, name, inputs, extra);
}

export function programRun(resources: CapturedResource[]): ProgramRun {
  return {
    project: "huntaze-api",
    stack: "prod",
    mode: "first-deploy",
    workDir: path.resolve(__dirname, "..", "..", "infra"),
    resources: [captured("pulumi:pulumi:Stack", "huntaze-api-prod", {}), ...resources],
    outputs: {},
    secretOutputs: [],
  };
}
