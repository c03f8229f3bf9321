import * as assert from "node:assert/strict";
import { coldStartNodes, LAMBDA_NODE_MAJOR, majorOf } from "../../tools/bench/cold-start";

describe("the cold-start bench's Node binaries (tools/bench/cold-start.ts)", () => {
  const previous = process.env.BENCH_LAMBDA_NODE;
  afterEach(() => {
    if (previous === undefined) delete process.env.BENCH_LAMBDA_NODE;
    else process.env.BENCH_LAMBDA_NODE = previous;
  });

  it("measures under this Node and under BENCH_LAMBDA_NODE, each with its version", () => {
    process.env.BENCH_LAMBDA_NODE = process.execPath;
    const lines: string[] = [];
    const nodes = coldStartNodes((line) => lines.push(line));
    assert.deepEqual(
      nodes.map((n) => n.version),
      [process.version, process.version],
    );
    assert.deepEqual(lines, [], "nothing fetched when the variable names a Node");
  });

  it("refuses a BENCH_LAMBDA_NODE that does not run, naming the variable and the fix", () => {
    process.env.BENCH_LAMBDA_NODE = "/nonexistent/node";
    assert.throws(
      () => coldStartNodes(() => undefined),
      new RegExp(
        `^Error: BENCH_LAMBDA_NODE=/nonexistent/node does not run: point it at a Node ${LAMBDA_NODE_MAJOR} binary, or unset it`,
      ),
    );
  });

  it("reads a Node version's major", () => {
    assert.equal(majorOf("v22.23.5"), 22);
    assert.equal(majorOf("v20.20.2"), 20);
    assert.equal(majorOf("not a version"), 0);
  });
});
