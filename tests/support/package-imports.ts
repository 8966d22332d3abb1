import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, resolve } from "node:path";

/** Where a package is imported: the package name and the first built file that imports it. */
export interface PackageImport {
  name: string;
  importedBy: string;
}

const specifierPattern =
  /(?:^|[;\s}])(?:import|export)\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

/** The package a bare specifier belongs to ("@scope/name/sub" → "@scope/name"). */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * Follows the static and literal dynamic imports of built ES modules from `entry` and returns the
 * third-party packages they load (Node built-ins left out): what an image running only `entry`
 * must have installed.
 */
export function packagesImportedFrom(entry: string): PackageImport[] {
  const builtins = new Set(builtinModules);
  const seenFiles = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [resolve(entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seenFiles.has(file)) continue;
    seenFiles.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(specifierPattern)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith(".")) pending.push(resolve(dirname(file), specifier));
      else if (!specifier.startsWith("node:") && !builtins.has(specifier) && !packages.has(packageName(specifier))) {
        packages.set(packageName(specifier), file);
      }
    }
  }
  return [...packages].map(([name, importedBy]) => ({ name, importedBy })).sort((a, b) => a.name.localeCompare(b.name));
}
