/**
 * The two Secrets Manager operations the migration function needs beyond reading: telling "the
 * secret has no value yet" (the app secret before its first deploy) from a real error, and
 * writing a new current version. Tests substitute an in-memory store; the database behind the
 * secrets is always real.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";

export interface SecretStore {
  /** The AWSCURRENT SecretString; `undefined` when the secret exists but has no value yet. */
  read(secretId: string): Promise<string | undefined>;
  /** Stores `value` as the new AWSCURRENT version. */
  write(secretId: string, value: string): Promise<void>;
}

export class SecretStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SecretStoreError";
  }
}

function errorName(err: unknown): string | undefined {
  return typeof err === "object" && err !== null ? (err as { name?: string }).name : undefined;
}

export function secretsManagerStore(client = new SecretsManagerClient({})): SecretStore {
  return {
    async read(secretId) {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (out.SecretString === undefined) {
          throw new SecretStoreError(
            `Secret ${secretId} has no SecretString (binary secrets are not supported).`,
          );
        }
        return out.SecretString;
      } catch (err) {
        if (err instanceof SecretStoreError) throw err;
        if (errorName(err) === "ResourceNotFoundException") {
          // Same error for "no such secret" and "no AWSCURRENT version yet": ask which.
          const exists = await client
            .send(new DescribeSecretCommand({ SecretId: secretId }))
            .then(() => true)
            .catch(() => false);
          if (exists) return undefined;
        }
        // The SDK's message names the secret and the missing permission, never a value.
        throw new SecretStoreError(`Could not read secret ${secretId}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
    async write(secretId, value) {
      try {
        await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
      } catch (err) {
        throw new SecretStoreError(
          `Could not write secret ${secretId}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    },
  };
}
