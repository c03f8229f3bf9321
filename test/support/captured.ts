/**
 * Registrations built by hand, in the shape the offline preview captures them
 * (`CapturedResource`): for driving the policy stage without running a program (tests).
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { CapturedResource } from "../../tools/preview/run-program";

/** The stack a hand-built registration belongs to. */
export interface CapturedStack {
  project: string;
  stack: string;
}

/** The URN of the stack's root `pulumi:pulumi:Stack` resource. */
export function stackUrn({ project, stack }: CapturedStack): string {
  return `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
}

/**
 * One registration: a custom resource parented to the stack (or the stack itself, for type
 * `pulumi:pulumi:Stack`), on the default provider, without options, whose outputs are its
 * inputs; `extra` overrides any field (dependencies, parent, outputs…).
 */
export function capturedResource(
  at: CapturedStack,
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<CapturedResource> = {},
): CapturedResource {
  const struct = Struct.fromJavaScript(inputs as Record<string, never>);
  const isStack = type === "pulumi:pulumi:Stack";
  const root = stackUrn(at);
  return {
    urn: isStack ? root : `urn:pulumi:${at.stack}::${at.project}::${type}::${name}`,
    type,
    name,
    custom: !isStack,
    id: `${name}-id`,
    parent: isStack ? "" : root,
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

/** `extra` for a registration whose properties were built from other resources' outputs. */
export function withPropertyDependencies(
  propertyDependencies: Record<string, string[]>,
): Partial<CapturedResource> {
  return {
    dependencies: [...new Set(Object.values(propertyDependencies).flat())],
    propertyDependencies,
  };
}
