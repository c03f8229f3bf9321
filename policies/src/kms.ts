import { Key as KmsKey } from "@pulumi/aws/kms/key";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { schema, validateUnlessExempt } from "./lib/config";
import { known } from "./lib/preview";

const keyRotationSchema = schema({});

/** @internal */
export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "kms-key-rotation",
  description:
    "Symmetric customer-managed KMS keys must rotate their key material automatically (enableKeyRotation; off by default), asymmetric and HMAC keys cannot and are not judged (mirrors Checkov CKV_AWS_7, AWS Config cmk-backing-key-rotation-enabled, awsguard cmk-backing-key-rotation-enabled).",
  configSchema: keyRotationSchema,
  validateResource: validateUnlessExempt(KmsKey, keyRotationSchema, (key, args, report) => {
    // Unset spec means SYMMETRIC_DEFAULT.
    const spec = known(() => key.customerMasterKeySpec) ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") args.notApplicable(`${spec} keys cannot rotate`);
    if (known(() => key.enableKeyRotation) !== true) {
      report("KMS key must rotate its key material automatically (enableKeyRotation: true).");
    }
  }),
};
