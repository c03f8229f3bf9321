import { setExemptionClock } from "../../policies/src/lib/exemptions";

/**
 * The day every test judges exemption expiry on, unless it pins its own: a fixed day, so no test
 * turns red as the real date passes an expiry written in a config or the program.
 */
export const TEST_DAY = "2026-12-01";

/** Sets the exemption clock to noon UTC of `day`; returns the restore function. */
export function pinExemptionDay(day: string): () => void {
  return setExemptionClock(() => new Date(`${day}T12:00:00Z`));
}

/** Pins the exemption clock to `day` for the enclosing `describe`. */
export function onDay(day: string): void {
  let restore: (() => void) | undefined;
  before(() => {
    restore = pinExemptionDay(day);
  });
  after(() => restore?.());
}
