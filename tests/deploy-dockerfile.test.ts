// The Dockerfile and .dockerignore, checked as text (no Docker engine here): what each stage
// installs, copies and runs, and that the runtime stage's production dependencies cover every
// package the built CLI imports.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { type DockerStage, instructionsOf, parseDockerfile, stageNamed } from "./support/dockerfile-stages.js";
import { packagesImportedFrom } from "./support/package-imports.js";
import { repoPath } from "./support/repo-path.js";

// Read in `before`, not at module scope: a missing or broken file fails the tests with its message.
let stages!: DockerStage[];
let ignored!: string[];
before(() => {
  stages = parseDockerfile(readFileSync(repoPath("Dockerfile"), "utf8"));
  ignored = readFileSync(repoPath(".dockerignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
});

/** The RUN commands of a stage, joined. */
function runs(stage: DockerStage): string {
  return instructionsOf(stage, "RUN")
    .map((run) => run.text)
    .join("\n");
}

/** Whether .dockerignore keeps `path` out of the build context (plain paths and "**\/*.ext" patterns). */
function isIgnored(path: string): boolean {
  const clean = path.replace(/^\.\//, "").replace(/\/$/, "");
  return ignored.some((pattern) => {
    if (pattern.startsWith("!")) return false;
    if (pattern.startsWith("**/*.")) return clean.endsWith(pattern.slice(4));
    const base = pattern.replace(/\/$/, "");
    if (base.includes("*")) return new RegExp(`^${base.replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`).test(clean);
    return clean === base || clean.startsWith(`${base}/`);
  });
}

/** The non-root user a stage switches to last, or undefined. */
function lastUser(stage: DockerStage): string | undefined {
  return instructionsOf(stage, "USER").at(-1)?.text;
}

describe("Dockerfile", () => {
  it("should build in a stage of its own: npm ci with dev dependencies, then npm run build", () => {
    const build = stageNamed(stages, "build");
    assert.equal(build.base, "node:20-bookworm-slim");
    assert.match(runs(build), /\bnpm ci\b(?![^\n]*--omit=dev)/);
    assert.match(runs(build), /\bnpm run build\b/);
  });

  it("should make the runtime stage the default: production dependencies, dist/ only, a non-root user, the CLI as entrypoint", () => {
    const runtime = stageNamed(stages, "runtime");
    assert.equal(stages.at(-1), runtime, "the last stage, so a plain `docker build` makes it");
    assert.equal(runtime.base, "node:20-bookworm-slim", "starts afresh, not from the build stage");
    assert.match(runs(runtime), /\bnpm ci\b[^\n]*--omit=dev/);
    const copies = instructionsOf(runtime, "COPY").map((copy) => copy.text);
    assert.deepEqual(
      copies.filter((copy) => copy.startsWith("--from=")),
      ["--from=build /app/dist/ dist/"],
      "only dist/ comes from the build stage",
    );
    assert.deepEqual(
      copies.filter((copy) => !copy.startsWith("--from=")),
      ["package.json package-lock.json ./"],
      "and the package files from the context",
    );
    const user = lastUser(runtime);
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (USER ${user})`);
    assert.deepEqual(instructionsOf(runtime, "ENTRYPOINT").at(-1)?.exec, ["node", "dist/cli/main.js"]);
    assert.deepEqual(instructionsOf(runtime, "CMD").at(-1)?.exec, ["serve"]);
  });

  it("should run the proxyless example from a stage that keeps the dev dependencies", () => {
    const example = stageNamed(stages, "example");
    assert.equal(example.base, "build", "built on the build stage (npm ci without --omit=dev, generated code)");
    assert.ok(instructionsOf(example, "COPY").some((copy) => copy.text.startsWith("examples/")));
    const user = lastUser(example);
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (USER ${user})`);
    const entrypoint = instructionsOf(example, "ENTRYPOINT").at(-1)?.exec ?? [];
    assert.ok(entrypoint.includes("tsx") && entrypoint.includes("examples/greeter-client.ts"), entrypoint.join(" "));
  });

  it("should copy only what exists and what .dockerignore lets into the context", () => {
    for (const stage of stages) {
      for (const copy of instructionsOf(stage, "COPY")) {
        if (copy.text.startsWith("--from=")) continue;
        const sources = copy.text.split(/\s+/).slice(0, -1);
        for (const source of sources) {
          assert.ok(existsSync(repoPath(source)), `${source} exists`);
          assert.ok(!isIgnored(source), `${source} is not excluded by .dockerignore`);
        }
      }
    }
    for (const local of ["node_modules", "dist", "src/gen", "build", ".git"]) {
      assert.ok(isIgnored(local), `.dockerignore keeps the checkout's ${local} out of the build`);
    }
  });

  it("should have every package the built CLI imports among the production dependencies (npm ci --omit=dev)", () => {
    const entry = repoPath("dist/cli/main.js");
    assert.ok(existsSync(entry), "dist/ is built (npm run build)");
    const manifest = JSON.parse(readFileSync(repoPath("package.json"), "utf8")) as { dependencies?: Record<string, string> };
    const production = new Set(Object.keys(manifest.dependencies ?? {}));
    const missing = packagesImportedFrom(entry).filter((imported) => !production.has(imported.name));
    assert.deepEqual(
      missing.map((imported) => `${imported.name} (imported by ${imported.importedBy.slice(repoPath("").length)})`),
      [],
      "the runtime image would fail with ERR_MODULE_NOT_FOUND: move these to dependencies, or import them lazily where optional",
    );
  });
});
