import type {
  Policies,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  StackValidationArgs,
  StackValidationPolicy,
  TypedResourceValidation,
} from "@pulumi/policy";
import { validateResourceOfType } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { Resource, Unwrap } from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import {
  describeOwner,
  EXEMPTION_TAG_PREFIX,
  EXPIRY_WARNING_DAYS,
  exemptionTagsOf,
  expiryOf,
  isCalendarDate,
  MIN_REASON_LENGTH,
  type ParsedExemptionTag,
  today,
} from "./exemptions";

/** One explicit opt-out in the policy config: which resource, who, why, and until when. */
export interface Exemption {
  /** Pulumi logical name (the last URN segment) or the full URN. */
  resource: string;
  /**
   * The team or person who owns it. Documented as required; optional in the schema so that an
   * entry written before owners existed still applies (flagged by the report; see
   * `describeOwner` in ./exemptions).
   */
  owner?: string;
  reason: string;
  /** The last day (UTC, `YYYY-MM-DD`) the exemption holds. */
  expires: string;
}

export interface ExemptionConfig {
  exemptions: Exemption[];
  /** Whether a `policy-exemption:<policy>` tag on a resource may exempt it. */
  allowResourceExemptions?: boolean;
}

/** `YYYY-MM-DD` with a month and day in range; whether the day exists is checked in code. */
const EXPIRY_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/**
 * Every policy accepts `exemptions`: the way to switch a policy off for one resource in the
 * policy config, each with its reason and its expiry, so every exception is written down and
 * comes back for review.
 */
export const exemptionsSchema: PolicyConfigJSONSchema = {
  type: "array",
  description:
    "Resources this policy does not apply to, each with who owns the exemption, why and until when (e.g. a throwaway instance kept without deletion protection on purpose). An exemption holds through its expires day (UTC) and stops the day after: the resource is judged again and a violation names the expired exemption. Renew it with a new date or fix the resource.",
  items: {
    type: "object",
    properties: {
      resource: {
        type: "string",
        minLength: 1,
        description: "Pulumi logical name (the last URN segment) or the full URN.",
      },
      owner: {
        type: "string",
        minLength: 1,
        pattern: "\\S",
        description:
          'Who owns the exemption: the team or person who approved it and renews or removes it (e.g. "platform-team", "jane@example.com"). Give every exemption one; an entry without it still applies, but the preview report flags it.',
      },
      reason: { type: "string", minLength: MIN_REASON_LENGTH, description: "Why." },
      expires: {
        type: "string",
        pattern: EXPIRY_PATTERN,
        description:
          "The last day the exemption holds, YYYY-MM-DD (UTC), a real calendar date; it still exempts on that day and no longer the day after.",
      },
    },
    required: ["resource", "reason", "expires"],
    additionalProperties: false,
  },
  default: [],
};

/** Every policy accepts `allowResourceExemptions`: whether the resource's own tag may exempt it. */
export const allowResourceExemptionsSchema: PolicyConfigJSONSchema = {
  type: "boolean",
  description:
    "Whether a policy-exemption:<policy> tag on a resource (value until=YYYY-MM-DD by=<owner> reason=...) may exempt it from this policy. false accepts exemptions only from this policy config, e.g. for a security control that must not be waived in code.",
  default: true,
};

/** A policy's schema: its own properties plus `exemptions` and `allowResourceExemptions`. */
export function schema(properties: Record<string, PolicyConfigJSONSchema>): PolicyConfigSchema {
  return {
    properties: {
      ...properties,
      exemptions: exemptionsSchema,
      allowResourceExemptions: allowResourceExemptionsSchema,
    },
  };
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

// --- Deciding --------------------------------------------------------------------------------

/** An exemption that applies now, and where it was declared. */
export interface ExemptionInForce {
  source: "policy config" | "resource tag";
  /** `exemptions[0]`, or the tag key. */
  where: string;
  /** Who owns it; undefined for one declared before owners existed. */
  owner?: string;
  reason: string;
  expires: string;
  daysLeft: number;
}

export interface ExemptionDecision {
  inForce?: ExemptionInForce;
  /**
   * Exemptions for this resource that do not apply (expired, no valid date, a malformed or
   * disallowed tag), each as the sentence a violation message ends with.
   */
  lapsed: readonly string[];
}

const NO_EXEMPTION: ExemptionDecision = { lapsed: [] };

const NO_TAGS: ParsedExemptionTag[] = [];

/** Parsed exemption tags per resource props, for the few resources that have any. */
const tagCache = new WeakMap<object, ParsedExemptionTag[]>();

/**
 * The exemption tags among a resource's own `tags`. Called for every resource a policy judges, so
 * the common case (no exemption tag) allocates nothing. Only the resource's own `tags` count: a
 * provider's default tags (`tagsAll`) reach every resource and must not exempt them all. Read
 * through the descriptor, which the engine's proxy does not intercept (cheap, never throws); a
 * tag whose value is unknown at preview exempts nothing.
 */
function exemptionTagsOfResource(props: unknown): ParsedExemptionTag[] {
  if (props === null || typeof props !== "object") return NO_TAGS;
  const tags: unknown = Object.getOwnPropertyDescriptor(props, "tags")?.value;
  if (tags === null || typeof tags !== "object") return NO_TAGS;
  let any = false;
  for (const key in tags) {
    if (key.startsWith(EXEMPTION_TAG_PREFIX)) {
      any = true;
      break;
    }
  }
  if (!any) return NO_TAGS;
  let parsed = tagCache.get(props);
  if (!parsed) {
    parsed = exemptionTagsOf(
      Object.fromEntries(Object.entries(tags).filter(([, value]) => value !== unknownValue)),
    );
    tagCache.set(props, parsed);
  }
  return parsed;
}

/**
 * Whether `policy` exempts `resource`, from its policy config and its own tags, judged on `on`
 * (today, UTC, read only when some exemption names the resource). Any exemption in force
 * exempts; the others are returned as the reasons the resource is judged. `policy` undefined (a
 * schema no pack policy owns) reads the policy config only.
 */
export function decideExemption(
  resource: { name: string; urn: string; props: unknown },
  config: ExemptionConfig,
  policy: string | undefined,
  on?: string,
): ExemptionDecision {
  const exemptions = config.exemptions ?? [];
  const tags = policy === undefined ? NO_TAGS : exemptionTagsOfResource(resource.props);
  if (tags.length === 0 && exemptions.length === 0) return NO_EXEMPTION;
  const lapsed: string[] = [];
  let inForce: ExemptionInForce | undefined;
  let day = on;
  const judgedOn = (): string => {
    day ??= today();
    return day;
  };
  exemptions.forEach((e, i) => {
    if (e.resource !== resource.name && e.resource !== resource.urn) return;
    if (!isCalendarDate(e.expires)) {
      lapsed.push(
        `the exemption for \`${e.resource}\` (exemptions[${i}]) has no valid expiry date (${JSON.stringify(e.expires)}), so it does not apply; give it the last day it holds as YYYY-MM-DD`,
      );
      return;
    }
    // A blank owner is refused by the schema; read as unknown should a caller skip the schema.
    const owner = e.owner?.trim() || undefined;
    const expiry = expiryOf(e.expires, judgedOn());
    if (expiry.expired) {
      lapsed.push(
        `the exemption for \`${e.resource}\` expired on ${e.expires} (${describeOwner(owner)}; reason: ${e.reason})`,
      );
    } else {
      inForce ??= {
        source: "policy config",
        where: `exemptions[${i}]`,
        owner,
        reason: e.reason,
        expires: e.expires,
        daysLeft: expiry.daysLeft,
      };
    }
  });
  for (const tag of tags) {
    if (("exemption" in tag ? tag.exemption.policy : tag.policy) !== policy) continue;
    if (!("exemption" in tag)) {
      lapsed.push(`its exemption tag ${tag.key} is malformed: ${tag.problems.join("; ")}`);
      continue;
    }
    const { expires, reason, owner } = tag.exemption;
    if (config.allowResourceExemptions === false) {
      lapsed.push(
        `its exemption tag ${tag.key} does not apply: this policy takes exemptions only from its policy config (allowResourceExemptions: false)`,
      );
      continue;
    }
    const expiry = expiryOf(expires, judgedOn());
    if (expiry.expired) {
      lapsed.push(
        `the exemption tag ${tag.key} on \`${resource.name}\` expired on ${expires} (${describeOwner(owner)}; reason: ${reason})`,
      );
    } else {
      inForce ??= {
        source: "resource tag",
        where: tag.key,
        owner,
        reason,
        expires,
        daysLeft: expiry.daysLeft,
      };
    }
  }
  return { inForce, lapsed };
}

/** The not-applicable reason the engine records for an exempted resource. */
export function describeExemption(e: ExemptionInForce): string {
  const soon =
    e.daysLeft === 0
      ? " (last day today)"
      : e.daysLeft <= EXPIRY_WARNING_DAYS
        ? ` (expires in ${e.daysLeft} day${e.daysLeft === 1 ? "" : "s"})`
        : "";
  return `exempted until ${e.expires}${soon} by ${e.source} ${e.where} (${describeOwner(e.owner)}): ${e.reason}`;
}

/** A violation message followed by why the resource's exemptions did not spare it. */
export function withLapsedExemptions(message: string, lapsed: readonly string[]): string {
  if (lapsed.length === 0) return message;
  return `${message.replace(/\.\s*$/, "")}; ${lapsed.join("; ")}.`;
}

/** Which policy owns a config schema: policies are registered by {@link withExemptionNotes}. */
const policyBySchema = new WeakMap<object, string>();

function policyOf(configSchema: PolicyConfigSchema): string | undefined {
  if (!policyBySchema.has(configSchema)) {
    // A policy evaluated on its own (a unit test): loading the pack registers every policy.
    // Required lazily: the pack imports the policies, which import this module.
    require("../pack");
  }
  return policyBySchema.get(configSchema);
}

/**
 * `validateResourceOfType` that first honours the policy's exemptions (policy config and the
 * resource's own tag): an exempted resource is reported to the engine as "not applicable" with
 * the exemption's source, expiry and reason, never silently passed. A resource whose exemption
 * lapsed is judged, and each violation says which exemption lapsed and why.
 */
export function validateUnlessExempt<TResource extends Resource, TArgs>(
  // biome-ignore lint/suspicious/noExplicitAny: the same constructor shape validateResourceOfType takes.
  resourceClass: { new (name: string, args: TArgs, ...rest: any[]): TResource },
  configSchema: PolicyConfigSchema,
  validate: TypedResourceValidation<Unwrap<NonNullable<TArgs>>>,
): ResourceValidation {
  return validateResourceOfType(resourceClass, (props, args, reportViolation) => {
    const config = configOf<ExemptionConfig>(configSchema, args);
    const { inForce, lapsed } = decideExemption(args, config, policyOf(configSchema));
    if (inForce) args.notApplicable(describeExemption(inForce));
    const report: ReportViolation =
      lapsed.length === 0
        ? reportViolation
        : (message, urn) => reportViolation(withLapsedExemptions(message, lapsed), urn);
    return validate(props, args, report);
  });
}

/** Stack-policy counterpart: the resources a stack policy should judge. */
export function notExempt(
  resources: PolicyResource[],
  configSchema: PolicyConfigSchema,
  args: StackValidationArgs,
): PolicyResource[] {
  const config = configOf<ExemptionConfig>(configSchema, args);
  const policy = policyOf(configSchema);
  return resources.filter((r) => decideExemption(r, config, policy).inForce === undefined);
}

/**
 * Registers each policy as the owner of its config schema (so the exemption helpers know which
 * tag is theirs), and has each stack policy's violations end with the lapsed exemptions of the
 * resource they name, as `validateUnlessExempt` does for resource policies.
 */
export function withExemptionNotes(policies: Policies): Policies {
  return policies.map((policy) => {
    if (policy.configSchema) {
      const owner = policyBySchema.get(policy.configSchema);
      if (owner !== undefined && owner !== policy.name) {
        throw new Error(
          `policies ${owner} and ${policy.name} share one config schema; give each its own`,
        );
      }
      policyBySchema.set(policy.configSchema, policy.name);
    }
    if (!("validateStack" in policy) || !policy.configSchema) return policy;
    const configSchema = policy.configSchema;
    const validateStack = policy.validateStack;
    const wrapped: StackValidationPolicy["validateStack"] = (args, reportViolation) => {
      let byUrn: Map<string, PolicyResource> | undefined;
      let config: ExemptionConfig | undefined;
      const report: ReportViolation = (message, urn) => {
        if (urn === undefined) return reportViolation(message, urn);
        byUrn ??= new Map(args.resources.map((r) => [r.urn, r]));
        config ??= configOf<ExemptionConfig>(configSchema, args);
        const resource = byUrn.get(urn);
        const lapsed = resource ? decideExemption(resource, config, policy.name).lapsed : [];
        reportViolation(withLapsedExemptions(message, lapsed), urn);
      };
      return validateStack(args, report);
    };
    // The library skips a stack with no resource of the type a validation was built for
    // (validateStackResourcesOfType marks it): keep that mark on the wrapper.
    const pulumiType = (validateStack as { __pulumiType?: unknown }).__pulumiType;
    if (pulumiType !== undefined) Object.assign(wrapped, { __pulumiType: pulumiType });
    const stackPolicy: StackValidationPolicy = { ...policy, validateStack: wrapped };
    return stackPolicy;
  });
}
