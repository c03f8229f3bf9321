/**
 * Runbook sections, one per alarm kind. docs/RUNBOOK.md has a `## <id>` heading for each (GitHub
 * turns it into the `#<id>` anchor), and every alarm's description ends with a link to its
 * section. The data tier's RDS and secret-rotation alarms use the ids below as well.
 */
export const RUNBOOK_SECTIONS = [
  "function-error-rate",
  "api-latency-p95",
  "function-duration-p95",
  "function-throttles",
  "api-5xx-rate",
  "dlq-depth",
  "slow-queries",
  "rds-cpu",
  "rds-free-storage",
  "rds-connections",
  "rds-freeable-memory",
  "rds-read-latency",
  "rds-write-latency",
  "secret-rotation-failed",
  "rds-proxy-client-connections",
  "rds-proxy-pinned-sessions",
  "waf-blocked-requests",
] as const;

export type RunbookSection = (typeof RUNBOOK_SECTIONS)[number];

/** `huntaze-api:runbookBaseUrl` when the stack does not set it. */
export const DEFAULT_RUNBOOK_BASE_URL =
  "https://github.com/huntaze/huntaze-api/blob/main/docs/RUNBOOK.md";

/** The sentence every alarm description ends with. */
export function runbookLink(baseUrl: string, section: RunbookSection): string {
  return `Runbook: ${baseUrl}#${section}`;
}
