/**
 * The `prisma/migrations` folder as the deploy sees it: the files the migration function ships
 * and the checksum its invocation is keyed on. Synchronous and dependency-free (the preview must
 * not load Prisma's engine); the checksum is the one the handlers' migrations library computes
 * (`migrationSetChecksum`), which a test holds them to.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BundleAsset } from "./bundle";
import { PROJECT_ROOT } from "./bundle";

export const MIGRATIONS_DIR = "prisma/migrations";
const LOCK_FILE = "migration_lock.toml";

interface FolderEntry {
  name: string;
  /** Project-relative path of its `migration.sql`. */
  file: string;
}

function migrationFolders(dir: string): FolderEntry[] {
  const full = path.resolve(PROJECT_ROOT, dir);
  if (!fs.existsSync(full)) {
    throw new Error(`the migrations folder ${dir} does not exist; the migration function ships it`);
  }
  return fs
    .readdirSync(full, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => {
      const file = path.join(full, name, "migration.sql");
      if (!fs.existsSync(file)) {
        throw new Error(
          `${path.join(dir, name)} has no migration.sql; every migration folder needs one`,
        );
      }
      return { name, file: path.relative(PROJECT_ROOT, file) };
    });
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * SHA-256 over every migration's name and SQL checksum, then the lock file: changes when a
 * migration is added, removed, renamed or edited, and only then.
 */
export function migrationsChecksum(dir = MIGRATIONS_DIR): string {
  const hash = createHash("sha256");
  for (const m of migrationFolders(dir)) {
    const sql = fs.readFileSync(path.resolve(PROJECT_ROOT, m.file), "utf8");
    hash.update(`${m.name}\0${sha256(Buffer.from(sql, "utf8"))}\0`);
  }
  const lockPath = path.resolve(PROJECT_ROOT, dir, LOCK_FILE);
  const lock = fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : "";
  hash.update(`lock\0${lock}`);
  return hash.digest("hex");
}

/** The folder as bundle assets: `migrations/<name>/migration.sql` and the lock file. */
export function migrationAssets(dir = MIGRATIONS_DIR): BundleAsset[] {
  const assets: BundleAsset[] = migrationFolders(dir).map((m) => ({
    source: m.file,
    target: `migrations/${m.name}/migration.sql`,
  }));
  const lock = path.join(dir, LOCK_FILE);
  if (fs.existsSync(path.resolve(PROJECT_ROOT, lock))) {
    assets.push({ source: lock, target: `migrations/${LOCK_FILE}` });
  }
  return assets;
}
