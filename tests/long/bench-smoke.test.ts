// Smoke test of the scale benchmark (bench/, issue 7): `npm run bench -- --small` runs every
// scenario end to end and writes its JSON result; a tiny `--sweep` draws the cost curves (issue 13).
// It checks that the harness works, not the speed. The runs go one after the other (one file), as
// each compiles the bench into the same build/ folder.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Row {
  readonly scenario: number;
  readonly metric: string;
  readonly summary: { readonly count: number; readonly median: number; readonly p99: number };
}

/** Runs `npm run bench -- <args>`; resolves with the exit code and everything it printed. */
async function bench(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn("npm", ["run", "bench", "--", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

describe("npm run bench -- --small", () => {
  it("should run every scenario and write a JSON result with numeric figures", { timeout: 170_000 }, async (t) => {
    const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const { code, output } = await bench(["--small", "--out", out]);
    assert.equal(code, 0, output.slice(-3_000));
    assert.match(output, /scenario\s+metric\s+n\s+median\s+p99\s+target\s+met\?/, "prints the table");
    const files = readdirSync(out).filter((f) => f.startsWith("bench-") && f.endsWith(".json"));
    assert.equal(files.length, 1, `one JSON result in ${out}: ${files.join(", ")}`);
    const result = JSON.parse(readFileSync(join(out, files[0]!), "utf8")) as {
      environment: { cores: number; node: string };
      options: { services: number; clients: number };
      scenarios: Array<{ id: number; rows: Row[] }>;
    };
    assert.ok(result.environment.cores >= 1 && result.environment.node.startsWith("v"));
    assert.deepEqual(
      result.scenarios.map((s) => s.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      "every scenario is present",
    );
    for (const scenario of result.scenarios) {
      assert.ok(scenario.rows.length > 0, `scenario ${scenario.id} has figures`);
      for (const row of scenario.rows) {
        assert.ok(row.summary.count > 0, `${row.scenario} ${row.metric}: samples`);
        assert.ok(
          Number.isFinite(row.summary.median) && Number.isFinite(row.summary.p99),
          `${row.scenario} ${row.metric}: numeric median and p99`,
        );
      }
    }
  });

  it("should, with --sweep, write the curves' tables, SVG charts and JSON, and copy the charts where told", {
    timeout: 170_000,
  }, async (t) => {
    const out = mkdtempSync(join(tmpdir(), "bench-sweep-"));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const images = join(out, "images");
    // Three points: two fan-out sizes (the first shared with the memory curve) and one Consul size.
    const sizes = ["--sweep-streams", "10,20", "--sweep-endpoints", "400", "--sweep-checks", "800", "--services", "100", "--clients", "10"];
    const { code, output } = await bench(["--sweep", "--small", "--runs", "2", ...sizes, "--images", images, "--out", out]);
    assert.equal(code, 0, output.slice(-3_000));
    for (const heading of ["### Fan-out", "### Memory: bridge process by endpoints", "### Consul", "### Set-up of each point"])
      assert.ok(output.includes(heading), `prints ${heading}`);
    const json = readdirSync(out).filter((f) => f.startsWith("sweep-") && f.endsWith(".json"));
    assert.equal(json.length, 1, `one JSON result in ${out}`);
    const result = JSON.parse(readFileSync(join(out, json[0]!), "utf8")) as {
      kind: string;
      points: Array<{
        endpoints: number;
        streams: number;
        curves: string[];
        memory: { rssIdle: { median: number }; heapAfterGc: { median: number } };
        flaps?: { cpuMs: { median: number }; consulBytes: { median: number }; missing: number };
        raw?: { ratio: { median: number } };
        unfilteredFeedBytes?: number;
      }>;
    };
    assert.equal(result.kind, "sweep");
    assert.deepEqual(
      result.points.map((p) => [p.endpoints, p.streams, p.curves.join("+")]),
      [
        [400, 10, "fanout+memory"],
        [400, 20, "fanout"],
        [800, 10, "consul"],
      ],
    );
    for (const p of result.points) {
      assert.ok(p.memory.rssIdle.median > 0 && p.memory.heapAfterGc.median > 0, `${p.endpoints}/${p.streams}: memory figures`);
      if (p.curves.includes("fanout")) {
        assert.ok(p.flaps && p.flaps.cpuMs.median > 0 && p.flaps.missing === 0, `${p.endpoints}/${p.streams}: fan-out figures`);
        assert.ok(p.raw && Number.isFinite(p.raw.ratio.median), `${p.endpoints}/${p.streams}: raw baseline`);
      }
    }
    const consul = result.points.find((p) => p.curves.includes("consul"))!;
    assert.ok(consul.flaps && consul.flaps.consulBytes.median > 0, "bytes Consul served per flap");
    assert.ok(consul.unfilteredFeedBytes! > consul.flaps.consulBytes.median, "the unfiltered feed answer is larger than a flap costs now");
    const charts = [
      "sweep-fanout-cpu.svg",
      "sweep-fanout-latency.svg",
      "sweep-memory-streams.svg",
      "sweep-memory-endpoints.svg",
      "sweep-consul-bytes.svg",
    ];
    const chartDir = join(out, json[0]!.slice(0, -".json".length));
    for (const chart of charts) {
      const svg = readFileSync(join(chartDir, chart), "utf8");
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/, `${chart} is an SVG document`);
      assert.ok((svg.match(/<circle /g) ?? []).length >= 1, `${chart} has measured points`);
      assert.ok(existsSync(join(images, chart)), `${chart} copied to --images`);
    }
  });
});
