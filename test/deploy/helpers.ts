import * as fs from "node:fs";
import * as path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { RDSClient } from "@aws-sdk/client-rds";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { XRayClient } from "@aws-sdk/client-xray";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import type { AwsClients } from "../../tools/deploy/aws";
import type { Io } from "../../tools/deploy/progress";
import { PULUMI_INSTALL_HINT, type Pulumi, policyEventCollector } from "../../tools/deploy/pulumi";
import type { CommandRunner, RunOptions, RunResult } from "../../tools/deploy/runner";
import { ToolError } from "../../tools/lib/errors";
import { tempDir } from "../support/temp";

export interface Call {
  command: string;
  args: string[];
  options: RunOptions;
}

type Reply = Partial<RunResult> & {
  /** Engine events a `pulumi preview`/`pulumi up` reply delivers to `onEvent`. */
  events?: EngineEvent[];
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

  /** Records the call and answers it, engine events included. */
  async reply(
    command: string,
    args: string[],
    options: RunOptions = {},
  ): Promise<RunResult & Reply> {
    const call = { command, args, options };
    this.calls.push(call);
    const line = [command, ...args].join(" ");
    const rule = this.rules.find((r) => line.startsWith(r.prefix));
    if (!rule)
      return { code: 127, stdout: "", stderr: `unscripted command: ${line}`, notFound: false };
    const reply = typeof rule.reply === "function" ? rule.reply(call) : rule.reply;
    return { code: 0, stdout: "", stderr: "", notFound: false, ...reply };
  }

  readonly run: CommandRunner = (command, args, options = {}) => this.reply(command, args, options);

  lines(): string[] {
    return this.calls.map((c) => [c.command, ...c.args].join(" "));
  }

  ran(prefix: string): boolean {
    return this.lines().some((l) => l.startsWith(prefix));
  }
}

let sequence = 0;

/** A typed engine event, numbered as the engine numbers them. */
export function engineEvent(event: Omit<EngineEvent, "sequence" | "timestamp">): EngineEvent {
  sequence += 1;
  return { sequence, timestamp: Math.floor(Date.now() / 1000), ...event };
}

/** The summary the engine sends last, here for a run that changed nothing. */
export function summaryEvent(): EngineEvent {
  return engineEvent({
    summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: {}, policyPacks: {} },
  });
}

/** A policy violation event from this project's pack. */
export function policyEvent(
  policyName: string,
  enforcementLevel: "mandatory" | "warning",
  message: string,
  resourceUrn?: string,
): EngineEvent {
  return engineEvent({
    policyEvent: {
      policyName,
      enforcementLevel,
      message,
      resourceUrn,
      color: "never",
      policyPackName: "huntaze-api",
      policyPackVersion: "0.1.0",
      policyPackVersionTag: "0.1.0",
    },
  });
}

/**
 * Pulumi as the deploy sees it (the Automation API's operations), answered by a FakeRunner
 * script keyed by the equivalent CLI command line. Engine events reach the deploy through the
 * same collector the Automation API's `onEvent` feeds.
 */
export function fakePulumi(runner: FakeRunner): Pulumi {
  const capture = async (args: string[]): Promise<string> => {
    const result = await runner.run("pulumi", args);
    if (result.notFound)
      throw new ToolError(`Pulumi CLI not found on PATH: ${PULUMI_INSTALL_HINT}`);
    if (result.code !== 0) {
      throw new ToolError(`\`pulumi ${args.join(" ")}\` failed: ${result.stderr || result.stdout}`);
    }
    return result.stdout;
  };
  return {
    async version() {
      const result = await runner.run("pulumi", ["version"]);
      if (result.notFound) return null;
      if (result.code !== 0) throw new ToolError(`\`pulumi version\` failed: ${result.stderr}`);
      return result.stdout.trim().replace(/^v/, "");
    },
    whoami: async () => JSON.parse(await capture(["whoami", "--json"])),
    listStacks: async () => JSON.parse(await capture(["stack", "ls", "--json"])),
    outputs: async (stack) =>
      JSON.parse((await capture(["stack", "output", "--json", "--stack", stack])) || "{}"),
    async engine(command, target) {
      const args = [
        command,
        "--stack",
        target.stack,
        "--policy-pack",
        "policies",
        "--policy-pack-config",
        target.policyConfig,
      ];
      const result = await runner.reply("pulumi", args);
      if (result.notFound)
        throw new ToolError(`Pulumi CLI not found on PATH: ${PULUMI_INSTALL_HINT}`);
      const collector = policyEventCollector();
      for (const event of result.events ?? []) collector.onEvent(event);
      return { code: result.code, violations: collector.violations };
    },
  };
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
    .on("pulumi preview", { events: [summaryEvent()] })
    .on("pulumi up", { events: [summaryEvent()] })
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
