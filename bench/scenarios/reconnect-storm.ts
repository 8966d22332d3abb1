import { type BenchContext, type ScenarioResult, sleep, until } from "../bench-context.js";
import { metricRow } from "../metric-row.js";

/**
 * Scenario 3: reconnect storm. Every client drops its connection; once the bridge has closed all
 * their streams, all K reconnect at the same moment and resubscribe to everything; the storm lasts
 * until the last one is fully synced (≤ 5 s, no errors). Repeated S times.
 */
export async function runReconnectStorm(ctx: BenchContext): Promise<ScenarioResult> {
  const { options, bridge, workers } = ctx;
  const durations: number[] = [];
  const errorCounts: number[] = [];
  const perClient: number[] = [];
  const errorSamples: string[] = [];
  for (let r = 0; r < options.stormRuns; r++) {
    await Promise.all(workers.map((w) => w.call("drop", undefined)));
    await until("the bridge to close every stream", async () => (await bridge.call("streamCount", undefined)) === 0, 30_000);
    await sleep(200);
    const reports = await Promise.all(workers.map((w) => w.call("reconnect", { timeoutMs: 30_000 })));
    const startedAt = Math.min(...reports.map((x) => x.startedAt));
    const synced = reports.flatMap((x) => x.syncedAt);
    const errors = reports.flatMap((x) => x.errors);
    const duration = synced.some((t) => Number.isNaN(t)) ? Number.NaN : Math.max(...synced) - startedAt;
    durations.push(duration);
    errorCounts.push(errors.length);
    errorSamples.push(...errors.slice(0, 5));
    for (const report of reports) for (const t of report.syncedAt) perClient.push(t - report.startedAt);
    ctx.log(`  storm ${r + 1}/${options.stormRuns}: all ${synced.length} synced in ${duration.toFixed(0)} ms, ${errors.length} errors`);
    await sleep(500);
  }
  return {
    id: 3,
    title: "reconnect storm",
    rows: [
      metricRow(3, `all ${options.clients} clients reconnected and synced`, "ms", durations, { stat: "p99", op: "<=", value: 5_000 }),
      metricRow(3, "one client: connect → synced", "ms", perClient),
      metricRow(3, "errors per storm", "count", errorCounts, { stat: "max", op: "<=", value: 0 }),
    ],
    details: { durations, errorCounts, errorSamples: errorSamples.slice(0, 20) },
  };
}
