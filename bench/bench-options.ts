import { parseArgs } from "node:util";

/** Every scenario, by its number (1–7 from issue 7, 8 and 9 from issue 12, 10 from issue 11). */
export const allScenarios = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;

/** The sizes of the cost curves (`--sweep`): one bench set-up per distinct point. */
export interface SweepSizes {
  /** Fan-out curve: clients (streams), at the run's services × instances. */
  readonly streams: readonly number[];
  /** Memory curve: endpoints (services × instances, at the run's instances per service). */
  readonly endpoints: readonly number[];
  /** Consul curve: checks (one per instance, so the catalog has that many endpoints). */
  readonly checks: readonly number[];
}

/** What one bench run does; every field comes from a flag (see {@link parseBenchOptions}). */
export interface BenchOptions {
  /** The CI-sized preset was chosen. */
  readonly small: boolean;
  /** Services in the catalog (N). */
  readonly services: number;
  /** Instances per service (M); endpoints = N × M. */
  readonly instances: number;
  /** xDS clients (K), each on its own HTTP/2 connection. */
  readonly clients: number;
  /** Repetitions of the flap, raw-baseline and cold-sync measurements (R). */
  readonly runs: number;
  /** Repetitions of the reconnect storm. */
  readonly stormRuns: number;
  /** Instance changes per second during the churn scenario. */
  readonly churnRate: number;
  /** How long the churn lasts, in seconds. */
  readonly churnSeconds: number;
  /** Processes the K clients are spread over. */
  readonly clientWorkers: number;
  /** Envoy-like clients per protocol in scenario 8 (delta vs SotW). */
  readonly deltaClients: number;
  /** Changes of each kind measured per protocol in scenario 8. */
  readonly deltaRuns: number;
  /** Envoys scoped to a few upstreams in scenario 9. */
  readonly scopedClients: number;
  /** Names in each scoped Envoy's `consul-xds-bridge.upstreams` (one of them a service that appears later). */
  readonly scopedUpstreams: number;
  /** Unscoped Envoys (every service) in scenario 9. */
  readonly unscopedClients: number;
  /** Changes of each kind measured per group in scenario 9. */
  readonly scopedRuns: number;
  /** Run the cost curves instead of the scenarios. */
  readonly sweep: boolean;
  /** The curves' points. */
  readonly sweepSizes: SweepSizes;
  /** Where a sweep also writes the charts docs/performance.md shows (undefined: nowhere). */
  readonly images: string | undefined;
  /** The bridge's coalescing window (the targets assume 0). */
  readonly debounceMs: number;
  /** Scenarios to run (setup always runs). */
  readonly scenarios: ReadonlySet<number>;
  /** Run the bridge process with --cpu-prof (profiles go to `<out>/profiles`). */
  readonly profile: boolean;
  /** Write a heap snapshot of the bridge at the end of the run (after every scenario). */
  readonly heapSnapshot: boolean;
  /** Where the JSON result (and profiles) go. */
  readonly out: string;
}

/** The flags, for --help. */
export const benchUsage = `npm run bench -- [--small] [--services N] [--instances M] [--clients K] [--runs R]
                 [--storm-runs S] [--churn-rate R/s] [--churn-seconds S] [--client-workers W]
                 [--debounce-ms D] [--delta-clients D] [--delta-runs R] [--scoped-clients S]
                 [--scoped-upstreams U] [--unscoped-clients N] [--scoped-runs R] [--scenarios 1,2,…]
                 [--profile] [--heap-snapshot] [--out DIR]
       npm run bench -- --sweep [--small] [--sweep-streams 250,1000,4000]
                 [--sweep-endpoints 25000,100000,400000] [--sweep-checks 10000,100000,400000]
                 [--images DIR] [--services N] [--instances M] [--clients K] [--runs R] [--out DIR]`;

function sizes(name: string, value: string | undefined, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback];
  const list = value.split(",").map((part) => positive(name, part.trim(), 0));
  return [...new Set(list)].sort((a, b) => a - b);
}

function positive(name: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new Error(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${value}`);
  return n;
}

/**
 * Parses the bench's flags. Defaults are the sizes (10,000 services × 10 instances, 1,000
 * clients); `--small` is the CI smoke preset (500 × 4, 50 clients, fewer runs), and explicit flags
 * override either.
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      small: { type: "boolean" },
      services: { type: "string" },
      instances: { type: "string" },
      clients: { type: "string" },
      runs: { type: "string" },
      "storm-runs": { type: "string" },
      "churn-rate": { type: "string" },
      "churn-seconds": { type: "string" },
      "client-workers": { type: "string" },
      "debounce-ms": { type: "string" },
      "delta-clients": { type: "string" },
      "delta-runs": { type: "string" },
      "scoped-clients": { type: "string" },
      "scoped-upstreams": { type: "string" },
      "unscoped-clients": { type: "string" },
      "scoped-runs": { type: "string" },
      sweep: { type: "boolean" },
      "sweep-streams": { type: "string" },
      "sweep-endpoints": { type: "string" },
      "sweep-checks": { type: "string" },
      images: { type: "string" },
      scenarios: { type: "string" },
      profile: { type: "boolean" },
      "heap-snapshot": { type: "boolean" },
      out: { type: "string" },
    },
  });
  const small = values.small === true;
  const runs = positive("runs", values.runs, small ? 5 : 20);
  const scenarios = new Set<number>();
  for (const part of (values.scenarios ?? allScenarios.join(",")).split(",")) {
    const n = Number(part.trim());
    if (!(allScenarios as readonly number[]).includes(n))
      throw new Error(`--scenarios takes numbers from 1 to ${allScenarios.length}, got ${part}`);
    scenarios.add(n);
  }
  const services = positive("services", values.services, small ? 500 : 10_000);
  if (services < 2) throw new Error("--services must be at least 2 (the hot service and others)");
  const instances = positive("instances", values.instances, small ? 4 : 10);
  const sweepSizes: SweepSizes = {
    streams: sizes("sweep-streams", values["sweep-streams"], small ? [25, 100, 400] : [250, 1_000, 4_000]),
    endpoints: sizes("sweep-endpoints", values["sweep-endpoints"], small ? [1_000, 4_000, 16_000] : [25_000, 100_000, 400_000]),
    checks: sizes("sweep-checks", values["sweep-checks"], small ? [1_000, 4_000, 16_000] : [10_000, 100_000, 400_000]),
  };
  for (const n of [...sweepSizes.endpoints, ...sweepSizes.checks])
    if (n < 2 * instances)
      throw new Error(`sweep sizes of endpoints and checks must be at least 2 × --instances (${2 * instances}), got ${n}`);
  const customSizes = ["sweep-streams", "sweep-endpoints", "sweep-checks", "services", "instances", "clients", "runs"].some(
    (flag) => values[flag as keyof typeof values] !== undefined,
  );
  const scopedUpstreamCount = positive("scoped-upstreams", values["scoped-upstreams"], 10);
  if (scopedUpstreamCount < 2) throw new Error("--scoped-upstreams must be at least 2 (existing services and one that appears)");
  return {
    small,
    services,
    instances,
    clients: positive("clients", values.clients, small ? 50 : 1_000),
    runs,
    stormRuns: positive("storm-runs", values["storm-runs"], Math.min(runs, small ? 3 : 10)),
    churnRate: positive("churn-rate", values["churn-rate"], 100),
    churnSeconds: positive("churn-seconds", values["churn-seconds"], small ? 3 : 30),
    clientWorkers: positive("client-workers", values["client-workers"], 2),
    debounceMs: positive("debounce-ms", values["debounce-ms"], 0, true),
    deltaClients: positive("delta-clients", values["delta-clients"], small ? 3 : 10),
    deltaRuns: positive("delta-runs", values["delta-runs"], small ? 2 : 5),
    scopedClients: positive("scoped-clients", values["scoped-clients"], small ? 20 : 1_000),
    scopedUpstreams: scopedUpstreamCount,
    unscopedClients: positive("unscoped-clients", values["unscoped-clients"], small ? 3 : 20),
    scopedRuns: positive("scoped-runs", values["scoped-runs"], small ? 2 : 5),
    sweep: values.sweep === true,
    sweepSizes,
    // The committed charts come from sweeps at the sizes only, unless a directory is named.
    images: values.images ?? (small || customSizes ? undefined : "docs/images"),
    scenarios,
    profile: values.profile === true,
    heapSnapshot: values["heap-snapshot"] === true,
    out: values.out ?? "bench/results",
  };
}
