import { strict as assert } from "node:assert";
import { base64url, SignJWT } from "jose";
import type { Database } from "../../handlers/lib/prisma";
import { ephemeralIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from "../../tools/dev/local-auth";
import type { TestDatabase } from "../support/database";
import {
  apiClient,
  type CallOptions,
  type CallResult,
  cognitoClaims,
  migratedDatabase,
  testDatabase,
  withClient,
} from "./helpers";

/**
 * Authentication and tenant isolation, once per route, on a real PostgreSQL: the JWT path (what
 * `npm run dev` and an OIDC issuer use) with every kind of bad token, and the deployed path
 * (claims from API Gateway's Cognito authorizer).
 */
describe("authentication and tenant isolation", () => {
  let db: TestDatabase;
  let database: Database;
  let issuer: Awaited<ReturnType<typeof ephemeralIssuer>>;
  let attacker: Awaited<ReturnType<typeof ephemeralIssuer>>;
  let jwtCall: ReturnType<typeof apiClient>;
  let claimsCall: ReturnType<typeof apiClient>;
  /** A fan of creator 1 and of creator 2. */
  const fans: Record<number, number> = {};

  before(async () => {
    db = await migratedDatabase("auth");
    database = testDatabase(db.url);
    issuer = await ephemeralIssuer();
    attacker = await ephemeralIssuer();
    jwtCall = apiClient(database, undefined, issuer.authenticator);
    claimsCall = apiClient(database);
    await withClient(db.url, async (c) => {
      for (const creator of [1, 2]) {
        const { rows } = await c.query<{ id: number }>(
          "SELECT id FROM fans WHERE creator_id = $1 ORDER BY id LIMIT 1",
          [creator],
        );
        fans[creator] = rows[0].id;
      }
    });
  });
  after(async () => {
    await database.disconnect();
    await db.drop();
  });

  /** Everything a request could write, in one row: it must not move after a refused call. */
  const footprint = () =>
    withClient(db.url, async (c) => {
      const { rows } = await c.query(
        `SELECT (SELECT count(*) FROM transactions) AS transactions,
                (SELECT count(*) FROM campaigns) AS campaigns,
                (SELECT count(*) FROM messages) AS messages,
                (SELECT sum(total_spent_cents)::text FROM fans) AS spent,
                (SELECT sum(transaction_count)::text FROM fans) AS purchases`,
      );
      return rows[0];
    });

  let keySeq = 0;
  /** Each route, as its own creator would call it (a fresh idempotency key per POST). */
  const routes: Array<{
    name: string;
    request: (creator: number) => [string, string, CallOptions];
  }> = [
    { name: "GET /creators/{id}/fans", request: (c) => ["GET", `/creators/${c}/fans`, {}] },
    {
      name: "GET /creators/{id}/fans/{fanId}/messages",
      request: (c) => ["GET", `/creators/${c}/fans/${fans[c]}/messages`, {}],
    },
    { name: "GET /creators/{id}/revenue", request: (c) => ["GET", `/creators/${c}/revenue`, {}] },
    {
      name: "POST /creators/{id}/transactions",
      request: (c) => [
        "POST",
        `/creators/${c}/transactions`,
        {
          body: { fanId: fans[c], type: "tip", amountCents: 700 },
          headers: { "idempotency-key": `auth-spec-${process.pid}-${++keySeq}` },
        },
      ],
    },
    {
      name: "POST /creators/{id}/campaigns",
      request: (c) => [
        "POST",
        `/creators/${c}/campaigns`,
        {
          body: { body: "Hello from the auth spec", fanIds: [fans[c]] },
          headers: { "idempotency-key": `auth-spec-${process.pid}-${++keySeq}` },
        },
      ],
    },
  ];

  function assertUnauthorized(res: CallResult): void {
    assert.equal(res.status, 401, res.raw);
    assert.equal(res.headers["www-authenticate"], 'Bearer realm="huntaze-api"');
    assert.deepEqual(Object.keys(res.body), ["error"]);
    assert.deepEqual(res.body.error, {
      code: "UNAUTHORIZED",
      message: "A valid bearer token is required.",
      requestId: res.headers["x-request-id"],
    });
  }

  const now = () => Math.floor(Date.now() / 1000);
  const claimsFor = (creator: number) => ({
    token_use: "id",
    "custom:creator_id": String(creator),
    sub: `user-${creator}`,
  });

  /** Tokens that must all be refused, for the creator of the path. */
  const badTokens: Array<[string, (creator: number) => Promise<string>]> = [
    ["a malformed token", async () => "not-a-jwt"],
    ["a token signed by another key (forged)", (creator) => attacker.sign({ creatorId: creator })],
    ["an expired token", (creator) => issuer.sign({ creatorId: creator, expiresInSeconds: -60 })],
    [
      "an alg: none token",
      async (creator) =>
        `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url.encode(
          JSON.stringify({
            ...claimsFor(creator),
            iss: LOCAL_ISSUER,
            aud: LOCAL_AUDIENCE,
            exp: now() + 600,
          }),
        )}.`,
    ],
    [
      "an HS256 token keyed with the public key (algorithm confusion)",
      async (creator) =>
        new SignJWT(claimsFor(creator))
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer(LOCAL_ISSUER)
          .setAudience(LOCAL_AUDIENCE)
          .setExpirationTime(now() + 600)
          .sign(new TextEncoder().encode(JSON.stringify(issuer.jwks.keys[0]))),
    ],
  ];

  for (const route of routes) {
    describe(route.name, () => {
      it("answers 401 with the minimal body and WWW-Authenticate without a token", async () => {
        const before = await footprint();
        const [method, path, options] = route.request(1);
        assertUnauthorized(await jwtCall(method, path, { ...options, claims: null }));
        assertUnauthorized(await claimsCall(method, path, { ...options, claims: null }));
        assert.deepEqual(await footprint(), before);
      });

      for (const [kind, make] of badTokens) {
        it(`answers 401 to ${kind} and writes nothing`, async () => {
          const before = await footprint();
          const [method, path, options] = route.request(1);
          assertUnauthorized(await jwtCall(method, path, { ...options, token: await make(1) }));
          assert.deepEqual(await footprint(), before);
        });
      }

      it("answers 401 to a token for another audience (app client)", async () => {
        const [method, path, options] = route.request(1);
        const wrongAudience = await issuer.sign({ creatorId: 1, audience: "another-app-client" });
        assertUnauthorized(await jwtCall(method, path, { ...options, token: wrongAudience }));
        assertUnauthorized(
          await claimsCall(method, path, {
            ...options,
            claims: { ...cognitoClaims(1), aud: "another-app-client" },
          }),
        );
      });

      it("answers 404 to another creator's token, like an unknown creator, and writes nothing", async () => {
        const before = await footprint();
        const [method, path, options] = route.request(2);
        const viaJwt = await jwtCall(method, path, {
          ...options,
          token: await issuer.sign({ creatorId: 1 }),
        });
        const viaClaims = await claimsCall(method, path, { ...options, claims: cognitoClaims(1) });
        for (const res of [viaJwt, viaClaims]) {
          assert.equal(res.status, 404, res.raw);
          assert.deepEqual(res.body.error, {
            code: "NOT_FOUND",
            message: "Creator 2 was not found.",
            requestId: res.headers["x-request-id"],
          });
        }
        assert.deepEqual(await footprint(), before);
      });

      it("works with the creator's own token (JWT and authorizer claims)", async () => {
        for (const call of [jwtCall, claimsCall]) {
          const [method, path, options] = route.request(1);
          const res = await call(method, path, {
            ...options,
            ...(call === jwtCall ? { token: await issuer.sign({ creatorId: 1 }) } : {}),
          });
          assert.ok(res.status === 200 || res.status === 201, `${res.status} ${res.raw}`);
        }
      });
    });
  }

  describe("no existence oracle", () => {
    it("another creator's id and an unused id get the same answer", async () => {
      const token = await issuer.sign({ creatorId: 1 });
      const other = await jwtCall("GET", "/creators/2/fans", { token });
      const unused = await jwtCall("GET", "/creators/999999/fans", { token });
      const ownButMissing = await jwtCall("GET", "/creators/999999/fans", {
        token: await issuer.sign({ creatorId: 999999 }),
      });
      assert.equal(other.status, 404);
      assert.equal(unused.status, 404);
      assert.equal(unused.body.error.message, ownButMissing.body.error.message);
      assert.equal(other.body.error.message.replace("2", "999999"), unused.body.error.message);
    });

    it("an unknown path answers 401 without a token, 404 with one (like the authorizer on {proxy+})", async () => {
      assertUnauthorized(await jwtCall("GET", "/nope", {}));
      const res = await jwtCall("GET", "/nope", { token: await issuer.sign({ creatorId: 1 }) });
      assert.equal(res.status, 404);
    });
  });

  describe("claims", () => {
    it("a verified login without a creator claim answers 403 and writes nothing", async () => {
      const before = await footprint();
      const { "custom:creator_id": _omitted, ...unlinked } = cognitoClaims(1);
      const res = await claimsCall("POST", "/creators/1/campaigns", {
        body: { body: "x" },
        claims: unlinked,
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, "FORBIDDEN");
      assert.deepEqual(await footprint(), before);
    });

    it("an access token (token_use access) is refused where an ID token is expected", async () => {
      assertUnauthorized(
        await claimsCall("GET", "/creators/1/fans", {
          claims: { ...cognitoClaims(1), token_use: "access" },
        }),
      );
    });

    it("GET /health stays public", async () => {
      const res = await jwtCall("GET", "/health", { claims: null });
      assert.equal(res.status, 200);
    });
  });
});
