// The scale benchmark of issue 7. Run it with `npm run bench -- [flags]` (see bench-options.ts and
// docs/performance.md). It starts three kinds of processes — the catalog, the bridge and W client
// processes — drives the scenarios through them, prints a table and writes a JSON result.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { BenchContext, ScenarioResult } from "./bench-context.js";
import { type BenchOptions, benchUsage, parseBenchOptions } from "./bench-options.js";
import type { BridgeOps } from "./bridge-process.js";
import type { CatalogOps } from "./catalog-process.js";
import type { ClientOps, ClientSpec } from "./client-process.js";
import { clientServices, serviceName } from "./client-subscriptions.js";
import { RpcChild } from "./ipc-rpc.js";
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
import { runSteadyChurn } from "./scenarios/steady-churn.js";

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The commit measured, "+changes" when the work tree differs from it ("unknown" outside git). */
function revision(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim() !== "";
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return "unknown";
  }
}

function environment() {
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    cpuModel: cpuList[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    revision: revision(),
  };
}

async function run(options: BenchOptions): Promise<void> {
  const began = monoMs();
  const env = environment();
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  log(`consul-xds-bridge bench — ${env.cores} cores (${env.cpuModel}), Node ${env.node}, ${env.totalMemoryGiB} GiB`);
  log(
    `sizes: ${options.services} services × ${options.instances} instances = ${options.services * options.instances} endpoints; ${options.clients} clients in ${options.clientWorkers} processes; ${options.runs} runs`,
  );

  const here = (file: string) => new URL(`./${file}`, import.meta.url);
  const profileDir = join(outDir, "profiles");
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const catalog = RpcChild.spawn<CatalogOps>("catalog", here("catalog-process.js"));
  // --expose-gc only lets the memory scenario take readings after a full GC too; nothing else calls gc().
  const bridge = RpcChild.spawn<BridgeOps>("bridge", here("bridge-process.js"), [
    "--expose-gc",
    ...(options.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
  ]);
  const workers = Array.from({ length: Math.min(options.clientWorkers, options.clients) }, (_, i) =>
    RpcChild.spawn<ClientOps>(`clients-${i}`, here("client-process.js")),
  );
  const children = [catalog, bridge, ...workers];
  const results: ScenarioResult[] = [];
  const setup: Record<string, unknown> = {};
  /** monoMs windows of each phase, so a --profile can be read phase by phase (summarize-profile). */
  const phases: Record<string, [number, number] | Array<[number, number]>> = {};
  const phase = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const start = monoMs();
    try {
      return await body();
    } finally {
      phases[name] = [start, monoMs()];
    }
  };
  setup.phases = phases;
  try {
    const names = Array.from({ length: options.services }, (_, i) => serviceName(i));
    const seeded = await catalog.call("start", { services: options.services, instances: options.instances, serviceName: names });
    log(`catalog (pid ${catalog.pid}) seeded ${seeded.checks} instances in ${seeded.seedMs.toFixed(0)} ms at ${seeded.url}`);
    const started = await phase("initial-sync", () => bridge.call("start", { consulUrl: seeded.url, debounceMs: options.debounceMs }));
    log(
      `bridge (pid ${bridge.pid}) synced with Consul in ${started.syncedMs.toFixed(0)} ms, first snapshot after ${started.firstPublishMs.toFixed(0)} ms (${started.cpuMs.toFixed(0)} ms CPU)`,
    );
    const atSync = await bridge.call("memory", { gc: false });
    const shares: ClientSpec[][] = workers.map(() => []);
    for (let id = 0; id < options.clients; id++) shares[id % workers.length]!.push({ id, services: clientServices(id, options.services) });
    const xdsUrl = `http://127.0.0.1:${started.xdsPort}`;
    const connected = await phase("connect", () =>
      Promise.all(workers.map((w, i) => w.call("connect", { url: xdsUrl, clients: shares[i]!, timeoutMs: 120_000 }))),
    );
    const connectStart = Math.min(...connected.map((c) => c.startedAt));
    const connectEnd = Math.max(...connected.flatMap((c) => c.syncedAt));
    const connectErrors = connected.flatMap((c) => c.errors);
    log(`${options.clients} clients connected and synced in ${(connectEnd - connectStart).toFixed(0)} ms (${connectErrors.length} errors)`);
    if (connectErrors.length > 0) throw new Error(`clients failed to sync: ${connectErrors.slice(0, 5).join("; ")}`);
    const atConnect = await bridge.call("memory", { gc: false });
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    log(
      `bridge RSS ${mb(atSync.rss)} MB after the initial sync (heap ${mb(atSync.heapUsed)} MB), ${mb(atConnect.rss)} MB with ${options.clients} clients (heap ${mb(atConnect.heapUsed)} MB)`,
    );
    Object.assign(setup, { memoryAtSync: atSync, memoryWithClients: atConnect });
    Object.assign(setup, {
      seedMs: seeded.seedMs,
      bridgeSyncedMs: started.syncedMs,
      firstPublishMs: started.firstPublishMs,
      initialSyncCpuMs: started.cpuMs,
      initialConnectMs: connectEnd - connectStart,
    });
    const ctx: BenchContext = { options, catalog, bridge, workers, shares, xdsUrl, log };
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
    if (wants(5)) {
      await new Promise((r) => setTimeout(r, 2_000));
      memory.push(...(await sampleMemory(ctx, 10, 100)));
      const afterGc = await sampleMemory(ctx, 3, 100, true);
      results.push(residentMemoryResult(memory, afterGc, options.services * options.instances, options.clients));
    }
    if (wants(6) && flaps) results.push(consulConnectionsResult(flaps, await catalog.call("connections", undefined)));
    if (wants(9)) {
      log("scenario 9: config-entry changes");
      results.push(await phase("config-entries", () => runConfigEntryChange(ctx)));
    }
    // Last, as writing it disturbs memory and timing: what the bridge holds after every scenario.
    if (options.heapSnapshot)
      log(`heap snapshot: ${await bridge.call("heapSnapshot", { path: join(outDir, `bridge-${stamp}.heapsnapshot`) })}`);
    if (wants(7) && flaps) results.push(fanoutEfficiencyResult(flaps, raw));
  } finally {
    await Promise.all(children.map((c) => c.close()));
  }

  results.sort((a, b) => a.id - b.id);
  const rows = results.flatMap((r) => r.rows);
  const titles = new Map(results.map((r) => [r.id, r.title]));
  const durationMs = monoMs() - began;
  const header = [
    `machine: ${env.cores} cores (${env.cpuModel}), ${env.totalMemoryGiB} GiB, Node ${env.node}`,
    `sizes: ${options.services} services × ${options.instances} instances, ${options.clients} clients, ${options.runs} runs (${options.stormRuns} storms), churn ${options.churnRate}/s for ${options.churnSeconds} s, debounce ${options.debounceMs} ms`,
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
run(options).then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
