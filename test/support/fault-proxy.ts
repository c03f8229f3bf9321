/**
 * A TCP proxy between the handlers and the test PostgreSQL that injects *real* network faults:
 * the handler's driver sees exactly what it would see when a NAT drops a flow, a failover
 * kills a backend or a server stalls — not an error object a test built by hand.
 *
 * It reads the frontend (client → server) side of the PostgreSQL wire protocol just enough to
 * see the SQL of each simple-query (`Q`) and extended-query `Parse` (`P`) message, so a test can
 * cut a connection at a chosen protocol point:
 *
 * - `cutBefore(/^BEGIN/)` — the statement never reaches the server (nothing could commit);
 * - `cutBefore(/INSERT/)` — mid-transaction: the server rolls back when the socket closes;
 * - `loseReply(/^COMMIT/)` — COMMIT is forwarded, the server commits, and the socket is cut
 *   when its reply arrives (the reply is dropped): the ambiguous case;
 * - `cutAll()` — every open connection at once (e.g. on a timer);
 * - `freeze()` / `thaw()` — traffic stops in both directions without closing anything.
 *
 * Written here rather than taken from a library: the npm fault proxies (toxiproxy clients need
 * the Go server) cannot cut at a PostgreSQL message boundary.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start(db.url);
 * const database = testDatabase(proxy.url);
 * proxy.loseReply(/^COMMIT/);          // the next COMMIT's reply is lost
 * ...
 * await proxy.close();
 * ```
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

interface Rule {
  pattern: RegExp;
  action: "cut-before" | "lose-reply";
  /** How many more times the rule fires; Infinity for every match. */
  remaining: number;
}

interface Link {
  client: Socket;
  server: Socket;
  /** Bytes of the frontend stream not yet parsed into whole messages. */
  pending: Buffer;
  /** The startup message (no type byte) has been seen. */
  started: boolean;
  /** Server → client data is dropped and the link cut on the next server byte. */
  dropReply: boolean;
  closed: boolean;
}

export class FaultProxy {
  /** Connection string of the proxied database (same credentials and database name). */
  readonly url: string;
  readonly port: number;
  /** Every SQL text the proxy saw, in order (for assertions on what reached the wire). */
  readonly statements: string[] = [];
  /** How many connections the proxy cut. */
  cuts = 0;
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #links = new Set<Link>();
  readonly #rules: Rule[] = [];
  #frozen = false;

  private constructor(server: Server, target: { host: string; port: number }, url: string) {
    this.#server = server;
    this.#target = target;
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    this.url = u.toString();
  }

  /** Listens on a free loopback port in front of the server of `databaseUrl`. */
  static async start(databaseUrl: string): Promise<FaultProxy> {
    const u = new URL(databaseUrl);
    const target = { host: u.hostname, port: Number(u.port || 5432) };
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    proxy = new FaultProxy(server, target, databaseUrl);
    return proxy;
  }

  /** Connections the proxy accepted since it started (open or not). */
  accepted = 0;

  /** Open connections through the proxy. */
  get connections(): number {
    return this.#links.size;
  }

  /** Cut the connection that sends the next statement matching `pattern`, before it is sent. */
  cutBefore(pattern: RegExp, times = 1): this {
    this.#rules.push({ pattern, action: "cut-before", remaining: times });
    return this;
  }

  /** Forward the next statement matching `pattern`, then drop its reply and cut the connection. */
  loseReply(pattern: RegExp, times = 1): this {
    this.#rules.push({ pattern, action: "lose-reply", remaining: times });
    return this;
  }

  /** Removes every rule that has not fired. */
  clearRules(): void {
    this.#rules.length = 0;
  }

  /** Cuts every open connection now (both sides see the socket close). */
  cutAll(): number {
    let n = 0;
    for (const link of [...this.#links]) {
      this.#cut(link);
      n += 1;
    }
    return n;
  }

  /** Stops all traffic (open and new connections) without closing anything. */
  freeze(): void {
    this.#frozen = true;
    for (const link of this.#links) {
      link.client.pause();
      link.server.pause();
    }
  }

  thaw(): void {
    this.#frozen = false;
    for (const link of this.#links) {
      link.client.resume();
      link.server.resume();
    }
  }

  /** Cuts everything and stops listening. */
  async close(): Promise<void> {
    this.clearRules();
    this.cutAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    const server = createConnection(this.#target);
    const link: Link = {
      client,
      server,
      pending: Buffer.alloc(0),
      started: false,
      dropReply: false,
      closed: false,
    };
    this.#links.add(link);
    client.setNoDelay(true);
    server.setNoDelay(true);
    if (this.#frozen) {
      client.pause();
      server.pause();
    }
    client.on("data", (chunk: Buffer) => this.#fromClient(link, chunk));
    server.on("data", (chunk: Buffer) => {
      if (link.dropReply) {
        this.#cut(link);
        return;
      }
      client.write(chunk);
    });
    const end = () => this.#cut(link, false);
    client.on("close", end);
    server.on("close", end);
    client.on("error", end);
    server.on("error", end);
  }

  #fromClient(link: Link, chunk: Buffer): void {
    link.pending = link.pending.length ? Buffer.concat([link.pending, chunk]) : chunk;
    // Whole messages only: a rule must see a statement before any of its bytes are forwarded.
    let offset = 0;
    const out: Buffer[] = [];
    for (;;) {
      const rest = link.pending.length - offset;
      if (!link.started) {
        // Startup, SSLRequest or CancelRequest: Int32 length (itself included), no type byte.
        if (rest < 4) break;
        const len = link.pending.readInt32BE(offset);
        if (rest < len) break;
        const code = len >= 8 ? link.pending.readInt32BE(offset + 4) : 0;
        // SSLRequest (80877103) / GSSENCRequest (80877104) are followed by a real startup.
        if (code !== 80877103 && code !== 80877104) link.started = true;
        out.push(link.pending.subarray(offset, offset + len));
        offset += len;
        continue;
      }
      if (rest < 5) break;
      const type = String.fromCharCode(link.pending[offset]);
      const len = link.pending.readInt32BE(offset + 1);
      if (rest < len + 1) break;
      const message = link.pending.subarray(offset, offset + 1 + len);
      const sql = statementOf(type, message);
      if (sql !== undefined) {
        this.statements.push(sql);
        const rule = this.#rules.find((r) => r.remaining > 0 && r.pattern.test(sql));
        if (rule) {
          rule.remaining -= 1;
          if (rule.action === "cut-before") {
            // Whatever was already complete goes first; the matching statement never does.
            if (out.length) link.server.write(Buffer.concat(out));
            this.#cut(link);
            return;
          }
          link.dropReply = true;
        }
      }
      out.push(message);
      offset += 1 + len;
    }
    link.pending = link.pending.subarray(offset);
    if (out.length) link.server.write(Buffer.concat(out));
  }

  #cut(link: Link, counted = true): void {
    if (link.closed) return;
    link.closed = true;
    if (counted) this.cuts += 1;
    this.#links.delete(link);
    link.client.destroy();
    link.server.destroy();
  }
}

/** The SQL text of a Query (`Q`) or Parse (`P`) message. */
function statementOf(type: string, message: Buffer): string | undefined {
  if (type === "Q") return message.toString("utf8", 5, message.length - 1).trim();
  if (type === "P") {
    const nameEnd = message.indexOf(0, 5);
    const queryEnd = message.indexOf(0, nameEnd + 1);
    return message.toString("utf8", nameEnd + 1, queryEnd).trim();
  }
  return undefined;
}
