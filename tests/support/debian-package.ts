// Suites that need a Debian package (gRPC C-core from python3-grpcio, python-consul…): on a machine
// without it they are skipped with the reason printed; under CI (CI=true) a missing package is a
// failure, never a silent skip. `.ci/run` installs every package these suites name.
import { spawnSync } from "node:child_process";

/** What a suite needs and how to tell whether this machine has it. */
export interface PackageProbe {
  /** The Debian package that provides it (`apt-get install -y <package>`). */
  readonly debianPackage: string;
  /** A command that exits 0 and prints a version when the package is usable. */
  readonly command: string;
  readonly args: readonly string[];
}

/** The outcome of a probe, shaped for `describe(name, { skip: gate.skip }, …)`. */
export interface PackageGate {
  /** The version the probe printed, or undefined when the package is missing. */
  readonly version: string | undefined;
  /** The skip reason outside CI when missing; false when present, and always false under CI. */
  readonly skip: string | false;
  /** Throws the reason when the package is missing (call it first in the suite's `before`). */
  assertPresent(): void;
}

/** Probes once for a Debian package; prints why a suite is skipped when it is missing outside CI. */
export function debianPackageGate(suite: string, probe: PackageProbe): PackageGate {
  const result = spawnSync(probe.command, [...probe.args], { encoding: "utf8", timeout: 20_000 });
  const version = result.status === 0 ? result.stdout.trim() : undefined;
  const reason =
    version === undefined
      ? `${probe.debianPackage} is not installed (${probe.command} ${probe.args.join(" ")}: ${
          result.error?.message ?? result.stderr.trim().split("\n").pop() ?? `exit ${result.status}`
        }); install it with: apt-get install -y ${probe.debianPackage}`
      : undefined;
  const ci = process.env.CI === "true";
  if (reason && !ci) console.log(`# ${suite}: skipped: ${reason}`);
  return {
    version,
    skip: reason && !ci ? reason : false,
    assertPresent() {
      if (reason) throw new Error(`${suite}: CI=true, and ${reason}`);
    },
  };
}
