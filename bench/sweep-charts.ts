import { type ChartSeries, formatSize, lineChartSvg } from "./svg-chart.js";
import { curvePoints, type SweepContext, type SweepPoint } from "./sweep-plan.js";
import { formatBytes } from "./sweep-report.js";

/** One chart file of a sweep. */
export interface SweepChart {
  readonly file: string;
  readonly svg: string;
}

const ms = (y: number) => `${Number.parseFloat(y.toPrecision(3))} ms`;
const megabytes = (y: number) => `${Number.parseFloat(y.toPrecision(3))} MB`;

/** 1, 10 and 100 of each binary unit (B, KB, MB, GB) from below `min` to above `max`. */
function byteTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (const unit of [1, 1024, 1024 ** 2, 1024 ** 3]) for (const m of [1, 10, 100]) ticks.push(unit * m);
  const lower = ticks.filter((t) => t <= min).at(-1) ?? ticks[0]!;
  const upper = ticks.find((t) => t >= max) ?? ticks.at(-1)!;
  return ticks.filter((t) => t >= lower && t <= upper);
}

/** A series from the points that have a value. */
function series(
  name: string,
  points: readonly SweepPoint[],
  x: (p: SweepPoint) => number,
  y: (p: SweepPoint) => number | undefined,
): ChartSeries {
  return {
    name,
    points: points.flatMap((p) => {
      const value = y(p);
      return value === undefined || !Number.isFinite(value) ? [] : [{ x: x(p), y: value }];
    }),
  };
}

/** The dashed line of proportional growth through a series' first point, sampled along the log axis. */
function proportional(name: string, of: ChartSeries): ChartSeries[] {
  const first = of.points[0];
  const last = of.points.at(-1);
  if (!first || !last || first.x === last.x) return [];
  const steps = 24;
  const ratio = last.x / first.x;
  const points = Array.from({ length: steps + 1 }, (_, i) => {
    const x = first.x * ratio ** (i / steps);
    return { x, y: (first.y * x) / first.x };
  });
  return [{ name, points, reference: true }];
}

/**
 * The sweep's charts: fan-out CPU and latency by streams, memory by endpoints and by streams, and
 * Consul bytes per flap by checks, each with the sizes, machine, date and commit in its subtitle.
 */
export function sweepCharts(points: readonly SweepPoint[], c: SweepContext): SweepChart[] {
  const where = `${c.machine} · load average ${c.loadAverage} at the start · ${c.date.slice(0, 10)} · ${c.revision}`;
  const fanout = curvePoints(points, "fanout").sort((a, b) => a.streams - b.streams);
  const memory = curvePoints(points, "memory");
  const consul = curvePoints(points, "consul");
  const charts: SweepChart[] = [];
  const streams = (p: SweepPoint) => p.streams;
  const endpoints = (p: SweepPoint) => p.endpoints;
  if (fanout.length > 0) {
    const sizes = `${formatSize(c.services * c.instances)} endpoints (${formatSize(c.services)} services × ${c.instances}), one instance flap, ${c.runs} flaps a point, medians`;
    const cpu = series("bridge CPU per fan-out (Consul's answer → last ACK)", fanout, streams, (p) => p.flaps?.cpuMs.median);
    charts.push({
      file: "sweep-fanout-cpu.svg",
      svg: lineChartSvg({
        title: "Fan-out CPU by streams",
        subtitle: [sizes, where],
        xLabel: "streams (one client, one connection each)",
        yLabel: "CPU time per fan-out",
        yScale: "linear",
        formatY: ms,
        series: [
          cpu,
          series("raw HTTP/2 writes of the same bytes (the floor)", fanout, streams, (p) => p.raw?.cpuMs.median),
          ...proportional("proportional to streams, from the first point", cpu),
        ],
      }),
    });
    charts.push({
      file: "sweep-fanout-latency.svg",
      svg: lineChartSvg({
        title: "Fan-out latency by streams: Consul's answer → each client",
        subtitle: [sizes.replace(", medians", ""), where],
        xLabel: "streams",
        yLabel: "answer → client",
        yScale: "linear",
        formatY: ms,
        series: [
          series("p50, all streams × flaps", fanout, streams, (p) => p.flaps?.answerToClient.median),
          series("p99, all streams × flaps", fanout, streams, (p) => p.flaps?.answerToClient.p99),
          series("answer → snapshot published (median)", fanout, streams, (p) => p.flaps?.answerToPublish.median),
        ],
      }),
    });
    charts.push({
      file: "sweep-memory-streams.svg",
      svg: lineChartSvg({
        title: "Bridge memory by streams",
        subtitle: [`${formatSize(c.services * c.instances)} endpoints, readings once every client synced`, where],
        xLabel: "streams",
        yLabel: "memory",
        yScale: "linear",
        formatY: megabytes,
        series: [
          series("RSS, idle (median)", fanout, streams, (p) => p.memory.rssIdle.median),
          series("V8 heap used after a full GC", fanout, streams, (p) => p.memory.heapAfterGc.median),
        ],
      }),
    });
  }
  if (memory.length > 0) {
    const heap = series("V8 heap used after a full GC (what is live)", memory, endpoints, (p) => p.memory.heapAfterGc.median);
    charts.push({
      file: "sweep-memory-endpoints.svg",
      svg: lineChartSvg({
        title: "Bridge memory by endpoints",
        subtitle: [`${c.instances} instances a service, ${c.clients} streams, readings once every client synced`, where],
        xLabel: "endpoints (services × instances)",
        yLabel: "memory",
        yScale: "linear",
        formatY: megabytes,
        series: [
          series("peak RSS since start (initial sync included)", memory, endpoints, (p) => p.memory.peakRss),
          series("RSS, idle (median)", memory, endpoints, (p) => p.memory.rssIdle.median),
          heap,
          ...proportional("heap proportional to endpoints, from the first point", heap),
        ],
      }),
    });
  }
  if (consul.length > 0) {
    charts.push({
      file: "sweep-consul-bytes.svg",
      svg: lineChartSvg({
        title: "Bytes Consul serves per instance flap, by checks",
        subtitle: [`${c.instances} instances a service, one check each, ${c.runs} flaps a point (median)`, where],
        xLabel: "checks in the catalog",
        yLabel: "bytes per flap",
        yScale: "log",
        formatY: formatBytes,
        logTicks: byteTicks,
        series: [
          series("now: filtered check feed + the service's read", consul, endpoints, (p) => p.flaps?.consulBytes.median),
          series("the whole unfiltered /v1/health/state/any (each flap before fix 10)", consul, endpoints, (p) => p.unfilteredFeedBytes),
        ],
      }),
    });
  }
  return charts;
}
