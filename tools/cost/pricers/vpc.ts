import type { Pricer } from "../context";
import { HOURS_PER_MONTH } from "../prices";
import { names, prop, strings } from "../props";

/**
 * Interface endpoints per AZ-hour (one ENI per subnet) and data processed; gateway endpoints
 * have no charge; NAT gateways per hour and data processed.
 */
export const vpcPricer: Pricer = {
  service: "VPC",
  price(ctx, lines) {
    const a = ctx.assumptions;
    const endpoints = ctx.ofType("aws:ec2/vpcEndpoint:VpcEndpoint");
    const isInterface = (r: (typeof endpoints)[number]) =>
      String(prop(r, "vpcEndpointType") ?? "Gateway").toLowerCase() === "interface";
    const interfaceEndpoints = endpoints.filter(isInterface);
    for (const r of endpoints) {
      if (!isInterface(r)) {
        ctx.free(`${r.type} (Gateway)`, "gateway endpoints (S3, DynamoDB) have no charge");
      }
    }
    if (interfaceEndpoints.length) {
      let azHours = 0;
      const services: string[] = [];
      let guessed = false;
      for (const r of interfaceEndpoints) {
        const subnets =
          strings(prop(r, "subnetIds")).length ||
          (Array.isArray(prop(r, "subnetConfigurations"))
            ? (prop(r, "subnetConfigurations") as unknown[]).length
            : 0);
        if (!subnets) guessed = true;
        azHours += Math.max(1, subnets) * HOURS_PER_MONTH;
        services.push(
          String(prop(r, "serviceName") ?? r.name)
            .split(".")
            .pop() ?? r.name,
        );
      }
      lines.price(
        `interface endpoints: ${services.join(", ")}`,
        azHours,
        "interfaceEndpointAzHour",
        interfaceEndpoints,
        guessed
          ? "an endpoint without subnetIds is counted in one AZ"
          : "one ENI per subnet (AZ), billed every hour",
      );
      lines.price(
        "interface endpoint data (vpcEndpointGbPerMonth)",
        a.vpcEndpointGbPerMonth,
        "interfaceEndpointGb",
        interfaceEndpoints,
      );
    }
    const nats = ctx.ofType("aws:ec2/natGateway:NatGateway");
    if (nats.length) {
      lines.price(
        `NAT gateways (${names(nats)})`,
        nats.length * HOURS_PER_MONTH,
        "natGatewayHour",
        nats,
      );
      lines.price(
        "NAT data processed (natGatewayGbPerMonth)",
        a.natGatewayGbPerMonth,
        "natGatewayGb",
        nats,
      );
    }
  },
};
