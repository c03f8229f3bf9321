/**
 * Local stand-in for the Cognito user pool: an RS256 key pair, ID tokens shaped like Cognito's
 * (`token_use: "id"`, `aud` = the app client, `custom:creator_id`), and the authenticator that
 * verifies them — the same `jwtAuthenticator` (handlers/lib/auth.ts) the bring-your-own-issuer
 * path uses, so `npm run dev` and the tests refuse exactly what the deployed API refuses.
 *
 * The dev key lives in `.dev/` (gitignored), created on first use with mode 0600: `npm run dev`
 * and `npm run dev:token` share it, so a token printed by one is accepted by the other.
 */
import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import {
  type Authenticator,
  DEFAULT_CREATOR_CLAIM,
  jwtAuthenticator,
} from "../../handlers/lib/auth";

/** The `iss` of local tokens: not a real host, so nothing but the local key can match it. */
export const LOCAL_ISSUER = "https://huntaze-api.local/dev";
/** The `aud` of local tokens (a Cognito app client id in AWS). */
export const LOCAL_AUDIENCE = "huntaze-api-local";
/** @default directory of the dev key: `.dev/` at the repository root. */
export const DEFAULT_KEY_DIR = resolve(__dirname, "../../.dev");
const KEY_FILE = "signing-key.json";

/** `$HUNTAZE_DEV_KEY_DIR`, else `.dev/`: where `npm run dev` and `dev:token` keep the key. */
export function devKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HUNTAZE_DEV_KEY_DIR?.trim() || DEFAULT_KEY_DIR;
}
const ALG = "RS256";

export interface LocalIssuer {
  /** Verifies local tokens like the deployed API verifies Cognito's. */
  authenticator: Authenticator;
  /** Signs an ID token for `creatorId`, valid `expiresInSeconds` (negative: already expired). */
  sign(claims: {
    creatorId: number | string;
    expiresInSeconds?: number;
    subject?: string;
    /** @default LOCAL_AUDIENCE */
    audience?: string;
  }): Promise<string>;
  /** The public key set (what a JWKS endpoint would serve). */
  jwks: { keys: JWK[] };
}

async function issuerFromJwk(privateJwk: JWK): Promise<LocalIssuer> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  const privateKey = await importJWK(privateJwk, ALG);
  const jwks = { keys: [{ ...publicJwk, alg: ALG, use: "sig" }] };
  return {
    jwks,
    authenticator: jwtAuthenticator({
      keys: createLocalJWKSet(jwks),
      issuer: LOCAL_ISSUER,
      audience: [LOCAL_AUDIENCE],
      tokenUse: "id",
      algorithms: [ALG],
    }),
    async sign({ creatorId, expiresInSeconds = 3600, subject, audience = LOCAL_AUDIENCE }) {
      const now = Math.floor(Date.now() / 1000);
      const sub = subject ?? randomUUID();
      return new SignJWT({
        token_use: "id",
        [DEFAULT_CREATOR_CLAIM]: String(creatorId),
        "cognito:username": `creator-${creatorId}`,
        auth_time: now,
      })
        .setProtectedHeader({ alg: ALG, kid: publicJwk.kid, typ: "JWT" })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSeconds)
        .sign(privateKey);
    },
  };
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALG };
}

/** A throwaway in-memory issuer (tests, benchmarks): nothing is written. */
export async function ephemeralIssuer(): Promise<LocalIssuer> {
  return issuerFromJwk(await newPrivateJwk());
}

/**
 * The dev issuer of `dir`: its key is read, or created (exclusively, so two processes starting
 * together end up with the same key) and kept out of git by `.gitignore`.
 */
export async function localIssuer(
  dir = DEFAULT_KEY_DIR,
): Promise<LocalIssuer & { created: boolean }> {
  const file = join(dir, KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let created = false;
  // Written whole to a private temporary file, then linked into place: link() fails if the key
  // exists, so a reader never sees a half-written key and the first writer wins.
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(await newPrivateJwk())}\n`, { mode: 0o600 });
    await link(temporary, file);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await rm(temporary, { force: true });
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(await readFile(file, "utf8")) as JWK;
  } catch (err) {
    throw new Error(
      `${file} is not a JSON Web Key (${(err as Error).message}); delete it and start again.`,
    );
  }
  return { ...(await issuerFromJwk(jwk)), created };
}
