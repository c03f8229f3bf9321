import { strict as assert } from "node:assert";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { createAuthorizer, stageWildcard } from "../../handlers/authorizer";
import { lambdaAuthorizerAuthenticator } from "../../handlers/lib/auth";
import { authenticatorFromEnv } from "../../handlers/lib/auth-env";
import type { Database } from "../../handlers/lib/prisma";
import { ephemeralIssuer } from "../../tools/dev/local-auth";
import type { TestDatabase } from "../support/database";
import { apiClient, migratedDatabase, testDatabase } from "./helpers";

const METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/creators/1/fans";

function authorizerEvent(authorization?: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn: METHOD_ARN,
    headers: authorization ? { Authorization: authorization } : {},
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

/** The OIDC path: the REQUEST authorizer function, then the API function reading its context. */
describe("Lambda REQUEST authorizer (OIDC issuer)", () => {
  let issuer: Awaited<ReturnType<typeof ephemeralIssuer>>;
  let authorize: ReturnType<typeof createAuthorizer>;

  before(async () => {
    issuer = await ephemeralIssuer();
    authorize = createAuthorizer(issuer.authenticator);
  });

  it("allows a valid token on the whole stage (the cached verdict must not depend on the path) and passes the creator", async () => {
    const result = await authorize(
      authorizerEvent(`Bearer ${await issuer.sign({ creatorId: 7, subject: "user-7" })}`),
    );
    assert.equal(result.principalId, "user-7");
    assert.deepEqual(result.context, { creatorId: "7" });
    assert.deepEqual(result.policyDocument.Statement, [
      {
        Action: "execute-api:Invoke",
        Effect: "Allow",
        Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/*",
      },
    ]);
    assert.equal(
      stageWildcard(METHOD_ARN),
      "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/*",
    );
  });

  it('answers "Unauthorized" (API Gateway\'s 401) to no, an expired or a forged token', async () => {
    const forger = await ephemeralIssuer();
    for (const header of [
      undefined,
      `Bearer ${await issuer.sign({ creatorId: 7, expiresInSeconds: -60 })}`,
      `Bearer ${await forger.sign({ creatorId: 7 })}`,
    ]) {
      await assert.rejects(authorize(authorizerEvent(header)), /^Error: Unauthorized$/);
    }
  });

  it("denies a valid login linked to no creator (403)", async () => {
    const result = await authorize(
      authorizerEvent(`Bearer ${await issuer.sign({ creatorId: "none" })}`),
    );
    assert.deepEqual(result.policyDocument.Statement, [
      {
        Action: "execute-api:Invoke",
        Effect: "Deny",
        Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/*",
      },
    ]);
  });

  it("refuses to start without its issuer settings, naming the variable", () => {
    assert.throws(
      () => authenticatorFromEnv({ AUTH_MODE: "jwt", AUTH_AUDIENCE: "a" }),
      /AUTH_ISSUER must be set/,
    );
    assert.throws(
      () =>
        authenticatorFromEnv({
          AUTH_MODE: "jwt",
          AUTH_AUDIENCE: "a",
          AUTH_ISSUER: "https://i/",
          AUTH_JWKS_URI: "http://i/jwks",
        }),
      /AUTH_JWKS_URI must be an https:\/\/ URL/,
    );
  });

  describe("the API function behind it", () => {
    let db: TestDatabase;
    let database: Database;
    let call: ReturnType<typeof apiClient>;

    before(async () => {
      db = await migratedDatabase("oidc");
      database = testDatabase(db.url);
      call = apiClient(database, undefined, lambdaAuthorizerAuthenticator());
    });
    after(async () => {
      await database.disconnect();
      await db.drop();
    });

    it("serves the authorizer's creator, 404s another's, and 401s without the authorizer's context", async () => {
      const context = { principalId: "user-1", creatorId: "1" };
      const own = await call("GET", "/creators/1/revenue", { claims: null });
      assert.equal(own.status, 401);
      const viaContext = (path: string) =>
        call("GET", path, { claims: null, authorizerContext: context });
      assert.equal((await viaContext("/creators/1/revenue")).status, 200);
      assert.equal((await viaContext("/creators/2/revenue")).status, 404);
    });
  });
});
