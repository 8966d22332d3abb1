import { readFileSync } from "node:fs";

/** Which build is running, for the `build_info` metric and the status page. */
export interface BuildInfo {
  /** The package version (package.json). */
  readonly version: string;
  /** `process.version`, e.g. "v20.19.0". */
  readonly nodeVersion: string;
  /** The git commit the build was made from, when recorded; else undefined. */
  readonly commit: string | undefined;
}

/** Options of {@link readBuildInfo} (tests point them elsewhere). */
export interface BuildInfoSources {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The file `npm run build` writes; default dist/build-info.json of this package. */
  recordedFile?: URL;
}

const packageRoot = new URL("../../", import.meta.url);

/**
 * Reads the running build's facts: the version from package.json, the commit from
 * dist/build-info.json (written by `npm run build` in a git checkout) or else the
 * CONSUL_XDS_BRIDGE_COMMIT environment variable (for images built without .git).
 */
export function readBuildInfo(sources: BuildInfoSources = {}): BuildInfo {
  const env = sources.env ?? process.env;
  const version = (readJson(new URL("package.json", packageRoot)) as { version?: string } | undefined)?.version ?? "unknown";
  const recorded = (readJson(sources.recordedFile ?? new URL("dist/build-info.json", packageRoot)) as { commit?: unknown } | undefined)
    ?.commit;
  const commit =
    typeof recorded === "string" && /^[0-9a-f]{7,40}$/.test(recorded) ? recorded : env.CONSUL_XDS_BRIDGE_COMMIT?.trim() || undefined;
  return { version, nodeVersion: process.version, commit };
}

function readJson(url: URL): unknown {
  try {
    return JSON.parse(readFileSync(url, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}
