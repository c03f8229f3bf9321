import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EnforcementLevel } from "@pulumi/policy";
import {
  type AnalyzerInfo,
  ConfigureAnalyzerRequest,
  EnforcementLevel as EnforcementLevelProto,
  PolicyConfig,
} from "@pulumi/pulumi/proto/analyzer_pb";
import type { default as Ajv, ErrorObject, ValidateFunction } from "ajv";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { closestName } from "../../infra/lib/suggest";
import { isCalendarDate } from "../../policies/src/lib/exemptions";
import { policyConfigError } from "../lib/errors";

/**
 * `--policy-pack-config` handling, done here the way the Pulumi engine does it before it calls
 * `Configure` (pkg/resource/analyzer/config.go): parse the file, start from every policy's
 * enforcement level and schema defaults as the analyzer reports them, apply `all`, then each
 * policy's entry, then validate each policy's properties against its JSON schema (with ajv).
 * Errors are usage errors (exit 2) naming the file, the policy and the property.
 *
 * Stricter than the CLI in two ways, both to catch typos before they reach a real preview:
 * a policy name the pack does not have, and a property a policy's schema does not declare,
 * are errors.
 */

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = [
  "advisory",
  "mandatory",
  "remediate",
  "disabled",
];

export interface PolicyConfigEntry {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** What `Configure` receives: every policy (and `all`, when given), levels and properties. */
export type ReconciledConfig = Record<string, PolicyConfigEntry>;

interface GivenEntry {
  enforcementLevel?: EnforcementLevel;
  properties: Record<string, unknown>;
}

type JsonSchema = Record<string, unknown>;

function isLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

function levelFromProto(level: number): EnforcementLevel {
  const name = Object.entries(EnforcementLevelProto).find(([, v]) => v === level)?.[0];
  return (name?.toLowerCase() ?? "advisory") as EnforcementLevel;
}

function levelToProto(level: EnforcementLevel): EnforcementLevelProto {
  return EnforcementLevelProto[level.toUpperCase() as keyof typeof EnforcementLevelProto];
}

/** Reads a `--policy-pack-config` file; `label` is how errors name it (e.g. its relative path). */
export function readPolicyConfigFile(file: string, label = file): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw policyConfigError(`${label}: cannot read the policy config file (does it exist?)`);
  }
  if (text.trim() === "") return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw policyConfigError(`${label}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw policyConfigError(
      `${label}: must be a JSON object of policy names to an enforcement level or settings, e.g. {"all": "mandatory"}`,
    );
  }
  return doc as Record<string, unknown>;
}

function parseEntries(doc: Record<string, unknown>, label: string): Record<string, GivenEntry> {
  const result: Record<string, GivenEntry> = {};
  const levels = ENFORCEMENT_LEVELS.join(", ");
  for (const [policy, value] of Object.entries(doc)) {
    if (typeof value === "string") {
      if (!isLevel(value)) {
        throw policyConfigError(
          `${label}: ${policy}: "${value}" is not an enforcement level (use one of ${levels})`,
        );
      }
      result[policy] = { enforcementLevel: value, properties: {} };
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        throw policyConfigError(
          `${label}: ${policy}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (use one of ${levels})`,
        );
      }
      result[policy] = { enforcementLevel, properties };
    } else {
      throw policyConfigError(
        `${label}: ${policy}: must be an enforcement level or an object of settings, not ${JSON.stringify(value)}`,
      );
    }
  }
  return result;
}

function describeType(value: unknown): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
}

/**
 * One compiled validator per policy schema. ajv's strict mode throws on a keyword it does not
 * know (a typo in a pack's schema would otherwise go unchecked); draft-07, like the JSON-schema
 * library the Pulumi CLI validates policy config with.
 */
let ajv: Ajv | undefined;
const AJV_OPTIONS = { allErrors: true, strict: true, verbose: true } as const;

/** A policy's properties as one object schema: declared properties only, required ones present. */
function policySchema(properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return { type: "object", properties, required, additionalProperties: false };
}

/** Compiles one policy's config schema; a schema ajv rejects is a pack bug, named as such. */
export function compilePolicySchema(
  policy: string,
  properties: Record<string, JsonSchema>,
  required: string[],
): ValidateFunction {
  try {
    // Loaded and built on first use: a preview whose config only sets levels never pays for it.
    if (!ajv) {
      const { default: AjvClass } = require("ajv") as typeof import("ajv");
      ajv = new AjvClass(AJV_OPTIONS);
    }
    return ajv.compile(policySchema(properties, required));
  } catch (err) {
    throw new Error(`policy ${policy}: its config schema is invalid: ${(err as Error).message}`);
  }
}

/** ajv's `/exemptions/0/reason` → `.exemptions[0].reason`, the way the messages name properties. */
function propertyPath(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join("");
}

const COMPARISONS: Record<string, string> = { minimum: ">=", maximum: "<=" };

/** One ajv error in our words: the policy, the property, what it must be and what it got. */
function describeError(policy: string, error: ErrorObject): string {
  const path = `${policy}${propertyPath(error.instancePath)}`;
  const value: unknown = error.data; // set with `verbose`
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "type": {
      const types = [params.type].flat().join(",").split(",");
      return `${path} must be ${types.map((t) => (t === "integer" ? "an integer" : `a ${t}`)).join(" or ")}, not ${describeType(value)} (${JSON.stringify(value)})`;
    }
    case "enum":
      return `${path} must be one of ${(params.allowedValues as unknown[]).map((e) => JSON.stringify(e)).join(", ")} (got ${JSON.stringify(value)})`;
    case "minimum":
    case "maximum":
      return `${path} must be ${COMPARISONS[error.keyword]} ${params.limit} (got ${JSON.stringify(value)})`;
    case "minLength":
      return `${path} must be at least ${params.limit} characters long`;
    case "maxLength":
      return `${path} must be at most ${params.limit} characters long`;
    case "pattern":
      return `${path} must match ${params.pattern}`;
    case "minItems":
      return `${path} must have at least ${params.limit} item(s)`;
    case "maxItems":
      return `${path} must have at most ${params.limit} item(s)`;
    case "required":
      return `${path}.${params.missingProperty} is required`;
    case "additionalProperties": {
      const name = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties ?? {}) as Record<string, unknown>);
      const hint = closestName(name, known);
      return `${path}.${name} is not allowed${hint ? ` (did you mean "${hint}"?)` : ""}`;
    }
    default:
      return `${path} ${error.message ?? "is invalid"}`;
  }
}

/**
 * Schema errors on an exemption's `expires` (pattern) and `owner` (minLength, pattern) that
 * {@link exemptionEntryProblems} says better, with the fix.
 */
const SAID_BETTER: Record<string, readonly string[]> = {
  expires: ["pattern"],
  owner: ["minLength", "pattern"],
};
const EXEMPTION_FIELD_PATH = /^\/exemptions\/\d+\/(expires|owner)$/;

function saidBetter(error: { keyword: string; instancePath: string }): boolean {
  const field = EXEMPTION_FIELD_PATH.exec(error.instancePath)?.[1];
  return field !== undefined && (SAID_BETTER[field] ?? []).includes(error.keyword);
}

/**
 * What the schema cannot say well about each exemption: an expiry that is not a calendar day
 * (2027-02-30, 2027-13-01: JSON schema checks the shape, not the calendar, and an exemption
 * with a date that does not exist would never be clear about when it stops), and a blank owner
 * (`""`, `"  "`: the schema refuses it, and this names the fix instead of quoting a pattern).
 */
function exemptionEntryProblems(policy: string, properties: Record<string, unknown>): string[] {
  const exemptions = properties.exemptions;
  if (!Array.isArray(exemptions)) return [];
  return exemptions.flatMap((e: unknown, i) => {
    const { expires, owner } = (e ?? {}) as { expires?: unknown; owner?: unknown };
    const problems: string[] = [];
    if (typeof expires === "string" && !isCalendarDate(expires)) {
      problems.push(
        `${policy}.exemptions[${i}].expires: ${JSON.stringify(expires)} is not a calendar date; write the last day the exemption holds as YYYY-MM-DD (UTC), e.g. "2027-03-31"`,
      );
    }
    if (typeof owner === "string" && owner.trim() === "") {
      problems.push(
        `${policy}.exemptions[${i}].owner is blank; name the team or person who owns the exemption, e.g. "platform-team" or "jane@example.com"`,
      );
    }
    return problems;
  });
}

/** Validates one policy's properties; returns the problems in our words (none when valid). */
export function policyConfigProblems(
  policy: string,
  validate: ValidateFunction,
  properties: Record<string, unknown>,
): string[] {
  const entries = exemptionEntryProblems(policy, properties);
  if (validate(properties)) return entries;
  return [
    ...(validate.errors ?? [])
      .filter((error) => !saidBetter(error))
      .map((error) => describeError(policy, error)),
    ...entries,
  ];
}

/**
 * Validation is a pure function of the schemas, the values and ajv; loading ajv and compiling
 * the schemas costs a preview ~0.1 s of CPU, so a combination found valid is remembered (like
 * the bundles, under `.build/`) and the next preview of an unchanged config skips both. Only
 * valid results are remembered: an invalid config always gets its full messages.
 */
const VALIDATED_DIR = path.resolve(__dirname, "..", "..", ".build", "policy-config");

function validationKey(checks: unknown): string {
  const ajvVersion = (require("ajv/package.json") as { version: string }).version;
  return (
    createHash("sha256")
      // `rules` names the checks made beyond the schemas: a new one invalidates what was remembered.
      .update(
        JSON.stringify({ ajvVersion, options: AJV_OPTIONS, rules: ["calendar-expiry"], checks }),
      )
      .digest("hex")
  );
}

function validatedBefore(key: string): boolean {
  return fs.existsSync(path.join(VALIDATED_DIR, key));
}

function rememberValid(key: string): void {
  try {
    fs.mkdirSync(VALIDATED_DIR, { recursive: true });
    fs.writeFileSync(path.join(VALIDATED_DIR, key), "valid\n");
  } catch {
    // A read-only checkout only loses the shortcut.
  }
}

/**
 * Reconciles a policy config document with the pack's own defaults, as the engine does, and
 * validates it. `doc` undefined means "no config file": defaults only.
 */
export function reconcilePolicyConfig(
  info: AnalyzerInfo,
  doc: Record<string, unknown> | undefined,
  label: string,
): ReconciledConfig {
  const result: ReconciledConfig = {};
  const schemas: Record<string, { properties: Record<string, JsonSchema>; required: string[] }> =
    {};
  for (const policy of info.getPoliciesList()) {
    const properties = (policy.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<
      string,
      JsonSchema
    >;
    const required = policy.getConfigschema()?.getRequiredList() ?? [];
    schemas[policy.getName()] = { properties, required };
    const defaults: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(properties))
      if (s.default !== undefined) defaults[k] = s.default;
    result[policy.getName()] = {
      enforcementLevel: levelFromProto(policy.getEnforcementlevel()),
      properties: defaults,
    };
  }

  const given = parseEntries(doc ?? {}, label);
  const names = Object.keys(schemas);
  for (const policy of Object.keys(given)) {
    if (policy !== "all" && !(policy in schemas)) {
      const hint = closestName(policy, names);
      throw policyConfigError(
        `${label}: "${policy}" is not a policy of this pack${hint ? ` (did you mean "${hint}"?)` : ""}; policies: ${names.join(", ")}`,
      );
    }
  }

  const all = given.all?.enforcementLevel;
  if (all) for (const entry of Object.values(result)) entry.enforcementLevel = all;
  for (const [policy, entry] of Object.entries(given)) {
    const current = result[policy] ?? {
      enforcementLevel: entry.enforcementLevel ?? "advisory",
      properties: {},
    };
    result[policy] = {
      enforcementLevel: entry.enforcementLevel ?? current.enforcementLevel,
      properties: { ...current.properties, ...entry.properties },
    };
  }

  // A policy left at the pack's own defaults is valid by construction (the pack's tests check
  // its defaults against its schemas).
  const checks = Object.entries(schemas)
    .filter(
      ([policy, { required }]) =>
        Object.keys(given[policy]?.properties ?? {}).length > 0 || required.length > 0,
    )
    .map(([policy, { properties, required }]) => ({
      policy,
      properties,
      required,
      value: result[policy].properties,
    }));
  if (checks.length === 0) return result;
  const key = validationKey(
    checks.map((c) => [c.policy, policySchema(c.properties, c.required), c.value]),
  );
  if (validatedBefore(key)) return result;
  const errors = checks.flatMap(({ policy, properties, required, value }) =>
    policyConfigProblems(policy, compilePolicySchema(policy, properties, required), value),
  );
  if (errors.length === 0) rememberValid(key);
  if (errors.length > 0) {
    throw policyConfigError(`${label}: invalid policy config:\n  - ${errors.join("\n  - ")}`);
  }
  return result;
}

/** The `Configure` request for a reconciled config (every entry carries a properties Struct). */
export function configureRequest(config: ReconciledConfig): ConfigureAnalyzerRequest {
  const request = new ConfigureAnalyzerRequest();
  const map = request.getPolicyconfigMap();
  for (const [policy, entry] of Object.entries(config)) {
    const c = new PolicyConfig();
    c.setEnforcementlevel(levelToProto(entry.enforcementLevel));
    c.setProperties(Struct.fromJavaScript(entry.properties as Record<string, never>));
    map.set(policy, c);
  }
  return request;
}
