/**
 * What authorization adds per request (`npm run bench -- --only handlers`, "Authorization per
 * request"): the same route through the same handler and database with three authenticators,
 * interleaved round by round so drift hits them alike.
 *
 * - none: a stand-in that trusts a fixed caller (what the handler cost before authentication);
 * - Cognito authorizer claims: the deployed path (API Gateway verified the token; the function
 *   checks audience, token use and creator on the claims it passes);
 * - JWT verified in the function: `npm run dev` and the bring-your-own-issuer path (RS256
 *   signature, issuer, audience, expiry, with jose), plus the same claim checks.
 * The creator check against the path runs in all three. API Gateway's own authorizer time
 * (deployed) is not measurable here; its verdict is cached for auth.authorizerCacheSeconds.
 */
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { type Authenticator, gatewayClaimsAuthenticator } from "../../handlers/lib/auth";
import { createApiHandler } from "../../handlers/lib/http-handler";
import { createLogger } from "../../handlers/lib/logger";
import type { Database } from "../../handlers/lib/prisma";
import { createTracer } from "../../handlers/lib/tracer";
import { routes } from "../../handlers/routes";
import { ephemeralIssuer } from "../dev/local-auth";

const ROUNDS = 10;
const PER_ROUND = 100;
const CLIENT_ID = "benchclient000000000000000";

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function authorizationRows(
  database: Database,
  route: { label: string; path: string; query: Record<string, string> },
  log: (line: string) => void,
): Promise<string[]> {
  const issuer = await ephemeralIssuer();
  const token = await issuer.sign({ creatorId: 1, expiresInSeconds: 3600 });
  const claims = { sub: "bench", aud: CLIENT_ID, token_use: "id", "custom:creator_id": "1" };
  const none: Authenticator = async () => ({ creatorId: 1, subject: "bench" });
  const variants: Array<{
    name: string;
    authenticator: Authenticator;
    event: () => APIGatewayProxyEvent;
  }> = [
    { name: "none (trusts the caller: before)", authenticator: none, event: () => ev({}, null) },
    {
      name: "Cognito authorizer claims (deployed)",
      authenticator: gatewayClaimsAuthenticator({ audience: [CLIENT_ID], tokenUse: "id" }),
      event: () => ev({}, { claims }),
    },
    {
      name: "JWT verified in the function (dev, OIDC)",
      authenticator: issuer.authenticator,
      event: () => ev({ authorization: `Bearer ${token}` }, null),
    },
  ];
  function ev(headers: Record<string, string>, authorizer: unknown): APIGatewayProxyEvent {
    return {
      httpMethod: "GET",
      path: route.path,
      queryStringParameters: route.query,
      headers,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: "bench", authorizer },
    } as unknown as APIGatewayProxyEvent;
  }
  const context = { awsRequestId: "bench-auth" } as Context;
  const runs = variants.map((v) => {
    const handler = createApiHandler({
      routes,
      database,
      logger: createLogger({ level: "SILENT" }),
      tracer: createTracer(),
      authenticator: v.authenticator,
    });
    return { ...v, handler, request: [] as number[], auth: [] as number[] };
  });
  for (const r of runs) {
    for (let i = 0; i < 30; i++) await r.handler(r.event(), context); // warm-up
    const res = await r.handler(r.event(), context);
    if (res.statusCode !== 200) throw new Error(`${r.name}: ${res.statusCode} ${res.body}`);
  }
  // One request of each variant in turn: load from elsewhere on the machine hits all three alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) {
      for (const r of runs) {
        const e = r.event();
        const t = performance.now();
        await r.handler(e, context);
        r.request.push(performance.now() - t);
      }
    }
    // The authenticator alone, the robust figure on a busy machine: no database in it.
    for (const r of runs) {
      for (let i = 0; i < PER_ROUND; i++) {
        const e = r.event();
        const t = performance.now();
        await r.authenticator({ headers: { authorization: e.headers.authorization } } as never, e);
        r.auth.push(performance.now() - t);
      }
    }
  }
  const base = median(runs[0].request);
  const rows = [
    `### Authorization per request: ${route.label}`,
    "",
    `${ROUNDS} rounds × ${PER_ROUND} requests per row, the three rows alternating request by request; same handler, route and database. authenticate = the authenticator alone (no database: the figure to read); request p50 includes the route's query, whose noise can exceed the difference.`,
    "",
    "| authenticator | authenticate p50 | request p50 | request p50 − none | request / none |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of runs) {
    const p50 = median(r.request);
    const row = `| ${r.name} | ${(median(r.auth) * 1000).toFixed(0)} µs | ${p50.toFixed(2)} ms | ${((p50 - base) * 1000).toFixed(0)} µs | ${(p50 / base).toFixed(2)}× |`;
    log(row);
    rows.push(row);
  }
  rows.push("");
  return rows;
}
