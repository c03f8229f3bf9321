/**
 * RDS facts the config and the data tier share: instance-class memory, the `max_connections`
 * it implies, and the values AWS accepts for settings whose valid set is not a plain range.
 * Pure functions, no provider calls: the preview must stay offline and fast.
 */

export {
  estimateMaxConnections,
  INSTANCE_CLASS,
  instanceClassMemoryGiB,
  maxConnectionsOf,
  PROXY_RUNTIMES_PER_CONNECTION,
  proxyConnectionLimit,
  RESERVED_CONNECTIONS,
} from "../../policies/src/lib/rds-capacity";

/**
 * Performance Insights retention AWS accepts: 7 days (free tier), a whole number of months
 * (31 × 1…23 days), or 731 days (two years).
 */
export function isValidPerformanceInsightsRetention(days: number): boolean {
  return (
    days === 7 ||
    days === 731 ||
    (Number.isInteger(days) && days % 31 === 0 && days >= 31 && days <= 713)
  );
}

/** Enhanced Monitoring intervals RDS accepts (0 turns it off, which this project does not allow). */
export const MONITORING_INTERVALS = [1, 5, 10, 15, 30, 60] as const;
