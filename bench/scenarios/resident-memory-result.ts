import type { ScenarioResult } from "../bench-context.js";
import type { MemoryReading } from "../bridge-process.js";
import { metricRow } from "../metric-row.js";

const mb = (bytes: number) => bytes / (1024 * 1024);

/**
 * Scenario 5: resident memory of the bridge process at N × M endpoints with K streams, ≤ 300 MB:
 * readings taken while idle (after all clients synced, and again after the other scenarios), with
 * no forced GC, so garbage the process holds counts as it would in production. Readings right after
 * a full GC (what is live), and the peak RSS since start (initial sync included), are reported beside it.
 */
export function residentMemoryResult(
  readings: readonly MemoryReading[],
  afterGc: readonly MemoryReading[],
  endpoints: number,
  streams: number,
): ScenarioResult {
  const peak = Math.max(...readings.map((r) => r.maxRss));
  return {
    id: 5,
    title: "resident memory",
    rows: [
      metricRow(
        5,
        `RSS at ${endpoints} endpoints, ${streams} streams (idle readings)`,
        "MB",
        readings.map((r) => mb(r.rss)),
        { stat: "p99", op: "<=", value: 300 },
      ),
      metricRow(
        5,
        "V8 heap used",
        "MB",
        readings.map((r) => mb(r.heapUsed)),
      ),
      metricRow(
        5,
        "RSS right after a full GC (what is live)",
        "MB",
        afterGc.map((r) => mb(r.rss)),
      ),
      metricRow(
        5,
        "V8 heap used after a full GC",
        "MB",
        afterGc.map((r) => mb(r.heapUsed)),
      ),
      metricRow(5, "peak RSS since start (initial sync included)", "MB", [mb(peak)]),
    ],
    details: { readings, afterGc },
  };
}
