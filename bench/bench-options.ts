import { parseArgs } from "node:util";

/** Every scenario, by its number in issue 7. */
export const allScenarios = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

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
                 [--debounce-ms D] [--delta-clients D] [--delta-runs R] [--scenarios 1,2,…]
                 [--profile] [--heap-snapshot] [--out DIR]`;

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
  return {
    small,
    services,
    instances: positive("instances", values.instances, small ? 4 : 10),
    clients: positive("clients", values.clients, small ? 50 : 1_000),
    runs,
    stormRuns: positive("storm-runs", values["storm-runs"], Math.min(runs, small ? 3 : 10)),
    churnRate: positive("churn-rate", values["churn-rate"], 100),
    churnSeconds: positive("churn-seconds", values["churn-seconds"], small ? 3 : 30),
    clientWorkers: positive("client-workers", values["client-workers"], 2),
    debounceMs: positive("debounce-ms", values["debounce-ms"], 0, true),
    deltaClients: positive("delta-clients", values["delta-clients"], small ? 3 : 10),
    deltaRuns: positive("delta-runs", values["delta-runs"], small ? 2 : 5),
    scenarios,
    profile: values.profile === true,
    heapSnapshot: values["heap-snapshot"] === true,
    out: values.out ?? "bench/results",
  };
}
