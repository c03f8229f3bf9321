import type { Pricer } from "../context";
import { HOURS_PER_MONTH, PRICES, RDS_INSTANCE_CLASSES, RDS_PROXY_MIN_VCPUS } from "../prices";
import { prop } from "../props";

/** RDS Proxy: per vCPU-hour of the instance it fronts (at least two vCPUs). */
export const rdsProxyPricer: Pricer = {
  service: "RDS",
  price(ctx, lines) {
    const targets = ctx.ofType("aws:rds/proxyTarget:ProxyTarget");
    const instances = ctx.ofType("aws:rds/instance:Instance");
    for (const proxy of ctx.ofType("aws:rds/proxy:Proxy")) {
      const proxyName = prop(proxy, "name");
      const target = targets.find((t) => prop(t, "dbProxyName") === proxyName);
      const db = instances.find(
        (i) => target && prop(i, "identifier") === prop(target, "dbInstanceIdentifier"),
      );
      const cls = db ? String(prop(db, "instanceClass") ?? "") : "";
      const info = RDS_INSTANCE_CLASSES[cls];
      if (!info) {
        ctx.notPricedResource(
          proxy,
          `the vCPUs of its target ("${cls || "not found"}") are not in the price table`,
        );
        continue;
      }
      const vcpus = Math.max(RDS_PROXY_MIN_VCPUS, info.vcpus);
      lines.add(
        `${proxy.name}: RDS Proxy in front of ${cls} (${vcpus} vCPU)`,
        vcpus * HOURS_PER_MONTH,
        "vCPU-hour",
        PRICES.rdsProxyVcpuHour.usd,
        [proxy],
        { confirmed: false, note: PRICES.rdsProxyVcpuHour.note },
      );
    }
  },
};
