import { closestName } from "../../infra/lib/suggest";
import type { ExemptionConfig } from "../../policies/src/lib/config";
import {
  EXPIRY_WARNING_DAYS,
  exemptionTagsOf,
  expiryOf,
  isCalendarDate,
  today,
} from "../../policies/src/lib/exemptions";
import type { CapturedResource, ProgramRun } from "../preview/run-program";
import type { ReconciledConfig } from "./config";

/**
 * Every exemption a preview's program and policy config declare, and what became of it, for the
 * report: the pack decides with the same rules (policies/src/lib/config.ts), but the engine only
 * records a resource policy's "not applicable" and says nothing of a stack policy's, so the list
 * is drawn here from the declarations themselves.
 */

export type ExemptionStatus =
  /** Exempts its resource today. */
  | "in-force"
  /** Past its expiry date: the resource is judged again. */
  | "expired"
  /** A resource tag for a policy whose config sets `allowResourceExemptions: false`. */
  | "not-allowed"
  /** A malformed tag, or one naming no policy of the pack: exempts nothing. */
  | "invalid"
  /** A policy-config exemption naming no resource of this program. */
  | "unmatched";

export interface ListedExemption {
  policy: string;
  /** The resource's URN; for an unmatched policy-config entry, the name it gives. */
  resource: string;
  resourceType: string;
  resourceName: string;
  source: "policy-config" | "resource-tag";
  /** `policies/config/prod.json lambda-in-vpc.exemptions[0]`, or the tag key. */
  declaredAt: string;
  /**
   * Who owns it, as declared (`owner` in the config, `by=` in the tag); absent for one declared
   * before owners existed, which still applies and is flagged "no owner".
   */
  owner?: string;
  reason: string;
  /** The last day it holds (UTC), as declared. */
  expires: string;
  status: ExemptionStatus;
  /** Days from today to `expires` (0 on the last day), when `expires` is a date. */
  daysLeft?: number;
  /** In force and expiring within {@link EXPIRY_WARNING_DAYS} days. */
  expiringSoon?: boolean;
  /** What is wrong with an invalid or not-allowed one. */
  problem?: string;
}

function tagsOf(r: CapturedResource): unknown {
  // Read from the wire form: decoding every resource's inputs would cost each preview.
  return r.custom ? r.inputsStruct.getFieldsMap().get("tags")?.toJavaScript() : undefined;
}

function dated(
  expires: string,
  on: string,
): Pick<ListedExemption, "status" | "daysLeft" | "expiringSoon"> {
  const expiry = expiryOf(expires, on);
  return {
    status: expiry.expired ? "expired" : "in-force",
    daysLeft: expiry.daysLeft,
    ...(expiry.expiringSoon ? { expiringSoon: true } : {}),
  };
}

/**
 * The exemptions of `config` (labelled `configLabel`) and of the program's resource tags, in
 * the pack's policy order, judged on `on` (today, UTC).
 */
export function listExemptions(
  run: ProgramRun,
  config: ReconciledConfig,
  configLabel: string | null,
  on: string = today(),
): ListedExemption[] {
  const policies = Object.keys(config).filter((p) => p !== "all");
  const order = new Map(policies.map((p, i) => [p, i]));
  const listed: ListedExemption[] = [];

  for (const policy of policies) {
    const { exemptions = [] } = config[policy].properties as Partial<ExemptionConfig>;
    exemptions.forEach((e, i) => {
      const declaredAt = `${configLabel ?? "policy config"} ${policy}.exemptions[${i}]`;
      const matches = run.resources.filter((r) => r.name === e.resource || r.urn === e.resource);
      const status = isCalendarDate(e.expires)
        ? dated(e.expires, on)
        : {
            status: "invalid" as const,
            problem: `expires ${JSON.stringify(e.expires)} is not a calendar date`,
          };
      const owner = typeof e.owner === "string" && e.owner.trim() !== "" ? e.owner : undefined;
      const common = {
        policy,
        source: "policy-config" as const,
        declaredAt,
        ...(owner === undefined ? {} : { owner }),
        reason: e.reason,
        expires: e.expires,
      };
      if (matches.length === 0) {
        listed.push({
          ...common,
          resource: e.resource,
          resourceType: "",
          resourceName: e.resource,
          status: "unmatched",
          problem:
            "names no resource of this program (renamed or removed?): delete it or correct the name",
        });
      }
      for (const r of matches) {
        listed.push({
          ...common,
          resource: r.urn,
          resourceType: r.type,
          resourceName: r.name,
          ...status,
        });
      }
    });
  }

  for (const r of run.resources) {
    for (const tag of exemptionTagsOf(tagsOf(r))) {
      const where = {
        resource: r.urn,
        resourceType: r.type,
        resourceName: r.name,
        source: "resource-tag" as const,
        declaredAt: tag.key,
      };
      if (!("exemption" in tag)) {
        listed.push({
          ...where,
          policy: tag.policy,
          reason: "",
          expires: "",
          status: "invalid",
          problem: tag.problems.join("; "),
        });
        continue;
      }
      const { policy, reason, expires, owner } = tag.exemption;
      const entry = {
        ...where,
        policy,
        ...(owner === undefined ? {} : { owner }),
        reason,
        expires,
      };
      if (!order.has(policy)) {
        const hint = closestName(policy, policies);
        listed.push({
          ...entry,
          status: "invalid",
          problem: `no policy of this pack is named ${policy}${hint ? ` (did you mean ${hint}?)` : ""}`,
        });
      } else if (
        (config[policy].properties as Partial<ExemptionConfig>).allowResourceExemptions === false
      ) {
        listed.push({
          ...entry,
          status: "not-allowed",
          problem:
            "this policy takes exemptions only from its policy config (allowResourceExemptions: false)",
        });
      } else {
        listed.push({ ...entry, ...dated(expires, on) });
      }
    }
  }

  // By policy (the pack's order); within one, as declared: config entries, then tags.
  return listed.sort(
    (a, b) => (order.get(a.policy) ?? policies.length) - (order.get(b.policy) ?? policies.length),
  );
}

const STATUS_LABEL: Record<ExemptionStatus, string> = {
  "in-force": "in force",
  expired: "EXPIRED",
  "not-allowed": "NOT ALLOWED",
  invalid: "INVALID",
  unmatched: "UNMATCHED",
};

function when(e: ListedExemption): string {
  if (e.status === "expired") return `expired on ${e.expires}`;
  if (e.daysLeft === undefined) return e.expires ? `until ${e.expires}` : "";
  const left =
    e.daysLeft === 0 ? "last day today" : `${e.daysLeft} day${e.daysLeft === 1 ? "" : "s"} left`;
  return `until ${e.expires} (${left})`;
}

/** A declaration that was read (not a malformed tag) and names nobody. */
function ownerless(e: ListedExemption): boolean {
  return e.owner === undefined && e.expires !== "";
}

/**
 * The report's exemptions section: every exemption, then warnings for those in force without an
 * owner and for those about to expire.
 */
export function renderExemptions(exemptions: ListedExemption[], on: string = today()): string[] {
  if (exemptions.length === 0) return ["Exemptions: none declared."];
  const count = (s: ExemptionStatus) => exemptions.filter((e) => e.status === s).length;
  const others = exemptions.length - count("in-force") - count("expired");
  const lines = [
    `Exemptions (judged on ${on}, UTC): ${count("in-force")} in force, ${count("expired")} expired${others ? `, ${others} not applied` : ""}`,
  ];
  for (const e of exemptions) {
    const resource = e.resourceType ? `${e.resourceType} ${e.resourceName}` : e.resourceName;
    lines.push(`  ${STATUS_LABEL[e.status].padEnd(11)} ${e.policy}  ${resource}`);
    const source = e.source === "policy-config" ? e.declaredAt : `resource tag ${e.declaredAt}`;
    const owner = e.owner !== undefined ? `owner: ${e.owner}` : ownerless(e) ? "no owner" : "";
    lines.push(`      ${[when(e), source, owner].filter(Boolean).join(" — ")}`);
    if (e.reason) lines.push(`      reason: ${e.reason}`);
    if (e.problem) lines.push(`      ${e.problem}`);
  }
  const unowned = exemptions.filter((e) => e.status === "in-force" && ownerless(e));
  if (unowned.length > 0) {
    lines.push(
      `  warning: ${unowned.length} exemption${unowned.length === 1 ? " in force has" : "s in force have"} no owner (${unowned.map((e) => `${e.policy} on ${e.resourceName}`).join("; ")}): name the team or person who answers for it — "owner" in the policy config entry, by=<owner> in the tag (policyExemptionTags requires it).`,
    );
  }
  const soon = exemptions.filter((e) => e.expiringSoon);
  if (soon.length > 0) {
    lines.push(
      `  warning: ${soon.length} exemption${soon.length === 1 ? " expires" : "s expire"} within ${EXPIRY_WARNING_DAYS} days (${soon.map((e) => `${e.policy} on ${e.resourceName}, ${e.expires}`).join("; ")}): renew with a new date and a current reason, or fix the resource, before the deploy turns red.`,
    );
  }
  return lines;
}
