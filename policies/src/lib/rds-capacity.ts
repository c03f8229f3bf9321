/**
 * How many connections an RDS for PostgreSQL instance admits, and how many of them the
 * functions may use: the one estimate shared by the policy pack (`lambda-db-connection-budget`)
 * and the program's own config check (infra/config/schema.ts `connectionBudgetProblem`, through
 * infra/lib/rds.ts). It lives in the pack because the pack must load on its own.
 * Pure functions, no provider calls.
 */

/** Memory (GiB) of each size, per instance family. Burstable classes stop at 2xlarge. */
const SIZES_GENERAL: Record<string, number> = {
  large: 8,
  xlarge: 16,
  "2xlarge": 32,
  "4xlarge": 64,
  "8xlarge": 128,
  "12xlarge": 192,
  "16xlarge": 256,
  "24xlarge": 384,
};
const SIZES_MEMORY: Record<string, number> = Object.fromEntries(
  Object.entries(SIZES_GENERAL).map(([size, gib]) => [size, gib * 2]),
);
const SIZES_BURSTABLE: Record<string, number> = {
  micro: 1,
  small: 2,
  medium: 4,
  large: 8,
  xlarge: 16,
  "2xlarge": 32,
};

const FAMILIES: Record<string, Record<string, number>> = {
  t3: SIZES_BURSTABLE,
  t4g: SIZES_BURSTABLE,
  m5: SIZES_GENERAL,
  m6g: SIZES_GENERAL,
  m6gd: SIZES_GENERAL,
  m6i: SIZES_GENERAL,
  m7g: SIZES_GENERAL,
  m7i: SIZES_GENERAL,
  m8g: SIZES_GENERAL,
  r5: SIZES_MEMORY,
  r6g: SIZES_MEMORY,
  r6gd: SIZES_MEMORY,
  r6i: SIZES_MEMORY,
  r7g: SIZES_MEMORY,
  r7i: SIZES_MEMORY,
  r8g: SIZES_MEMORY,
};

export const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

/** Memory of `db.<family>.<size>` in GiB, or undefined for a class not in the table. */
export function instanceClassMemoryGiB(instanceClass: string): number | undefined {
  const [, family, size] = instanceClass.split(".");
  return family && size ? FAMILIES[family]?.[size] : undefined;
}

/**
 * RDS for PostgreSQL's default is `max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000)`,
 * where DBInstanceClassMemory is the class's memory minus what the OS and RDS reserve (not
 * published; on a 1 GiB class the real default is ~80, not the 112 the nominal memory gives).
 * The estimate counts 75 % of the nominal memory: low on purpose, so an alarm at 90 % of it
 * fires early rather than never. Set `database.maxConnections` for an exact value.
 */
export function estimateMaxConnections(memoryGiB: number): number {
  return Math.min(Math.floor((memoryGiB * 1024 ** 3 * 0.75) / 9531392), 5000);
}

/**
 * Connections the platform holds besides the functions: PostgreSQL's
 * superuser_reserved_connections (3), RDS's rds.rds_superuser_reserved_connections (2), and the
 * alternating-users rotation function (master + user) — the connection budget keeps them free.
 */
export const RESERVED_CONNECTIONS = 3 + 2 + 2;

/**
 * `max_connections` of an instance: the parameter group's value when it is a plain integer,
 * else (unset, or RDS's `{DBInstanceClassMemory/…}` formula) the estimate from the class's
 * memory; undefined when the class is not in the table and nothing is set.
 */
export function maxConnectionsOf(
  instanceClass: string | undefined,
  parameterValue?: string,
): number | undefined {
  if (parameterValue !== undefined && /^\s*\d+\s*$/.test(parameterValue)) {
    return Number(parameterValue);
  }
  const memory = instanceClass ? instanceClassMemoryGiB(instanceClass) : undefined;
  return memory === undefined ? undefined : estimateMaxConnections(memory);
}

/**
 * Database connections an RDS Proxy may open: `maxConnectionsPercent` (default 100) of the
 * target's `max_connections`, rounded down.
 */
export function proxyConnectionLimit(maxConnections: number, maxConnectionsPercent = 100): number {
  return Math.floor((maxConnections * maxConnectionsPercent) / 100);
}

/**
 * Function runtimes one proxy database connection is budgeted to serve. Through RDS Proxy a
 * runtime holds a database connection only while a transaction runs (unless its session is
 * pinned, which the handlers avoid: docs/CONNECTIONS.md), so the proxy multiplexes; 2 is a
 * cautious ratio until `DatabaseConnectionsCurrentlySessionPinned` and the borrow latency of a
 * real deployment justify more. Requests beyond it wait for a connection (borrow timeout), they
 * do not exhaust the instance.
 */
export const PROXY_RUNTIMES_PER_CONNECTION = 2;
