import type { ScenarioResult } from "../bench-context.js";
import { metricRow } from "../metric-row.js";
import { percentile } from "../stats.js";
import type { FlapRuns } from "./flap-runs.js";

/**
 * Scenario 1: one endpoint flap reaches all K subscribed streams, p99 ≤ 50 ms after the bridge
 * receives Consul's answer (debounce 0). The clock starts in the watcher's request hook for the
 * service's /v1/health/service answer and stops when each client has the response's last byte.
 */
export function flapFanoutResult(flaps: FlapRuns, clients: number): ScenarioResult {
  const all = flaps.runs.flatMap((r) => r.fanoutMs);
  const perRunP99 = flaps.runs.map((r) =>
    percentile(
      [...r.fanoutMs].sort((a, b) => a - b),
      99,
    ),
  );
  const missing = flaps.runs.reduce((n, r) => n + r.missing, 0);
  return {
    id: 1,
    title: "flap fan-out",
    rows: [
      metricRow(1, `answer → client, all ${clients} streams × ${flaps.runs.length} runs`, "ms", all, { stat: "p99", op: "<=", value: 50 }),
      metricRow(1, "p99 over the K streams, per run", "ms", perRunP99),
      metricRow(
        1,
        "answer → snapshot published",
        "ms",
        flaps.runs.map((r) => r.probe.publishAt - r.probe.answerAt),
      ),
      metricRow(
        1,
        "answer → last ACK processed",
        "ms",
        flaps.runs.map((r) => r.probe.lastAckAt - r.probe.answerAt),
      ),
      metricRow(
        1,
        "streams that missed the push",
        "count",
        flaps.runs.map((r) => r.missing),
        { stat: "max", op: "<=", value: 0 },
      ),
    ],
    details: {
      missing,
      runs: flaps.runs.map((r) => ({
        ...r.probe,
        changeAt: r.change.at,
        p99: percentile(
          [...r.fanoutMs].sort((a, b) => a - b),
          99,
        ),
      })),
    },
  };
}
