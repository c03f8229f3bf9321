import * as fs from "node:fs";
import type { EnforcementLevel } from "@pulumi/policy";
import {
  type AnalyzerInfo,
  ConfigureAnalyzerRequest,
  EnforcementLevel as EnforcementLevelProto,
  PolicyConfig,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/**
 * `--policy-pack-config` handling, done here the way the Pulumi engine does it before it calls
 * `Configure` (pkg/resource/analyzer/config.go): parse the file, start from every policy's
 * enforcement level and schema defaults as the analyzer reports them, apply `all`, then each
 * policy's entry, then validate each policy's properties against its JSON schema.
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

/** A bad policy config file: usage error (exit 2), naming the file, the policy and the property. */
export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigError";
  }
}

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
    throw new PolicyConfigError(`${label}: cannot read the policy config file (does it exist?)`);
  }
  if (text.trim() === "") return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PolicyConfigError(`${label}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new PolicyConfigError(
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
        throw new PolicyConfigError(
          `${label}: ${policy}: "${value}" is not an enforcement level (use one of ${levels})`,
        );
      }
      result[policy] = { enforcementLevel: value, properties: {} };
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        throw new PolicyConfigError(
          `${label}: ${policy}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (use one of ${levels})`,
        );
      }
      result[policy] = { enforcementLevel, properties };
    } else {
      throw new PolicyConfigError(
        `${label}: ${policy}: must be an enforcement level or an object of settings, not ${JSON.stringify(value)}`,
      );
    }
  }
  return result;
}

function closest(name: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(
          d[i - 1][j] + 1,
          d[i][j - 1] + 1,
          d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length][b.length];
  };
  const best = candidates.map((c) => ({ c, d: distance(name, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(3, Math.floor(name.length / 3)) ? best.c : undefined;
}

function describeType(value: unknown): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
}

const KNOWN_KEYWORDS = new Set([
  "type",
  "description",
  "default",
  "enum",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "items",
  "minItems",
  "maxItems",
  "properties",
  "required",
  "additionalProperties",
]);

/**
 * Throws on a JSON-schema keyword `validateAgainstSchema` does not implement, anywhere in the
 * schema: that would be a pack bug, silently unvalidated otherwise.
 */
export function assertSupportedSchema(schema: JsonSchema, path: string): void {
  for (const key of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(key)) {
      throw new Error(`policy config schema keyword "${key}" at ${path} is not supported`);
    }
  }
  for (const [k, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    assertSupportedSchema(sub, `${path}.${k}`);
  }
  if (schema.items && typeof schema.items === "object") {
    assertSupportedSchema(schema.items as JsonSchema, `${path}[]`);
  }
}

/**
 * Validates `value` against the JSON-schema keywords policy schemas use (the engine uses a full
 * JSON-schema validator; a keyword outside this set is a pack bug and throws).
 */
export function validateAgainstSchema(value: unknown, schema: JsonSchema, path: string): string[] {
  assertSupportedSchema(schema, path);
  const errors: string[] = [];
  const types = [schema.type ?? []].flat() as string[];
  if (types.length > 0) {
    const ok = types.some((t) => {
      switch (t) {
        case "integer":
          return Number.isInteger(value);
        case "number":
          return typeof value === "number" && Number.isFinite(value);
        case "array":
          return Array.isArray(value);
        case "object":
          return typeof value === "object" && value !== null && !Array.isArray(value);
        case "null":
          return value === null;
        default:
          return typeof value === t;
      }
    });
    if (!ok)
      return [
        `${path} must be ${types.map((t) => (t === "integer" ? "an integer" : `a ${t}`)).join(" or ")}, not ${describeType(value)} (${JSON.stringify(value)})`,
      ];
  }
  if (
    Array.isArray(schema.enum) &&
    !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))
  ) {
    errors.push(
      `${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")} (got ${JSON.stringify(value)})`,
    );
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum)
      errors.push(`${path} must be >= ${schema.minimum} (got ${value})`);
    if (typeof schema.maximum === "number" && value > schema.maximum)
      errors.push(`${path} must be <= ${schema.maximum} (got ${value})`);
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength)
      errors.push(`${path} must be at least ${schema.minLength} characters long`);
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
      errors.push(`${path} must be at most ${schema.maxLength} characters long`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value))
      errors.push(`${path} must match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems)
      errors.push(`${path} must have at least ${schema.minItems} item(s)`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems)
      errors.push(`${path} must have at most ${schema.maxItems} item(s)`);
    if (schema.items && typeof schema.items === "object") {
      value.forEach((item, i) => {
        errors.push(...validateAgainstSchema(item, schema.items as JsonSchema, `${path}[${i}]`));
      });
    }
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const req of (schema.required ?? []) as string[]) {
      if (obj[req] === undefined) errors.push(`${path}.${req} is required`);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...validateAgainstSchema(v, props[k], `${path}.${k}`));
      else if (schema.additionalProperties === false) {
        const hint = closest(k, Object.keys(props));
        errors.push(`${path}.${k} is not allowed${hint ? ` (did you mean "${hint}"?)` : ""}`);
      }
    }
  }
  return errors;
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
  const schemas: Record<string, Record<string, JsonSchema>> = {};
  const required: Record<string, string[]> = {};
  for (const policy of info.getPoliciesList()) {
    const properties = (policy.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<
      string,
      JsonSchema
    >;
    assertSupportedSchema({ properties }, policy.getName());
    schemas[policy.getName()] = properties;
    required[policy.getName()] = policy.getConfigschema()?.getRequiredList() ?? [];
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
      const hint = closest(policy, names);
      throw new PolicyConfigError(
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

  const errors: string[] = [];
  for (const [policy, properties] of Object.entries(schemas)) {
    errors.push(
      ...validateAgainstSchema(
        result[policy].properties,
        { type: "object", properties, required: required[policy], additionalProperties: false },
        policy,
      ),
    );
  }
  if (errors.length > 0) {
    throw new PolicyConfigError(`${label}: invalid policy config:\n  - ${errors.join("\n  - ")}`);
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
