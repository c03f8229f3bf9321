import * as fs from "node:fs";
import * as path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { RDSClient } from "@aws-sdk/client-rds";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { XRayClient } from "@aws-sdk/client-xray";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import type { AwsClients } from "../../tools/deploy/aws";
import type { Io } from "../../tools/deploy/progress";
import type { CommandRunner, RunOptions, RunResult } from "../../tools/deploy/runner";
import { tempDir } from "../support/temp";

export interface Call {
  command: string;
  args: string[];
  options: RunOptions;
}

type Reply = Partial<RunResult> & {
  /** Lines written to the `--event-log` file, as the engine would. */
  events?: unknown[];
};

/**
 * A scripted command runner: the first rule whose prefix matches `command args…` answers.
 * Unscripted commands fail loudly so a test never passes on a call it did not expect.
 */
export class FakeRunner {
  readonly calls: Call[] = [];
  private readonly rules: Array<{ prefix: string; reply: Reply | ((call: Call) => Reply) }> = [];

  on(prefix: string, reply: Reply | ((call: Call) => Reply)): this {
    this.rules.unshift({ prefix, reply });
    return this;
  }

  readonly run: CommandRunner = async (command, args, options = {}) => {
    const call = { command, args, options };
    this.calls.push(call);
    const line = [command, ...args].join(" ");
    const rule = this.rules.find((r) => line.startsWith(r.prefix));
    if (!rule)
      return { code: 127, stdout: "", stderr: `unscripted command: ${line}`, notFound: false };
    const reply = typeof rule.reply === "function" ? rule.reply(call) : rule.reply;
    const logIndex = args.indexOf("--event-log");
    if (logIndex >= 0 && reply.events) {
      fs.writeFileSync(
        args[logIndex + 1] ?? "",
        reply.events.map((e) => JSON.stringify(e)).join("\n"),
      );
    }
    return { code: 0, stdout: "", stderr: "", notFound: false, ...reply };
  };

  lines(): string[] {
    return this.calls.map((c) => [c.command, ...c.args].join(" "));
  }

  ran(prefix: string): boolean {
    return this.lines().some((l) => l.startsWith(prefix));
  }
}

/** The answers of a healthy Pulumi CLI, git and npm for stack `prod`. */
export function healthyRunner(outputs: Record<string, unknown> = {}): FakeRunner {
  return new FakeRunner()
    .on("pulumi version", { stdout: "v3.210.0\n" })
    .on("pulumi whoami --json", {
      stdout: JSON.stringify({
        user: "ops",
        url: "https://app.pulumi.com",
        organizations: ["huntaze"],
      }),
    })
    .on("pulumi stack ls --json", {
      stdout: JSON.stringify([
        { name: "staging", current: false, resourceCount: 40 },
        { name: "prod", current: true, resourceCount: 55, lastUpdate: "2026-11-20T10:00:00Z" },
      ]),
    })
    .on("pulumi stack output --json --stack prod", { stdout: JSON.stringify(outputs) })
    .on("pulumi preview", { events: [{ summaryEvent: {} }] })
    .on("pulumi up", { events: [{ summaryEvent: {} }] })
    .on("git status --porcelain", { stdout: "" })
    .on("git rev-parse --short HEAD", { stdout: "abc1234\n" })
    .on("npm test", { stdout: "56 passing\n" });
}

export function capture(): Io & {
  outText: () => string;
  errText: () => string;
  all: () => string;
} {
  const out: string[] = [];
  const err: string[] = [];
  const all: string[] = [];
  return {
    out: (t) => {
      out.push(t);
      all.push(t);
    },
    err: (t) => {
      err.push(t);
      all.push(t);
    },
    outText: () => out.join("\n"),
    errText: () => err.join("\n"),
    all: () => all.join("\n"),
  };
}

/** A throwaway project directory with a stack file and a policy config. */
export function fakeProject(
  stackConfig: Record<string, unknown> = {
    "aws:region": "us-east-1",
    "huntaze-api:expectedAccountId": "111122223333",
  },
  options: { stack?: string; policyConfig?: boolean } = {},
): string {
  const stack = options.stack ?? "prod";
  const dir = tempDir("huntaze-deploy-test-");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: huntaze-api\nruntime: nodejs\n");
  const lines = Object.entries(stackConfig).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), `config:\n${lines.join("\n")}\n`);
  if (options.policyConfig !== false) {
    fs.mkdirSync(path.join(dir, "policies", "config"), { recursive: true });
    fs.writeFileSync(path.join(dir, "policies", "config", `${stack}.json`), "{}\n");
  }
  return dir;
}

export interface MockedAws {
  clients: AwsClients;
  sts: AwsClientStub<STSClient>;
  rds: AwsClientStub<RDSClient>;
  cloudwatch: AwsClientStub<CloudWatchClient>;
  logs: AwsClientStub<CloudWatchLogsClient>;
  sns: AwsClientStub<SNSClient>;
  xray: AwsClientStub<XRayClient>;
  secrets: AwsClientStub<SecretsManagerClient>;
}

/** Real SDK v3 clients whose `send` is stubbed per instance (no network, no credentials). */
export function mockedAws(region = "us-east-1"): MockedAws {
  const credentials = { accessKeyId: "AKIAFAKE", secretAccessKey: "fake" };
  const clients: AwsClients = {
    region,
    sts: new STSClient({ region, credentials }),
    rds: new RDSClient({ region, credentials }),
    cloudwatch: new CloudWatchClient({ region, credentials }),
    logs: new CloudWatchLogsClient({ region, credentials }),
    sns: new SNSClient({ region, credentials }),
    xray: new XRayClient({ region, credentials }),
    secrets: new SecretsManagerClient({ region, credentials }),
  };
  return {
    clients,
    sts: mockClient(clients.sts),
    rds: mockClient(clients.rds),
    cloudwatch: mockClient(clients.cloudwatch),
    logs: mockClient(clients.logs),
    sns: mockClient(clients.sns),
    xray: mockClient(clients.xray),
    secrets: mockClient(clients.secrets),
  };
}

/** An SDK-style service error (the SDK sets `name` to the error code). */
export function awsError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}
