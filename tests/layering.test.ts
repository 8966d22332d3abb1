import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { repoPath } from "./support/repo-path.js";

/** The README's layout table: each row's src folders, top row first. */
function layoutRows(): string[][] {
  const readme = readFileSync(repoPath("README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Layout"), readme.indexOf("\n## ", readme.indexOf("## Layout") + 1));
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `src/"))
    .map((line) => [...(line.split("|")[1] ?? "").matchAll(/`src\/([a-z-]+)\/`/g)].map((m) => m[1]!));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "gen" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("README layout table", () => {
  const rows = layoutRows();
  const rank = new Map(rows.flatMap((folders, i) => folders.map((folder) => [folder, i] as const)));
  const src = repoPath("src");

  it("should place every src folder", () => {
    const folders = readdirSync(src, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== "gen")
      .map((entry) => entry.name);
    assert.ok(rows.length > 5, "the layout table was found");
    assert.deepEqual(
      folders.filter((folder) => !rank.has(folder)),
      [],
    );
  });

  it("should hold for every import: a folder imports only from its row or the rows above", () => {
    const upward: string[] = [];
    for (const file of sourceFiles(src)) {
      const folder = relative(src, file).split("/")[0]!;
      const own = rank.get(folder);
      if (own === undefined) continue;
      for (const match of readFileSync(file, "utf8").matchAll(/from "\.\.\/([a-z-]+)\//g)) {
        const imported = match[1]!;
        if (imported === "gen" || imported === folder) continue;
        const theirs = rank.get(imported);
        if (theirs === undefined || theirs > own) upward.push(`${relative(src, file)} imports ${imported}`);
      }
    }
    assert.deepEqual(upward, []);
  });
});
