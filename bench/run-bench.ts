// The scale benchmark of issue 7. Run it with `npm run bench -- [flags]` (see bench-options.ts and
// docs/performance.md). It starts three kinds of processes — the catalog, the bridge and W client
// processes — drives the scenarios through them, prints a table and writes a JSON result. With
// --sweep it runs the cost curves instead (sweep.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ScenarioResult } from "./bench-context.js";
import { type BenchOptions, benchUsage, parseBenchOptions } from "./bench-options.js";
import { benchEnvironment, startBench } from "./bench-setup.js";
import { monoMs } from "./mono-clock.js";
import { formatTable } from "./report-table.js";
import { runColdSync } from "./scenarios/cold-sync.js";
import { runConfigEntryChange } from "./scenarios/config-entry-change.js";
import { consulConnectionsResult } from "./scenarios/consul-connections.js";
import { runDeltaVsSotw } from "./scenarios/delta-vs-sotw.js";
import { fanoutEfficiencyResult, type RawRun, runRawFanouts } from "./scenarios/fanout-efficiency.js";
import { flapFanoutResult } from "./scenarios/flap-fanout.js";
import { type FlapRuns, runFlaps } from "./scenarios/flap-runs.js";
import { runReconnectStorm } from "./scenarios/reconnect-storm.js";
import { sampleMemory } from "./scenarios/resident-memory.js";
import { residentMemoryResult } from "./scenarios/resident-memory-result.js";
import { runScopedVsUnscoped } from "./scenarios/scoped-vs-unscoped.js";
import { runSteadyChurn } from "./scenarios/steady-churn.js";
import { runSweep } from "./sweep.js";

const log = (line: string) => process.stderr.write(`${line}\n`);

async function run(options: BenchOptions): Promise<void> {
  const began = monoMs();
  const env = benchEnvironment();
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  log(
    `consul-xds-bridge bench — ${env.cores} cores (${env.cpuModel}), Node ${env.node}, ${env.totalMemoryGiB} GiB, load average ${env.loadAverage}`,
  );
  log(
    `sizes: ${options.services} services × ${options.instances} instances = ${options.services * options.instances} endpoints; ${options.clients} clients in ${options.clientWorkers} processes; ${options.runs} runs`,
  );
  const results: ScenarioResult[] = [];
  const running = await startBench(options, log, options.profile ? join(outDir, "profiles") : undefined);
  const { ctx, setup, phase, phases } = running;
  try {
    const wants = (n: number) => options.scenarios.has(n);
    const memory = wants(5) ? await sampleMemory(ctx, 10, 100) : [];
    let flaps: FlapRuns | undefined;
    if (wants(1) || wants(6) || wants(7)) {
      log("scenarios 1, 6, 7: flapping the hot service");
      flaps = await phase("flaps", () => runFlaps(ctx));
      // Each fan-out's own window (answer → last ACK): what scenario 7 meters.
      phases.fanouts = flaps.runs.map((r) => [r.probe.answerAt, r.probe.lastAckAt]);
      if (wants(1)) results.push(flapFanoutResult(flaps, options.clients));
    }
    let raw: RawRun[] = [];
    if (wants(7) && flaps) {
      log("scenario 7: raw HTTP/2 baseline");
      const frame = flaps.frame;
      raw = await phase("raw", () => runRawFanouts(ctx, frame));
    }
    if (wants(3)) {
      log("scenario 3: reconnect storms");
      results.push(await phase("storms", () => runReconnectStorm(ctx)));
    }
    if (wants(2)) {
      log("scenario 2: cold sync");
      results.push(await phase("cold-sync", () => runColdSync(ctx)));
    }
    if (wants(4)) {
      log("scenario 4: steady churn");
      results.push(await phase("churn", () => runSteadyChurn(ctx)));
    }
    if (wants(8)) {
      log("scenario 8: delta vs SotW (Envoys with every service)");
      results.push(await phase("delta", () => runDeltaVsSotw(ctx)));
    }
    if (wants(9)) {
      log("scenario 9: scoped vs unscoped Envoys");
      results.push(await phase("scoped", () => runScopedVsUnscoped(ctx)));
    }
    if (wants(5)) {
      await new Promise((r) => setTimeout(r, 2_000));
      memory.push(...(await sampleMemory(ctx, 10, 100)));
      const afterGc = await sampleMemory(ctx, 3, 100, true);
      results.push(residentMemoryResult(memory, afterGc, options.services * options.instances, options.clients));
    }
    if (wants(6) && flaps) results.push(consulConnectionsResult(flaps, await ctx.catalog.call("connections", undefined)));
    if (wants(10)) {
      log("scenario 10: config-entry changes");
      results.push(await phase("config-entries", () => runConfigEntryChange(ctx)));
    }
    // Last, as writing it disturbs memory and timing: what the bridge holds after every scenario.
    if (options.heapSnapshot)
      log(`heap snapshot: ${await ctx.bridge.call("heapSnapshot", { path: join(outDir, `bridge-${stamp}.heapsnapshot`) })}`);
    if (wants(7) && flaps) results.push(fanoutEfficiencyResult(flaps, raw));
  } finally {
    await running.close();
  }

  results.sort((a, b) => a.id - b.id);
  const rows = results.flatMap((r) => r.rows);
  const titles = new Map(results.map((r) => [r.id, r.title]));
  const durationMs = monoMs() - began;
  const header = [
    `machine: ${env.cores} cores (${env.cpuModel}), ${env.totalMemoryGiB} GiB, Node ${env.node}, load average ${env.loadAverage} at the start`,
    `sizes: ${options.services} services × ${options.instances} instances, ${options.clients} clients, ${options.runs} runs (${options.stormRuns} storms), churn ${options.churnRate}/s for ${options.churnSeconds} s, debounce ${options.debounceMs} ms`,
    ...(options.scenarios.has(9)
      ? [
          `scenario 9: ${options.scopedClients} scoped Envoys (${options.scopedUpstreams} upstreams each) and ${options.unscopedClients} unscoped ones`,
        ]
      : []),
    ...(options.services * options.instances < 100_000 || options.clients < 1_000
      ? ["note: sizes below the issue's (10,000 × 10, 1,000 clients): verdicts are indicative only"]
      : []),
  ];
  process.stdout.write(`\n${header.join("\n")}\n\n${formatTable(rows, titles)}\n\n`);
  const met = rows.filter((r) => r.met === true).length;
  const judged = rows.filter((r) => r.met !== undefined).length;
  process.stdout.write(`${met}/${judged} targets met; run took ${(durationMs / 1000).toFixed(1)} s\n`);
  const file = join(outDir, `bench-${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ version: 1, date: new Date().toISOString(), environment: env, options: { ...options, scenarios: [...options.scenarios] }, setup, scenarios: results, durationMs }, null, 2)}\n`,
  );
  process.stdout.write(`JSON: ${file}\n`);
}

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  log(`${(error as Error).message}\n${benchUsage}`);
  process.exit(2);
}
(options.sweep ? runSweep(options, log) : run(options)).then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
