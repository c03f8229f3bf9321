import * as assert from "node:assert/strict";
import { apiAuth } from "../../infra/components/api-auth";
import {
  type CapturedResource,
  type ProgramRun,
  runProgram,
} from "../../tools/preview/run-program";
import { type LoadedStackConfig, loadStackConfig } from "../../tools/preview/stack-config";
import {
  actionsOf,
  byName,
  ofType,
  type PolicyDoc,
  PROGRAM,
  PROJECT_ROOT,
  parsePolicy,
} from "./support";

/**
 * What each part grants another is decided by the part that owns it (the secret's reader
 * access, the key grants of the topic and the queue, the migration function's duration alarm).
 * These tests follow the references the program declared — a function's environment to the
 * secret it names, the secret to its key, a rule's target to the key encrypting it — so they
 * hold for any stack config, and fail if one side of a link is wired without the other.
 */

type Statement = PolicyDoc["Statement"][number];

/** `*` or `service:*`, written out here rather than taken from the program's own guard. */
const WILDCARD_ACTION = /^(\*|[A-Za-z0-9-]+:\*)$/;

function withConfig(stack: string, patch: Record<string, object>): LoadedStackConfig {
  const config = loadStackConfig(PROJECT_ROOT, stack);
  for (const [key, value] of Object.entries(patch)) {
    const name = `huntaze-api:${key}`;
    config.config[name] = JSON.stringify({ ...JSON.parse(config.config[name] ?? "{}"), ...value });
  }
  return config;
}

function resourcesOf(statement: Statement): string[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** The statements of a function's execution role, found through the role's ARN and id. */
function roleStatements(run: ProgramRun, fn: CapturedResource): Statement[] {
  const role = ofType(run, "aws:iam/role:Role").find((r) => r.outputs.arn === fn.inputs.role);
  assert.ok(role, `the role of ${fn.name}`);
  const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter(
    (p) => p.inputs.role === role.id || p.inputs.role === role.outputs.name,
  );
  assert.equal(policies.length, 1, `one policy on the role of ${fn.name}`);
  return parsePolicy(policies[0]!.inputs.policy).Statement;
}

function allows(statements: Statement[], action: string, resource: string): Statement[] {
  return statements.filter(
    (s) =>
      s.Effect === "Allow" && actionsOf(s).includes(action) && resourcesOf(s).includes(resource),
  );
}

/** The customer-managed key of a secret: the app secret's own, or RDS's for the master secret. */
function keyOfSecret(run: ProgramRun, secretArn: string): string {
  const secret = ofType(run, "aws:secretsmanager/secret:Secret").find(
    (s) => s.outputs.arn === secretArn,
  );
  if (secret) return String(secret.inputs.kmsKeyId);
  const instance = ofType(run, "aws:rds/instance:Instance").find((i) =>
    asList(i.outputs.masterUserSecrets).some(
      (s) => (s as { secretArn?: string }).secretArn === secretArn,
    ),
  );
  assert.ok(instance, `the secret ${secretArn} is declared by the stack`);
  return String(instance.inputs.masterUserSecretKmsKeyId);
}

/** Whether an IAM `ArnLike` pattern (`*` and `?` wildcards) matches an ARN. */
function arnLike(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(arn);
}

const VARIANTS: Array<{ title: string; config: () => LoadedStackConfig }> = [
  { title: "prod", config: () => loadStackConfig(PROJECT_ROOT, "prod") },
  { title: "staging", config: () => loadStackConfig(PROJECT_ROOT, "staging") },
  {
    title: "prod behind RDS Proxy, a 120 s migration timeout",
    config: () =>
      withConfig("prod", {
        database: { pooler: "rds-proxy" },
        migrations: { timeoutSeconds: 120 },
      }),
  },
  {
    title: "prod with an OIDC issuer",
    config: () =>
      withConfig("prod", {
        auth: { oidcIssuer: "https://login.example.com/", oidcAudience: ["huntaze-api"] },
      }),
  },
];

for (const variant of VARIANTS) {
  describe(`what the parts of the ${variant.title} stack grant each other`, () => {
    let run: ProgramRun;
    let region: string;

    before(async () => {
      const stackConfig = variant.config();
      region = String(stackConfig.config["aws:region"]);
      // Deployed view: ARNs and ids are known, so references can be followed.
      run = await runProgram({ programFile: PROGRAM, stackConfig, firstDeploy: false });
    });

    it("gives each function's role what its environment and settings use, and no wildcard action", () => {
      const functions = ofType(run, "aws:lambda/function:Function");
      assert.ok(functions.length >= 3);
      for (const fn of functions) {
        const statements = roleStatements(run, fn);
        const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        for (const s of statements.filter((s) => s.Effect === "Allow")) {
          const wildcard = actionsOf(s).filter((a) => WILDCARD_ACTION.test(a));
          assert.deepEqual(wildcard, [], `${fn.name}: ${s.Sid}`);
        }
        assert.equal(
          allows(statements, "kms:Decrypt", String(fn.inputs.kmsKeyArn)).length > 0,
          true,
          `${fn.name} decrypts its environment`,
        );

        const secrets = [env.DB_SECRET_ARN, env.MASTER_SECRET_ARN].filter(
          (arn): arn is string => arn !== undefined,
        );
        const readable = statements
          .filter(
            (s) => s.Effect === "Allow" && actionsOf(s).includes("secretsmanager:GetSecretValue"),
          )
          .flatMap(resourcesOf);
        assert.deepEqual(
          [...readable].sort(),
          [...secrets].sort(),
          `${fn.name} reads exactly the secrets it names`,
        );
        if (secrets.length === 0) {
          assert.ok(
            !statements.some((s) => actionsOf(s).some((a) => a.startsWith("secretsmanager:"))),
            `${fn.name} names no secret and may touch none`,
          );
        }
        for (const secretArn of secrets) {
          // The key is shared by both secrets: only through Secrets Manager, only for these.
          const decrypt = allows(statements, "kms:Decrypt", keyOfSecret(run, secretArn));
          assert.equal(decrypt.length, 1, `${fn.name} decrypts ${secretArn}`);
          const condition = decrypt[0]!.Condition?.StringEquals ?? {};
          assert.equal(condition["kms:ViaService"], `secretsmanager.${region}.amazonaws.com`);
          assert.ok(asList(condition["kms:EncryptionContext:SecretARN"]).includes(secretArn));
          for (const named of asList(condition["kms:EncryptionContext:SecretARN"])) {
            assert.ok(secrets.includes(String(named)), `${fn.name} decrypts no other secret`);
          }
        }

        const deadLetters = (fn.inputs.deadLetterConfig as { targetArn?: string } | undefined)
          ?.targetArn;
        if (deadLetters !== undefined) {
          const queue = ofType(run, "aws:sqs/queue:Queue").find(
            (q) => q.outputs.arn === deadLetters,
          );
          assert.ok(queue);
          assert.equal(allows(statements, "sqs:SendMessage", deadLetters).length, 1);
          assert.equal(
            allows(statements, "kms:GenerateDataKey", String(queue.inputs.kmsMasterKeyId)).length,
            1,
            `${fn.name} encrypts what it sends to its dead-letter queue`,
          );
        }
      }
    });

    it("lets EventBridge encrypt with the key of every encrypted topic or queue a rule of the stack delivers to", () => {
      const keys = ofType(run, "aws:kms/key:Key");
      const destinations: Array<{ rule: string; arn: string }> = [];
      for (const target of ofType(run, "aws:cloudwatch/eventTarget:EventTarget")) {
        const rule = ofType(run, "aws:cloudwatch/eventRule:EventRule").find(
          (r) => r.outputs.name === target.inputs.rule,
        );
        assert.ok(rule, `the rule of ${target.name}`);
        const dlq = (target.inputs.deadLetterConfig as { arn?: string } | undefined)?.arn;
        for (const arn of [String(target.inputs.arn), ...(dlq ? [dlq] : [])]) {
          destinations.push({ rule: String(rule.outputs.arn), arn });
        }
      }
      const encrypted = destinations.flatMap(({ rule, arn }) => {
        const holder = [
          ...ofType(run, "aws:sns/topic:Topic"),
          ...ofType(run, "aws:sqs/queue:Queue"),
        ].find((r) => r.outputs.arn === arn);
        const keyArn = holder?.inputs.kmsMasterKeyId;
        return keyArn === undefined ? [] : [{ rule, arn, keyArn: String(keyArn) }];
      });
      assert.ok(
        encrypted.length >= 3,
        "the worker schedule's DLQ, the rotation rule's topic and DLQ",
      );
      for (const { rule, arn, keyArn } of encrypted) {
        const key = keys.find((k) => k.outputs.arn === keyArn);
        assert.ok(key, `the key of ${arn}`);
        const granted = parsePolicy(key.inputs.policy).Statement.filter(
          (s) =>
            s.Effect === "Allow" &&
            (s.Principal as { Service?: string } | undefined)?.Service === "events.amazonaws.com" &&
            actionsOf(s).includes("kms:GenerateDataKey") &&
            arnLike(String(s.Condition?.ArnLike?.["aws:SourceArn"]), rule),
        );
        assert.ok(granted.length > 0, `${rule} may encrypt for ${arn}`);
      }
    });

    it("lets CloudWatch alarms publish to the encrypted alarm topic", () => {
      for (const alarm of ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
        for (const topicArn of asList(alarm.inputs.alarmActions)) {
          const topic = ofType(run, "aws:sns/topic:Topic").find((t) => t.outputs.arn === topicArn);
          assert.ok(topic, `${alarm.name} notifies a topic of the stack`);
          const key = ofType(run, "aws:kms/key:Key").find(
            (k) => k.outputs.arn === topic.inputs.kmsMasterKeyId,
          );
          assert.ok(key);
          const granted = parsePolicy(key.inputs.policy).Statement.filter(
            (s) =>
              (s.Principal as { Service?: string } | undefined)?.Service ===
                "cloudwatch.amazonaws.com" && actionsOf(s).includes("kms:Decrypt"),
          );
          assert.equal(granted.length, 1, alarm.name);
        }
      }
    });

    it("alarms on the migration function's duration at 80 % of its timeout", () => {
      const fn = byName(run, "migrations-function-function");
      const alarm = ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
        (a) =>
          a.inputs.metricName === "Duration" &&
          (a.inputs.dimensions as { FunctionName?: string } | undefined)?.FunctionName ===
            fn.inputs.name,
      );
      assert.ok(alarm, "a duration alarm on the migration function");
      assert.equal(alarm.inputs.threshold, Number(fn.inputs.timeout) * 1000 * 0.8);
    });
  });
}

describe("the API's side of huntaze-api:auth", () => {
  const existing = {
    pool: {
      kind: "existing" as const,
      userPoolArn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
      clientIds: ["web", "mobile"],
    },
    creatorClaim: "custom:creator_id",
    authorizerCacheSeconds: 300,
  };

  it("accepts an existing pool's tokens for its app clients, verified by API Gateway", () => {
    const auth = apiAuth(existing, {});
    assert.deepEqual(auth.restApiAuth, {
      userPoolArns: [existing.pool.userPoolArn],
      cacheSeconds: 300,
    });
    assert.deepEqual(auth.apiEnvironment, {
      AUTH_MODE: "cognito-authorizer",
      AUTH_AUDIENCE: "web,mobile",
      AUTH_CREATOR_CLAIM: "custom:creator_id",
    });
  });

  it("refuses an OIDC issuer without its authorizer function", () => {
    const oidc = {
      ...existing,
      pool: {
        kind: "oidc" as const,
        issuer: "https://login.example.com/",
        audience: ["huntaze-api"],
        jwksUri: "https://login.example.com/.well-known/jwks.json",
      },
    };
    assert.throws(
      () => apiAuth(oidc, {}),
      /an OIDC issuer and its authorizer function go together/,
    );
  });
});
