/**
 * Field schemas for stack config, each carrying its own message. Pulumi hands config over as
 * strings (`PULUMI_CONFIG`): top-level numbers and booleans arrive as text, object- and
 * list-valued keys as JSON, and `pulumi config set --path` writes strings inside objects too.
 *
 * Every message is the part after the key, `must be <expected form>`: the formatter
 * (./format.ts) puts the key as users write it in front and the stack file after.
 */
import * as z from "./zod.bundle";

/** A raw value as a message shows it: strings quoted, like the stack file holds them. */
export function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? "undefined");
}

const NUMERIC = /^\s*-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i;

/** `"2048"` → 2048; anything else is left for the number schema to refuse. */
const toNumber = (value: unknown): unknown =>
  typeof value === "string" && NUMERIC.test(value) ? Number(value) : value;

/** `"true"`/`"false"` → booleans; anything else is left for the boolean schema to refuse. */
const toBoolean = (value: unknown): unknown =>
  value === "true" ? true : value === "false" ? false : value;

export interface NumberRule {
  min: number;
  max: number;
  /** @default false */
  integer?: boolean;
  /** The expected form in the message. @default "a number in [min, max]" (or "an integer …") */
  expected?: string;
}

/** A number within `[min, max]`; given as a number or a numeric string. */
export function number(rule: NumberRule) {
  const error = `must be ${rule.expected ?? `${rule.integer ? "an integer" : "a number"} in [${rule.min}, ${rule.max}]`}`;
  // Not `z.int()`: its failure aborts the enclosing checks too, and a rule across keys that
  // does not read this value should still report.
  const checks: z.core.$ZodCheck<number>[] = [
    z.minimum(rule.min, { error }),
    z.maximum(rule.max, { error }),
  ];
  if (rule.integer) checks.push(z.refine(Number.isInteger, { error }));
  return z.pipe(z.transform(toNumber), z.number({ error }).check(...checks));
}

/** `schema`, then `ok` on its valid value (so that a value is refused for one reason only). */
export function refined<S extends z.ZodMiniType, O extends z.output<S> = z.output<S>>(
  schema: S,
  ok: (value: z.output<S>) => boolean,
  message: (value: z.output<S>) => string,
) {
  return z.pipe(
    schema,
    z.custom<O>((value) => ok(value as z.output<S>), {
      error: (issue) => message(issue.input as z.output<S>),
    }),
  );
}

/** A number that must also be one of `allowed` (checked once it is within range). */
export function numberIn<const T extends readonly number[]>(
  rule: NumberRule,
  allowed: T,
  message: (value: number) => string,
) {
  return refined<ReturnType<typeof number>, T[number]>(
    number(rule),
    (value) => allowed.includes(value),
    message,
  );
}

export interface TextRule {
  pattern: RegExp;
  /** The expected form in the message: `must be <expected>, not "<value>"`. */
  expected: string;
}

/** A string matching `pattern`. */
export function text(rule: TextRule) {
  const error = (issue: { input?: unknown }) =>
    `must be ${rule.expected}, not ${describe(issue.input)}`;
  return z.string({ error }).check(z.regex(rule.pattern, { error }));
}

/** A string that must be set: `missing` says what to set and how. */
export function requiredText(rule: TextRule, missing: string) {
  const error = (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `is required: ${missing}`
      : `must be ${rule.expected}, not ${describe(issue.input)}`;
  return z.string({ error }).check(z.regex(rule.pattern, { error }));
}

/** One of `values`; the message lists them. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const listed = values.map((v) => JSON.stringify(v)).join(", ");
  return z.choice(values, {
    error: (issue) => `must be one of ${listed}, not ${describe(issue.input)}`,
  });
}

/** `true` or `false` (or those words as text). */
export function flag() {
  return z.pipe(
    z.transform(toBoolean),
    z.boolean({ error: (issue) => `must be true or false, not ${describe(issue.input)}` }),
  );
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
export function stringList(rule: ListRule) {
  return z.pipe(
    z.transform((value: unknown) => (rule.json ? parseJson(value) : value)),
    z.custom<string[]>(
      (value) =>
        Array.isArray(value) &&
        (!rule.nonEmpty || value.length > 0) &&
        value.every((v) => typeof v === "string" && rule.pattern.test(v)),
      { error: `must be ${rule.expected}` },
    ),
  );
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Parsed JSON object with `null` fields dropped (a `null` field is an unset one). */
function parseObject(value: unknown): unknown {
  const parsed = parseJson(value);
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
  const schema = z.prefault(z.pipe(z.transform(parseObject), fields.check(...rules)), {});
  fieldNames.set(schema, Object.keys(shape));
  return schema;
}

/** `fallback` when unset (the production value). */
export const withDefault = z._default;

/**
 * Runs a refinement only when the values it reads parsed cleanly (`"timeoutSeconds"`, or
 * `"database.instanceClass"` from the root), so that one wrong value is reported once, not again
 * by every rule that reads it. An unknown field elsewhere in the object does not count.
 */
export function whenClean(...paths: string[]) {
  const deps = paths.map((p) => p.split("."));
  const overlaps = (a: readonly PropertyKey[], b: readonly string[]) =>
    a.slice(0, b.length).every((segment, i) => String(segment) === b[i]);
  return {
    when: (payload: z.core.ParsePayload) =>
      !payload.issues.some(
        (issue) =>
          issue.code !== "unrecognized_keys" &&
          deps.some(
            (dep) =>
              overlaps(issue.path ?? [], dep) || overlaps(dep, (issue.path ?? []).map(String)),
          ),
      ),
  };
}
