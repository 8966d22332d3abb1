import { fileURLToPath } from "node:url";

/** The repository root, so deploy tests read the same files `docker compose` would. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** An absolute path for a path relative to the repository root (a leading "./" is fine). */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(relative.replace(/^\.\//, ""), new URL("../../", import.meta.url)));
}
