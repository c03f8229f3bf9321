// Preloaded (`node --require tools/bench/peak-memory.js …`) by benchmarks that report a process's
// peak memory: at exit, writes the peak resident set size in bytes to $PEAK_MEMORY_FILE.
// `process.resourceUsage().maxRSS` is the kernel's high-water mark (getrusage), so the peak is
// exact however briefly it lasted, without polling from outside.
const fs = require("node:fs");

const file = process.env.PEAK_MEMORY_FILE;
if (file) {
  process.on("exit", () => {
    fs.writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
  });
}
