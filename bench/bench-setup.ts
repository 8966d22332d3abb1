import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import type { BenchContext } from "./bench-context.js";
import type { BenchOptions } from "./bench-options.js";
import type { BridgeOps, MemoryReading } from "./bridge-process.js";
import type { CatalogOps } from "./catalog-process.js";
import type { ClientOps, ClientSpec } from "./client-process.js";
import { clientServices, serviceName } from "./client-subscriptions.js";
import { RpcChild } from "./ipc-rpc.js";
import { monoMs } from "./mono-clock.js";

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

/** The machine and build a run measured, for the report's header and JSON. */
export interface BenchEnvironment {
  readonly cores: number;
  readonly availableParallelism: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly totalMemoryGiB: number;
  readonly revision: string;
  /** The 1-minute load average when the run started: how busy the machine already was. */
  readonly loadAverage: number;
}

/** Describes this machine and the commit being measured. */
export function benchEnvironment(): BenchEnvironment {
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    cpuModel: cpuList[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    revision: revision(),
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** A started bench: the processes, synced with the catalog, and the K clients connected. */
export interface RunningBench {
  readonly ctx: BenchContext;
  /** Timings and memory of the set-up, for the JSON result. */
  readonly setup: Record<string, unknown>;
  /** The bridge's memory when its initial sync completed and once the K clients had synced. */
  readonly memoryAtSync: MemoryReading;
  readonly memoryWithClients: MemoryReading;
  /** Runs `body` as a named phase: its monoMs window is recorded (see `setup.phases`). */
  phase<T>(name: string, body: () => Promise<T>): Promise<T>;
  /** The windows recorded so far, by phase name. */
  readonly phases: Record<string, [number, number] | Array<[number, number]>>;
  /** Ends every child process. */
  close(): Promise<void>;
}

/**
 * Starts the catalog (seeded with N × M instances), the bridge (synced with it) and W client
 * processes, and connects the K clients; the scenarios then run on what this returns. `profileDir`
 * runs the bridge with --cpu-prof. On failure every child is ended before the error is thrown.
 */
export async function startBench(options: BenchOptions, log: (line: string) => void, profileDir?: string): Promise<RunningBench> {
  const here = (file: string) => new URL(`./${file}`, import.meta.url);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const catalog = RpcChild.spawn<CatalogOps>("catalog", here("catalog-process.js"));
  // --expose-gc only lets the memory scenarios take readings after a full GC too; nothing else calls gc().
  const bridge = RpcChild.spawn<BridgeOps>("bridge", here("bridge-process.js"), [
    "--expose-gc",
    ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
  ]);
  const workers = Array.from({ length: Math.min(options.clientWorkers, options.clients) }, (_, i) =>
    RpcChild.spawn<ClientOps>(`clients-${i}`, here("client-process.js")),
  );
  const children = [catalog, bridge, ...workers];
  const close = async () => {
    await Promise.all(children.map((c) => c.close()));
  };
  const setup: Record<string, unknown> = {};
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
    const memoryAtSync = await bridge.call("memory", { gc: false });
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
    const memoryWithClients = await bridge.call("memory", { gc: false });
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    log(
      `bridge RSS ${mb(memoryAtSync.rss)} MB after the initial sync (heap ${mb(memoryAtSync.heapUsed)} MB), ${mb(memoryWithClients.rss)} MB with ${options.clients} clients (heap ${mb(memoryWithClients.heapUsed)} MB)`,
    );
    Object.assign(setup, {
      memoryAtSync,
      memoryWithClients,
      seedMs: seeded.seedMs,
      bridgeSyncedMs: started.syncedMs,
      firstPublishMs: started.firstPublishMs,
      initialSyncCpuMs: started.cpuMs,
      initialConnectMs: connectEnd - connectStart,
    });
    const ctx: BenchContext = { options, catalog, bridge, workers, shares, xdsUrl, log };
    return { ctx, setup, memoryAtSync, memoryWithClients, phase, phases, close };
  } catch (error) {
    await close();
    throw error;
  }
}
