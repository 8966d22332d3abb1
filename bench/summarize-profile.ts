// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`) by function: self and total time,
// optionally only within one phase of a bench run (V8's profile clock and the bench's monoMs are
// both CLOCK_MONOTONIC, so the phase windows in the result JSON select the samples).
//   node build/bench/bench/summarize-profile.js <file.cpuprofile> [<bench-result.json> <phase>] [--top N]
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const args = process.argv.slice(2);
const topIndex = args.indexOf("--top");
const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 40;
const [profileFile, resultFile, phase] = args;
if (!profileFile) {
  process.stderr.write("usage: summarize-profile <file.cpuprofile> [<bench-result.json> <phase>] [--top N]\n");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(profileFile, "utf8")) as CpuProfile;
type Window = [number, number];
let windows: Window[] = [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]];
if (resultFile && phase) {
  const phases = (JSON.parse(readFileSync(resultFile, "utf8")) as { setup: { phases: Record<string, Window | Window[]> } }).setup.phases;
  const found = phases[phase];
  if (!found) throw new Error(`no phase ${phase}; phases: ${Object.keys(phases).join(", ")}`);
  windows = typeof found[0] === "number" ? [found as Window] : (found as Window[]);
}
const inWindow = (ms: number) => windows.some(([start, end]) => ms >= start && ms <= end);

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const key = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, "$1/");
  return `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
};
const self = new Map<string, number>();
const total = new Map<string, number>();
let time = profile.startTime;
let counted = 0;
for (let i = 0; i < profile.samples.length; i++) {
  time += profile.timeDeltas[i]!;
  const ms = time / 1000;
  if (!inWindow(ms)) continue;
  const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
  counted += delta;
  let node = byId.get(profile.samples[i]!);
  if (!node) continue;
  self.set(key(node), (self.get(key(node)) ?? 0) + delta);
  const seen = new Set<string>();
  while (node) {
    const k = key(node);
    if (!seen.has(k)) {
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + delta);
    }
    const up = parent.get(node.id);
    node = up === undefined ? undefined : byId.get(up);
  }
}
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title} (of ${counted.toFixed(0)} ms sampled)\n`);
  for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / counted).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
print("self time", self);
print("total time", total);
