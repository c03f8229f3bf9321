import {
  EXEMPTION_TAG_PREFIX,
  exemptionTagKey,
  exemptionTagValue,
  type TagExemption,
  tagExemptionProblems,
} from "../../policies/src/lib/exemptions";

/**
 * An exemption from one policy of the pack, declared next to the resource it concerns (the way
 * cdk-nag's suppressions sit next to the construct). `expires` is the last day (UTC,
 * `YYYY-MM-DD`) it holds; `reason` goes into a tag value, so it may hold only letters, digits,
 * spaces and `_ . : / = + - @` (no commas or apostrophes); `owner` is the team or person who
 * approved it and renews or removes it, written without spaces ("platform-team",
 * "jane@example.com").
 */
export interface PolicyExemption extends TagExemption {
  /**
   * Required here, for every new declaration; the pack still honours a tag without one, written
   * before owners existed, and the report flags it (policies/src/lib/exemptions.ts says why).
   */
  owner: string;
}

/**
 * The tags declaring `exemptions` on the resource named `resource`: one
 * `policy-exemption:<policy>` tag each, valued `until=<expires> by=<owner> reason=<reason>`, the
 * syntax the policy pack reads (policies/src/lib/exemptions.ts, the one definition of both). Throws while
 * the program runs, so `pulumi preview` fails naming the resource and the fix, on a tag AWS or
 * the pack would reject. An exemption already expired is not an error here: the pack reports it.
 */
export function policyExemptionTags(
  resource: string,
  exemptions: readonly PolicyExemption[],
): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const exemption of exemptions) {
    const key = exemptionTagKey(exemption.policy);
    // Checked at run time too: a JavaScript caller, or a cast, gets past the type.
    const owner: unknown = exemption.owner;
    const problems =
      typeof owner === "string"
        ? tagExemptionProblems(exemption)
        : [
            `owner is required: name the team or person who approved the exemption and will renew or remove it, e.g. owner: "platform-team" (written as by=<owner> in the tag)`,
            ...tagExemptionProblems({ ...exemption, owner: undefined }),
          ];
    if (problems.length > 0) {
      throw new Error(
        `${resource}: policy exemption for ${exemption.policy}: ${problems.join("; ")}`,
      );
    }
    if (key in tags) {
      throw new Error(
        `${resource}: two policy exemptions for ${exemption.policy}; a resource takes one ${EXEMPTION_TAG_PREFIX}<policy> tag per policy, so keep one (the latest expiry with its reason)`,
      );
    }
    tags[key] = exemptionTagValue(exemption.expires, exemption.reason, exemption.owner);
  }
  return tags;
}
