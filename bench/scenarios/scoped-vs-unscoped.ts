import { envoyRouteConfigurationName } from "../../src/mapping/index.js";
import { endpointType, routeType } from "../../src/snapshot/index.js";
import { type BenchContext, type ScenarioResult, sleep, until } from "../bench-context.js";
import type { MemoryReading } from "../bridge-process.js";
import { clientServices, pendingUpstream, scopedUpstreams } from "../client-subscriptions.js";
import { metricRow } from "../metric-row.js";
import { sampleMemory } from "./resident-memory.js";

/** The two groups of Envoys compared. */
type Group = "scoped" | "unscoped";

/** The changes both groups see, in the same order: run r flaps `flapped[r]` and registers `added[r]`. */
interface Changes {
  /** A service in the scope of scoped Envoy `holder[r]` (and maybe of others), used by no proxyless client. */
  readonly flapped: readonly string[];
  /** A service that does not exist yet, named by scoped Envoy `holder[r]` only. */
  readonly added: readonly string[];
}

/** What one group's Envoys received and cost the bridge. */
interface GroupRuns {
  readonly envoys: number;
  readonly syncMs: number[];
  /** Bridge memory after a full GC, before the group connected and while it was connected. */
  readonly before: MemoryReading[];
  readonly with: MemoryReading[];
  /** Per change: bytes the group received ÷ its Envoys, and the median over the Envoys the change concerns. */
  readonly flapMeanBytes: number[];
  readonly flapHolderBytes: number[];
  readonly flapHolders: number[];
  readonly flapCpuMs: number[];
  readonly addMeanBytes: number[];
  readonly addHolderBytes: number[];
  readonly addCpuMs: number[];
  missing: number;
  outOfScope: number;
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const kb = (bytes: number) => bytes / 1024;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
}

/** Splits `count` Envoys over the workers: worker i gets the indices [starts[i], starts[i + 1]). */
function split(count: number, workers: number): number[] {
  const starts = [0];
  for (let i = 0; i < workers; i++) starts.push(starts[i]! + Math.floor(count / workers) + (i < count % workers ? 1 : 0));
  return starts;
}

/** The services of the changes, chosen from the scoped Envoys' upstreams, apart from what the proxyless clients use. */
function chooseChanges(ctx: BenchContext, upstreams: readonly string[][]): Changes {
  const { options } = ctx;
  const used = new Set<string>();
  for (let id = 0; id < options.clients; id++) for (const name of clientServices(id, options.services)) used.add(name);
  const flapped: string[] = [];
  const added: string[] = [];
  for (let r = 0; r < options.scopedRuns; r++) {
    const holder = Math.floor((r * upstreams.length) / options.scopedRuns);
    const existing = upstreams[holder]!.filter((name) => name !== pendingUpstream(holder));
    flapped.push(existing.find((name) => !used.has(name)) ?? existing[0]!);
    added.push(pendingUpstream(holder));
  }
  return { flapped, added };
}

/** Connects one group, measures memory and the changes, and closes it. */
async function runGroup(ctx: BenchContext, group: Group, upstreams: readonly string[][], changes: Changes): Promise<GroupRuns> {
  const { options, workers, bridge, catalog } = ctx;
  const count = group === "scoped" ? upstreams.length : options.unscopedClients;
  const starts = split(count, workers.length);
  const before = await sampleMemory(ctx, 3, 100, true);
  const connected = await Promise.all(
    workers.map((w, i) =>
      starts[i + 1]! > starts[i]!
        ? w.call("envoyConnect", {
            url: ctx.xdsUrl,
            protocol: "sotw",
            count: starts[i + 1]! - starts[i]!,
            upstreams: group === "scoped" ? upstreams.slice(starts[i]!, starts[i + 1]!) : undefined,
            prefix: `bench-envoy-${group}-${i}`,
            timeoutMs: 300_000,
          })
        : { syncMs: [], errors: [] },
    ),
  );
  const runs: GroupRuns = {
    envoys: count,
    syncMs: connected.flatMap((c) => c.syncMs),
    before,
    with: [],
    flapMeanBytes: [],
    flapHolderBytes: [],
    flapHolders: [],
    flapCpuMs: [],
    addMeanBytes: [],
    addHolderBytes: [],
    addCpuMs: [],
    missing: 0,
    outOfScope: 0,
  };
  const measure = async (typeUrl: string, name: string, service: string, change: () => Promise<unknown>) => {
    await Promise.all(workers.map((w) => w.call("envoyArm", { typeUrl, name, service })));
    const cpuBefore = await bridge.call("cpuNow", undefined);
    await change();
    const collected = await Promise.all(workers.map((w) => w.call("envoyCollect", { timeoutMs: 60_000 })));
    const cpuMs = (await bridge.call("cpuNow", undefined)) - cpuBefore;
    runs.missing += collected.reduce((n, c) => n + c.missing, 0);
    runs.outOfScope = Math.max(runs.outOfScope, ...collected.flatMap((c) => c.outOfScope));
    const bytes = collected.flatMap((c) => c.bytes);
    const waited = collected.flatMap((c) => c.waited);
    const holders = bytes.filter((_, i) => waited[i]);
    return { cpuMs, mean: bytes.reduce((a, b) => a + b, 0) / count, holder: median(holders), holders: holders.length };
  };
  try {
    const errors = connected.flatMap((c) => c.errors);
    if (errors.length > 0) throw new Error(`${group} Envoys failed to sync: ${errors.slice(0, 3).join("; ")}`);
    runs.with.push(...(await sampleMemory(ctx, 3, 100, true)));
    for (let r = 0; r < options.scopedRuns; r++) {
      const flapped = changes.flapped[r]!;
      const flap = await measure(endpointType, flapped, flapped, () =>
        catalog.call("flap", { service: flapped, instance: r % options.instances }),
      );
      runs.flapMeanBytes.push(flap.mean);
      runs.flapHolderBytes.push(flap.holder);
      runs.flapHolders.push(flap.holders);
      runs.flapCpuMs.push(flap.cpuMs);
      const added = changes.added[r]!;
      const address = `10.251.${r % 250}.${group === "scoped" ? 1 : 2}`;
      const add = await measure(routeType, envoyRouteConfigurationName, added, () =>
        catalog.call("registerService", { name: added, address }),
      );
      runs.addMeanBytes.push(add.mean);
      runs.addHolderBytes.push(add.holder);
      runs.addCpuMs.push(add.cpuMs);
      await measure(routeType, envoyRouteConfigurationName, added, () =>
        catalog.call("registerService", { name: added, address: "", remove: true }),
      );
      ctx.log(
        `  ${group} ${r + 1}/${options.scopedRuns}: flap of ${flapped} (${flap.holders} of ${count} Envoys hold it) ${flap.mean.toFixed(1)} B/Envoy, CPU ${flap.cpuMs.toFixed(1)} ms; ` +
          `${added} registered ${add.mean.toFixed(0)} B/Envoy, CPU ${add.cpuMs.toFixed(1)} ms`,
      );
      await sleep(100);
    }
  } finally {
    await Promise.all(workers.map((w) => w.call("envoyClose", undefined)));
    await until("the group's streams to close", async () => (await bridge.call("streamCount", undefined)) <= options.clients, 30_000);
  }
  return runs;
}

/**
 * Heap growth per Envoy in KB: each reading with the group, less the median reading before it. (RSS
 * is reported as read: after a full GC it can fall below the reading before, so per Envoy it says little.)
 */
function heapPerEnvoy(runs: GroupRuns): number[] {
  const base = median(runs.before.map((m) => m.heapUsed));
  return runs.with.map((m) => kb((m.heapUsed - base) / runs.envoys));
}

/** Per run, scoped ÷ unscoped, in %. */
function ratios(scoped: readonly number[], unscoped: readonly number[]): number[] {
  return scoped.map((s, i) => (100 * s) / unscoped[i]!).filter((x) => Number.isFinite(x));
}

/**
 * Scenario 9 (issue 12): S Envoy-like SotW clients each scoped to ~10 upstreams (node metadata
 * `consul-xds-bridge.upstreams`: wildcard CDS, EDS for their clusters, LDS, RDS for
 * `consul-xds-bridge:http`), then U unscoped ones taking every service, against the same catalog in
 * the same run. Per group: the bridge's memory after a full GC with the group connected (heap growth
 * per Envoy, RSS as read), and per single-instance change the bytes written to the group's Envoys and the
 * bridge's CPU — an instance flap of a service some scopes hold, and a one-instance service appearing
 * that one scope names (a cluster change: unscoped SotW Envoys get every cluster and the whole route
 * configuration again).
 */
export async function runScopedVsUnscoped(ctx: BenchContext): Promise<ScenarioResult> {
  const { options } = ctx;
  const upstreams = Array.from({ length: options.scopedClients }, (_, e) => scopedUpstreams(e, options.services, options.scopedUpstreams));
  const changes = chooseChanges(ctx, upstreams);
  const scoped = await runGroup(ctx, "scoped", upstreams, changes);
  const unscoped = await runGroup(ctx, "unscoped", upstreams, changes);
  const s = `${scoped.envoys} scoped`;
  const u = `${unscoped.envoys} unscoped`;
  return {
    id: 9,
    title: "scoped vs unscoped",
    rows: [
      metricRow(9, `Envoy sync, scoped (${options.scopedUpstreams} upstreams each)`, "ms", scoped.syncMs),
      metricRow(9, `Envoy sync, unscoped (all ${options.services} services)`, "ms", unscoped.syncMs),
      metricRow(9, `bridge heap after a full GC, growth per Envoy: ${s}`, "KB", heapPerEnvoy(scoped)),
      metricRow(9, `bridge heap after a full GC, growth per Envoy: ${u}`, "KB", heapPerEnvoy(unscoped)),
      metricRow(
        9,
        "bridge RSS after a full GC, before the scoped Envoys",
        "MB",
        scoped.before.map((m) => mb(m.rss)),
      ),
      metricRow(
        9,
        `bridge RSS after a full GC, with ${s}`,
        "MB",
        scoped.with.map((m) => mb(m.rss)),
      ),
      metricRow(
        9,
        "bridge RSS after a full GC, before the unscoped Envoys",
        "MB",
        unscoped.before.map((m) => mb(m.rss)),
      ),
      metricRow(
        9,
        `bridge RSS after a full GC, with ${u}`,
        "MB",
        unscoped.with.map((m) => mb(m.rss)),
      ),
      metricRow(9, "instance flap: bytes written per Envoy (group mean), scoped", "B", scoped.flapMeanBytes),
      metricRow(9, "instance flap: bytes written per Envoy (group mean), unscoped", "B", unscoped.flapMeanBytes),
      metricRow(9, "instance flap: scoped ÷ unscoped bytes per Envoy", "%", ratios(scoped.flapMeanBytes, unscoped.flapMeanBytes)),
      metricRow(9, "instance flap: scoped Envoys holding the service", "count", scoped.flapHolders),
      metricRow(9, "instance flap: bytes to an Envoy holding the service, scoped", "B", scoped.flapHolderBytes),
      metricRow(9, "instance flap: bytes to an Envoy holding the service, unscoped", "B", unscoped.flapHolderBytes),
      metricRow(9, "instance flap: bridge CPU, scoped", "ms", scoped.flapCpuMs),
      metricRow(9, "instance flap: bridge CPU, unscoped", "ms", unscoped.flapCpuMs),
      metricRow(9, "service appears (1 instance): bytes written per Envoy (group mean), scoped", "B", scoped.addMeanBytes),
      metricRow(9, "service appears (1 instance): bytes written per Envoy (group mean), unscoped", "B", unscoped.addMeanBytes),
      metricRow(9, "service appears: scoped ÷ unscoped bytes per Envoy", "%", ratios(scoped.addMeanBytes, unscoped.addMeanBytes)),
      metricRow(9, "service appears: bytes to the Envoy naming it, scoped", "B", scoped.addHolderBytes),
      metricRow(9, "service appears: bridge CPU, scoped", "ms", scoped.addCpuMs),
      metricRow(9, "service appears: bridge CPU, unscoped", "ms", unscoped.addCpuMs),
      metricRow(9, "Envoys that missed a push", "count", [scoped.missing + unscoped.missing], { stat: "max", op: "<=", value: 0 }),
      metricRow(9, "clusters or assignments sent outside a scope", "count", [scoped.outOfScope], { stat: "max", op: "<=", value: 0 }),
    ],
    details: { changes, upstreamsPerEnvoy: options.scopedUpstreams, scoped, unscoped },
  };
}
