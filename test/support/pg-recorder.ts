/**
 * A TCP proxy in front of PostgreSQL that records what clients send, as RDS Proxy sees it: the
 * startup parameters of every connection and every statement — simple queries (`Q`) and
 * extended-protocol parses (`P`, with the prepared statement's name). Server replies pass through
 * untouched. Passwords (`p` messages) are never recorded.
 *
 * Written here rather than taken from a library: what matters is the wire, below any driver's
 * own logging, and the frontend protocol needs only a length-prefixed message splitter.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface RecordedConnection {
  /** Startup parameters (user, database, application_name, …). */
  startup: Record<string, string>;
}

export interface RecordedStatement {
  /** `simple` (Q) or `parse` (P). */
  kind: "simple" | "parse";
  /** Name of the prepared statement; "" for the unnamed one. */
  name: string;
  sql: string;
}

export interface PgRecorder {
  /** `host:port` to connect to instead of the server. */
  port: number;
  connections: RecordedConnection[];
  statements: RecordedStatement[];
  /** Forgets what was recorded so far. */
  reset(): void;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export async function startPgRecorder(upstream: {
  host: string;
  port: number;
}): Promise<PgRecorder> {
  const connections: RecordedConnection[] = [];
  const statements: RecordedStatement[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const backend = connect(upstream.port, upstream.host);
    sockets.add(client);
    sockets.add(backend);
    let buffer = Buffer.alloc(0);
    let started = false;
    const closeBoth = () => {
      client.destroy();
      backend.destroy();
      sockets.delete(client);
      sockets.delete(backend);
    };
    client.on("error", closeBoth);
    backend.on("error", closeBoth);
    client.on("close", closeBoth);
    backend.on("close", closeBoth);
    backend.on("data", (chunk) => client.write(chunk));
    client.on("data", (chunk) => {
      backend.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) {
            connections.push({ startup: startupParameters(buffer.subarray(8, length)) });
            started = true;
          }
          buffer = buffer.subarray(length);
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const body = buffer.subarray(5, 1 + length);
        if (type === "Q") {
          statements.push({ kind: "simple", name: "", sql: cString(body, 0).value });
        } else if (type === "P") {
          const name = cString(body, 0);
          statements.push({ kind: "parse", name: name.value, sql: cString(body, name.next).value });
        }
        buffer = buffer.subarray(1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    connections,
    statements,
    reset() {
      connections.length = 0;
      statements.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function cString(buffer: Buffer, start: number): { value: string; next: number } {
  const end = buffer.indexOf(0, start);
  const stop = end < 0 ? buffer.length : end;
  return { value: buffer.toString("utf8", start, stop), next: stop + 1 };
}

function startupParameters(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const key = cString(body, at);
    const value = cString(body, key.next);
    out[key.value] = value.value;
    at = value.next;
  }
  return out;
}
