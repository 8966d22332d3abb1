// Re-renders a sweep's tables and charts from its JSON, without measuring again (after a change to
// the charts, or to copy a quiet machine's charts into docs/images):
//   node build/bench/bench/render-sweep.js bench/results/sweep-<date>.json [--images docs/images]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { writeSweepOutputs } from "./sweep.js";
import type { SweepContext, SweepPoint } from "./sweep-plan.js";

const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { images: { type: "string" } } });
const file = positionals[0];
if (!file?.endsWith(".json") || positionals.length !== 1) {
  process.stderr.write("usage: node build/bench/bench/render-sweep.js <sweep-….json> [--images DIR]\n");
  process.exit(2);
}
const sweep = JSON.parse(readFileSync(file, "utf8")) as { kind?: string; context: SweepContext; points: SweepPoint[] };
if (sweep.kind !== "sweep") {
  process.stderr.write(`${file} is not the JSON of a sweep (npm run bench -- --sweep)\n`);
  process.exit(2);
}
writeSweepOutputs(sweep.points, sweep.context, file.slice(0, -".json".length), values.images);
