import { strict as assert } from "node:assert";
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { connectionMode } from "../../handlers/lib/connection";
import { DbCredentials } from "../../handlers/lib/credentials";
import { readEnv } from "../../handlers/lib/env";
import { isAuthenticationFailure, toHttpError } from "../../handlers/lib/errors";
import { parseDbSecret, secretsManagerSource } from "../../handlers/lib/secrets";
import { InMemorySecretSource } from "../support/secrets";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf";

describe("configuration, secrets and error mapping", () => {
  describe("environment", () => {
    it("reads the contract's variables with their defaults", () => {
      const env = readEnv({ STAGE: "prod", DB_SECRET_ARN: ARN });
      assert.deepEqual(env, {
        stage: "prod",
        serviceName: "huntaze-api",
        dbSecretArn: ARN,
        dbProxyHost: undefined,
        databaseUrl: undefined,
        slowQueryMs: 200,
      });
      assert.equal(readEnv({}).stage, "local");
    });

    it("rejects a bad STAGE or SLOW_QUERY_MS, and a secret value where an ARN belongs, naming the variable", () => {
      assert.throws(() => readEnv({ STAGE: "production" }), /STAGE must be one of prod, staging/);
      assert.throws(
        () => readEnv({ SLOW_QUERY_MS: "fast" }),
        /SLOW_QUERY_MS must be a whole number/,
      );
      assert.throws(
        () => readEnv({ STAGE: "prod", DB_SECRET_ARN: '{"password":"hunter2"}' }),
        (err: Error) =>
          /DB_SECRET_ARN must be a Secrets Manager ARN/.test(err.message) &&
          !err.message.includes("hunter2"),
      );
    });

    it("uses adapter-pg for a secret or a URL, and fails without any database", () => {
      const base = readEnv({});
      assert.equal(connectionMode({ ...base, dbSecretArn: ARN }), "adapter-pg");
      assert.equal(connectionMode({ ...base, databaseUrl: "postgresql://x" }), "adapter-pg");
      assert.throws(() => connectionMode(base), /set DB_SECRET_ARN .* or DATABASE_URL/);
    });

    it("refuses the retired Prisma Accelerate variables in one line naming the retirement and the replacement, even beside a working DB_SECRET_ARN", () => {
      for (const env of [
        { ACCELERATE_URL: "prisma://accelerate.prisma-data.net/?api_key=abc" },
        { STAGE: "prod", DB_SECRET_ARN: ARN, ACCELERATE_SECRET_ARN: ARN },
      ]) {
        assert.throws(
          () => readEnv(env),
          (err: Error) =>
            err.name === "ConfigError" &&
            !err.message.includes("\n") &&
            !err.message.includes("api_key") &&
            /ACCELERATE_(URL|SECRET_ARN) is no longer supported/.test(err.message) &&
            /retired on December 1, 2026/.test(err.message) &&
            /connect with DB_SECRET_ARN/.test(err.message) &&
            /database\.pooler: rds-proxy/.test(err.message),
        );
      }
      // Blank values are unset, as for every other variable.
      assert.equal(readEnv({ ACCELERATE_URL: " " }).stage, "local");
    });
  });

  describe("database secret", () => {
    it("parses the RDS rotation format, with a string or numeric port", () => {
      assert.deepEqual(
        parseDbSecret(
          JSON.stringify({
            engine: "postgres",
            host: "db",
            port: "5433",
            dbname: "app",
            username: "u",
            password: "p",
          }),
          ARN,
        ),
        { host: "db", port: 5433, dbname: "app", username: "u", password: "p" },
      );
    });

    it("names the missing field without ever echoing the secret", () => {
      assert.throws(
        () =>
          parseDbSecret(
            JSON.stringify({ host: "db", username: "u", password: "s3cr3t-value", port: "x" }),
            ARN,
          ),
        (err: Error) => /field "port"/.test(err.message) && !err.message.includes("s3cr3t-value"),
      );
      assert.throws(
        () => parseDbSecret("s3cr3t-value", ARN),
        (err: Error) => /is not JSON/.test(err.message) && !err.message.includes("s3cr3t-value"),
      );
    });

    it("gives a connection created for the previous alternating user that user's password", async () => {
      const source = new InMemorySecretSource();
      source.set(ARN, { host: "h", port: 5432, dbname: "d", username: "app", password: "one" });
      const credentials = new DbCredentials(source, ARN);
      await credentials.load();
      source.set(ARN, {
        host: "h",
        port: 5432,
        dbname: "d",
        username: "app_clone",
        password: "two",
      });
      assert.equal(await credentials.passwordFor("app"), "one");
      assert.equal(await credentials.passwordFor("app_clone"), "two");
      assert.equal(credentials.current.username, "app_clone");
    });
  });

  describe("Secrets Manager source (Powertools Parameters over the SDK)", () => {
    it("caches for maxAge and refetches on forceFetch", async () => {
      const client = new SecretsManagerClient({ region: "eu-west-1" });
      const sdk = mockClient(client);
      let value = "v1";
      sdk.on(GetSecretValueCommand, { SecretId: ARN }).callsFake(() => ({ SecretString: value }));
      try {
        const source = secretsManagerSource({ client, maxAgeSeconds: 60 });
        assert.equal(await source.getSecret(ARN), "v1");
        value = "v2";
        assert.equal(await source.getSecret(ARN), "v1");
        assert.equal(await source.getSecret(ARN, { forceFetch: true }), "v2");
        assert.equal(sdk.commandCalls(GetSecretValueCommand).length, 2);
      } finally {
        sdk.restore();
      }
    });

    it("reports a missing secret with its id", async () => {
      const client = new SecretsManagerClient({ region: "eu-west-1" });
      const sdk = mockClient(client);
      sdk.on(GetSecretValueCommand).rejects(
        new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: {},
        }),
      );
      try {
        await assert.rejects(
          secretsManagerSource({ client }).getSecret(ARN),
          new RegExp(`Could not read secret ${ARN}`),
        );
      } finally {
        sdk.restore();
      }
    });
  });

  describe("error mapping", () => {
    const prismaError = (code: string, extra: Record<string, unknown> = {}) =>
      Object.assign(new Error(`Invalid \`prisma.fan.update()\` invocation: SELECT secret FROM t`), {
        name: "PrismaClientKnownRequestError",
        code,
        ...extra,
      });

    it("maps P2025 to 404, P2002 to 409 and connection failures to 503, with fixed messages", () => {
      const cases: Array<[unknown, number, string]> = [
        [prismaError("P2025"), 404, "NOT_FOUND"],
        [prismaError("P2002"), 409, "CONFLICT"],
        [prismaError("P1001"), 503, "DATABASE_UNAVAILABLE"],
        [prismaError("P2024"), 503, "DATABASE_UNAVAILABLE"],
        [
          Object.assign(new Error("x"), { name: "PrismaClientInitializationError" }),
          503,
          "DATABASE_UNAVAILABLE",
        ],
        [new TypeError("undefined is not a function"), 500, "INTERNAL"],
      ];
      for (const [err, status, code] of cases) {
        const mapped = toHttpError(err);
        assert.equal(mapped.status, status);
        assert.equal(mapped.code, code);
        assert.doesNotMatch(mapped.message, /SELECT|prisma|undefined is not/);
      }
    });

    it("recognises an authentication failure (P1000 / SQLSTATE 28P01) as such", () => {
      assert.equal(isAuthenticationFailure(prismaError("P1000")), true);
      assert.equal(
        isAuthenticationFailure(
          prismaError("P2010", {
            meta: { driverAdapterError: { cause: { originalCode: "28P01" } } },
          }),
        ),
        true,
      );
      assert.equal(isAuthenticationFailure(prismaError("P1001")), false);
    });
  });
});
