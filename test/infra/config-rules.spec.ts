import * as assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../infra/config";
import { runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { PROGRAM, PROJECT_ROOT } from "./support";

// Each rule of the stack config schema, one mutation of a valid config at a time.

const MINIMAL: Record<string, string> = {
  "aws:region": "us-east-1",
  "huntaze-api:alertEmails": '["ops@huntaze.example"]',
  "huntaze-api:database": '{"instanceClass": "db.t4g.medium"}',
};

function parse(values: Record<string, string>, secretKeys: string[] = []) {
  return parseConfig({
    project: "huntaze-api",
    stack: "prod",
    stackFile: "Pulumi.prod.yaml",
    values: { ...MINIMAL, ...values },
    secretKeys,
  });
}

function problemsOf(values: Record<string, string>, secretKeys: string[] = []): string[] {
  try {
    parse(values, secretKeys);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail("expected the config to be rejected");
}

describe("stack config rules (infra/config/*)", () => {
  it("keeps each function's Duration p95 alarm below its timeout", () => {
    assert.deepEqual(
      problemsOf({ "huntaze-api:api": '{"timeoutSeconds": 10, "durationP95Ms": 12000}' }),
      [
        "huntaze-api:api.durationP95Ms must be a number of milliseconds below the timeout (Pulumi.prod.yaml)",
      ],
    );
    assert.deepEqual(
      problemsOf({ "huntaze-api:worker": '{"timeoutSeconds": 60, "durationP95Ms": 61000}' }),
      [
        "huntaze-api:worker.durationP95Ms must be a number of milliseconds below the timeout (Pulumi.prod.yaml)",
      ],
    );
    const cfg = parse({ "huntaze-api:worker": '{"timeoutSeconds": 60}' });
    assert.equal(cfg.worker.durationP95Ms, 48_000, "80 % of the timeout when unset");
  });

  it("needs an OIDC issuer and its audience together, and not beside a user pool", () => {
    assert.deepEqual(
      problemsOf({ "huntaze-api:auth": '{"oidcIssuer": "https://login.example.com/"}' }),
      [
        "huntaze-api:auth.oidcIssuer and auth.oidcAudience must be set together (the issuer and the aud values the API accepts) (Pulumi.prod.yaml)",
      ],
    );
    const both = JSON.stringify({
      oidcIssuer: "https://login.example.com/",
      oidcAudience: ["api"],
      userPoolArn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI",
      clientIds: ["abc"],
    });
    assert.deepEqual(problemsOf({ "huntaze-api:auth": both }), [
      "huntaze-api:auth must name either an existing user pool (userPoolArn) or an OIDC issuer (oidcIssuer), not both (Pulumi.prod.yaml)",
    ]);
    const cfg = parse({
      "huntaze-api:auth": '{"oidcIssuer": "https://login.example.com/", "oidcAudience": ["api"]}',
    });
    assert.deepEqual(cfg.auth.pool, {
      kind: "oidc",
      issuer: "https://login.example.com/",
      audience: ["api"],
      jwksUri: "https://login.example.com/.well-known/jwks.json",
    });
  });

  it("refuses an object-valued key that is not an object, and reads a null field as unset", () => {
    assert.deepEqual(problemsOf({ "huntaze-api:apiThrottle": "[50, 100]" }), [
      "huntaze-api:apiThrottle must be an object such as { rateLimit: 50, burstLimit: 100 } (Pulumi.prod.yaml)",
    ]);
    assert.equal(parse({ "huntaze-api:api": '{"memoryMb": null}' }).api.memoryMb, 512);
  });

  it("refuses a flag that is not true or false, quoting the value", () => {
    assert.deepEqual(problemsOf({ "huntaze-api:manageApiGatewayAccount": "yes" }), [
      'huntaze-api:manageApiGatewayAccount must be true or false, not "yes" (Pulumi.prod.yaml)',
    ]);
    assert.equal(
      parse({ "huntaze-api:manageApiGatewayAccount": "false" }).api.manageAccountLogRole,
      false,
    );
  });

  it("suggests the field meant inside the database key", () => {
    assert.deepEqual(
      problemsOf({
        "huntaze-api:database": '{"instanceClass": "db.t4g.medium", "multiAZ": false}',
      }),
      [
        "huntaze-api:database.multiAZ is not a known field; did you mean huntaze-api:database.multiAz? (Pulumi.prod.yaml)",
      ],
    );
  });

  it("names a key set in a namespace one typo from the project's", () => {
    assert.deepEqual(problemsOf({ "huntaze-apii:samplingRate": "0.5" }), [
      'huntaze-apii:samplingRate is in namespace "huntaze-apii", not this project\'s; did you mean huntaze-api:samplingRate? (Pulumi.prod.yaml)',
    ]);
  });

  it("reports one wrong value once, and still checks the rules that do not read it", () => {
    // A bad reserved concurrency is not also a connection-budget problem …
    assert.deepEqual(problemsOf({ "huntaze-api:api": '{"reservedConcurrency": "many"}' }), [
      "huntaze-api:api.reservedConcurrency must be an integer in [1, 1000] (0 would throttle every invocation) (Pulumi.prod.yaml)",
    ]);
    // … while a rule across other keys still reports beside it.
    assert.deepEqual(
      problemsOf({
        "huntaze-api:samplingRate": "2",
        "huntaze-api:apiThrottle": '{"rateLimit": 100, "burstLimit": 10}',
        "huntaze-api:firewall": '{"enabled": false}',
      }).sort(),
      [
        "huntaze-api:apiThrottle.burstLimit must be at least apiThrottle.rateLimit (100) (Pulumi.prod.yaml)",
        "huntaze-api:firewall.enabled must be true in prod: the stage is public on the internet (only staging may opt out) (Pulumi.prod.yaml)",
        "huntaze-api:samplingRate must be a number in [0, 1] (Pulumi.prod.yaml)",
      ],
    );
  });

  it("refuses a program key set as a secret without printing its value", () => {
    const problems = problemsOf({ "huntaze-api:alertEmails": '["pager-7f3a9c@huntaze.example"]' }, [
      "huntaze-api:alertEmails",
    ]);
    assert.deepEqual(problems, [
      "huntaze-api:alertEmails must not be a secret: the program uses it in resource settings as plain text, where --secret would not protect it; set it again without --secret (Pulumi.prod.yaml)",
    ]);
    // Nor when the value is also wrong: the message would otherwise quote it.
    const wrong = problemsOf({ "huntaze-api:apiStageName": "s3cr3t value!" }, [
      "huntaze-api:apiStageName",
    ]);
    assert.ok(!wrong.join("\n").includes("s3cr3t"), wrong.join("\n"));
    // Keys the tools read stay theirs, secret or not.
    assert.equal(
      parse({ "huntaze-api:expectedAccountId": "123456789012" }, ["huntaze-api:expectedAccountId"])
        .project,
      "huntaze-api",
    );
  });

  it("learns which keys are secrets from the Pulumi runtime (offline preview)", async () => {
    const stackConfig = loadStackConfig(PROJECT_ROOT, "prod");
    stackConfig.config["huntaze-api:runbookBaseUrl"] = "https://runbooks.example/private-4f2a";
    stackConfig.secretKeys.push("huntaze-api:runbookBaseUrl");
    await assert.rejects(runProgram({ programFile: PROGRAM, stackConfig }), (err: Error) => {
      assert.match(err.message, /^huntaze-api:runbookBaseUrl must not be a secret/);
      assert.ok(!err.message.includes("private-4f2a"));
      return true;
    });
  });
});
