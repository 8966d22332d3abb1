import { type MetricRow, targetText } from "./metric-row.js";

function figure(value: number, unit: MetricRow["unit"]): string {
  if (!Number.isFinite(value)) return "—";
  if (unit === "count") return String(Math.round(value));
  if (unit === "×") return `${value.toFixed(2)}×`;
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** Formats rows as a plain-text table: scenario, metric, n, median, p99, target, met?, and statistic ÷ target. */
export function formatTable(rows: readonly MetricRow[], titles: ReadonlyMap<number, string>): string {
  const header = ["scenario", "metric", "n", "median", "p99", "target", "met?", "÷target"];
  const lines = rows.map((row) => [
    `${row.scenario} ${titles.get(row.scenario) ?? ""}`.trim(),
    row.metric,
    String(row.summary.count),
    figure(row.summary.median, row.unit),
    figure(row.summary.p99, row.unit),
    targetText(row),
    row.met === undefined ? "" : row.met ? "yes" : "NO",
    row.ofTarget === undefined || !Number.isFinite(row.ofTarget) ? "" : row.ofTarget.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)].join("\n");
}
