// Child process of the handlers benchmark: cold `require` of one bundle, then its first request.
// Prints one JSON line: { importMs, firstRequestMs, status }.
const { performance } = require("node:perf_hooks");
const bundle = process.argv[2];
const event = JSON.parse(process.argv[3]);
const context = {
  awsRequestId: "cold-start",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 29000,
};
const t0 = performance.now();
const mod = require(bundle);
const t1 = performance.now();
Promise.resolve(mod.handler(event, context)).then(
  (result) => {
    const t2 = performance.now();
    process.stdout.write(
      `${JSON.stringify({ importMs: t1 - t0, firstRequestMs: t2 - t1, status: result.statusCode })}\n`,
    );
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
