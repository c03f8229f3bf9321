/** Hand-made program runs: what the offline preview captures, for driver-level tests. */
import * as path from "node:path";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { CapturedResource, ProgramRun } from "../../tools/preview/run-program";

export const STACK_URN = "urn:pulumi:prod::huntaze-api::pulumi:pulumi:Stack::huntaze-api-prod";

export const stackConfig = {
  project: "huntaze-api",
  stack: "prod",
  config: { "aws:region": "eu-west-1", "huntaze-api:stage": "prod" },
  secretKeys: [],
};

export function captured(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<CapturedResource> = {},
): CapturedResource {
  const struct = Struct.fromJavaScript(inputs as Record<string, never>);
  return {
    urn:
      type === "pulumi:pulumi:Stack" ? STACK_URN : `urn:pulumi:prod::huntaze-api::${type}::${name}`,
    type,
    name,
    custom: type !== "pulumi:pulumi:Stack",
    id: `${name}-id`,
    parent: type === "pulumi:pulumi:Stack" ? "" : STACK_URN,
    dependencies: [],
    propertyDependencies: {},
    provider: "",
    options: {
      protect: false,
      retainOnDelete: false,
      deleteBeforeReplace: false,
      ignoreChanges: [],
      replaceOnChanges: [],
      additionalSecretOutputs: [],
      aliases: [],
      deletedWith: "",
    },
    inputs,
    outputs: inputs,
    inputsStruct: struct,
    outputsStruct: struct,
    ...extra,
  };
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
