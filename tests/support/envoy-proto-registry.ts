import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { repoPath, repoRoot } from "./repo-path.js";

/**
 * Builds descriptors for Envoy proto files that src/gen does not generate (e.g. the TLS transport
 * socket's UpstreamTlsContext), with the pinned buf, from build/protos/ — the copy of
 * @grpc/grpc-js-xds's protos that `npm run generate` prepares. `files` are paths inside envoy-api,
 * such as "envoy/extensions/transport_sockets/tls/v3/tls.proto"; their imports come along.
 */
export function envoyProtoRegistry(files: readonly string[]): FileRegistry {
  const moduleDir = repoPath("build/protos/envoy-api");
  if (!existsSync(moduleDir)) throw new Error(`${moduleDir} is missing: run \`npm run build\` (its generate step prepares it)`);
  const buf = createRequire(repoPath("package.json")).resolve("@bufbuild/buf/bin/buf");
  const image = execFileSync(
    buf,
    ["build", "build/protos/envoy-api", ...files.flatMap((file) => ["--path", `build/protos/envoy-api/${file}`]), "-o", "-#format=binpb"],
    { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024 },
  );
  // A buf image is a FileDescriptorSet on the wire (plus buf's own fields, kept as unknown fields).
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, image));
}
