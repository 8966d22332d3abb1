#!/usr/bin/env node
// The build's last step, after tsc: copies the status page's static files (src/admin/ui) into
// dist/, where the admin server reads them, and records the git commit being built in
// dist/build-info.json for the build_info metric (nothing is recorded outside a git checkout).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const assets = join(root, "src/admin/ui");
const dist = join(root, "dist");
mkdirSync(dist, { recursive: true });
if (existsSync(assets)) {
  cpSync(assets, join(dist, "admin/ui"), { recursive: true, filter: (path) => !path.endsWith(".ts") });
}

let commit;
try {
  commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
} catch {
  commit = undefined;
}
writeFileSync(join(dist, "build-info.json"), `${JSON.stringify({ commit: commit || null })}\n`);
