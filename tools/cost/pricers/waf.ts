import type { Pricer } from "../context";
import { PRICES } from "../prices";
import { names, prop } from "../props";

/** Per web ACL, per rule, and per request inspected (every API request passes the ACL). */
export const wafPricer: Pricer = {
  service: "WAF",
  price(ctx, lines) {
    const acls = ctx.ofType("aws:wafv2/webAcl:WebAcl");
    if (!acls.length) return;
    lines.price(`web ACLs (${names(acls)})`, acls.length, "wafWebAclMonth", acls);
    const rules = acls.reduce((n, acl) => {
      const list = prop(acl, "rules");
      return n + (Array.isArray(list) ? list.length : 0);
    }, 0);
    lines.price(`rules (${rules})`, rules, "wafRuleMonth", acls, PRICES.wafRuleMonth.note);
    lines.price(
      "requests inspected (requestsPerMonth)",
      ctx.assumptions.requestsPerMonth,
      "wafRequest",
      acls,
    );
  },
};
