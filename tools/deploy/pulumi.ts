import type {
  EngineEvent,
  LocalWorkspace,
  PulumiCommand,
  StackSummary,
  WhoAmIResult,
} from "@pulumi/pulumi/automation";
import { ToolError } from "../lib/errors";
import { tail } from "./runner";

/** How to get the CLI, printed whenever it is missing. */
export const PULUMI_INSTALL_HINT =
  "install it with `curl -fsSL https://get.pulumi.com | sh` (Linux/macOS), `brew install pulumi/tap/pulumi` " +
  "or `winget install pulumi`; see https://www.pulumi.com/docs/iac/download-install/";

/** `pulumi whoami --json` exists from 3.58.0 on; the Automation API uses the same cut-off. */
export const MIN_PULUMI_VERSION = "3.58.0";

/** The policy pack, relative to the project root (the Automation API's working directory). */
export const POLICY_PACK = "policies";

export type { StackSummary, WhoAmIResult as WhoAmI };

/** A policy violation as the engine reports it (`policyEvent`). */
export interface PolicyViolation {
  policyPackName: string;
  policyName: string;
  enforcementLevel: string;
  resourceUrn?: string;
  message: string;
}

/** The result of a preview or an update: its exit code and the policy events it reported. */
export interface EngineRun {
  code: number | null;
  violations: PolicyViolation[];
}

/** What preview and up run with: the stack and the policy pack's config for it. */
export interface EngineTarget {
  stack: string;
  /** Project-relative path of the pack's config (`--policy-pack-config`). */
  policyConfig: string;
}

/** The Pulumi operations the deploy uses; the Automation API in production, a fake in tests. */
export interface Pulumi {
  /** The CLI's version; `null` when the `pulumi` binary is not installed. */
  version(): Promise<string | null>;
  whoami(): Promise<WhoAmIResult>;
  listStacks(): Promise<StackSummary[]>;
  /** Stack outputs, secrets replaced by `[secret]`. */
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** Preview or update with the policy pack; output goes to `echo`, policy events are kept. */
  engine(
    command: "preview" | "up",
    target: EngineTarget,
    echo: (line: string) => void,
  ): Promise<EngineRun>;
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

/** The policy violation an engine event carries, if it is a `policyEvent`. */
export function policyViolation(event: EngineEvent): PolicyViolation | undefined {
  const p = event.policyEvent;
  if (!p) return undefined;
  return {
    policyPackName: p.policyPackName ?? "",
    policyName: p.policyName ?? "",
    enforcementLevel: p.enforcementLevel ?? "advisory",
    resourceUrn: p.resourceUrn,
    message: (p.message ?? "").trim(),
  };
}

/**
 * Collects the policy violations of a run from its typed engine events (the `onEvent`
 * callback of preview and up).
 */
export function policyEventCollector(): {
  onEvent: (event: EngineEvent) => void;
  violations: PolicyViolation[];
} {
  const violations: PolicyViolation[] = [];
  return {
    violations,
    onEvent: (event) => {
      const violation = policyViolation(event);
      if (violation) violations.push(violation);
    },
  };
}

type Automation = typeof import("@pulumi/pulumi/automation");

/** What a failed Pulumi command left: exit code and stderr (CommandError keeps them private). */
function commandFailure(err: unknown): { code: number | null; why: string } | undefined {
  const result = (err as { commandResult?: { code?: number; stderr?: string; stdout?: string } })
    .commandResult;
  if (!result) return undefined;
  return {
    code: result.code ?? null,
    why: tail(result.stderr || result.stdout || "", 5) || `exit code ${result.code}`,
  };
}

/**
 * Pulumi through its Automation API: a LocalWorkspace over this project (Pulumi.yaml at the
 * root), the `pulumi` binary found on PATH. The API loads on first use, so `--help` and the
 * missing-CLI pre-check answer without it.
 */
export class AutomationPulumi implements Pulumi {
  private command?: PulumiCommand;
  private ws?: LocalWorkspace;

  constructor(
    private readonly workDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private api(): Automation {
    return require("@pulumi/pulumi/automation") as Automation;
  }

  async version(): Promise<string | null> {
    try {
      // Our own minimum is checked by the pre-check, with the install hint.
      this.command = await this.api().PulumiCommand.get({ skipVersionCheck: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || /ENOENT/.test(String(err))) {
        return null;
      }
      throw new ToolError(`\`pulumi version\` failed: ${tail(String(err), 3)}`);
    }
    return this.command.version?.toString() ?? null;
  }

  private async workspace(): Promise<LocalWorkspace> {
    if (this.ws) return this.ws;
    if (!this.command && (await this.version()) === null) {
      throw new ToolError(`Pulumi CLI not found on PATH: ${PULUMI_INSTALL_HINT}`);
    }
    const envVars = Object.fromEntries(
      Object.entries(this.env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    this.ws = await this.api().LocalWorkspace.create({
      workDir: this.workDir,
      pulumiCommand: this.command,
      envVars,
    });
    return this.ws;
  }

  /** Runs one Automation API call; a failed `pulumi` command becomes a ToolError naming it. */
  private async call<T>(what: string, run: (ws: LocalWorkspace) => Promise<T>): Promise<T> {
    const ws = await this.workspace();
    try {
      return await run(ws);
    } catch (err) {
      const failure = commandFailure(err);
      if (!failure) throw err;
      throw new ToolError(`\`pulumi ${what}\` failed: ${failure.why}`);
    }
  }

  whoami(): Promise<WhoAmIResult> {
    return this.call("whoami", (ws) => ws.whoAmI());
  }

  listStacks(): Promise<StackSummary[]> {
    return this.call("stack ls", (ws) => ws.listStacks());
  }

  outputs(stack: string): Promise<Record<string, unknown>> {
    return this.call(`stack output --stack ${stack}`, async (ws) => {
      const outputs = await ws.stackOutputs(stack);
      return Object.fromEntries(
        Object.entries(outputs).map(([key, o]) => [key, o.secret ? "[secret]" : o.value]),
      );
    });
  }

  async engine(
    command: "preview" | "up",
    target: EngineTarget,
    echo: (line: string) => void,
  ): Promise<EngineRun> {
    const ws = await this.workspace();
    const stack = await this.call(`stack select ${target.stack}`, () =>
      this.api().Stack.select(target.stack, ws),
    );
    const events = policyEventCollector();
    // Output arrives in chunks that may end mid-line: echo whole lines only.
    let pending = "";
    const options = {
      policyPacks: [POLICY_PACK],
      policyPackConfigs: [target.policyConfig],
      onOutput: (text: string) => {
        const lines = (pending + text).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) echo(line);
      },
      onEvent: events.onEvent,
    };
    echo(
      `  $ pulumi ${command} --stack ${target.stack} --policy-pack ${POLICY_PACK} --policy-pack-config ${target.policyConfig}`,
    );
    try {
      if (command === "preview") await stack.preview(options);
      else await stack.up(options);
      return { code: 0, violations: events.violations };
    } catch (err) {
      const failure = commandFailure(err);
      if (!failure) throw err;
      return { code: failure.code, violations: events.violations };
    } finally {
      if (pending) echo(pending);
    }
  }
}
