import type { BenchContext, ScenarioResult } from "../bench-context.js";
import { metricRow } from "../metric-row.js";

/**
 * Scenario 2: cold sync of one Envoy-like client that takes every cluster (CDS wildcard) and then the
 * assignment of each (EDS, all N names), on a fresh connection each run, ≤ 500 ms from its first
 * request to the last assignment's last byte. Runs in a client process while the K clients stay connected.
 */
export async function runColdSync(ctx: BenchContext): Promise<ScenarioResult> {
  const { options } = ctx;
  const runs = await ctx.workers[0]!.call("coldSync", { url: ctx.xdsUrl, runs: options.runs, timeoutMs: 30_000, gapMs: 200 });
  const errors = runs.flatMap((r) => r.errors);
  const incomplete = runs.filter((r) => r.clusters !== options.services || r.assignments !== options.services).length;
  ctx.log(
    `  cold sync: ${runs.map((r) => r.ms.toFixed(0)).join(", ")} ms (${runs[0]?.clusters} clusters, ${runs[0]?.assignments} assignments)`,
  );
  return {
    id: 2,
    title: "cold sync",
    rows: [
      metricRow(
        2,
        `first request → all ${options.services} clusters + assignments`,
        "ms",
        runs.map((r) => r.ms),
        { stat: "p99", op: "<=", value: 500 },
      ),
      metricRow(
        2,
        "first request → CDS response",
        "ms",
        runs.map((r) => r.cdsMs),
      ),
      metricRow(
        2,
        "runs with errors or missing resources",
        "count",
        runs.map((r) => (r.errors.length > 0 || r.clusters !== options.services || r.assignments !== options.services ? 1 : 0)),
        {
          stat: "max",
          op: "<=",
          value: 0,
        },
      ),
    ],
    details: { runs, errors: errors.slice(0, 20), incomplete },
  };
}
