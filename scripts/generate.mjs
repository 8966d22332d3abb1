#!/usr/bin/env node
import { execFileSync } from "node:child_process";
// Generates TypeScript for every proto the bridge uses into src/gen/ (see buf.gen.yaml).
//
// Envoy's protos are not committed: they come from the exact-pinned @grpc/grpc-js-xds package
// (deps/envoy-api, deps/xds, deps/googleapis, deps/protoc-gen-validate). They are copied into
// build/protos/ and fixed up there, because that package's protoc-gen-validate predates its envoy-api:
// envoy/config/core/v3/protocol.proto uses the newer `ignore_empty` string rule, which the bundled
// validate.proto does not define. It is the only incompatibility in the files we generate, so it is
// stripped here (two HTTP header-name fields of protocol options the bridge never sets) and nowhere
// else. The step is skipped when its inputs have not changed since the last run.
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const xdsPackageDir = dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
const xdsPackageVersion = JSON.parse(readFileSync(join(xdsPackageDir, "package.json"), "utf8")).version;
const protoFolders = ["envoy-api", "xds", "googleapis", "protoc-gen-validate"];
const buildDir = join(root, "build", "protos");
const outDir = join(root, "src", "gen");
const stampFile = join(outDir, ".inputs-hash");

/** Lists every file under dir, recursively, in a stable order. */
function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path) : [path];
    });
}

function inputsHash() {
  const hash = createHash("sha256");
  hash.update(`@grpc/grpc-js-xds@${xdsPackageVersion}\n`);
  const protocGenEs = require("@bufbuild/protoc-gen-es/package.json").version;
  hash.update(`@bufbuild/protoc-gen-es@${protocGenEs}\n`);
  for (const file of ["buf.yaml", "buf.gen.yaml", "scripts/generate.mjs", ...listFiles(join(root, "proto"))]) {
    const path = file.startsWith(root) ? file : join(root, file);
    hash.update(path.slice(root.length)).update(readFileSync(path));
  }
  return hash.digest("hex");
}

const wanted = inputsHash();
if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === wanted) {
  console.log("generate: src/gen is up to date");
  process.exit(0);
}

rmSync(buildDir, { recursive: true, force: true });
for (const folder of protoFolders) {
  cpSync(join(xdsPackageDir, "deps", folder), join(buildDir, folder), { recursive: true });
}
const protocolProto = join(buildDir, "envoy-api", "envoy", "config", "core", "v3", "protocol.proto");
const original = readFileSync(protocolProto, "utf8");
const stripped = original.replaceAll(" ignore_empty: true", "");
if (stripped === original) {
  throw new Error(`expected an ignore_empty rule to strip in ${protocolProto}; has @grpc/grpc-js-xds changed?`);
}
writeFileSync(protocolProto, stripped);

const started = Date.now();
const binDir = join(root, "node_modules", ".bin");
try {
  execFileSync(require.resolve("@bufbuild/buf/bin/buf"), ["generate"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ""}` },
  });
} catch {
  console.error("generate: buf generate failed (its output is above)");
  process.exit(1);
}
writeFileSync(stampFile, wanted);
const count = listFiles(outDir).filter((f) => f.endsWith(".ts")).length;
console.log(`generate: ${count} files in src/gen from @grpc/grpc-js-xds@${xdsPackageVersion} in ${Date.now() - started} ms`);
