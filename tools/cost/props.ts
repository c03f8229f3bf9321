/** Reading captured resources as the provider would report them. */
import type { CapturedResource } from "../preview/run-program";

/** How a value unknown at preview reads in a run's plain values (see `toPlain`). */
export const UNKNOWN_PLAIN = "[unknown]";

/**
 * A resource property as the provider would report it (outputs fill in autonamed names);
 * undefined while it is unknown (a first deploy's ARNs, ids, URLs).
 */
export function prop(r: CapturedResource, key: string): unknown {
  const value = r.outputs[key] ?? r.inputs[key];
  return value === UNKNOWN_PLAIN ? undefined : value;
}

/** A number, or a numeric string, else `fallback`. */
export function num(value: unknown, fallback: number): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : fallback;
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Up to three resource names, else their count: for a line item's label. */
export function names(list: readonly CapturedResource[]): string {
  return list.length <= 3 ? list.map((r) => r.name).join(", ") : `${list.length} resources`;
}
