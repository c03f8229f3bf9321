/**
 * Database credentials that survive a Secrets Manager rotation.
 *
 * node-postgres asks for a password on every new physical connection (a `password` callback),
 * so a rotated password is picked up without rebuilding the Prisma client. The *username* is
 * fixed when a connection object is created, and with alternating-users rotation it flips
 * between `<user>` and `<user>_clone`; so the pool's client class reads the latest known
 * username at creation, and the callback returns the password that belongs to *that* user
 * (the previous user stays valid until the next rotation, by design of that strategy).
 *
 * When a connection is refused anyway (28P01: single-user rotation between the password
 * change and the secret update, or a cache older than the change), `refresh()` refetches the
 * secret past every cache and the caller retries once (see prisma.ts).
 */
import { type DbSecret, parseDbSecret, SecretError, type SecretSource } from "./secrets";

export class DbCredentials {
  readonly #source: SecretSource;
  readonly #secretId: string;
  #current: DbSecret | undefined;
  /** Last password seen for each username: the alternating user keeps its own. */
  readonly #passwords = new Map<string, string>();
  #refreshes = 0;

  constructor(source: SecretSource, secretId: string) {
    this.#source = source;
    this.#secretId = secretId;
  }

  get secretId(): string {
    return this.#secretId;
  }

  /** How many forced refreshes happened (exposed for tests and logs). */
  get refreshes(): number {
    return this.#refreshes;
  }

  /** Reads the secret (through the source's cache unless `forceFetch`). */
  async load(options: { forceFetch?: boolean } = {}): Promise<DbSecret> {
    let raw: string;
    try {
      raw = await this.#source.getSecret(this.#secretId, options);
    } catch (err) {
      // One class for "the credentials could not be read": the API answers 503 for it.
      throw err instanceof SecretError
        ? err
        : new SecretError(`Could not read secret ${this.#secretId}: ${(err as Error).message}`, {
            cause: err,
          });
    }
    const secret = parseDbSecret(raw, this.#secretId);
    this.#current = secret;
    this.#passwords.set(secret.username, secret.password);
    return secret;
  }

  /** The last secret read; `load()` must have run once (the client factory does it). */
  get current(): DbSecret {
    if (!this.#current) throw new Error("DbCredentials.current read before load()");
    return this.#current;
  }

  /** The password for a new connection as `username` (the pool's `password` callback). */
  async passwordFor(username: string): Promise<string> {
    const fresh = await this.load();
    if (fresh.username === username) return fresh.password;
    const previous = this.#passwords.get(username);
    return previous ?? fresh.password;
  }

  /** After an authentication failure: refetch past every cache. */
  async refresh(): Promise<DbSecret> {
    this.#refreshes += 1;
    return this.load({ forceFetch: true });
  }
}
