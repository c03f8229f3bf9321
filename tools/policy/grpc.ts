import { type ChildProcess, spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type {
  AnalyzeResponse,
  AnalyzerInfo,
  AnalyzerStackConfigureRequest,
  ConfigureAnalyzerRequest,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import type { AnalyzerTransport } from "./analyzer";

/**
 * The policy pack as the Pulumi CLI runs it: `pulumi-analyzer-policy` resolves
 * `@pulumi/pulumi/cmd/run-policy-pack` from the pack directory and runs it with node, cwd the
 * pack directory, arguments `<engine address> .`. The runtime registers ts-node (type-checked,
 * the pack's tsconfig.json), requires the pack's `main`, and `new PolicyPack` prints the port of
 * its gRPC Analyzer server on stdout.
 */
export interface ServedPack {
  address: string;
  process: ChildProcess;
  stop(): void;
}

export function servePolicyPack(packDir: string, timeoutMs = 120_000): Promise<ServedPack> {
  const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  // The engine address is only used to report errors back; nothing listens in this test setup.
  const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", "."], {
    cwd: packDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PULUMI_NODEJS_PROJECT: "huntaze-api" },
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`policy pack did not print its port within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /^(\d+)\s*$/m.exec(stdout)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ address: `127.0.0.1:${port}`, process: child, stop });
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited with code ${code} before serving\n${stderr}${stdout}`));
    });
  });
}

function unary<Req, Resp>(
  fn: (req: Req, cb: (err: grpc.ServiceError | null, resp: Resp) => void) => unknown,
  req: Req,
): Promise<Resp> {
  return new Promise((resolve, reject) => {
    fn(req, (err, resp) => (err ? reject(new Error(err.details || err.message)) : resolve(resp)));
  });
}

/** An Analyzer gRPC client over loopback, with the same interface as the in-process analyzer. */
export function connectAnalyzer(address: string): AnalyzerTransport {
  const client = new AnalyzerClient(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
  });
  return {
    getAnalyzerInfo: () =>
      unary<Empty, AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty()),
    configureStack: async (req) => {
      await unary<AnalyzerStackConfigureRequest, unknown>(client.configureStack.bind(client), req);
    },
    configure: async (req) => {
      await unary<ConfigureAnalyzerRequest, unknown>(client.configure.bind(client), req);
    },
    analyze: (req) => unary(client.analyze.bind(client), req) as Promise<AnalyzeResponse>,
    analyzeStack: (req) => unary(client.analyzeStack.bind(client), req) as Promise<AnalyzeResponse>,
    close: () => client.close(),
  };
}
