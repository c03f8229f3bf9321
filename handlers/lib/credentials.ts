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
 *
 * Reads are single-flight per runtime: concurrent callers share one in-flight read, and a
 * forced refresh is skipped when another refresh already completed since the caller's refused
 * attempt began (`generation`). A failed read is retried a few times with backoff before the
 * request gets its 503, so a throttled Secrets Manager is not hammered by every connection.
 */
import { type DbSecret, parseDbSecret, SecretError, type SecretSource } from "./secrets";

export interface ReadRetry {
  /** Reads per load, first included. @default 3 */
  attempts: number;
  /** Backoff before the 2nd read, doubled after each (plus up to 50 % jitter). @default 100 */
  baseDelayMs: number;
}

const DEFAULT_RETRY: ReadRetry = { attempts: 3, baseDelayMs: 100 };

export class DbCredentials {
  readonly #source: SecretSource;
  readonly #secretId: string;
  #current: DbSecret | undefined;
  /** Last password seen for each username: the alternating user keeps its own. */
  readonly #passwords = new Map<string, string>();
  #refreshes = 0;
  /** Completed forced refreshes; a caller that saw generation g needs a refresh only if still g. */
  #generation = 0;
  #loading: Promise<DbSecret> | undefined;
  #refreshing: Promise<DbSecret> | undefined;
  readonly #retry: ReadRetry;

  constructor(source: SecretSource, secretId: string, retry: ReadRetry = DEFAULT_RETRY) {
    this.#source = source;
    this.#secretId = secretId;
    this.#retry = retry;
  }

  /** Bumped by every completed forced refresh (see `refresh`). */
  get generation(): number {
    return this.#generation;
  }

  get secretId(): string {
    return this.#secretId;
  }

  /** How many forced refreshes happened (exposed for tests and logs). */
  get refreshes(): number {
    return this.#refreshes;
  }

  /**
   * Reads the secret (through the source's cache unless `forceFetch`). Concurrent calls share
   * one read; a forced read in flight also serves plain ones.
   */
  load(options: { forceFetch?: boolean } = {}): Promise<DbSecret> {
    if (options.forceFetch) return this.#forced();
    if (this.#refreshing !== undefined) return this.#refreshing;
    this.#loading ??= this.#read(false).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  #forced(): Promise<DbSecret> {
    this.#refreshing ??= this.#read(true).finally(() => {
      this.#refreshing = undefined;
      this.#generation += 1;
    });
    return this.#refreshing;
  }

  async #read(forceFetch: boolean): Promise<DbSecret> {
    let raw: string | undefined;
    let delay = this.#retry.baseDelayMs;
    for (let attempt = 1; raw === undefined; attempt++) {
      try {
        raw = await this.#source.getSecret(this.#secretId, { forceFetch });
      } catch (err) {
        if (attempt >= this.#retry.attempts) {
          // One class for "the credentials could not be read": the API answers 503 for it.
          throw err instanceof SecretError
            ? err
            : new SecretError(
                `Could not read secret ${this.#secretId}: ${(err as Error).message}`,
                { cause: err },
              );
        }
        await new Promise((resolve) => setTimeout(resolve, delay * (1 + Math.random() / 2)));
        delay *= 2;
      }
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

  /**
   * After an authentication failure: refetch past every cache — unless a refresh already
   * completed since `seenGeneration` (the caller's attempt used a password older than that
   * refresh; retrying with the new one needs no read), or one is in flight (joined).
   */
  async refresh(seenGeneration?: number): Promise<DbSecret> {
    if (seenGeneration !== undefined && seenGeneration < this.#generation && this.#current) {
      return this.#current;
    }
    if (this.#refreshing === undefined) this.#refreshes += 1;
    return this.#forced();
  }
}
