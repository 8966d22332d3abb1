import { endpointType } from "../../src/snapshot/index.js";
import { type BenchContext, sleep } from "../bench-context.js";
import type { FanoutProbe } from "../bridge-process.js";
import type { CatalogChange } from "../catalog-process.js";
import { hotService } from "../client-subscriptions.js";
import { percentile } from "../stats.js";

/** One flap of an instance of the hot service, seen from the catalog, the bridge and every client. */
export interface FlapRun {
  readonly change: CatalogChange;
  readonly probe: Omit<FanoutProbe, "frame">;
  /** Per client: the EDS response carrying the change arrived, minus the bridge receiving Consul's answer (ms). */
  readonly fanoutMs: number[];
  /** Per client: that arrival minus the catalog's change (ms). */
  readonly changeToPushMs: number[];
  /** Clients that got nothing within the timeout. */
  readonly missing: number;
  /** Bytes the catalog served per endpoint from the flap until every client had it (headers included). */
  readonly consulBytes: Readonly<Record<string, number>>;
}

/** The flap runs and the response bytes they sent (the raw baseline writes the same). */
export interface FlapRuns {
  readonly runs: FlapRun[];
  readonly frame: Uint8Array;
}

/**
 * Flaps one instance of the hot service R times, after two warm-up flaps that are not counted
 * (critical, then passing again, instance after instance) and records, per run, when the catalog changed, when the bridge got Consul's answer for
 * the service, its publish, the CPU it spent until the last ACK, and when each of the K clients got
 * the new ClusterLoadAssignment. Scenarios 1, 6 and 7 are read from these runs.
 */
export async function runFlaps(ctx: BenchContext): Promise<FlapRuns> {
  const { options, catalog, bridge, workers } = ctx;
  const runs: FlapRun[] = [];
  let frame: Uint8Array = new Uint8Array();
  // The first fan-outs of a process run its code cold (not yet optimised by V8); a long-running
  // bridge is past that, so they are made and left out of the figures.
  const warmup = Math.min(2, options.runs);
  for (let r = -warmup; r < options.runs; r++) {
    await Promise.all(workers.map((w) => w.call("arm", { typeUrl: endpointType, name: hotService })));
    await bridge.call("armFanout", { service: hotService, acks: options.clients });
    const servedBefore = await catalog.call("bytes", undefined);
    const change = await catalog.call("flap", { service: hotService, instance: Math.floor((r + warmup) / 2) % options.instances });
    const { frame: sent, ...probe } = await bridge.call("collectFanout", { timeoutMs: 60_000 });
    frame = sent;
    const collected = await Promise.all(workers.map((w) => w.call("collect", { timeoutMs: 10_000 })));
    const times = collected.flatMap((c) => c.times);
    const servedAfter = await catalog.call("bytes", undefined);
    const consulBytes = Object.fromEntries(
      Object.entries(servedAfter)
        .map(([endpoint, bytes]) => [endpoint, bytes - (servedBefore[endpoint] ?? 0)] as const)
        .filter(([, bytes]) => bytes > 0),
    );
    const run: FlapRun = {
      change,
      probe,
      fanoutMs: times.map((t) => t - probe.answerAt),
      changeToPushMs: times.map((t) => t - change.at),
      missing: collected.reduce((n, c) => n + c.missing, 0),
      consulBytes,
    };
    if (r < 0) {
      ctx.log(`  warm-up flap ${r + warmup + 1}/${warmup} (not counted)`);
      await sleep(250);
      continue;
    }
    runs.push(run);
    const sorted = [...run.fanoutMs].sort((a, b) => a - b);
    ctx.log(
      `  flap ${r + 1}/${options.runs}: Consul→answer ${(probe.answerAt - change.at).toFixed(0)} ms, answer→publish ${(probe.publishAt - probe.answerAt).toFixed(1)} ms, ` +
        `fan-out p50 ${percentile(sorted, 50).toFixed(1)} / p99 ${percentile(sorted, 99).toFixed(1)} ms, CPU ${probe.cpuMs.toFixed(1)} ms, missing ${run.missing}`,
    );
    await sleep(250);
  }
  return { runs, frame };
}
