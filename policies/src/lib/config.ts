import type {
  PolicyConfigSchema,
  PolicyResource,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidationArgs,
  TypedResourceValidation,
} from "@pulumi/policy";
import { validateResourceOfType } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { Resource, Unwrap } from "@pulumi/pulumi";

/** One explicit opt-out: which resource, and why (the config file is the audit trail). */
export interface Exemption {
  /** Pulumi logical name (the last URN segment) or the full URN. */
  resource: string;
  reason: string;
}

export interface ExemptionConfig {
  exemptions: Exemption[];
}

/**
 * Every policy accepts `exemptions`: the only way to switch a policy off for one resource,
 * so each exception is written down, with its reason, in the policy config file.
 */
export const exemptionsSchema: PolicyConfigJSONSchema = {
  type: "array",
  description:
    "Resources this policy does not apply to, each with the reason (e.g. a throwaway instance kept without deletion protection on purpose).",
  items: {
    type: "object",
    properties: {
      resource: { type: "string", minLength: 1 },
      reason: { type: "string", minLength: 10 },
    },
    required: ["resource", "reason"],
    additionalProperties: false,
  },
  default: [],
};

/** A policy's schema: its own properties plus `exemptions`. */
export function schema(properties: Record<string, PolicyConfigJSONSchema>): PolicyConfigSchema {
  return { properties: { ...properties, exemptions: exemptionsSchema } };
}

/**
 * The policy's config with the schema defaults under it. The engine fills defaults in before
 * `Configure`; doing it again here keeps the schema the one place a default lives, also when a
 * policy runs without an engine (unit tests).
 */
export function configOf<T extends object>(
  configSchema: PolicyConfigSchema,
  args: { getConfig<C extends object>(): C },
): T {
  const defaults: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(configSchema.properties)) {
    if (prop.default !== undefined) defaults[key] = prop.default;
  }
  return { ...defaults, ...args.getConfig<Record<string, unknown>>() } as T;
}

export function isExempt(
  resource: { name: string; urn: string },
  config: ExemptionConfig,
): boolean {
  return (config.exemptions ?? []).some(
    (e) => e.resource === resource.name || e.resource === resource.urn,
  );
}

/**
 * `validateResourceOfType` that first honours the policy's `exemptions`: an exempted resource
 * is reported to the engine as "not applicable", never silently passed.
 */
export function validateUnlessExempt<TResource extends Resource, TArgs>(
  // biome-ignore lint/suspicious/noExplicitAny: the same constructor shape validateResourceOfType takes.
  resourceClass: { new (name: string, args: TArgs, ...rest: any[]): TResource },
  configSchema: PolicyConfigSchema,
  validate: TypedResourceValidation<Unwrap<NonNullable<TArgs>>>,
): ResourceValidation {
  return validateResourceOfType(resourceClass, (props, args, reportViolation) => {
    if (isExempt(args, configOf<ExemptionConfig>(configSchema, args))) {
      args.notApplicable(`exempted by policy config: ${exemptionReason(args, configSchema)}`);
    }
    return validate(props, args, reportViolation);
  });
}

function exemptionReason(args: ResourceValidationArgs, configSchema: PolicyConfigSchema): string {
  const config = configOf<ExemptionConfig>(configSchema, args);
  return (
    config.exemptions.find((e) => e.resource === args.name || e.resource === args.urn)?.reason ?? ""
  );
}

/** Stack-policy counterpart: the resources a stack policy should judge. */
export function notExempt(
  resources: PolicyResource[],
  configSchema: PolicyConfigSchema,
  args: StackValidationArgs,
): PolicyResource[] {
  const config = configOf<ExemptionConfig>(configSchema, args);
  return resources.filter((r) => !isExempt(r, config));
}
