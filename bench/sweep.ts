// The cost curves of issue 13 (`npm run bench -- --sweep`): how fan-out cost grows with streams,
// memory with endpoints, and what Consul serves per flap with checks. Each point is a fresh set of
// processes (catalog, bridge, clients) at that size, measured with the scenarios' own code; the
// tables and SVG charts go to <out>/ and, for the charts docs/performance.md shows, to --images.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BenchOptions } from "./bench-options.js";
import { benchEnvironment, startBench } from "./bench-setup.js";
import { monoMs } from "./mono-clock.js";
import { runRawFanouts } from "./scenarios/fanout-efficiency.js";
import { runFlaps } from "./scenarios/flap-runs.js";
import { sampleMemory } from "./scenarios/resident-memory.js";
import { summarize } from "./stats.js";
import { sweepCharts } from "./sweep-charts.js";
import { planSweep, type SweepContext, type SweepPlanPoint, type SweepPoint } from "./sweep-plan.js";
import { sweepTables } from "./sweep-report.js";

const mb = (bytes: number) => bytes / (1024 * 1024);

/** Starts the processes at one point's sizes, measures what its curves need, and ends them. */
async function measurePoint(options: BenchOptions, plan: SweepPlanPoint, log: (line: string) => void): Promise<SweepPoint> {
  const began = monoMs();
  const pointOptions: BenchOptions = { ...options, services: plan.services, clients: plan.streams, scenarios: new Set(), profile: false };
  const running = await startBench(pointOptions, log);
  const { ctx } = running;
  try {
    // Memory first, before flaps and raw fan-outs disturb it (as scenario 5's first readings).
    const idle = await sampleMemory(ctx, 10, 100);
    const afterGc = await sampleMemory(ctx, 3, 100, true);
    const wantsFlaps = plan.curves.includes("fanout") || plan.curves.includes("consul");
    const flapRuns = wantsFlaps ? await runFlaps(ctx) : undefined;
    const raws = flapRuns && plan.curves.includes("fanout") ? await runRawFanouts(ctx, flapRuns.frame) : undefined;
    const unfilteredFeedBytes = plan.curves.includes("consul") ? await ctx.catalog.call("unfilteredFeedBytes", undefined) : undefined;
    let flaps: SweepPoint["flaps"];
    let raw: SweepPoint["raw"];
    if (flapRuns) {
      const runs = flapRuns.runs;
      const totals = runs.map((r) => Object.values(r.consulBytes).reduce((a, b) => a + b, 0));
      const endpoints = [...new Set(runs.flatMap((r) => Object.keys(r.consulBytes)))].sort();
      flaps = {
        answerToClient: summarize(runs.flatMap((r) => r.fanoutMs)),
        perRunP99: summarize(runs.map((r) => summarize(r.fanoutMs).p99)),
        answerToPublish: summarize(runs.map((r) => r.probe.publishAt - r.probe.answerAt)),
        cpuMs: summarize(runs.map((r) => r.probe.cpuMs)),
        missing: runs.reduce((n, r) => n + r.missing, 0),
        consulBytes: summarize(totals),
        consulBytesByEndpoint: Object.fromEntries(endpoints.map((e) => [e, summarize(runs.map((r) => r.consulBytes[e] ?? 0))])),
      };
      if (raws) {
        const pairs = Math.min(runs.length, raws.length);
        raw = {
          cpuMs: summarize(raws.map((r) => r.result.cpuMs)),
          ratio: summarize(Array.from({ length: pairs }, (_, i) => runs[i]!.probe.cpuMs / raws[i]!.result.cpuMs)),
        };
      }
    }
    const setup = running.setup as Record<string, number>;
    return {
      ...plan,
      endpoints: plan.services * plan.instances,
      setup: {
        seedMs: setup.seedMs!,
        bridgeSyncedMs: setup.bridgeSyncedMs!,
        initialSyncCpuMs: setup.initialSyncCpuMs!,
        initialConnectMs: setup.initialConnectMs!,
        durationMs: monoMs() - began,
      },
      memory: {
        rssIdle: summarize(idle.map((m) => mb(m.rss))),
        heapIdle: summarize(idle.map((m) => mb(m.heapUsed))),
        rssAfterGc: summarize(afterGc.map((m) => mb(m.rss))),
        heapAfterGc: summarize(afterGc.map((m) => mb(m.heapUsed))),
        peakRss: mb(Math.max(...[...idle, ...afterGc].map((m) => m.maxRss))),
      },
      flaps,
      raw,
      unfilteredFeedBytes,
    };
  } finally {
    await running.close();
  }
}

/**
 * Prints the tables and writes them (`<base>.md`) and the charts (`<base>/*.svg`); with `images`,
 * copies the charts there too (the ones docs/performance.md shows).
 */
export function writeSweepOutputs(points: readonly SweepPoint[], context: SweepContext, base: string, images: string | undefined): void {
  const tables = sweepTables(points, context);
  process.stdout.write(`\n${tables}\n`);
  writeFileSync(`${base}.md`, tables);
  mkdirSync(base, { recursive: true });
  const charts = sweepCharts(points, context);
  for (const chart of charts) writeFileSync(join(base, chart.file), chart.svg);
  process.stdout.write(`tables: ${base}.md\ncharts: ${base}/{${charts.map((c) => c.file).join(",")}}\n`);
  if (images) {
    const dir = resolve(images);
    mkdirSync(dir, { recursive: true });
    for (const chart of charts) copyFileSync(join(base, chart.file), join(dir, chart.file));
    process.stdout.write(`charts for docs/performance.md copied to ${dir}\n`);
  }
}

/** Runs every point of the sweep, one after the other, then writes the tables, the charts and the JSON. */
export async function runSweep(options: BenchOptions, log: (line: string) => void): Promise<void> {
  const began = monoMs();
  const env = benchEnvironment();
  const outDir = resolve(options.out);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  mkdirSync(outDir, { recursive: true });
  const plan = planSweep(options);
  log(
    `consul-xds-bridge bench --sweep — ${env.cores} cores (${env.cpuModel}), Node ${env.node}, ${env.totalMemoryGiB} GiB, load average ${env.loadAverage}`,
  );
  log(
    `${plan.length} points: ${plan.map((p) => `${p.services * p.instances} endpoints / ${p.streams} streams (${p.curves.join(", ")})`).join("; ")}`,
  );
  const points: SweepPoint[] = [];
  for (const [i, point] of plan.entries()) {
    log(
      `\npoint ${i + 1}/${plan.length}: ${point.services} services × ${point.instances} instances, ${point.streams} streams — ${point.curves.join(", ")}`,
    );
    points.push(await measurePoint(options, point, log));
  }
  const durationMs = monoMs() - began;
  const context: SweepContext = {
    date: new Date().toISOString(),
    machine: `${env.cores} cores (${env.cpuModel}), ${env.totalMemoryGiB} GiB, Node ${env.node}, ${env.platform}`,
    loadAverage: env.loadAverage,
    revision: env.revision,
    instances: options.instances,
    services: options.services,
    clients: options.clients,
    runs: options.runs,
  };
  const file = join(outDir, `sweep-${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ version: 1, kind: "sweep", environment: env, options: { ...options, scenarios: [] }, context, points, durationMs }, null, 2)}\n`,
  );
  writeSweepOutputs(points, context, join(outDir, `sweep-${stamp}`), options.images);
  process.stdout.write(`sweep took ${(durationMs / 1000).toFixed(0)} s\nJSON: ${file}\n`);
}
