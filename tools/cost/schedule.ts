/**
 * How often an EventBridge (or Secrets Manager rotation) schedule fires in an average month.
 *
 * Our own parser, because no library fits: `cron-parser`, `croner` and the like read Unix or
 * Quartz layouts (seconds first, Sunday = 0, no year field), and `aws-cron-parser`, the one
 * package written for AWS's syntax, misreads lists with `L` or `#` (`1,L` becomes `L-1`,
 * `2#1,6#3` loses its second term) and throws on a bare `L` in the day-of-week field. What we
 * need is small: each field's set of values, counted over an average month.
 *
 * AWS cron: `cron(minutes hours day-of-month month day-of-week year)`; day-of-week 1-7 or
 * SUN-SAT (1 = Sunday); one of day-of-month and day-of-week must be `?`. Day-of-month takes
 * `L` (last day), `L-n`, `nW` (nearest weekday) and `LW`; day-of-week takes `L` (Saturday),
 * `xL` (last x of the month) and `x#n` (nth x of the month).
 */
import { HOURS_PER_MONTH } from "./prices";

/** Days in each month of a 365-day year: the 730-hour month is a twelfth of it. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  min: number;
  max: number;
  names?: readonly string[];
}

const MINUTE: FieldSpec = { min: 0, max: 59 };
const HOUR: FieldSpec = { min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { min: 1, max: 31 };
const MONTH: FieldSpec = { min: 1, max: 12, names: MONTHS };
const DAY_OF_WEEK: FieldSpec = { min: 1, max: 7, names: WEEKDAYS };
const YEAR: FieldSpec = { min: 1970, max: 2199 };

/** A value of a field (a number or a name), or undefined when it is neither or out of range. */
function value(text: string, spec: FieldSpec): number | undefined {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? spec.min + named : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return n >= spec.min && n <= spec.max ? n : undefined;
}

/** The values a plain term (`*`, `a`, `a-b`, with an optional `/step`) selects; wraps past max. */
function plainTerm(term: string, spec: FieldSpec): number[] | undefined {
  const [range = "", stepText, extra] = term.split("/");
  if (extra !== undefined) return undefined;
  const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : 0;
  if (step < 1) return undefined;
  let from: number | undefined;
  let to: number | undefined;
  if (range === "*") [from, to] = [spec.min, spec.max];
  else if (range.includes("-")) {
    const [a = "", b = "", more] = range.split("-");
    if (more !== undefined) return undefined;
    [from, to] = [value(a, spec), value(b, spec)];
  } else {
    from = value(range, spec);
    to = stepText === undefined ? from : spec.max;
  }
  if (from === undefined || to === undefined) return undefined;
  const span = spec.max - spec.min + 1;
  const count = (((to - from) % span) + span) % span; // FRI-MON wraps round the week
  const values: number[] = [];
  for (let i = 0; i <= count; i += step) values.push(((from - spec.min + i) % span) + spec.min);
  return values;
}

/** A plain field (no L, W, #): its set of values, or undefined when invalid. */
function plainField(field: string, spec: FieldSpec): Set<number> | undefined {
  const values = new Set<number>();
  for (const term of field.split(",")) {
    const selected = plainTerm(term, spec);
    if (!selected) return undefined;
    for (const v of selected) values.add(v);
  }
  return values;
}

/** Days the day-of-month field selects in a month of `length` days. */
function daysOfMonth(field: string, length: number): number | undefined {
  if (field === "*") return length;
  const days = new Set<number>();
  let special = 0;
  for (const term of field.split(",")) {
    if (term === "L" || term === "LW") special += 1;
    else if (/^L-\d+$/.test(term)) {
      const back = Number(term.slice(2));
      if (back > 30) return undefined;
      special += back < length ? 1 : 0;
    } else if (/^\d+W$/.test(term)) {
      if (value(term.slice(0, -1), DAY_OF_MONTH) === undefined) return undefined;
      special += 1; // the nearest weekday of that day, within the month
    } else {
      const selected = plainTerm(term, DAY_OF_MONTH);
      if (!selected) return undefined;
      for (const d of selected) days.add(d);
    }
  }
  return [...days].filter((d) => d <= length).length + special;
}

/** Days the day-of-week field selects in a month of `length` days (weekdays spread evenly). */
function daysOfWeek(field: string, length: number): number | undefined {
  if (field === "*") return length;
  const weekdays = new Set<number>();
  let special = 0;
  for (const term of field.split(",")) {
    const nth = /^(\w+)#(\d)$/.exec(term);
    const last = /^(\w+)L$/.exec(term);
    // A bare L is the last day of the week: Saturday.
    if (term === "L") weekdays.add(7);
    else if (nth) {
      const n = Number(nth[2]);
      if (value(nth[1] ?? "", DAY_OF_WEEK) === undefined || n < 1 || n > 5) return undefined;
      special += n <= 4 ? 1 : (length - 28) / 7; // a fifth one only in some months
    } else if (last) {
      if (value(last[1] ?? "", DAY_OF_WEEK) === undefined) return undefined;
      special += 1;
    } else {
      const selected = plainTerm(term, DAY_OF_WEEK);
      if (!selected) return undefined;
      for (const d of selected) weekdays.add(d);
    }
  }
  return (weekdays.size * length) / 7 + special;
}

function cronPerMonth(body: string): number | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const [min = "", hour = "", dom = "", month = "", dow = "", year = ""] = fields;
  // One of the two day fields must be `?`, as AWS requires.
  if ((dom === "?") === (dow === "?")) return undefined;
  const minutes = plainField(min, MINUTE);
  const hours = plainField(hour, HOUR);
  const months = plainField(month, MONTH);
  // The year field bounds when a schedule runs, not how often it fires while it runs.
  if (!minutes || !hours || !months || !plainField(year, YEAR)) return undefined;
  let daysPerYear = 0;
  for (const m of months) {
    const length = MONTH_DAYS[m - 1] ?? 0;
    const days = dom === "?" ? daysOfWeek(dow, length) : daysOfMonth(dom, length);
    if (days === undefined) return undefined;
    daysPerYear += days;
  }
  return minutes.size * hours.size * (daysPerYear / 12);
}

/**
 * Expected firings per month (of HOURS_PER_MONTH hours) of a `rate(...)` or `cron(...)`
 * expression; undefined when it is neither, or not a valid one.
 */
export function schedulePerMonth(expression: string): number | undefined {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? "";
    const minutes = unit.startsWith("minute") ? n : unit.startsWith("hour") ? n * 60 : n * 1440;
    return minutes > 0 ? (HOURS_PER_MONTH * 60) / minutes : undefined;
  }
  const cron = /^cron\((.+)\)$/.exec(text);
  return cron ? cronPerMonth(cron[1] ?? "") : undefined;
}
