import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { runProgram } from "../../tools/preview/run-program";
import { loadStackConfig } from "../../tools/preview/stack-config";
import { tempDir } from "../support/temp";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** V8's collector, callable from a test without starting Node with --expose-gc. */
function collector(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

describe("runProgram after the program ran", () => {
  it("keeps none of the program's resource objects alive (the policy stage's collections would trace them)", async () => {
    const dir = tempDir("huntaze-release-");
    const program = path.join(dir, "index.js");
    // The probe holds the resource weakly; nothing the program exports references it.
    fs.writeFileSync(
      program,
      [
        'const aws = require("@pulumi/aws");',
        'const queue = new aws.sqs.Queue("probe", { messageRetentionSeconds: 1209600 });',
        "globalThis.__releaseProbe = new WeakRef(queue);",
      ].join("\n"),
    );
    const run = await runProgram({
      programFile: program,
      stackConfig: loadStackConfig(PROJECT_ROOT, "prod"),
    });
    assert.ok(
      run.resources.some((r) => r.name === "probe"),
      "the program registered its queue",
    );
    const probe = (globalThis as { __releaseProbe?: WeakRef<object> }).__releaseProbe;
    delete (globalThis as { __releaseProbe?: unknown }).__releaseProbe;
    assert.ok(probe, "the program ran in this process");
    await new Promise((resolve) => setImmediate(resolve));
    collector()();
    assert.equal(probe.deref(), undefined, "the queue's resource object is still reachable");
  });
});
