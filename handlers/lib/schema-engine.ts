/**
 * Prisma's own schema engine (the code behind `prisma migrate`), compiled to WebAssembly
 * (`@prisma/schema-engine-wasm`) and driven through `@prisma/adapter-pg`.
 *
 * Why: the CLI's migrate commands need a native engine binary that cannot be downloaded on
 * air-gapped machines or shipped in a Lambda. The wasm engine is the same Rust code, so what it
 * writes to `_prisma_migrations` (checksums included) is what `prisma migrate deploy` writes.
 *
 * The package's own entry does `import * as wasm from "./schema_engine_bg.wasm"`, which only a
 * bundler understands; here the wasm is instantiated by hand, so the same code runs under plain
 * Node, under mocha and inside an esbuild bundle (which then ships the `.wasm` file beside it,
 * or passes its bytes).
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { Pool, PoolConfig } from "pg";

export type SchemaEngine = bg.SchemaEngine;

/** The slice of the WebAssembly global used here (the project's TS lib has no DOM types). */
interface WasmModule {
  readonly __wasmModule: unique symbol;
}
interface WasmApi {
  Module: abstract new (...args: never[]) => WasmModule;
  RuntimeError: new (...args: never[]) => Error;
  compile(bytes: Uint8Array | ArrayBuffer): Promise<WasmModule>;
  instantiate(
    module: WasmModule,
    imports: Record<string, unknown>,
  ): Promise<{ exports: Record<string, unknown> }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Where the engine's wasm comes from: bytes, a compiled module, or a file path. */
export type WasmSource = Uint8Array | ArrayBuffer | WasmModule | string;

/** The environment variable naming the `.wasm` file, for bundles that ship it elsewhere. */
export const SCHEMA_ENGINE_WASM_ENV = "PRISMA_SCHEMA_ENGINE_WASM";
const WASM_FILE = "schema_engine_bg.wasm";

/** A database the engine connects to: a `postgresql://` URL or a node-postgres pool config. */
export type DatabaseConnection = string | PoolConfig;

export class SchemaEngineError extends Error {
  /** Prisma error code when the engine gave one (e.g. `P3009`, `P3018`). */
  readonly code: string | undefined;
  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options);
    this.name = "SchemaEngineError";
    this.code = options?.code;
  }
}

/**
 * The glue module (`bg`) holds the one wasm instance of its copy of the package, and survives a
 * reload of this module (a test or preview harness that clears project modules from the require
 * cache). So the "instantiated" promise is kept per glue module, on `globalThis`: a reloaded
 * copy of this file reuses the live instance instead of instantiating a second one underneath
 * objects the first still uses, while a bundle with its own glue keeps its own state.
 */
const ENGINE_STATE = Symbol.for("huntaze-api.schema-engine");
type EngineState = { loaded: Promise<void> | undefined };
const globals = globalThis as { [ENGINE_STATE]?: WeakMap<object, EngineState> };
globals[ENGINE_STATE] ??= new WeakMap();
const states = globals[ENGINE_STATE];
if (!states.has(bg)) states.set(bg, { loaded: undefined });
const engineState = states.get(bg) as EngineState;

/**
 * A Rust panic inside the engine reports its message through this global, then traps
 * (`RuntimeError: unreachable`); keep the message so the error says what went wrong.
 */
let lastPanic: string | undefined;
const panicRegistry = {
  set_message(message: string) {
    lastPanic = message;
  },
};

/**
 * Candidate locations of the wasm file, in order: `$PRISMA_SCHEMA_ENGINE_WASM`, beside this
 * module (a bundle that copied it next to its `index.js`), then the installed package.
 */
export function wasmCandidates(): string[] {
  const candidates: string[] = [];
  const fromEnv = process.env[SCHEMA_ENGINE_WASM_ENV];
  if (fromEnv) candidates.push(fromEnv);
  candidates.push(join(__dirname, WASM_FILE));
  try {
    // The package's `exports` hide the .wasm itself, so resolve a sibling that is exported.
    candidates.push(
      join(dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")), WASM_FILE),
    );
  } catch {
    // Inside a bundle there is no node_modules to resolve from.
  }
  return candidates;
}

async function toModule(source: WasmSource | undefined): Promise<WasmModule> {
  if (source instanceof wasmApi.Module) return source as WasmModule;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return wasmApi.compile(source);
  const candidates = typeof source === "string" ? [source] : wasmCandidates();
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new SchemaEngineError(
      `The Prisma schema engine wasm (${WASM_FILE}) was not found; looked in: ${candidates.join(", ")}. ` +
        `Ship it beside the bundle, set ${SCHEMA_ENGINE_WASM_ENV} to its path, or pass its bytes as \`wasm\`.`,
    );
  }
  return wasmApi.compile(readFileSync(found));
}

/**
 * Instantiates the engine's wasm once per process (the glue module holds a single instance).
 * Later calls are free; `source` only matters on the first call.
 */
export function loadSchemaEngine(source?: WasmSource): Promise<void> {
  engineState.loaded ??= (async () => {
    (
      globalThis as { PRISMA_WASM_PANIC_REGISTRY?: typeof panicRegistry }
    ).PRISMA_WASM_PANIC_REGISTRY = panicRegistry;
    const module = await toModule(source);
    const instance = await wasmApi.instantiate(module, {
      "./schema_engine_bg.js": withUnrefTimers(bg),
    });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })().catch((err: unknown) => {
    engineState.loaded = undefined;
    throw err;
  });
  return engineState.loaded;
}

/**
 * The engine arms timers (timeouts of its own futures) that outlive the operation; unref them
 * so a CLI or a test run can exit as soon as its work is done instead of ~10 s later.
 */
function withUnrefTimers(glue: typeof bg): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, fn] of Object.entries(glue)) {
    if (name.startsWith("__wbg_setTimeout_") && typeof fn === "function") {
      imports[name] = (...args: unknown[]) => {
        const timer = (fn as (...a: unknown[]) => unknown)(...args);
        (timer as { unref?: () => void } | undefined)?.unref?.();
        return timer;
      };
    }
  }
  return imports;
}

/**
 * Turns a URL into discrete pool fields. adapter-pg 7.10 builds its shadow database as
 * `{ ...config, database }`, which a `connectionString` would silently override (pointing the
 * "shadow" at the real database), and it ignores `?schema=`: both are handled here.
 */
export function toPoolConfig(connection: DatabaseConnection): {
  pool: PoolConfig;
  schema?: string;
} {
  if (typeof connection !== "string") {
    if (connection.connectionString) return toPoolConfig(connection.connectionString);
    return { pool: connection };
  }
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new SchemaEngineError(
      "The database connection string is not a valid URL (expected postgresql://user:password@host:port/database).",
    );
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new SchemaEngineError(
      `The database URL must start with postgresql:// (got ${url.protocol}//).`,
    );
  }
  const schema = url.searchParams.get("schema") ?? undefined;
  const sslmode = url.searchParams.get("sslmode");
  const pool: PoolConfig = {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || "postgres",
    ...(sslmode && sslmode !== "disable"
      ? { ssl: { rejectUnauthorized: sslmode === "verify-full" } }
      : {}),
    ...(schema ? { options: `-c search_path="${schema.replaceAll('"', '""')}"` } : {}),
  };
  return { pool, schema };
}

/**
 * Runs `fn` with a fresh engine connected to `connection`, then frees the engine and closes
 * every connection it opened (the main one and any shadow database), whatever happens.
 */
export async function withSchemaEngine<T>(
  options: { connection: DatabaseConnection; wasm?: WasmSource; log?: (line: string) => void },
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadSchemaEngine(options.wasm);
  const { pool, schema } = toPoolConfig(options.connection);
  const opened: SqlDriverAdapter[] = [];
  const connect = async (config: PoolConfig): Promise<SqlDriverAdapter> => {
    const adapter = readsCharColumns(
      wholeScripts(
        await new PrismaPg(
          { max: 1, connectionTimeoutMillis: 10_000, ...config },
          schema ? { schema } : undefined,
        ).connect(),
      ),
    );
    opened.push(onDispose(adapter));
    return adapter;
  };
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    adapterName: "@prisma/adapter-pg",
    provider: "postgres",
    connect: () => connect(pool),
    // adapter-pg 7.10's own shadow database drops the database while its pool is still
    // connected (so the DROP fails) and lets a connectionString override the name: replaced.
    connectToShadowDb: async () => {
      const admin = await connect(pool);
      const database = `prisma_migrate_shadow_db_${randomUUID()}`;
      await admin.executeScript(`CREATE DATABASE "${database}"`);
      const shadow = await connect({ ...pool, database });
      return onDispose(shadow, async () => {
        await admin.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await admin.dispose();
      });
    },
  };
  const log = options.log;
  const engine = await bg.SchemaEngine.new(
    { datamodels: undefined },
    (line: string) => log?.(line),
    bindMigrationAwareSqlAdapterFactory(tracked),
  ).catch((err: unknown) => {
    throw asEngineError(err, "start the schema engine");
  });
  // A panic traps inside a wasm callback, outside any promise chain: turn the uncaught
  // exception into this operation's rejection instead of letting it kill the process.
  let onUncaught: ((err: unknown) => void) | undefined;
  const panicked = new Promise<never>((_, reject) => {
    onUncaught = (err: unknown) => {
      if (!(err instanceof wasmApi.RuntimeError)) throw err;
      engineState.loaded = undefined; // unusable after a trap; the next call re-instantiates
      reject(asEngineError(err));
    };
    process.on("uncaughtException", onUncaught);
  });
  try {
    return await Promise.race([fn(engine), panicked]).catch((err: unknown) => {
      throw asEngineError(err);
    });
  } finally {
    if (onUncaught) process.off("uncaughtException", onUncaught);
    // After a trap the instance is gone (loaded was reset): freeing would trap again.
    if (engineState.loaded !== undefined) engine.free();
    // Newest first: a shadow database is dropped through a connection opened before it.
    for (const adapter of opened.reverse()) {
      await adapter.dispose().catch(() => undefined);
    }
  }
}

/**
 * adapter-pg's `executeScript` splits a script on every `;` and runs the pieces one by one:
 * a `$$ … ; … $$` function body or a `';'` literal breaks, and a failing migration is left
 * half-applied. The native engine sends the whole script as one simple query, which PostgreSQL
 * runs as one implicit transaction; do the same.
 */
function wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const driver = (adapter as unknown as { underlyingDriver(): Pool }).underlyingDriver();
  const mapError = (adapter as unknown as { onError(err: unknown): never }).onError.bind(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await driver.query(script);
    } catch (err) {
      mapError(err);
    }
  };
  return adapter;
}

/** PostgreSQL's internal single-byte `"char"` type (pg_catalog columns such as `contype`). */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

interface PerformsIO {
  performIO(query: unknown): Promise<{ fields: Array<{ dataTypeID: number }> }>;
}

/**
 * adapter-pg 7.10 rejects `"char"` result columns ("Column type 'char' could not be
 * deserialized"), and the engine's schema description reads several of them from pg_catalog:
 * every diff against a live or shadow database fails. node-postgres already returns them as
 * strings: re-label them as text for the adapter, then as the engine's `Character` column type.
 */
function readsCharColumns<T extends object>(queryable: T): T {
  const io = queryable as unknown as PerformsIO & Pick<SqlDriverAdapter, "queryRaw">;
  const charColumns = new WeakMap<object, number[]>();
  const performIO = io.performIO.bind(queryable);
  io.performIO = async (query) => {
    const result = await performIO(query);
    const found: number[] = [];
    result.fields.forEach((field, i) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        found.push(i);
      }
    });
    if (found.length > 0 && typeof query === "object" && query !== null)
      charColumns.set(query, found);
    return result;
  };
  const queryRaw = io.queryRaw.bind(queryable);
  io.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const i of charColumns.get(query) ?? []) result.columnTypes[i] = ColumnTypeEnum.Character;
    return result;
  };
  const adapter = queryable as unknown as Partial<SqlDriverAdapter>;
  const startTransaction = adapter.startTransaction?.bind(queryable);
  if (startTransaction) {
    adapter.startTransaction = async (isolationLevel) =>
      readsCharColumns(await startTransaction(isolationLevel));
  }
  return queryable;
}

/** Makes `dispose` idempotent and runs `after` once the adapter's own pool is closed. */
function onDispose(
  adapter: SqlDriverAdapter,
  after: () => Promise<void> = async () => {},
): SqlDriverAdapter {
  const dispose = adapter.dispose.bind(adapter);
  let done: Promise<void> | undefined;
  adapter.dispose = () => {
    done ??= dispose().then(after);
    return done;
  };
  return adapter;
}

/** The engine rejects with plain objects (`{ error_code, message, meta }`); give them a class. */
export function asEngineError(err: unknown, doing?: string): SchemaEngineError {
  if (err instanceof SchemaEngineError) return err;
  if (err instanceof wasmApi.RuntimeError && lastPanic) {
    const message = lastPanic;
    lastPanic = undefined;
    return new SchemaEngineError(
      `The schema engine panicked${doing ? ` while trying to ${doing}` : ""}: ${message}`,
      {
        cause: err,
      },
    );
  }
  const record = (typeof err === "object" && err !== null ? err : {}) as Record<string, unknown>;
  const raw =
    typeof record.message === "string"
      ? record.message
      : err instanceof Error
        ? err.message
        : String(err);
  // The engine appends a Rust span trace ("   0: schema_commands::… with migration_name=…").
  const [headline = raw, trace = ""] = raw.split(/\n\s+0: /, 2);
  const migration = /migration_name="([^"]+)"/.exec(trace)?.[1];
  let code =
    typeof record.error_code === "string"
      ? record.error_code
      : typeof record.code === "string"
        ? record.code
        : undefined;
  // The CLI reports a migration whose SQL failed as P3018; the wasm engine gives no code.
  if (!code && trace.includes("apply_migration::apply_script")) code = "P3018";
  const what = code === "P3018" && migration ? `Migration ${migration} failed to apply: ` : "";
  const prefix = doing ? `Could not ${doing}: ` : "";
  const text = `${prefix}${code ? `${code}: ` : ""}${what}${headline.replace(/^external connector error\n/, "").trim()}`;
  return new SchemaEngineError(text, { code, cause: err });
}
