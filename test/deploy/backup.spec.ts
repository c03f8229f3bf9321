import * as assert from "node:assert/strict";
import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { backupDatabase, snapshotIdentifier } from "../../tools/deploy/backup";
import { awsError, capture, mockedAws } from "./helpers";

const AT = new Date("2026-11-28T02:15:07.123Z");

function options(
  aws: ReturnType<typeof mockedAws>,
  overrides: Partial<Parameters<typeof backupDatabase>[0]> = {},
) {
  let clock = AT.getTime();
  const sleeps: number[] = [];
  const io = capture();
  return {
    sleeps,
    io,
    opts: {
      rds: aws.clients.rds,
      io,
      stack: "prod",
      dbInstanceId: "huntaze-api-prod-db",
      commit: "abc1234",
      now: () => new Date(clock),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
      },
      pollIntervalMs: 15_000,
      ...overrides,
    },
  };
}

describe("deploy backup step", () => {
  it("names the snapshot after the stack and the UTC time, within RDS identifier rules", () => {
    assert.equal(snapshotIdentifier("prod", AT), "huntaze-api-prod-predeploy-20261128-021507");
    const odd = snapshotIdentifier("Team_Stack..2", AT);
    assert.match(odd, /^[a-z][a-z0-9-]*$/);
    assert.ok(!odd.includes("--"));
  });

  it("skips with a note before the data tier's first deploy (no dbInstanceId output)", async () => {
    const aws = mockedAws();
    const { opts } = options(aws, { dbInstanceId: undefined });
    const result = await backupDatabase(opts);
    assert.equal(result.status, "skipped");
    assert.match(
      result.status === "skipped" ? result.note : "",
      /no `dbInstanceId` output yet \(first deploy/,
    );
    assert.equal(aws.rds.calls().length, 0, "no AWS call at all");
  });

  it("snapshots the stack's instance, tags it, and waits until it is available", async () => {
    const aws = mockedAws();
    aws.rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceStatus: "available" }] });
    aws.rds.on(CreateDBSnapshotCommand).resolves({});
    aws.rds
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [{ Status: "creating", PercentProgress: 0 }] })
      .resolvesOnce({ DBSnapshots: [{ Status: "creating", PercentProgress: 60 }] })
      .resolves({ DBSnapshots: [{ Status: "available", PercentProgress: 100 }] });
    const { opts, sleeps, io } = options(aws);
    const result = await backupDatabase(opts);

    assert.deepEqual(result, {
      status: "done",
      snapshotId: "huntaze-api-prod-predeploy-20261128-021507",
      seconds: 30,
    });
    const create = aws.rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input;
    assert.equal(create?.DBInstanceIdentifier, "huntaze-api-prod-db");
    assert.equal(create?.DBSnapshotIdentifier, "huntaze-api-prod-predeploy-20261128-021507");
    assert.deepEqual(
      create?.Tags?.map((t) => t.Key),
      ["huntaze-api:stack", "huntaze-api:reason", "huntaze-api:commit"],
    );
    assert.deepEqual(sleeps, [15_000, 15_000]);
    assert.match(io.outText(), /creating 60 %/);
  });

  it("fails when the snapshot ends in a failed state", async () => {
    const aws = mockedAws();
    aws.rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceStatus: "available" }] });
    aws.rds.on(CreateDBSnapshotCommand).resolves({});
    aws.rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: "failed" }] });
    const result = await backupDatabase(options(aws).opts);
    assert.equal(result.status, "failed");
    assert.match(result.status === "failed" ? result.error : "", /ended in state "failed"/);
  });

  it("gives up after the timeout without starting the deploy", async () => {
    const aws = mockedAws();
    aws.rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceStatus: "available" }] });
    aws.rds.on(CreateDBSnapshotCommand).resolves({});
    aws.rds
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [{ Status: "creating", PercentProgress: 10 }] });
    const result = await backupDatabase({ ...options(aws).opts, timeoutMs: 60_000 });
    assert.equal(result.status, "failed");
    assert.match(
      result.status === "failed" ? result.error : "",
      /still "creating" after 1 min; the deploy was not started/,
    );
  });

  it("refuses to snapshot an instance that is not available", async () => {
    const aws = mockedAws();
    aws.rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceStatus: "modifying" }] });
    const result = await backupDatabase(options(aws).opts);
    assert.match(result.status === "failed" ? result.error : "", /is "modifying", not "available"/);
    assert.equal(aws.rds.commandCalls(CreateDBSnapshotCommand).length, 0);
  });

  it("fails clearly when the output names an instance that does not exist", async () => {
    const aws = mockedAws();
    aws.rds.on(DescribeDBInstancesCommand).rejects(awsError("DBInstanceNotFoundFault"));
    const result = await backupDatabase(options(aws).opts);
    assert.match(
      result.status === "failed" ? result.error : "",
      /no such instance exists .* run `pulumi refresh --stack prod`/,
    );
  });

  it("reports a CreateDBSnapshot error", async () => {
    const aws = mockedAws();
    aws.rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceStatus: "available" }] });
    aws.rds.on(CreateDBSnapshotCommand).rejects(awsError("SnapshotQuotaExceeded", "quota reached"));
    const result = await backupDatabase(options(aws).opts);
    assert.match(
      result.status === "failed" ? result.error : "",
      /CreateDBSnapshot failed: SnapshotQuotaExceeded: quota reached/,
    );
  });
});
