/**
 * Field schemas for stack config, each carrying its own message. Pulumi hands config over as
 * strings (`PULUMI_CONFIG`): top-level numbers and booleans arrive as text, object- and
 * list-valued keys as JSON, and `pulumi config set --path` writes strings inside objects too.
 *
 * Every message is the part after the key, `must be <expected form>`: the formatter
 * (./format.ts) puts the key as users write it in front and the stack file after.
 *
 * Each field is ONE zod schema (a transform that checks, converts and fills the default), not
 * zod's `pipe(coerce, number().check(min, max))` + `_default(…)`: zod builds six objects for
 * that, and every preview constructs all ~130 fields once to parse once; the composed form made
 * reading the config ~3× slower than the hand-written reader it replaces (see
 * docs/CONFIGURATION.md, "How the config is read"). Objects, unknown keys, the rules across
 * fields and the inferred types stay zod's.
 */
import * as z from "./zod.bundle";

/** A value's problem: the message after the key (`must be …`), returned instead of the value. */
export class Problem {
  constructor(readonly message: string) {}
}

/** Checks and converts a raw value that is present (not `undefined`). */
export type Check<T> = (raw: unknown) => T | Problem;

/** A raw value as a message shows it: strings quoted, like the stack file holds them. */
export function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? "undefined");
}

/** The zod schema of one field: `check` for a value, `absent` when the field is unset. */
function field<T>(check: Check<T>, absent: () => T | Problem) {
  return z.transform((raw: unknown, payload): T => {
    const result = raw === undefined ? absent() : check(raw);
    if (!(result instanceof Problem)) return result;
    payload.issues.push({ code: "custom", message: result.message, input: raw });
    return z.NEVER;
  });
}

/** `fallback` when unset (the production value). */
export function withDefault<T>(check: Check<T>, fallback: NoInfer<T>) {
  return field(check, () => fallback);
}

/** `undefined` when unset. */
export function optional<T>(check: Check<T>) {
  return field<T | undefined>(check, () => undefined);
}

/** Must be set: `missing` is the message (`is required: …` saying what to set and how). */
export function required<T>(check: Check<T>, missing: string) {
  return field(check, () => new Problem(missing));
}

const NUMERIC = /^\s*-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i;

export interface NumberRule {
  min: number;
  max: number;
  /** @default false */
  integer?: boolean;
  /** The expected form in the message. @default "a number in [min, max]" (or "an integer …") */
  expected?: string;
}

/** A number within `[min, max]`; given as a number or a numeric string (`"2048"`). */
export function number(rule: NumberRule): Check<number> {
  const problem = new Problem(
    `must be ${rule.expected ?? `${rule.integer ? "an integer" : "a number"} in [${rule.min}, ${rule.max}]`}`,
  );
  return (raw) => {
    const n = typeof raw === "string" && NUMERIC.test(raw) ? Number(raw) : raw;
    return typeof n === "number" &&
      Number.isFinite(n) &&
      n >= rule.min &&
      n <= rule.max &&
      (rule.integer !== true || Number.isInteger(n))
      ? n
      : problem;
  };
}

/** `check`, then `ok` on its valid value (so that a value is refused for one reason only). */
export function refined<T, R extends T = T>(
  check: Check<T>,
  ok: (value: T) => boolean,
  message: (value: T) => string,
): Check<R> {
  return (raw) => {
    const value = check(raw);
    if (value instanceof Problem) return value;
    return ok(value) ? (value as R) : new Problem(message(value));
  };
}

/** A number that must also be one of `allowed` (checked once it is within range). */
export function numberIn<const T extends readonly number[]>(
  rule: NumberRule,
  allowed: T,
  message: (value: number) => string,
): Check<T[number]> {
  return refined<number, T[number]>(number(rule), (n) => allowed.includes(n), message);
}

export interface TextRule {
  pattern: RegExp;
  /** The expected form in the message: `must be <expected>, not "<value>"`. */
  expected: string;
}

/** A string matching `pattern`. */
export function text(rule: TextRule): Check<string> {
  return (raw) =>
    typeof raw === "string" && rule.pattern.test(raw)
      ? raw
      : new Problem(`must be ${rule.expected}, not ${describe(raw)}`);
}

/** One of `values`; the message lists them. */
export function oneOf<const T extends readonly string[]>(values: T): Check<T[number]> {
  const listed = values.map((v) => JSON.stringify(v)).join(", ");
  return (raw) =>
    values.includes(raw as string)
      ? (raw as T[number])
      : new Problem(`must be one of ${listed}, not ${describe(raw)}`);
}

/** `true` or `false` (or those words as text). */
export function flag(): Check<boolean> {
  return (raw) =>
    raw === true || raw === "true"
      ? true
      : raw === false || raw === "false"
        ? false
        : new Problem(`must be true or false, not ${describe(raw)}`);
}

export interface ListRule {
  pattern: RegExp;
  /** The whole message is `must be <expected>`, whatever is wrong (one message per key). */
  expected: string;
  /** A top-level key: the list arrives as JSON text. @default false */
  json?: boolean;
  /** @default false */
  nonEmpty?: boolean;
}

/** A list of strings each matching `pattern`. */
export function stringList(rule: ListRule): Check<string[]> {
  const problem = new Problem(`must be ${rule.expected}`);
  return (raw) => {
    const value = rule.json ? parseJson(raw) : raw;
    return Array.isArray(value) &&
      (rule.nonEmpty !== true || value.length > 0) &&
      value.every((v) => typeof v === "string" && rule.pattern.test(v))
      ? (value as string[])
      : problem;
  };
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Unset → `{}` (the fields' defaults apply); JSON text → its object, `null` fields dropped. */
function parseObject(value: unknown): unknown {
  const parsed = value === undefined ? {} : parseJson(value);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return parsed;
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== null));
}

const fieldNames = new WeakMap<object, readonly string[]>();

/** The fields of an object-valued key (for "did you mean …?"), or undefined for a plain key. */
export function knownFields(schema: object): readonly string[] | undefined {
  return fieldNames.get(schema);
}

/**
 * An object-valued key (`huntaze-api:database`): JSON of known fields only, each with its own
 * schema, and `rules` across its fields; absent, it is read as `{}` so that the fields' defaults
 * apply. `expected` is the message when the value is not an object at all.
 */
export function objectKey<const S extends z.core.$ZodLooseShape>(
  shape: S,
  expected: string,
  ...rules: z.core.$ZodCheck<z.output<z.ZodMiniObject<S>>>[]
) {
  const fields = z.strictObject(shape, {
    // Unknown fields are reported by the formatter, with a suggestion.
    error: (issue) => (issue.code === "unrecognized_keys" ? undefined : `must be ${expected}`),
  });
  // The rules go on the object itself: a pipe that failed skips whatever is attached after it.
  const schema = z.pipe(
    z.transform(parseObject),
    rules.length > 0 ? fields.check(...rules) : fields,
  );
  fieldNames.set(schema, Object.keys(shape));
  return schema;
}

/**
 * Runs a refinement only when the values it reads parsed cleanly (`"timeoutSeconds"`, or
 * `"keys.database.instanceClass"` from the root), so that one wrong value is reported once, not
 * again by every rule that reads it. An unknown field elsewhere in the object does not count.
 */
export function whenClean(...paths: string[]) {
  const deps = paths.map((p) => p.split("."));
  const within = (a: readonly PropertyKey[], b: readonly PropertyKey[]) =>
    a.slice(0, b.length).every((segment, i) => String(segment) === String(b[i]));
  return {
    when: (payload: z.core.ParsePayload) =>
      !payload.issues.some(
        (issue) =>
          issue.code !== "unrecognized_keys" &&
          deps.some((dep) => within(issue.path ?? [], dep) || within(dep, issue.path ?? [])),
      ),
  };
}

/**
 * A rule for two keys of one object that only make sense as a pair (a VPC and its subnets, an
 * issuer and its audience): both set or neither. The message names the first key, then the
 * second with `section.` in front, then `why`.
 */
export function setTogether<K extends string>(section: string, first: K, second: K, why: string) {
  return z.superRefine(
    (value: Partial<Record<K, unknown>>, ctx) => {
      if ((value[first] === undefined) !== (value[second] === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [first],
          message: `and ${section}.${second} must be set together ${why}`,
        });
      }
    },
    whenClean(first, second),
  );
}
