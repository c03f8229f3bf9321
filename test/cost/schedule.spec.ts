import * as assert from "node:assert/strict";
import { HOURS_PER_MONTH } from "../../tools/cost/prices";
import { schedulePerMonth } from "../../tools/cost/schedule";

/** Days in the 730-hour month: a twelfth of a 365-day year. */
const DAYS = HOURS_PER_MONTH / 24;
const WEEKS = DAYS / 7;

function perMonth(expression: string): number {
  const n = schedulePerMonth(expression);
  assert.ok(n !== undefined, `${expression} parses`);
  return n;
}

function close(expression: string, expected: number): void {
  const actual = perMonth(expression);
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, expected),
    `${expression}: expected ${expected} per month, got ${actual}`,
  );
}

describe("schedule expressions (EventBridge and Secrets Manager)", () => {
  it("reads rate() in minutes, hours and days, singular or plural", () => {
    close("rate(1 minute)", HOURS_PER_MONTH * 60);
    close("rate(12 hours)", DAYS * 2);
    close(" rate(7 days) ", DAYS / 7);
    assert.equal(schedulePerMonth("rate(0 days)"), undefined);
    assert.equal(schedulePerMonth("rate(2 weeks)"), undefined);
  });

  it("counts lists, ranges, steps and names in the minute, hour and month fields", () => {
    close("cron(0,30 8-17 * * ? *)", 2 * 10 * DAYS);
    close("cron(*/20 */6 * * ? *)", 3 * 4 * DAYS);
    close("cron(0 0 1 JAN,JUL ? *)", 2 / 12);
    close("cron(0 0 1 1-12/3 ? *)", 4 / 12);
  });

  it("counts a day of the month only in the months that have it", () => {
    close("cron(0 0 31 * ? *)", 7 / 12);
    close("cron(0 0 30 * ? *)", 11 / 12);
    close("cron(0 0 29-31 FEB ? *)", 0);
    close("cron(0 0 1-31/2 * ? *)", (16 * 7 + 15 * 4 + 14) / 12);
  });

  it("reads day-of-week numbers (1 = Sunday), names, steps and ranges across the weekend", () => {
    close("cron(0 12 ? * 2,4,6 *)", 3 * WEEKS);
    close("cron(0 12 ? * MON/2 *)", 3 * WEEKS);
    close("cron(0 12 ? * FRI-MON *)", 4 * WEEKS);
    close("cron(0 12 ? * sun *)", WEEKS);
  });

  it("reads L, W and LW in the day-of-month field, also within a list", () => {
    close("cron(0 12 L * ? *)", 1);
    close("cron(0 12 15W * ? *)", 1);
    close("cron(0 12 LW * ? *)", 1);
    close("cron(0 12 1,L * ? *)", 2);
  });

  it("reads x#n, xL and a bare L in the day-of-week field", () => {
    close("cron(0 12 ? * 6#3 *)", 1);
    close("cron(0 12 ? * 2#1,6#3 *)", 2);
    // A fifth Monday: three months in four of 31 days' worth, none in February.
    close("cron(0 12 ? * MON#5 *)", (7 * 3 + 4 * 2) / 7 / 12);
    close("cron(0 12 ? * 6L *)", 1);
    close("cron(0 12 ? * L *)", WEEKS);
  });

  it("takes the year field as when the schedule runs, not how often", () => {
    close("cron(0 3 * * ? 2026-2030)", DAYS);
    close("cron(0 3 * * ? 2027)", DAYS);
  });

  it("rejects what AWS rejects: both or neither day field `?`, wrong field counts, out of range", () => {
    for (const expression of [
      "cron(0 3 * * * *)",
      "cron(0 3 ? * ? *)",
      "cron(0 3 * * ?)",
      "cron(0 3 * * ? * *)",
      "cron(60 3 * * ? *)",
      "cron(0 24 * * ? *)",
      "cron(0 3 32 * ? *)",
      "cron(0 3 ? * 8 *)",
      "cron(0 3 ? * 2#6 *)",
      "cron(0 3 ? * MOO *)",
      "cron(0 3 * 13 ? *)",
      "cron(0 3 * * ? 2300)",
      "cron(0/0 3 * * ? *)",
      "at(2026-01-01T00:00:00)",
    ]) {
      assert.equal(schedulePerMonth(expression), undefined, expression);
    }
  });
});
