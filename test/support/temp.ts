/**
 * Temporary directories for tests, all removed after the run by the root hook
 * (test/support/hooks.ts): a test that fails half-way still leaves nothing in the temp
 * directory. Always under `os.tmpdir()` (never a hard-coded /tmp), so TMPDIR is honoured.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const created = new Set<string>();

/** A fresh directory `<tmpdir>/<prefix>XXXXXX`, removed at the end of the run. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/** Removes every directory `tempDir` created (safe to call twice). */
export function removeTempDirs(): void {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
  created.clear();
}
