import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { describeAwsError } from "./aws";
import type { Io } from "./progress";

export interface BackupOptions {
  rds: RDSClient;
  io: Io;
  stack: string;
  /** Stack output `dbInstanceId`; undefined before the data tier's first deploy. */
  dbInstanceId: string | undefined;
  commit?: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** @default 15000 */
  pollIntervalMs?: number;
  /** @default 3600000 (one hour) */
  timeoutMs?: number;
}

export type BackupResult =
  | { status: "skipped"; note: string }
  | { status: "done"; snapshotId: string; seconds: number }
  | { status: "failed"; error: string };

/**
 * `huntaze-api-prod-predeploy-20261128-021500`: RDS identifiers allow letters, digits and
 * single hyphens, start with a letter and are at most 255 characters.
 */
export function snapshotIdentifier(stack: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replace(/[-:]/g, "")
    .replace("T", "-");
  const safeStack = stack
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .toLowerCase();
  return `huntaze-api-${safeStack}-predeploy-${stamp}`.replace(/-{2,}/g, "-").slice(0, 255);
}

const FAILED_SNAPSHOT_STATES = new Set(["failed", "error", "deleted", "deleting"]);

/**
 * Takes a manual snapshot of the stack's database before anything changes, then waits until
 * it is `available` (a snapshot still `creating` does not protect a failed migration).
 */
export async function backupDatabase(options: BackupOptions): Promise<BackupResult> {
  const { rds, io, dbInstanceId } = options;
  const pollMs = options.pollIntervalMs ?? 15_000;
  const timeoutMs = options.timeoutMs ?? 3_600_000;
  if (!dbInstanceId) {
    return {
      status: "skipped",
      note: "the stack has no `dbInstanceId` output yet (first deploy, or the data tier is not deployed): nothing to back up",
    };
  }

  try {
    const described = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbInstanceId }),
    );
    const instance = described.DBInstances?.[0];
    if (instance?.DBInstanceStatus && instance.DBInstanceStatus !== "available") {
      return {
        status: "failed",
        error: `instance ${dbInstanceId} is "${instance.DBInstanceStatus}", not "available": RDS cannot snapshot it now; wait and retry`,
      };
    }
  } catch (err) {
    const e = err as { name?: string };
    if (e.name === "DBInstanceNotFoundFault") {
      return {
        status: "failed",
        error: `stack output dbInstanceId is "${dbInstanceId}" but no such instance exists in this account/region; run \`pulumi refresh --stack ${options.stack}\` and check the stack`,
      };
    }
    return { status: "failed", error: describeAwsError(err) };
  }

  const started = options.now();
  const snapshotId = snapshotIdentifier(options.stack, started);
  try {
    await rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: dbInstanceId,
        DBSnapshotIdentifier: snapshotId,
        Tags: [
          { Key: "huntaze-api:stack", Value: options.stack },
          { Key: "huntaze-api:reason", Value: "pre-deploy backup (npm run deploy)" },
          ...(options.commit ? [{ Key: "huntaze-api:commit", Value: options.commit }] : []),
        ],
      }),
    );
  } catch (err) {
    return { status: "failed", error: `CreateDBSnapshot failed: ${describeAwsError(err)}` };
  }
  io.out(`  … snapshot ${snapshotId} of ${dbInstanceId} requested; waiting until available`);

  let lastReport = "";
  for (;;) {
    const elapsed = options.now().getTime() - started.getTime();
    let status: string | undefined;
    let percent: number | undefined;
    try {
      const res = await rds.send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }),
      );
      const snapshot = res.DBSnapshots?.[0];
      status = snapshot?.Status;
      percent = snapshot?.PercentProgress;
    } catch (err) {
      return { status: "failed", error: `DescribeDBSnapshots failed: ${describeAwsError(err)}` };
    }
    if (status === "available") {
      return { status: "done", snapshotId, seconds: Math.round(elapsed / 1000) };
    }
    if (status && FAILED_SNAPSHOT_STATES.has(status)) {
      return { status: "failed", error: `snapshot ${snapshotId} ended in state "${status}"` };
    }
    if (elapsed >= timeoutMs) {
      return {
        status: "failed",
        error: `snapshot ${snapshotId} still "${status ?? "unknown"}" after ${Math.round(elapsed / 60000)} min; the deploy was not started (check it in the RDS console, then retry)`,
      };
    }
    const report = `${status ?? "pending"} ${percent ?? 0} %`;
    if (report !== lastReport) {
      io.out(`  … snapshot ${snapshotId}: ${report} (${Math.round(elapsed / 1000)} s)`);
      lastReport = report;
    }
    await options.sleep(pollMs);
  }
}
