import { type BenchContext, type ScenarioResult, sleep, until } from "../bench-context.js";
import { metricRow } from "../metric-row.js";
import type { RawFanoutResult } from "../raw-fanout-server.js";
import type { FlapRuns } from "./flap-runs.js";

/** One raw fan-out: the server's CPU and the clients' arrival times. */
export interface RawRun {
  readonly result: RawFanoutResult;
  /** Per client: arrival minus the first write (ms). */
  readonly latencyMs: number[];
}

/**
 * The baseline of scenario 7, in the bridge process and the same run: a bare HTTP/2 server with one
 * stream per client writes the very bytes of a flap's EDS response to all K streams, and each client
 * answers with an ACK-sized message, R times. Its CPU time is the floor a fan-out can reach.
 */
export async function runRawFanouts(ctx: BenchContext, frame: Uint8Array): Promise<RawRun[]> {
  const { bridge, workers, options } = ctx;
  const port = await bridge.call("rawStart", undefined);
  const runs: RawRun[] = [];
  try {
    await Promise.all(workers.map((w) => w.call("rawConnect", { url: `http://127.0.0.1:${port}` })));
    await until("raw streams", async () => (await bridge.call("rawStreams", undefined)) >= options.clients, 30_000);
    for (let r = 0; r < options.runs; r++) {
      await Promise.all(workers.map((w) => w.call("rawArm", undefined)));
      const result = await bridge.call("rawFanout", { frame, echoes: options.clients, timeoutMs: 30_000 });
      const times = await Promise.all(
        ctx.workers.map((w, i) => w.call("rawCollect", { expected: ctx.shares[i]!.length, timeoutMs: 10_000 })),
      );
      runs.push({ result, latencyMs: times.flat().map((t) => t - result.startedAt) });
      ctx.log(
        `  raw ${r + 1}/${options.runs}: CPU ${result.cpuMs.toFixed(1)} ms, ${result.echoes}/${result.streams} echoes in ${(result.lastEchoAt - result.startedAt).toFixed(1)} ms`,
      );
      await sleep(100);
    }
  } finally {
    await Promise.all(workers.map((w) => w.call("rawClose", undefined)));
    await bridge.call("rawStop", undefined);
  }
  return runs;
}

/**
 * Scenario 7: CPU time of a full fan-out (bridge process, from Consul's answer to the last ACK:
 * model, publish, per-stream planning and encoding, HTTP/2 writes, ACK handling) against the raw
 * baseline writing the same bytes to the same number of streams, run by run; target ratio ≤ 2×.
 */
export function fanoutEfficiencyResult(flaps: FlapRuns, raw: readonly RawRun[]): ScenarioResult {
  const fanoutCpu = flaps.runs.map((r) => r.probe.cpuMs);
  const rawCpu = raw.map((r) => r.result.cpuMs);
  const pairs = Math.min(fanoutCpu.length, rawCpu.length);
  const ratios = Array.from({ length: pairs }, (_, i) => fanoutCpu[i]! / rawCpu[i]!);
  return {
    id: 7,
    title: "fan-out efficiency",
    rows: [
      metricRow(7, "bridge CPU, answer → last ACK", "ms", fanoutCpu),
      metricRow(7, "raw HTTP/2 CPU, same bytes to K streams", "ms", rawCpu),
      metricRow(7, "CPU ratio fan-out ÷ raw (run by run)", "×", ratios, { stat: "median", op: "<=", value: 2 }),
      metricRow(
        7,
        "raw: first write → client",
        "ms",
        raw.flatMap((r) => r.latencyMs),
      ),
    ],
    details: { frameBytes: flaps.frame.byteLength, raw: raw.map((r) => r.result) },
  };
}
