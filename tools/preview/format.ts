/**
 * How the preview prints values, lists, summaries and colour, the way `pulumi preview` does:
 * unknown values as `output<string>`, one summary line (`+ 113 to create`), colour on a
 * terminal only.
 */

/** What the run's plain JSON holds where the engine would not know a value yet. */
export const UNKNOWN_TEXT = "[unknown]";
/** How `pulumi preview` prints such a value. */
export const UNKNOWN_DISPLAY = "output<string>";

/** Default width for wrapped text: fits a PR comment, a job summary and an 100-column terminal. */
export const COLUMNS = 100;

export type Colour = "green" | "red" | "yellow" | "magenta" | "cyan" | "bold" | "dim";

/**
 * SGR codes. Not util.styleText: from Node 22 it also checks the stream and the environment
 * itself, and this decides once, from the stream the report goes to.
 */
const ANSI: Record<Colour, number> = {
  green: 32,
  red: 31,
  yellow: 33,
  magenta: 35,
  cyan: 36,
  bold: 1,
  dim: 2,
};

export interface Style {
  paint(colour: Colour, text: string): string;
}

/**
 * Colour only on a terminal, and never with `NO_COLOR` (https://no-color.org) or `TERM=dumb`:
 * piped output, files and CI logs stay plain text.
 */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const enabled =
    stream.isTTY === true &&
    (env.NO_COLOR === undefined || env.NO_COLOR === "") &&
    env.TERM !== "dumb";
  return {
    paint: (colour, text) => (enabled ? `\x1b[${ANSI[colour]}m${text}\x1b[0m` : text),
  };
}

export const plainStyle: Style = { paint: (_c, text) => text };

/** A value as one line: strings unquoted, unknowns as Pulumi shows them, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (value === UNKNOWN_TEXT) return UNKNOWN_DISPLAY;
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "(unset)";
  return JSON.stringify(value, (_k, v: unknown) => (v === UNKNOWN_TEXT ? UNKNOWN_DISPLAY : v));
}

/**
 * `items` joined with ", " and wrapped at `width` columns, continuation lines indented by
 * `indent` spaces: a 40-name list prints as a paragraph, not a 781-character line.
 */
export function wrapList(items: string[], indent: number, width = COLUMNS): string {
  const lines: string[] = [];
  let line = "";
  for (const [i, item] of items.entries()) {
    const piece = i < items.length - 1 ? `${item},` : item;
    if (line && indent + line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else {
      line = line ? `${line} ${piece}` : piece;
    }
  }
  if (line) lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

/** A stack output for the text report: lists wrapped, unknowns as `output<string>`. */
export function formatOutput(value: unknown, indent: number): string {
  if (value === UNKNOWN_TEXT) return UNKNOWN_DISPLAY;
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return `[${wrapList(
      value.map((v) => (v === UNKNOWN_TEXT ? UNKNOWN_DISPLAY : v)),
      indent + 1,
    )}]`;
  }
  return formatValue(value);
}

export interface StepCounts {
  create?: number;
  update?: number;
  replace?: number;
  delete?: number;
  same?: number;
}

/**
 * Pulumi's summary: `+ 113 to create`, `~ 1 to update`, `+-1 to replace`, `- 2 to delete`,
 * `114 unchanged`, joined on one line.
 */
export function summaryLine(counts: StepCounts, style: Style = plainStyle): string {
  const parts: string[] = [];
  if (counts.create) parts.push(style.paint("green", `+ ${counts.create} to create`));
  if (counts.update) parts.push(style.paint("yellow", `~ ${counts.update} to update`));
  if (counts.replace) parts.push(style.paint("magenta", `+-${counts.replace} to replace`));
  if (counts.delete) parts.push(style.paint("red", `- ${counts.delete} to delete`));
  if (counts.same) parts.push(`${counts.same} unchanged`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}

const usd = (n: number): string =>
  `$${Math.abs(n).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** `$12.34`, `-$1.00`: a monthly amount. */
export function money(n: number): string {
  return n < 0 ? `-${usd(n)}` : usd(n);
}

/** `+$12.34`, `-$1.00`, `$0.00`: a monthly delta. */
export function signedMoney(n: number): string {
  if (Math.round(n * 100) === 0) return "$0.00";
  return n > 0 ? `+${usd(n)}` : `-${usd(n)}`;
}
