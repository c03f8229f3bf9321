/**
 * Zod issues → the messages users see: the key as they write it (`huntaze-api:database.instanceClass`),
 * what it must be, and the stack file (`Pulumi.prod.yaml`); an unknown key or field gets a
 * "did you mean …?" from the known names.
 */
import { closestName } from "../lib/suggest";
import { knownFields } from "./fields";
import type * as z from "./zod.bundle";

/** Bad stack config: the program stops before declaring any resource. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "ConfigError";
  }
}

export interface FormatContext {
  project: string;
  stackFile: string;
  /** The schema of each key, for the fields an object-valued key knows. */
  keys: Record<string, object>;
  /** Names accepted besides the schema's keys (read by tools). */
  otherKeys: readonly string[];
}

/** `["database", "instanceClass"]` → `huntaze-api:database.instanceClass`. */
function label(project: string, path: readonly PropertyKey[]): string {
  const [key, ...fields] = path.map(String);
  const full = key?.includes(":") ? key : `${project}:${key}`;
  return [full, ...fields].join(".");
}

function unknownKeys(issue: z.core.$ZodIssueUnrecognizedKeys, path: string[], c: FormatContext) {
  if (path.length === 0) {
    const known = [...Object.keys(c.keys).filter((k) => !k.includes(":")), ...c.otherKeys];
    return [...issue.keys].sort().map((key) => {
      const hint = closestName(key, known);
      return `${c.project}:${key} is not a known key${hint ? `; did you mean ${c.project}:${hint}?` : ""}`;
    });
  }
  const owner = label(c.project, path);
  const known = knownFields(c.keys[path[0]] ?? {}) ?? [];
  return [...issue.keys].sort().map((field) => {
    const hint = closestName(field, known);
    return `${owner}.${field} is not a known field${hint ? `; did you mean ${owner}.${hint}?` : ""}`;
  });
}

/** One message per problem, each ending with the stack file. `prefix` is stripped from paths. */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly string[],
  c: FormatContext,
): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    const path = issue.path.slice(prefix.length).map(String);
    if (issue.code === "unrecognized_keys") {
      problems.push(...unknownKeys(issue, path, c));
    } else {
      // Every schema here phrases its own message ("must …", "is required: …"); zod's defaults
      // would only show for a bug in the schema, and still name the key.
      const message = /^(must|is|and) /.test(issue.message)
        ? issue.message
        : `is invalid: ${issue.message}`;
      problems.push(`${label(c.project, path)} ${message}`);
    }
  }
  // Two checks of one value can fail alike (0.5 for an integer ≥ 1): say it once.
  return [...new Set(problems)].map((p) => `${p} (${c.stackFile})`);
}
