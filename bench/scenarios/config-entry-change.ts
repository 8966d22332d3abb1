import { type BenchContext, type ScenarioResult, until } from "../bench-context.js";
import { serviceName } from "../client-subscriptions.js";
import { metricRow } from "../metric-row.js";

/** A splitter between two subsets of one service, `v1` percent to the first. */
function splitter(name: string, v1: number): Record<string, unknown> {
  return {
    Kind: "service-splitter",
    Name: name,
    Splits: [
      { Weight: v1, ServiceSubset: "v1" },
      { Weight: 100 - v1, ServiceSubset: "v2" },
    ],
  };
}

/**
 * Scenario 10: traffic policy at scale. One config entry per ten services (1,000 at 10,000:
 * service-defaults, a resolver with two subsets and a splitter for a quarter of them, a resolver
 * with a connect timeout for another quarter), written through the catalog's `/v1/config` as
 * `consul config write` does. Then each run changes one splitter's weights: the bridge must rebuild
 * only the one service whose chain reads it (target: at most 1, out of N) — the publisher's own
 * build counter — and the figure is the time from the write to the published snapshots.
 */
export async function runConfigEntryChange(ctx: BenchContext): Promise<ScenarioResult> {
  const { options, catalog, bridge } = ctx;
  const shaped = Math.max(1, Math.floor(options.services / 40));
  // Far from the hot service (svc-0) and the first services every client uses.
  const first = Math.floor(options.services / 2);
  const names = Array.from({ length: 2 * shaped }, (_, i) => serviceName(first + i));
  const entries: Record<string, unknown>[] = [];
  for (const name of names.slice(0, shaped)) {
    entries.push({ Kind: "service-defaults", Name: name, Protocol: "grpc" });
    entries.push({
      Kind: "service-resolver",
      Name: name,
      Subsets: { v1: { Filter: "Service.ID matches `-[02468]$`" }, v2: { Filter: "Service.ID matches `-[13579]$`" } },
    });
    entries.push(splitter(name, 90));
  }
  for (const name of names.slice(shaped)) entries.push({ Kind: "service-resolver", Name: name, ConnectTimeout: "2s" });
  const written = await catalog.call("writeConfigEntries", { entries });
  await until("the bridge to hold every entry", async () => (await bridge.call("configEntries", undefined)) >= entries.length, 60_000);
  ctx.log(
    `scenario 10: ${entries.length} config entries written in ${(written.writtenAt - written.at).toFixed(0)} ms and read by the bridge`,
  );
  // Let the publishes the bulk write caused drain before measuring single changes.
  let quiet = await bridge.call("publisherCounters", undefined);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await bridge.call("publisherCounters", undefined);
    if (now.servicesBuilt === quiet.servicesBuilt) break;
    quiet = now;
  }
  const rebuilt: number[] = [];
  const writeToPublish: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const name = names[run % shaped]!;
    const before = await bridge.call("publisherCounters", undefined);
    // Every visit to a splitter moves its weights (90 → 50 → 90 …): a rewrite of the same weights publishes nothing.
    const v1 = Math.floor(run / shaped) % 2 === 0 ? 50 : 90;
    const write = await catalog.call("writeConfigEntries", { entries: [splitter(name, v1)] });
    await until(
      "the change to be published",
      async () => (await bridge.call("publisherCounters", undefined)).publishes > before.publishes,
      30_000,
    );
    const probe = await bridge.call("lastBuildingPublish", undefined);
    const after = await bridge.call("publisherCounters", undefined);
    if (!probe) throw new Error("no publish mapped a service");
    rebuilt.push(after.servicesBuilt - before.servicesBuilt);
    writeToPublish.push(probe.at - write.at);
  }
  return {
    id: 10,
    title: "config-entry change",
    rows: [
      metricRow(10, `services rebuilt per splitter change (of ${options.services}, ${entries.length} entries)`, "count", rebuilt, {
        stat: "max",
        op: "<=",
        value: 1,
      }),
      metricRow(10, "entry write → snapshots published", "ms", writeToPublish),
    ],
    details: { entries: entries.length, services: options.services, bulkWriteMs: written.writtenAt - written.at },
  };
}
