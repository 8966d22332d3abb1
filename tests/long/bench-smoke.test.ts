// Smoke test of the scale benchmark (bench/, issue 7): `npm run bench -- --small` runs every
// scenario end to end and writes its JSON result. It checks that the harness works, not the speed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
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

describe("npm run bench -- --small", () => {
  it("should run every scenario and write a JSON result with numeric figures", { timeout: 170_000 }, async (t) => {
    const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const child = spawn("npm", ["run", "bench", "--", "--small", "--out", out], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
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
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
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
});
