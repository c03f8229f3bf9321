import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ToolError } from "../lib/errors";
import { type CommandRunner, commandLine, tail } from "./runner";

/** How to get the CLI, printed whenever it is missing. */
export const PULUMI_INSTALL_HINT =
  "install it with `curl -fsSL https://get.pulumi.com | sh` (Linux/macOS), `brew install pulumi/tap/pulumi` " +
  "or `winget install pulumi`; see https://www.pulumi.com/docs/iac/download-install/";

/** `pulumi whoami --json` exists from 3.58.0 on; the Automation API uses the same cut-off. */
export const MIN_PULUMI_VERSION = "3.58.0";

export interface StackSummary {
  name: string;
  current?: boolean;
  lastUpdate?: string;
  resourceCount?: number;
  url?: string;
}

export interface WhoAmI {
  user: string;
  url?: string;
  organizations?: string[];
}

/** A policy violation as the engine reports it in `--event-log` (`policyEvent`). */
export interface PolicyViolation {
  policyPackName: string;
  policyName: string;
  enforcementLevel: string;
  resourceUrn?: string;
  message: string;
}

/** The result of `pulumi preview`/`pulumi up` run with `--event-log`. */
export interface EngineRun {
  code: number | null;
  violations: PolicyViolation[];
}

/** Compares dotted versions numerically (`3.100.0` > `3.58.0`). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.replace(/^v/, "").split(/[.-]/).map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return false;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Reads the engine's event log (one JSON event per line) and returns the policy violations.
 * Lines that are not complete JSON (a log cut short by a crash) are ignored.
 */
export function parsePolicyEvents(eventLog: string): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  for (const line of eventLog.split("\n")) {
    if (!line.trim()) continue;
    let event: { policyEvent?: Partial<PolicyViolation> };
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    const p = event.policyEvent;
    if (!p) continue;
    violations.push({
      policyPackName: p.policyPackName ?? "",
      policyName: p.policyName ?? "",
      enforcementLevel: p.enforcementLevel ?? "advisory",
      resourceUrn: p.resourceUrn,
      message: (p.message ?? "").trim(),
    });
  }
  return violations;
}

/** The Pulumi CLI driven as a child process (what the Automation API does too, minus the extra layer). */
export class PulumiCli {
  constructor(
    private readonly run: CommandRunner,
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private async capture(args: string[]): Promise<string> {
    const result = await this.run("pulumi", args, { cwd: this.cwd, env: this.env });
    if (result.notFound)
      throw new ToolError(`Pulumi CLI not found on PATH: ${PULUMI_INSTALL_HINT}`);
    if (result.code !== 0) {
      const why = tail(result.stderr || result.stdout, 5) || `exit code ${result.code}`;
      throw new ToolError(`\`${commandLine("pulumi", args)}\` failed: ${why}`);
    }
    return result.stdout;
  }

  /** `null` when the CLI is not installed. */
  async version(): Promise<string | null> {
    const result = await this.run("pulumi", ["version"], { cwd: this.cwd, env: this.env });
    if (result.notFound) return null;
    if (result.code !== 0)
      throw new ToolError(`\`pulumi version\` failed: ${tail(result.stderr, 3)}`);
    return result.stdout.trim().replace(/^v/, "");
  }

  async whoami(): Promise<WhoAmI> {
    const out = await this.capture(["whoami", "--json"]);
    return JSON.parse(out) as WhoAmI;
  }

  async listStacks(): Promise<StackSummary[]> {
    const out = await this.capture(["stack", "ls", "--json"]);
    return JSON.parse(out) as StackSummary[];
  }

  /** Stack outputs without secrets (`[secret]` placeholders stay as they are). */
  async outputs(stack: string): Promise<Record<string, unknown>> {
    const out = await this.capture(["stack", "output", "--json", "--stack", stack]);
    return (JSON.parse(out.trim() || "{}") ?? {}) as Record<string, unknown>;
  }

  /**
   * Runs `pulumi preview` or `pulumi up` with its output on the terminal, and reads the
   * engine's event log to report policy violations precisely.
   */
  async engine(
    command: "preview" | "up",
    args: string[],
    echo: (line: string) => void,
  ): Promise<EngineRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-deploy-"));
    const eventLog = path.join(dir, "events.jsonl");
    const fullArgs = [command, ...args, "--event-log", eventLog];
    echo(`  $ ${commandLine("pulumi", [command, ...args])}`);
    try {
      const result = await this.run("pulumi", fullArgs, {
        cwd: this.cwd,
        env: this.env,
        stdio: "inherit",
      });
      if (result.notFound)
        throw new ToolError(`Pulumi CLI not found on PATH: ${PULUMI_INSTALL_HINT}`);
      const log = fs.existsSync(eventLog) ? fs.readFileSync(eventLog, "utf8") : "";
      return { code: result.code, violations: parsePolicyEvents(log) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
