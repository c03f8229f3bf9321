import { strict as assert } from "node:assert";
import { Database } from "../../handlers/lib/prisma";
import type { TestDatabase } from "../support/database";
import { InMemorySecretSource } from "../support/secrets";
import { migratedDatabase, quietLogger } from "./helpers";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";

/**
 * `database.pooler: rds-proxy`: the app secret keeps the instance's host (the rotation function
 * connects there), and DB_PROXY_HOST sends the functions' connections to the proxy instead.
 */
describe("DB_PROXY_HOST: connections go to RDS Proxy, credentials still from the app secret", () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase("proxy_host", false);
  });
  after(() => db.drop());

  function database(proxyHost: string | undefined): Database {
    const u = new URL(db.url);
    const source = new InMemorySecretSource();
    source.set(SECRET_ARN, {
      // Unresolvable on purpose (RFC 2606): only the proxy host can be reached.
      host: "instance.huntaze.invalid",
      port: Number(u.port),
      dbname: u.pathname.slice(1),
      username: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    });
    return new Database({
      env: {
        stage: "staging",
        serviceName: "huntaze-api",
        slowQueryMs: 200,
        dbSecretArn: SECRET_ARN,
        dbProxyHost: proxyHost,
      },
      secretSource: source,
      ssl: false,
      logger: quietLogger(),
      pool: { connectionTimeoutMillis: 2000 },
    });
  }

  it("connects to DB_PROXY_HOST with the secret's port, database and credentials", async () => {
    const viaProxy = database(new URL(db.url).hostname);
    try {
      assert.ok((await viaProxy.ping(2000)) >= 0);
    } finally {
      await viaProxy.disconnect();
    }
  });

  it("connects to the secret's host without it (here: unreachable)", async () => {
    const direct = database(undefined);
    try {
      await assert.rejects(direct.ping(3000));
    } finally {
      await direct.disconnect();
    }
  });
});
