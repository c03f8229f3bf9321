/**
 * A small typed reader over Pulumi stack config (`PULUMI_CONFIG`: namespaced keys, string
 * values, objects as JSON). Every read records the key, so whatever the stack file holds that
 * nothing read is reported as unknown: a typo such as `samplingRat` fails instead of silently
 * falling back to a default. All problems are collected and reported together.
 *
 * Messages follow one shape: `<project>:<key> must be <expected form> (<stack file>)`.
 */

import { distance } from "fastest-levenshtein";
import { closestName } from "./suggest";

/** Bad stack config: the program stops before declaring any resource. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "ConfigError";
  }
}

export interface ConfigSource {
  /** Pulumi project name: the namespace of the keys this reader owns. */
  project: string;
  /** The stack file the values come from, for messages (`Pulumi.prod.yaml`). */
  stackFile: string;
  /** Namespaced keys → values as the CLI passes them (strings; objects and lists as JSON). */
  values: Record<string, string>;
}

/** Where a value sits: a top-level key or a field inside an object-valued key. */
interface Slot {
  /** Full name for messages: `huntaze-api:api.memoryMb`. */
  label: string;
  /** The raw value: a string at top level, any JSON value inside objects. */
  value: unknown;
}

export interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  /** Replaces the generated "a number in [min, max]" wording. */
  expected?: string;
}

export interface StringRule {
  /** Allowed values; the message lists them. */
  oneOf?: readonly string[];
  pattern?: RegExp;
  /** Expected form for the message when `pattern` is used. */
  expected?: string;
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? "undefined");
}

/** Reads fields of one object-valued key; unknown fields are reported like unknown keys. */
export class ObjectReader {
  private readonly read = new Set<string>();

  constructor(
    private readonly owner: ConfigReader,
    private readonly label: string,
    private readonly fields: Record<string, unknown>,
  ) {}

  private slot(field: string): Slot | undefined {
    this.read.add(field);
    const value = this.fields[field];
    return value === undefined || value === null
      ? undefined
      : { label: `${this.label}.${field}`, value };
  }

  number(field: string, rule: NumberRule, fallback: number): number {
    return this.owner.coerceNumber(this.slot(field), rule, fallback);
  }

  string(field: string, rule: StringRule, fallback: string): string {
    return this.owner.coerceString(this.slot(field), rule, fallback);
  }

  optionalNumber(field: string, rule: NumberRule): number | undefined {
    const slot = this.slot(field);
    return slot === undefined ? undefined : this.owner.coerceNumber(slot, rule, Number.NaN);
  }

  optionalString(field: string, rule: StringRule): string | undefined {
    const slot = this.slot(field);
    return slot === undefined ? undefined : this.owner.coerceString(slot, rule, "");
  }

  /** A field that must be present: `missing` says what to set and how. */
  requiredString(field: string, rule: StringRule, missing: string): string {
    const slot = this.slot(field);
    if (slot === undefined) {
      this.owner.problem(`${this.label}.${field} is required: ${missing}`);
      return "";
    }
    return this.owner.coerceString(slot, rule, "");
  }

  boolean(field: string, fallback: boolean): boolean {
    const slot = this.slot(field);
    if (slot === undefined) return fallback;
    if (slot.value === true || slot.value === "true") return true;
    if (slot.value === false || slot.value === "false") return false;
    this.owner.problem(`${slot.label} must be true or false, not ${describe(slot.value)}`);
    return fallback;
  }

  /** A list of strings (a YAML sequence inside the object); absent → `undefined`. */
  optionalStringList(
    field: string,
    item: { pattern: RegExp; expected: string },
  ): string[] | undefined {
    const slot = this.slot(field);
    if (slot === undefined) return undefined;
    const value = slot.value;
    if (
      !Array.isArray(value) ||
      !value.every((v) => typeof v === "string" && item.pattern.test(v))
    ) {
      this.owner.problem(`${slot.label} must be ${item.expected}`);
      return undefined;
    }
    return value as string[];
  }

  /** Reports fields nothing read; call after the last read. */
  finish(): void {
    for (const field of Object.keys(this.fields)) {
      if (this.read.has(field)) continue;
      const hint = closestName(field, this.read);
      this.owner.problem(
        `${this.label}.${field} is not a known field${hint ? `; did you mean ${this.label}.${hint}?` : ""}`,
      );
    }
  }
}

export class ConfigReader {
  private readonly consumed = new Set<string>();
  private readonly problems: string[] = [];

  constructor(private readonly source: ConfigSource) {}

  get project(): string {
    return this.source.project;
  }

  get stackFile(): string {
    return this.source.stackFile;
  }

  /** Records a problem; the message gets the stack file appended. */
  problem(message: string): void {
    this.problems.push(`${message} (${this.source.stackFile})`);
  }

  private fullKey(key: string): string {
    return key.includes(":") ? key : `${this.source.project}:${key}`;
  }

  private slot(key: string): Slot | undefined {
    const full = this.fullKey(key);
    this.consumed.add(full);
    const value = this.source.values[full];
    return value === undefined ? undefined : { label: full, value };
  }

  /** Accepts a key that tools read (not the program), so it is not reported as unknown. */
  accept(key: string): void {
    this.consumed.add(this.fullKey(key));
  }

  coerceNumber(slot: Slot | undefined, rule: NumberRule, fallback: number): number {
    if (slot === undefined) return fallback;
    const expected =
      rule.expected ?? `${rule.integer ? "an integer" : "a number"} in [${rule.min}, ${rule.max}]`;
    const raw = slot.value;
    const n =
      typeof raw === "number"
        ? raw
        : typeof raw === "string" && /^\s*-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i.test(raw)
          ? Number(raw)
          : Number.NaN;
    if (
      !Number.isFinite(n) ||
      n < rule.min ||
      n > rule.max ||
      (rule.integer === true && !Number.isInteger(n))
    ) {
      this.problem(`${slot.label} must be ${expected}`);
      return fallback;
    }
    return n;
  }

  coerceString(slot: Slot | undefined, rule: StringRule, fallback: string): string {
    if (slot === undefined) return fallback;
    const value = slot.value;
    if (rule.oneOf && (typeof value !== "string" || !rule.oneOf.includes(value))) {
      this.problem(
        `${slot.label} must be one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(", ")}, not ${describe(value)}`,
      );
      return fallback;
    }
    if (typeof value !== "string" || (rule.pattern && !rule.pattern.test(value))) {
      this.problem(`${slot.label} must be ${rule.expected ?? "a string"}, not ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  number(key: string, rule: NumberRule, fallback: number): number {
    return this.coerceNumber(this.slot(key), rule, fallback);
  }

  string(key: string, rule: StringRule, fallback: string): string {
    return this.coerceString(this.slot(key), rule, fallback);
  }

  /** A string that must be present: `missing` says what to set and how. */
  requiredString(key: string, rule: StringRule, missing: string): string {
    const slot = this.slot(key);
    if (slot === undefined) {
      this.problem(`${this.fullKey(key)} is required: ${missing}`);
      return "";
    }
    return this.coerceString(slot, rule, "");
  }

  boolean(key: string, fallback: boolean): boolean {
    const slot = this.slot(key);
    if (slot === undefined) return fallback;
    if (slot.value === "true" || slot.value === true) return true;
    if (slot.value === "false" || slot.value === false) return false;
    this.problem(`${slot.label} must be true or false, not ${describe(slot.value)}`);
    return fallback;
  }

  /**
   * A list of strings (a YAML sequence). `required` makes an absent or empty list a problem
   * whose message is `expected`.
   */
  stringList(
    key: string,
    item: { pattern: RegExp; expected: string },
    options: { required: boolean; fallback: string[] },
  ): string[] {
    const slot = this.slot(key);
    const label = this.fullKey(key);
    if (slot === undefined) {
      if (options.required) this.problem(`${label} must be ${item.expected}`);
      return options.fallback;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(slot.value));
    } catch {
      parsed = undefined;
    }
    if (
      !Array.isArray(parsed) ||
      (options.required && parsed.length === 0) ||
      !parsed.every((v) => typeof v === "string" && item.pattern.test(v))
    ) {
      this.problem(`${label} must be ${item.expected}`);
      return options.fallback;
    }
    return parsed as string[];
  }

  /** An object-valued key; `read` pulls its fields. Absent → `read` sees an empty object. */
  object<T>(key: string, expected: string, read: (fields: ObjectReader) => T): T {
    const slot = this.slot(key);
    const label = this.fullKey(key);
    let fields: Record<string, unknown> = {};
    if (slot !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(slot.value));
      } catch {
        parsed = undefined;
      }
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        fields = parsed as Record<string, unknown>;
      } else {
        this.problem(`${label} must be ${expected}`);
      }
    }
    const reader = new ObjectReader(this, label, fields);
    const value = read(reader);
    reader.finish();
    return value;
  }

  /**
   * Reports keys of this project's namespace that nothing read (typo protection), then throws
   * a `ConfigError` if anything was wrong. Keys of other namespaces (`aws:`, …) are the
   * providers' business.
   */
  finish(): void {
    const prefix = `${this.source.project}:`;
    const known = [...this.consumed].filter((k) => k.startsWith(prefix));
    for (const key of Object.keys(this.source.values).sort()) {
      const namespace = key.slice(0, Math.max(0, key.indexOf(":")));
      // A namespace one or two typos from the project's (`huntaze-apii:`) is nobody's: Pulumi
      // would pass it to no program or provider, and the setting would silently not apply.
      if (
        namespace &&
        namespace !== this.source.project &&
        distance(namespace, this.source.project) <= 2
      ) {
        const fixed = `${prefix}${key.slice(namespace.length + 1)}`;
        this.problem(
          `${key} is in namespace "${namespace}", not this project's; did you mean ${fixed}?`,
        );
        continue;
      }
      if (!key.startsWith(prefix) || this.consumed.has(key)) continue;
      const hint = closestName(key, known);
      this.problem(`${key} is not a known key${hint ? `; did you mean ${hint}?` : ""}`);
    }
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
  }
}
