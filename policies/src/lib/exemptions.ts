/**
 * The rules of an exemption, in one place: its expiry date, its owner and the tag that declares
 * it next to the resource. Shared by the pack (which decides), the program's helper
 * (infra/lib/exemptions.ts, which builds the tag and fails `pulumi preview` on a bad one) and the
 * offline preview's report, so the three cannot disagree. Imports nothing: the program loads it
 * too.
 */

/** The report warns about exemptions expiring within this many days. */
export const EXPIRY_WARNING_DAYS = 14;

/** A reason shorter than this says nothing ("n/a", "legacy"). */
export const MIN_REASON_LENGTH = 10;

/**
 * Who owns an exemption: the team or person who approved it and answers for renewing or removing
 * it ("platform-team", "jane@example.com"). Required of every new declaration (the program's
 * helper refuses one without an owner, and the docs say so), but optional where exemptions are
 * read (the pack, the report): an exemption written before owners existed keeps applying, and
 * the report flags it ("no owner") while the not-applicable reason says "owner unknown". Making
 * it required there would turn every such exemption off on upgrade, and mandatory checks red,
 * for a missing name rather than for anything about the resource.
 */
export function describeOwner(owner: string | undefined): string {
  return owner === undefined ? "owner unknown" : `owner: ${owner}`;
}

// --- The clock -------------------------------------------------------------------------------

let clock: () => Date = () => new Date();

/**
 * Today in UTC as `YYYY-MM-DD`, the day expiry is judged on. The real date: under
 * `pulumi preview --policy-pack` the pack decides from it with no harness around it.
 */
export function today(): string {
  return clock().toISOString().slice(0, 10);
}

/**
 * Replaces the clock and returns a function that restores the previous one. For tests only (so
 * no test turns red as the real date passes a fixed expiry); nothing in the pack, the program or
 * the tools calls it, and neither config nor environment can move the date.
 */
export function setExemptionClock(now: () => Date): () => void {
  const previous = clock;
  clock = now;
  return () => {
    clock = previous;
  };
}

// --- Dates -----------------------------------------------------------------------------------

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `text` is a real calendar date written `YYYY-MM-DD` (not 2027-02-30, not 2027-13-01). */
export function isCalendarDate(text: unknown): text is string {
  if (typeof text !== "string") return false;
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** Whole days from `from` to `to` (both calendar dates); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export interface Expiry {
  /** The exemption no longer applies: today is after its expiry date. */
  expired: boolean;
  /** Days from today to the expiry date: 0 on the last day it holds, negative once expired. */
  daysLeft: number;
  /** Within {@link EXPIRY_WARNING_DAYS} of expiring (and not yet expired). */
  expiringSoon: boolean;
}

/**
 * An exemption holds **through** its expiry date (UTC): `expires: "2027-03-31"` still exempts on
 * 31 March 2027 and stops on 1 April. `expires` must be a calendar date (see
 * {@link isCalendarDate}); callers treat any other value as no exemption.
 */
export function expiryOf(expires: string, on: string = today()): Expiry {
  const daysLeft = daysBetween(on, expires);
  return {
    expired: daysLeft < 0,
    daysLeft,
    expiringSoon: daysLeft >= 0 && daysLeft <= EXPIRY_WARNING_DAYS,
  };
}

// --- The tag ---------------------------------------------------------------------------------

/**
 * Key `policy-exemption:<policy>`, value `until=YYYY-MM-DD by=<owner> reason=<text>` (`by=`
 * may be absent in a tag written before owners existed: see {@link describeOwner}). Within AWS's
 * tag rules (keys ≤ 128 and values ≤ 256 characters; letters, digits, spaces and
 * `_ . : / = + - @`; `aws:` reserved), kept to ASCII and plain spaces so every service's tag API
 * accepts it.
 */
export const EXEMPTION_TAG_PREFIX = "policy-exemption:";
export const TAG_KEY_MAX_LENGTH = 128;
export const TAG_VALUE_MAX_LENGTH = 256;

/** The characters a tag value may hold, as a human reads them in an error message. */
export const TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @";
const TAG_TEXT = /^[A-Za-z0-9 _.:/=+\-@]*$/;
/**
 * The characters an owner may hold in a tag: the tag alphabet without spaces (which separate the
 * value's fields) and `=` (which marks a field), so `by=jane@example.com` reads back unchanged.
 */
export const OWNER_CHARACTERS = "letters, digits and _ . : / + - @ (no spaces)";
const OWNER_TEXT = /^[A-Za-z0-9_.:/+\-@]+$/;
const POLICY_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
// `by=` is optional (tags from before owners existed) and taken up to the first " reason=", so an
// owner with a space in it is reported as such rather than as an unreadable value.
const TAG_VALUE = /^until=(\S*)(?: by=(.*?))? reason=(.*)$/s;
const TAG_SYNTAX = "until=YYYY-MM-DD by=<owner> reason=<why>";

/** An exemption declared by a tag on the resource it concerns. */
export interface TagExemption {
  /** The policy's name, e.g. `lambda-in-vpc`. */
  policy: string;
  /** The last day the exemption holds, `YYYY-MM-DD` (UTC). */
  expires: string;
  /** Why; only {@link TAG_CHARACTERS}. */
  reason: string;
  /**
   * Who owns it (`by=`), only {@link OWNER_CHARACTERS}; undefined in a tag written before owners
   * existed, which still applies (see {@link describeOwner}).
   */
  owner?: string;
}

export function exemptionTagKey(policy: string): string {
  return `${EXEMPTION_TAG_PREFIX}${policy}`;
}

export function exemptionTagValue(expires: string, reason: string, owner?: string): string {
  return owner === undefined
    ? `until=${expires} reason=${reason}`
    : `until=${expires} by=${owner} reason=${reason}`;
}

/** The first character of `text` outside the tag alphabet, or undefined when all are allowed. */
function badCharacter(text: string): string | undefined {
  if (TAG_TEXT.test(text)) return undefined;
  return [...text].find((c) => !TAG_TEXT.test(c));
}

/** What is wrong with an exemption as a tag, each problem with its fix; empty when valid. */
export function tagExemptionProblems(e: TagExemption): string[] {
  const problems: string[] = [];
  const key = exemptionTagKey(e.policy);
  if (!POLICY_NAME.test(e.policy)) {
    problems.push(
      `policy ${JSON.stringify(e.policy)} is not a policy name (kebab-case, e.g. "lambda-in-vpc")`,
    );
  } else if (key.length > TAG_KEY_MAX_LENGTH) {
    problems.push(`tag key ${key} is ${key.length} characters; AWS allows ${TAG_KEY_MAX_LENGTH}`);
  }
  if (!isCalendarDate(e.expires)) {
    problems.push(
      `expiry ${JSON.stringify(e.expires)} is not a calendar date; write the last day the exemption holds as YYYY-MM-DD (e.g. "2027-03-31")`,
    );
  }
  const reason = e.reason.trim();
  if (reason.length < MIN_REASON_LENGTH) {
    problems.push(
      `reason ${JSON.stringify(e.reason)} is too short; say why in at least ${MIN_REASON_LENGTH} characters`,
    );
  }
  if (e.owner !== undefined) {
    if (e.owner === "") {
      problems.push(
        `owner is empty; name the team or person who owns the exemption, e.g. by=platform-team`,
      );
    } else if (!OWNER_TEXT.test(e.owner)) {
      const c = [...e.owner].find((ch) => !OWNER_TEXT.test(ch)) ?? "";
      problems.push(
        `owner ${JSON.stringify(e.owner)} contains ${JSON.stringify(c)}; an owner in a tag may hold only ${OWNER_CHARACTERS}, e.g. "platform-team" or "jane@example.com"`,
      );
    }
  }
  const bad = badCharacter(e.reason);
  if (bad !== undefined) {
    problems.push(
      `reason contains ${JSON.stringify(bad)}, which AWS does not accept in a tag value; use only ${TAG_CHARACTERS} (rephrase, or declare the exemption in the policy config instead)`,
    );
  }
  const value = exemptionTagValue(e.expires, e.reason, e.owner);
  if (value.length > TAG_VALUE_MAX_LENGTH) {
    const room = TAG_VALUE_MAX_LENGTH - exemptionTagValue(e.expires, "", e.owner).length;
    const owner =
      e.owner === undefined
        ? ""
        : ` after the date and the owner (by=${e.owner}, ${e.owner.length} characters)`;
    problems.push(
      `tag value is ${value.length} characters; AWS allows ${TAG_VALUE_MAX_LENGTH}, which leaves ${Math.max(room, 0)} for the reason${owner}: shorten it${e.owner === undefined ? "" : " or the owner"}`,
    );
  }
  return problems;
}

/** One exemption tag as read from a resource: valid, or what is wrong with it. */
export type ParsedExemptionTag =
  | { key: string; exemption: TagExemption; problems: [] }
  | { key: string; policy: string; problems: string[] };

/** Parses one tag; undefined when its key is not an exemption tag. */
export function parseExemptionTag(key: string, value: unknown): ParsedExemptionTag | undefined {
  if (!key.startsWith(EXEMPTION_TAG_PREFIX)) return undefined;
  const policy = key.slice(EXEMPTION_TAG_PREFIX.length);
  const m = typeof value === "string" ? TAG_VALUE.exec(value) : null;
  if (!m) {
    return {
      key,
      policy,
      problems: [`value must be "${TAG_SYNTAX}" (got ${JSON.stringify(value)})`],
    };
  }
  const exemption: TagExemption = { policy, expires: m[1] ?? "", reason: m[3] ?? "" };
  if (m[2] !== undefined) exemption.owner = m[2];
  const problems = tagExemptionProblems(exemption);
  return problems.length > 0 ? { key, policy, problems } : { key, exemption, problems: [] };
}

/** Every exemption tag of a resource's `tags`, in key order. */
export function exemptionTagsOf(tags: unknown): ParsedExemptionTag[] {
  if (tags === null || typeof tags !== "object" || Array.isArray(tags)) return [];
  const result: ParsedExemptionTag[] = [];
  for (const key of Object.keys(tags).sort()) {
    if (!key.startsWith(EXEMPTION_TAG_PREFIX)) continue;
    const parsed = parseExemptionTag(key, (tags as Record<string, unknown>)[key]);
    if (parsed) result.push(parsed);
  }
  return result;
}
