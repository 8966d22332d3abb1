import type { ScenarioResult } from "../bench-context.js";
import { metricRow } from "../metric-row.js";
import type { FlapRuns } from "./flap-runs.js";

const kb = (bytes: number) => bytes / 1024;

/**
 * Scenario 6: Consul connections held at 10,000 services ≤ 200 (the catalog's own count of TCP
 * connections, peak over the whole run), with change-to-push p99 ≤ 1 s: from the catalog applying a
 * check change to each client having the new assignment, through the change feed, the service read,
 * the publish and the fan-out. And what one flap costs Consul: the bytes the catalog served from the
 * flap until every client had it (≤ 1 MB = 1,024 KB), split by endpoint.
 */
export function consulConnectionsResult(flaps: FlapRuns, connections: { peak: number; current: number; total: number }): ScenarioResult {
  const endpoints = [...new Set(flaps.runs.flatMap((r) => Object.keys(r.consulBytes)))].sort();
  const total = (run: FlapRuns["runs"][number]) => Object.values(run.consulBytes).reduce((a, b) => a + b, 0);
  return {
    id: 6,
    title: "Consul load",
    rows: [
      metricRow(6, "connections to Consul, peak over the run", "count", [connections.peak], { stat: "max", op: "<=", value: 200 }),
      metricRow(
        6,
        "change → push, all streams × runs",
        "ms",
        flaps.runs.flatMap((r) => r.changeToPushMs),
        { stat: "p99", op: "<=", value: 1_000 },
      ),
      metricRow(
        6,
        "  of which: change → check feed answer processed",
        "ms",
        flaps.runs.map((r) => r.probe.feedAt - r.change.at),
      ),
      metricRow(
        6,
        "  of which: feed answer → service read answered",
        "ms",
        flaps.runs.map((r) => r.probe.answerAt - r.probe.feedAt),
      ),
      metricRow(
        6,
        "  of which: service answer → client (scenario 1)",
        "ms",
        flaps.runs.flatMap((r) => r.fanoutMs),
      ),
      metricRow(
        6,
        "bytes Consul serves per flap",
        "KB",
        flaps.runs.map((r) => kb(total(r))),
        { stat: "median", op: "<=", value: 1024 },
      ),
      ...endpoints.map((endpoint) =>
        metricRow(
          6,
          `  of which: ${endpoint}`,
          "KB",
          flaps.runs.map((r) => kb(r.consulBytes[endpoint] ?? 0)),
        ),
      ),
    ],
    details: { connections, consulBytesPerFlap: flaps.runs.map((r) => r.consulBytes) },
  };
}
