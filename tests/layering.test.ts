// The README's layout table is the dependency rule: each folder of src/ imports only from folders
// above it in that table (folders in one row are peers), and from the generated code. This test
// reads the table and every hand-written source file, so the rule cannot drift from what is written.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { repoPath } from "./support/repo-path.js";

/** Folder → its row in the README's layout table (0 = top). */
function layoutRanks(): Map<string, number> {
  const readme = readFileSync(repoPath("README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Layout"));
  const rows = section.split("\n").filter((line) => line.startsWith("| `src/"));
  const ranks = new Map<string, number>();
  rows.forEach((row, rank) => {
    const cell = row.split("|")[1] ?? "";
    for (const match of cell.matchAll(/`src\/([a-z-]+)\/`/g)) ranks.set(match[1]!, rank);
  });
  return ranks;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "gen" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("the layout table in README.md", () => {
  it("should name every folder of src/", () => {
    const ranks = layoutRanks();
    const folders = readdirSync(repoPath("src"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== "gen")
      .map((entry) => entry.name);
    for (const folder of folders) assert.ok(ranks.has(folder), `src/${folder}/ is missing from README's layout table`);
  });

  it("should be the direction of every import between folders", () => {
    const ranks = layoutRanks();
    const src = repoPath("src");
    const violations: string[] = [];
    let imports = 0;
    for (const file of sourceFiles(src)) {
      const from = relative(src, file).split("/")[0]!;
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/from "\.\.\/([a-z-]+)\//g)) {
        const to = match[1]!;
        if (to === "gen" || to === from) continue;
        imports += 1;
        if ((ranks.get(to) ?? Number.POSITIVE_INFINITY) > (ranks.get(from) ?? Number.NEGATIVE_INFINITY)) {
          violations.push(`${relative(src, file)} imports src/${to}/, which is below src/${from}/ in the table`);
        }
      }
    }
    assert.ok(imports > 50, `imports between folders found: ${imports}`);
    assert.deepEqual(violations, []);
  });
});
