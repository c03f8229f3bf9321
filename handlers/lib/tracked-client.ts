/**
 * The node-postgres client every pool connection uses. It adds two things the driver lacks:
 *
 * 1. **Where a lost connection left the data.** When the socket dies, node-postgres rejects
 *    every pending query with the same plain `Error("Connection terminated unexpectedly")`,
 *    whatever was in flight. This client knows what it had sent: if a `COMMIT` (or a write
 *    outside a transaction) was awaiting its reply, the server may have committed it, and the
 *    error is tagged `unknown`; otherwise nothing could have been committed (an open
 *    transaction is rolled back by the server when its session ends) and it is tagged
 *    `not-committed`. db-failures.ts reads the tag.
 * 2. **A client-side query timeout that frees the connection.** node-postgres's own
 *    `query_timeout` rejects the promise but leaves the query running on the socket, so the
 *    next request would queue behind it on a frozen server. Here the socket is destroyed
 *    instead (the server then ends the session and rolls back), and the error is tagged as a
 *    timeout.
 */
import pg from "pg";

/** What may have been committed when the connection failed. */
export type CommitOutcome = "not-committed" | "unknown";

/** Tag set on errors of a connection that died under a query. */
export const CONNECTION_FAILURE = Symbol.for("huntaze-api.connection-failure");

export interface ConnectionFailureTag {
  outcome: CommitOutcome;
  /** The client-side query timeout fired (the server did not answer in time). */
  timedOut: boolean;
}

/** The tag of `err`, when a tracked connection died under it. */
export function connectionFailureTag(err: unknown): ConnectionFailureTag | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  return (err as { [CONNECTION_FAILURE]?: ConnectionFailureTag })[CONNECTION_FAILURE];
}

type Kind = "begin" | "end" | "commit" | "read" | "write";

function kindOf(text: string): Kind {
  const word = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase();
  switch (word) {
    case "BEGIN":
    case "START":
      return "begin";
    case "COMMIT":
    case "END":
      return "commit";
    case "ROLLBACK":
    case "ABORT":
      return "end";
    case "SELECT":
    case "SHOW":
    case "SET":
    case "SAVEPOINT":
    case "RELEASE":
    case "EXPLAIN":
      return "read";
    default:
      // INSERT, UPDATE, DELETE, WITH … (may write), anything unknown: assume it may write.
      return "write";
  }
}

type Callback = (err: Error | null, result?: unknown) => void;

/**
 * A `pg.Client` subclass with `queryTimeoutMs` (0 = none). Returned as a class so the secret
 * pool can extend it with its rotating credentials.
 */
export function trackedClientClass(queryTimeoutMs: number): typeof pg.Client {
  class TrackedClient extends pg.Client {
    #inTransaction = false;
    /** Statements whose effect could be committed by the time their reply arrives. */
    #risky = 0;
    #timedOut = false;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // Registered first, so the tag is on the error before the pool or a query sees it.
      this.on("error", (err: Error) => this.#tag(err));
    }

    #tag(err: Error): void {
      if (connectionFailureTag(err)) return;
      Object.defineProperty(err, CONNECTION_FAILURE, {
        value: {
          outcome: this.#risky > 0 ? "unknown" : "not-committed",
          timedOut: this.#timedOut,
        } satisfies ConnectionFailureTag,
        enumerable: false,
      });
    }

    // biome-ignore lint/suspicious/noExplicitAny: node-postgres's query() has a dozen overloads.
    override query(...args: any[]): any {
      const config = args[0];
      if (config && typeof config === "object" && typeof config.submit === "function") {
        return super.query(config as pg.Submittable);
      }
      const text: string = typeof config === "string" ? config : (config?.text ?? "");
      const kind = kindOf(text);
      const risky = kind === "commit" || (kind === "write" && !this.#inTransaction);
      if (kind === "begin") this.#inTransaction = true;
      if (kind === "commit" || kind === "end") this.#inTransaction = false;
      if (risky) this.#risky += 1;
      let timer: NodeJS.Timeout | undefined;
      if (queryTimeoutMs > 0) {
        timer = setTimeout(() => {
          this.#timedOut = true;
          // Ends the session: the server rolls back, the pool drops this client, and every
          // pending query fails with "Connection terminated unexpectedly" (tagged above).
          (
            this as unknown as { connection: { stream: { destroy(): void } } }
          ).connection.stream.destroy();
        }, queryTimeoutMs);
      }
      const settle = (err: unknown) => {
        clearTimeout(timer);
        if (err instanceof Error && !connectionFailureTag(err)) {
          const code = (err as { code?: unknown }).code;
          if (typeof code === "string" && /^57P0[123]$/.test(code)) {
            // The server ended the session in reply to this very statement (shutdown,
            // pg_terminate_backend): if it was a COMMIT, it may have been durable already.
            this.#tag(err);
          } else if (!this._queryableFlag() && !risky) {
            // "Client has encountered a connection error and is not queryable": never sent.
            this.#tag(err);
          }
        }
        if (risky) this.#risky -= 1;
      };
      const last = args[args.length - 1];
      if (typeof last === "function") {
        const callback = last as Callback;
        const wrapped: Callback = (err, result) => {
          settle(err);
          callback(err, result);
        };
        return super.query(...(args.slice(0, -1) as [string]), wrapped as never);
      }
      return (super.query as (...a: unknown[]) => Promise<unknown>)(...args).then(
        (result) => {
          settle(null);
          return result;
        },
        (err: unknown) => {
          settle(err);
          throw err;
        },
      );
    }

    _queryableFlag(): boolean {
      return (this as unknown as { _queryable?: boolean })._queryable !== false;
    }
  }
  return TrackedClient;
}
