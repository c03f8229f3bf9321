/**
 * The stack config as one schema: the keys of every area (a strict object, so an unknown key is
 * an error), the rules across keys, and the shape components take (`InfraConfig`).
 */
import { PROXY_RUNTIMES_PER_CONNECTION, RESERVED_CONNECTIONS } from "../lib/rds";
import { appKeys, appSettings, STAGES, type Stage } from "./app";
import { authKeys, authSettings, prodOnlyViolations } from "./auth";
import {
  DIRECT_FUNCTION_CONNECTIONS,
  databaseSettings,
  dataTierKeys,
  networkSettings,
} from "./data-tier";
import { whenClean } from "./fields";
import * as z from "./zod.bundle";

/** Keys in this project's namespace read by tools (the deploy tool and the cost estimate), not the program. */
export const TOOL_ONLY_KEYS = ["costAssumptions", "expectedAccountId"] as const;

/** Every key the program reads: this project's (`huntaze-api:…`) and `aws:region`. */
export const keysShape = { ...appKeys, ...dataTierKeys, ...authKeys };

type Keys = z.output<z.ZodMiniObject<typeof keysShape>>;

interface Source {
  project: string;
  stack: string;
  stackFile: string;
  keys: Keys;
}

function stageOf({ keys, stack }: { keys: Keys; stack: string }): Stage | undefined {
  return keys.stage ?? STAGES.find((s) => s === stack);
}

/**
 * Every function runtime holds one connection (the handlers' pool max is 1), so the reserved
 * concurrencies, the migration function and what RDS and the rotation hold must fit in
 * `max_connections`, or requests fail with "too many clients" before any alarm could help.
 */
function connectionBudgetProblem(keys: Keys): string | undefined {
  const database = databaseSettings(keys.database);
  const api = keys.api.reservedConcurrency;
  const worker = keys.worker.reservedConcurrency;
  const functions = api + worker;
  if (database.proxy) {
    // The instance itself is safe (the proxy opens at most its share, the rest is kept for the
    // direct clients); the runtimes must still fit what that share can serve.
    const capacity = database.proxy.connectionLimit * PROXY_RUNTIMES_PER_CONNECTION;
    if (functions <= capacity) return undefined;
    return `must let the proxy serve ${functions} runtimes (api.reservedConcurrency ${api} + worker.reservedConcurrency ${worker}), more than its ${database.proxy.connectionLimit} connections (${database.proxy.maxConnectionsPercent} % of ~${database.effectiveMaxConnections}) × ${PROXY_RUNTIMES_PER_CONNECTION} runtimes each: choose a larger class or lower the reserved concurrency`;
  }
  const needed = functions + DIRECT_FUNCTION_CONNECTIONS + RESERVED_CONNECTIONS;
  if (needed <= database.effectiveMaxConnections) return undefined;
  const limit =
    database.maxConnections !== undefined
      ? `database.maxConnections (${database.maxConnections})`
      : `what ${database.instanceClass} allows (~${database.effectiveMaxConnections}, estimated from its memory)`;
  return `must allow ${needed} connections (api.reservedConcurrency ${api} + worker.reservedConcurrency ${worker} + 1 migration + ${RESERVED_CONNECTIONS} reserved), more than ${limit}: choose a larger class, lower the reserved concurrency, or put RDS Proxy in front (database.pooler: rds-proxy)`;
}

const rootRules = [
  z.superRefine((s: Source, ctx) => {
    if (stageOf(s) === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["keys", "stage"],
        message: `must be set to "prod" or "staging" when the stack name (${s.stack}) is neither`,
      });
    }
  }, whenClean("keys.stage")),
  z.superRefine(
    (s: Source, ctx) => {
      if (stageOf(s) !== "prod") return;
      for (const { path, message } of prodOnlyViolations(s.keys.auth, s.keys.firewall)) {
        ctx.addIssue({ code: "custom", path: ["keys", ...path], message });
      }
    },
    whenClean(
      "keys.stage",
      "keys.auth.selfSignUp",
      "keys.auth.deletionProtection",
      "keys.firewall.enabled",
    ),
  ),
  z.superRefine(
    (s: Source, ctx) => {
      const problem = connectionBudgetProblem(s.keys);
      if (problem) {
        ctx.addIssue({
          code: "custom",
          path: ["keys", "database", "instanceClass"],
          message: problem,
        });
      }
    },
    whenClean(
      "keys.api.reservedConcurrency",
      "keys.worker.reservedConcurrency",
      "keys.database.instanceClass",
      "keys.database.memoryGiB",
      "keys.database.maxConnections",
      "keys.database.pooler",
    ),
  ),
];

/** `InfraConfig`: the keys grouped by what they configure, with the values they imply. */
function infraConfig(s: Source) {
  const { keys } = s;
  return {
    project: s.project,
    stack: s.stack,
    /** The stack file the values came from (messages, docs). */
    stackFile: s.stackFile,
    ...appSettings(keys, stageOf(s) as Stage),
    network: networkSettings(keys.network),
    database: databaseSettings(keys.database),
    /** Who may call the API: the Cognito user pool (created or existing) and the creator claim. */
    auth: authSettings(keys.auth),
    /** The WAFv2 web ACL in front of the stage. */
    firewall: keys.firewall,
  };
}

/** Raw stack config (the keys the program reads, parsed from `PULUMI_CONFIG`) → `InfraConfig`. */
export const stackConfigSchema = z.pipe(
  z
    .strictObject({
      project: z.string(),
      stack: z.string(),
      stackFile: z.string(),
      keys: z.strictObject(keysShape),
    })
    .check(...rootRules),
  z.transform(infraConfig),
);
