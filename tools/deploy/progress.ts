/** Where the deploy command writes: stdout for progress and results, stderr for failures. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** The outcome of one pre-check or verification check. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

const MARK: Record<CheckStatus, string> = {
  ok: "[ok]  ",
  warn: "[warn]",
  fail: "[FAIL]",
  skip: "[skip]",
};

export function printCheck(io: Io, result: CheckResult): void {
  const line = `  ${MARK[result.status]} ${result.name}: ${result.detail}`;
  if (result.status === "fail") io.err(line);
  else io.out(line);
}

export function stepHeader(io: Io, index: number, total: number, title: string): void {
  io.out(`\n[${index}/${total}] ${title}`);
}

/**
 * Awaits `work` and prints a line every `intervalMs` while it runs, so a long silent step
 * (the test suite, a snapshot) never looks hung.
 */
export async function withHeartbeat<T>(
  io: Io,
  label: string,
  work: Promise<T>,
  intervalMs = 15_000,
): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    io.out(`  … ${label}: still running (${seconds} s)`);
  }, intervalMs);
  timer.unref();
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Renders verification results as an aligned table. */
export function renderTable(results: CheckResult[]): string {
  const nameWidth = Math.max(5, ...results.map((r) => r.name.length));
  const header = `  ${"Check".padEnd(nameWidth)}  Status  Detail`;
  const rule = `  ${"-".repeat(nameWidth)}  ------  ${"-".repeat(40)}`;
  const rows = results.map(
    (r) => `  ${r.name.padEnd(nameWidth)}  ${r.status.toUpperCase().padEnd(6)}  ${r.detail}`,
  );
  return [header, rule, ...rows].join("\n");
}
