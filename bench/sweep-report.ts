import { formatSize } from "./svg-chart.js";
import { curvePoints, growthVsProportional, type SweepContext, type SweepPoint } from "./sweep-plan.js";

/** A number with a unit, three significant figures at most (— when missing). */
function fig(value: number | undefined, unit = ""): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit === "" ? "" : ` ${unit}`}`;
}

/** Bytes as B, KB or MB (1024-based, as the bench's other rows). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "—";
  if (bytes >= 1024 * 1024) return fig(bytes / (1024 * 1024), "MB");
  if (bytes >= 1024) return fig(bytes / 1024, "KB");
  return `${Math.round(bytes)} B`;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "--:")), ...rows.map(line)].join("\n");
}

function fanoutTable(points: readonly SweepPoint[], c: SweepContext): string {
  const first = points[0];
  const rows = points.map((p) => [
    p.streams.toLocaleString("en-US"),
    fig(p.flaps?.answerToClient.median, "ms"),
    fig(p.flaps?.answerToClient.p99, "ms"),
    fig(p.flaps?.perRunP99.median, "ms"),
    fig(p.flaps?.cpuMs.median, "ms"),
    fig(((p.flaps?.cpuMs.median ?? Number.NaN) * 1000) / p.streams, "µs"),
    fig(p.raw?.cpuMs.median, "ms"),
    p.raw ? `${fig(p.raw.ratio.median)}×` : "—",
    first?.flaps && p.flaps
      ? `${fig(growthVsProportional(p.streams, p.flaps.cpuMs.median, first.streams, first.flaps.cpuMs.median))}×`
      : "—",
    String(p.flaps?.missing ?? "—"),
  ]);
  return [
    `### Fan-out: one flap of the hot service to every stream (${c.services.toLocaleString("en-US")} services × ${c.instances} instances, ${c.runs} flaps a point)`,
    "",
    table(
      [
        "streams",
        "answer → client p50",
        "p99 (pooled)",
        "per-run p99, median",
        "bridge CPU per fan-out",
        "CPU per stream",
        "raw HTTP/2 CPU",
        "CPU ÷ raw",
        "CPU growth ÷ proportional",
        "missed",
      ],
      rows,
    ),
  ].join("\n");
}

function memoryTable(points: readonly SweepPoint[], c: SweepContext): string {
  const first = points[0];
  const rows = points.map((p) => [
    p.endpoints.toLocaleString("en-US"),
    p.services.toLocaleString("en-US"),
    fig(p.memory.rssIdle.median, "MB"),
    fig(p.memory.peakRss, "MB"),
    fig(p.memory.heapIdle.median, "MB"),
    fig(p.memory.heapAfterGc.median, "MB"),
    fig(p.memory.rssAfterGc.median, "MB"),
    first && p !== first
      ? fig(((p.memory.heapAfterGc.median - first.memory.heapAfterGc.median) * 1000) / (p.endpoints - first.endpoints), "MB")
      : "—",
    first
      ? `${fig(growthVsProportional(p.endpoints, p.memory.heapAfterGc.median, first.endpoints, first.memory.heapAfterGc.median))}×`
      : "—",
    first ? `${fig(growthVsProportional(p.endpoints, p.memory.rssIdle.median, first.endpoints, first.memory.rssIdle.median))}×` : "—",
  ]);
  return [
    `### Memory: bridge process by endpoints (${c.instances} instances a service, ${c.clients.toLocaleString("en-US")} streams)`,
    "",
    table(
      [
        "endpoints",
        "services",
        "RSS idle, median",
        "peak RSS",
        "heap used idle",
        "heap after a full GC",
        "RSS after a full GC",
        "heap after GC per 1,000 added endpoints",
        "heap growth ÷ proportional",
        "RSS growth ÷ proportional",
      ],
      rows,
    ),
  ].join("\n");
}

function streamMemoryTable(points: readonly SweepPoint[], c: SweepContext): string {
  const first = points[0];
  const rows = points.map((p) => [
    p.streams.toLocaleString("en-US"),
    fig(p.memory.rssIdle.median, "MB"),
    fig(p.memory.heapAfterGc.median, "MB"),
    first && p !== first
      ? fig(((p.memory.heapAfterGc.median - first.memory.heapAfterGc.median) * 1024) / (p.streams - first.streams), "KB")
      : "—",
    first && p !== first ? fig(((p.memory.rssIdle.median - first.memory.rssIdle.median) * 1024) / (p.streams - first.streams), "KB") : "—",
  ]);
  return [
    `### Memory by streams (the fan-out points: ${(c.services * c.instances).toLocaleString("en-US")} endpoints)`,
    "",
    table(["streams", "RSS idle, median", "heap after a full GC", "heap per added stream", "RSS per added stream"], rows),
  ].join("\n");
}

function consulTable(points: readonly SweepPoint[], c: SweepContext): string {
  const endpoints = [...new Set(points.flatMap((p) => Object.keys(p.flaps?.consulBytesByEndpoint ?? {})))].sort();
  const rows = points.map((p) => [
    p.endpoints.toLocaleString("en-US"),
    formatBytes(p.flaps?.consulBytes.median ?? Number.NaN),
    ...endpoints.map((e) => formatBytes(p.flaps?.consulBytesByEndpoint[e]?.median ?? 0)),
    formatBytes(p.unfilteredFeedBytes ?? Number.NaN),
    p.unfilteredFeedBytes && p.flaps ? `${fig(p.unfilteredFeedBytes / p.flaps.consulBytes.median)}×` : "—",
  ]);
  return [
    `### Consul: bytes the catalog serves per flap (${c.instances} instances a service, one check each, ${c.clients.toLocaleString("en-US")} streams)`,
    "",
    table(
      [
        "checks",
        "bytes per flap, median",
        ...endpoints.map((e) => `of which ${e}`),
        "the unfiltered /v1/health/state/any answer (each flap before fix 10)",
        "unfiltered ÷ now",
      ],
      rows,
    ),
  ].join("\n");
}

function setupTable(points: readonly SweepPoint[]): string {
  const rows = points.map((p) => [
    p.endpoints.toLocaleString("en-US"),
    p.streams.toLocaleString("en-US"),
    p.curves.join(", "),
    fig(p.setup.seedMs / 1000, "s"),
    fig(p.setup.bridgeSyncedMs / 1000, "s"),
    fig(p.setup.initialSyncCpuMs / 1000, "s"),
    fig(p.setup.initialConnectMs / 1000, "s"),
    fig(p.setup.durationMs / 1000, "s"),
  ]);
  return [
    "### Set-up of each point",
    "",
    table(["endpoints", "streams", "curves", "catalog seeded", "bridge synced", "initial sync CPU", "clients synced", "point took"], rows),
  ].join("\n");
}

/** The sweep's tables as Markdown, with a header naming the machine, the sizes and the commit. */
export function sweepTables(points: readonly SweepPoint[], c: SweepContext): string {
  const fanout = curvePoints(points, "fanout").sort((a, b) => a.streams - b.streams);
  const memory = curvePoints(points, "memory");
  const consul = curvePoints(points, "consul");
  const sections = [
    "## Cost curves (`npm run bench -- --sweep`)",
    "",
    `${c.date} · ${c.machine} · load average ${c.loadAverage} at the start · revision ${c.revision}`,
    `Points: fan-out at ${fanout.map((p) => formatSize(p.streams)).join(" / ")} streams; memory at ${memory.map((p) => formatSize(p.endpoints)).join(" / ")} endpoints; Consul at ${consul.map((p) => formatSize(p.endpoints)).join(" / ")} checks. Medians unless named. "÷ proportional" is (y ÷ y₀) ÷ (size ÷ size₀) from the smallest point: 1 is linear growth.`,
  ];
  if (fanout.length > 0) sections.push("", fanoutTable(fanout, c), "", streamMemoryTable(fanout, c));
  if (memory.length > 0) sections.push("", memoryTable(memory, c));
  if (consul.length > 0) sections.push("", consulTable(consul, c));
  sections.push("", setupTable(points), "");
  return sections.join("\n");
}
