#!/usr/bin/env node
// Runs every tests/**/*.test.ts file with node's built-in test runner (TypeScript through tsx), in
// two phases so each one's time is readable on its own: the unit suites, then the long jobs under
// tests/long/ (the benchmark smoke run, the 10,000-service catalog). Both phases always run; the
// process fails if either does.
//   node scripts/run-tests.mjs [part-of-file-name…]   both phases, narrowed to matching files
//   node scripts/run-tests.mjs --unit […]             the unit suites only
//   node scripts/run-tests.mjs --long […]             the long jobs only
// The spec reporter prints each phase's summary (tests / pass / fail / duration) at its end.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const longDir = `tests${sep}long${sep}`;

/** Lists test files under dir, recursively, in a stable order. */
function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return findTests(path);
      return entry.name.endsWith(".test.ts") ? [relative(root, path)] : [];
    });
}

const args = process.argv.slice(2);
const only = args.includes("--unit") ? "unit" : args.includes("--long") ? "long" : undefined;
const filters = args.filter((arg) => arg !== "--unit" && arg !== "--long");
const files = findTests(join(root, "tests")).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(", ")}`);
  process.exit(1);
}
const phases = [
  { name: "unit suites", files: files.filter((f) => !f.startsWith(longDir)) },
  { name: "long jobs (tests/long/)", files: files.filter((f) => f.startsWith(longDir)) },
].filter((phase) => phase.files.length > 0 && (only === undefined || phase.name.startsWith(only)));

const concurrency = process.env.TEST_CONCURRENCY ?? "2";
let failed = false;
for (const phase of phases) {
  console.log(`\n# ${phase.name}: ${phase.files.length} file(s)`);
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      "--test-reporter=spec",
      `--test-concurrency=${concurrency}`,
      `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? "120000"}`,
      ...phase.files,
    ],
    { cwd: root, stdio: "inherit" },
  );
  console.log(`# ${phase.name}: ${result.status === 0 ? "passed" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
