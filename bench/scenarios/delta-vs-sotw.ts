import { envoyRouteConfigurationName } from "../../src/mapping/index.js";
import { clusterType, endpointType, routeType } from "../../src/snapshot/index.js";
import { type BenchContext, type ScenarioResult, sleep } from "../bench-context.js";
import { clientServices, serviceName } from "../client-subscriptions.js";
import type { EnvoyProtocol } from "../envoy-client.js";
import { metricRow } from "../metric-row.js";

/** What one protocol's Envoys received and the bridge spent, per change. */
interface ProtocolRuns {
  readonly syncMs: number[];
  /** Per change and Envoy: bytes received, in total and for CDS. */
  readonly flapBytes: number[];
  readonly addBytes: number[];
  readonly addClusterBytes: number[];
  /** Bridge CPU per change (ms): Consul's answer, model, publish, and the push to the D Envoys. */
  readonly flapCpuMs: number[];
  readonly addCpuMs: number[];
  missing: number;
}

/** A service no proxyless bench client uses, so its changes reach only the Envoys of this scenario. */
function unusedService(ctx: BenchContext): string {
  const used = new Set<string>();
  for (let id = 0; id < ctx.options.clients; id++) for (const name of clientServices(id, ctx.options.services)) used.add(name);
  for (let i = ctx.options.services - 1; i > 0; i--) if (!used.has(serviceName(i))) return serviceName(i);
  throw new Error("every service is used by some client: no quiet service for scenario 8");
}

/** D Envoys of one protocol: connect and sync, then R instance flaps and R services added (and removed). */
async function runProtocol(ctx: BenchContext, protocol: EnvoyProtocol, quiet: string): Promise<ProtocolRuns> {
  const { options, workers, bridge, catalog } = ctx;
  const count = options.deltaClients;
  const shares = workers.map((_, i) => Math.floor(count / workers.length) + (i < count % workers.length ? 1 : 0));
  const connected = await Promise.all(
    workers.map((w, i) =>
      shares[i]! > 0
        ? w.call("envoyConnect", {
            url: ctx.xdsUrl,
            protocol,
            count: shares[i]!,
            prefix: `bench-envoy-${protocol}-${i}`,
            timeoutMs: 300_000,
          })
        : { syncMs: [], errors: [] },
    ),
  );
  const errors = connected.flatMap((c) => c.errors);
  if (errors.length > 0) throw new Error(`${protocol} Envoys failed to sync: ${errors.slice(0, 3).join("; ")}`);
  const runs: ProtocolRuns = {
    syncMs: connected.flatMap((c) => c.syncMs),
    flapBytes: [],
    addBytes: [],
    addClusterBytes: [],
    flapCpuMs: [],
    addCpuMs: [],
    missing: 0,
  };
  const measure = async (typeUrl: string, name: string, change: () => Promise<unknown>) => {
    await Promise.all(workers.map((w) => w.call("envoyArm", { typeUrl, name })));
    const before = await bridge.call("cpuNow", undefined);
    await change();
    const collected = await Promise.all(workers.map((w) => w.call("envoyCollect", { timeoutMs: 60_000 })));
    const cpuMs = (await bridge.call("cpuNow", undefined)) - before;
    runs.missing += collected.reduce((n, c) => n + c.missing, 0);
    return { cpuMs, bytes: collected.flatMap((c) => c.bytes), byType: collected.flatMap((c) => c.byType) };
  };
  try {
    for (let r = 0; r < options.deltaRuns; r++) {
      const flap = await measure(endpointType, quiet, () => catalog.call("flap", { service: quiet, instance: r % options.instances }));
      runs.flapBytes.push(...flap.bytes);
      runs.flapCpuMs.push(flap.cpuMs);
      const added = `bench-added-${protocol}-${r}`;
      const add = await measure(routeType, envoyRouteConfigurationName, () =>
        catalog.call("registerService", { name: added, address: `10.250.${r % 250}.${protocol === "sotw" ? 1 : 2}` }),
      );
      runs.addBytes.push(...add.bytes);
      runs.addClusterBytes.push(...add.byType.map((t) => t[clusterType] ?? 0));
      runs.addCpuMs.push(add.cpuMs);
      await measure(routeType, envoyRouteConfigurationName, () =>
        catalog.call("registerService", { name: added, address: "", remove: true }),
      );
      ctx.log(
        `  ${protocol} ${r + 1}/${options.deltaRuns}: flap ${median(flap.bytes)} B/Envoy, CPU ${flap.cpuMs.toFixed(1)} ms; ` +
          `service added ${median(add.bytes)} B/Envoy (CDS ${median(add.byType.map((t) => t[clusterType] ?? 0))} B), CPU ${add.cpuMs.toFixed(1)} ms`,
      );
      await sleep(100);
    }
  } finally {
    await Promise.all(workers.map((w) => w.call("envoyClose", undefined)));
  }
  return runs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
}

/** Per run, the median over the Envoys of delta's bytes divided by SotW's. */
function ratios(delta: readonly number[], sotw: readonly number[], perRun: number): number[] {
  const out: number[] = [];
  for (let at = 0; at + perRun <= Math.min(delta.length, sotw.length); at += perRun) {
    out.push((100 * median(delta.slice(at, at + perRun))) / median(sotw.slice(at, at + perRun)));
  }
  return out;
}

/**
 * Scenario 8: D Envoy-like clients (every cluster, endpoint, listener and the route configuration)
 * over SotW ADS, then D over delta ADS, against the same catalog in the same run: bytes each Envoy
 * receives and bridge CPU per change, for an instance flap (EDS only: SotW already sends just the
 * changed assignment) and for a service added (a cluster change: SotW resends all N clusters, delta
 * one; target: delta's CDS bytes ≤ 1 % of SotW's). Both variants resend the one route configuration.
 */
export async function runDeltaVsSotw(ctx: BenchContext): Promise<ScenarioResult> {
  const quiet = unusedService(ctx);
  const sotw = await runProtocol(ctx, "sotw", quiet);
  const delta = await runProtocol(ctx, "delta", quiet);
  const d = ctx.options.deltaClients;
  return {
    id: 8,
    title: "delta vs SotW",
    rows: [
      metricRow(8, `Envoy sync (all ${ctx.options.services} services), SotW`, "ms", sotw.syncMs),
      metricRow(8, "Envoy sync, delta", "ms", delta.syncMs),
      metricRow(8, "instance flap: bytes to each Envoy, SotW", "count", sotw.flapBytes),
      metricRow(8, "instance flap: bytes to each Envoy, delta", "count", delta.flapBytes),
      metricRow(8, "instance flap: delta ÷ SotW bytes", "%", ratios(delta.flapBytes, sotw.flapBytes, d)),
      metricRow(8, "instance flap: bridge CPU, SotW", "ms", sotw.flapCpuMs),
      metricRow(8, "instance flap: bridge CPU, delta", "ms", delta.flapCpuMs),
      metricRow(8, "service added: bytes to each Envoy, SotW", "count", sotw.addBytes),
      metricRow(8, "service added: bytes to each Envoy, delta", "count", delta.addBytes),
      metricRow(8, "service added: CDS bytes, delta ÷ SotW", "%", ratios(delta.addClusterBytes, sotw.addClusterBytes, d), {
        stat: "median",
        op: "<=",
        value: 1,
      }),
      metricRow(8, "service added: all bytes, delta ÷ SotW", "%", ratios(delta.addBytes, sotw.addBytes, d)),
      metricRow(8, "service added: bridge CPU, SotW", "ms", sotw.addCpuMs),
      metricRow(8, "service added: bridge CPU, delta", "ms", delta.addCpuMs),
      metricRow(8, "Envoys that missed a push", "count", [sotw.missing + delta.missing], { stat: "max", op: "<=", value: 0 }),
    ],
    details: { quietService: quiet, envoysPerProtocol: d, sotw, delta },
  };
}
