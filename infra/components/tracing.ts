import * as xray from "@pulumi/aws/xray";
import * as pulumi from "@pulumi/pulumi";

export interface TracingArgs {
  /** Physical rule name (at most 32 characters). */
  ruleName: string;
  /**
   * X-Ray service name the rule matches. For a REST API stage it is `<api name>/<stage>`, the
   * name API Gateway gives its segments.
   */
  serviceName: pulumi.Input<string>;
  /** ARN of the traced resource (the API stage). @default "*" */
  resourceArn?: pulumi.Input<string>;
  /** @default "AWS::ApiGateway::Stage" */
  serviceType?: string;
  /** Fraction of requests traced beyond the reservoir, in [0, 1]. */
  fixedRate: number;
  /** Requests per second traced before `fixedRate` applies. @default 1 */
  reservoirSize?: number;
  /** Lower wins when several rules match (1–9999). @default 1000 */
  priority?: number;
}

/**
 * The X-Ray sampling rule of the API. It governs API Gateway REST stages (which make the
 * sampling decision and pass it to Lambda); Lambda-originated traces use Lambda's fixed
 * sampling and no rule applies to them, and HTTP APIs support no tracing at all.
 */
export class Tracing extends pulumi.ComponentResource {
  readonly samplingRule: xray.SamplingRule;
  readonly ruleName: string;
  readonly fixedRate: number;

  constructor(name: string, args: TracingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("huntaze:aws:Tracing", name, {}, opts);
    const parent = this;

    normalize();
    this.ruleName = args.ruleName;
    this.fixedRate = args.fixedRate;
    this.samplingRule = createRule();
    this.registerOutputs({ ruleName: this.samplingRule.ruleName, fixedRate: args.fixedRate });

    function normalize(): void {
      if (!(args.fixedRate >= 0 && args.fixedRate <= 1)) {
        throw new Error(`${name}: fixedRate must be in [0, 1], not ${args.fixedRate}`);
      }
      if (args.ruleName.length > 32) {
        throw new Error(`${name}: the sampling rule name "${args.ruleName}" exceeds 32 characters`);
      }
    }

    function createRule(): xray.SamplingRule {
      return new xray.SamplingRule(
        `${name}-sampling-rule`,
        {
          ruleName: args.ruleName,
          priority: args.priority ?? 1000,
          version: 1,
          reservoirSize: args.reservoirSize ?? 1,
          fixedRate: args.fixedRate,
          serviceName: args.serviceName,
          serviceType: args.serviceType ?? "AWS::ApiGateway::Stage",
          resourceArn: args.resourceArn ?? "*",
          host: "*",
          httpMethod: "*",
          urlPath: "*",
        },
        { parent },
      );
    }
  }
}
