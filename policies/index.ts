// The entry point the Pulumi CLI runs (`pulumi preview --policy-pack policies`): it serves the
// pack over gRPC to the engine. Never import it in-process: the offline preview uses
// `src/pack.ts` through `tools/policy/`.
import { PolicyPack } from "@pulumi/policy";
import { packDescription, packEnforcementLevel, packName, policies } from "./src/pack";

new PolicyPack(packName, {
  policies,
  enforcementLevel: packEnforcementLevel,
  description: packDescription,
  provider: "aws",
  tags: ["aws", "lambda", "rds", "secretsmanager", "cloudwatch", "apigateway", "sqs", "kms"],
});
