/**
 * Secrets, read from AWS Secrets Manager through Powertools Parameters (cached in memory for
 * `maxAgeSeconds`, refetched on demand with `forceFetch`).
 *
 * Everything above this file sees only the `SecretSource` interface, so tests and local runs
 * inject a stand-in (test/support/secrets.ts) while the code paths stay the same.
 */
import type { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import * as z from "zod/mini";

export interface SecretSource {
  /** The SecretString of `id`; `forceFetch` bypasses any cache (e.g. after a rotation). */
  getSecret(id: string, options?: { forceFetch?: boolean }): Promise<string>;
}

export class SecretError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SecretError";
  }
}

export interface SecretsManagerSourceOptions {
  /**
   * How long a secret is served from memory. Short, because a single-user rotation makes the
   * old password fail at once; an authentication failure forces a refetch anyway.
   * @default 60
   */
  maxAgeSeconds?: number;
  /** An SDK client (e.g. one captured by the tracer, or mocked in tests). @default new client, region from AWS_REGION */
  client?: SecretsManagerClient;
}

export function secretsManagerSource(options: SecretsManagerSourceOptions = {}): SecretSource {
  const maxAge = options.maxAgeSeconds ?? 60;
  let provider: SecretsProvider | undefined;
  return {
    async getSecret(id, { forceFetch = false } = {}) {
      // Loaded on the first read, not at cold start: the provider and the AWS SDK client are a
      // third of the API bundle, and a runtime on DATABASE_URL never needs them.
      provider ??= new (
        require("@aws-lambda-powertools/parameters/secrets") as typeof import("@aws-lambda-powertools/parameters/secrets")
      ).SecretsProvider(options.client ? { awsSdkV3Client: options.client } : {});
      let value: unknown;
      try {
        value = await provider.get(id, { maxAge, forceFetch });
      } catch (err) {
        // The SDK's message names the secret and the missing permission, never the value.
        throw new SecretError(`Could not read secret ${id}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (typeof value !== "string") {
        throw new SecretError(
          `Secret ${id} has no SecretString (binary secrets are not supported).`,
        );
      }
      return value;
    },
  };
}

/** The application-user secret, in the AWS RDS rotation format (single or alternating users). */
export interface DbSecret {
  host: string;
  port: number;
  dbname: string;
  username: string;
  password: string;
}

const nonEmpty = () => z.string().check(z.minLength(1));
const dbSecretSchema = z.object({
  engine: z.optional(z.string()),
  host: nonEmpty(),
  port: z.optional(z.union([z.int(), z.string().check(z.regex(/^[0-9]+$/))])),
  dbname: z.optional(nonEmpty()),
  username: nonEmpty(),
  password: nonEmpty(),
});

/** Parses the secret JSON; errors name the field, never a value. */
export function parseDbSecret(raw: string, secretId: string): DbSecret {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SecretError(
      `Secret ${secretId} is not JSON; expected {"engine":"postgres","host","port","dbname","username","password"}.`,
    );
  }
  const result = dbSecretSchema.safeParse(json);
  if (!result.success) {
    const field = result.error.issues[0].path.join(".") || "(root)";
    throw new SecretError(
      `Secret ${secretId} is not a database secret: field "${field}" is missing or invalid (expected host, port, dbname, username, password).`,
    );
  }
  const s = result.data;
  return {
    host: s.host,
    port: s.port === undefined ? 5432 : Number(s.port),
    dbname: s.dbname ?? "postgres",
    username: s.username,
    password: s.password,
  };
}
