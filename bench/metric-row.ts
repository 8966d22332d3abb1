import { type Summary, summarize } from "./stats.js";

/** A target from issue 7: a statistic of a metric compared with a bound. */
export interface Target {
  readonly stat: "median" | "p99" | "max";
  readonly op: "<=" | ">=";
  readonly value: number;
}

/** One line of the result table: a measured quantity over repeated samples, with its target if it has one. */
export interface MetricRow {
  readonly scenario: number;
  readonly metric: string;
  readonly unit: "ms" | "KB" | "MB" | "×" | "count" | "%" | "/s";
  readonly summary: Summary;
  readonly target?: Target;
  /** Whether the target's statistic meets it (absent without a target). */
  readonly met?: boolean;
  /** The target's statistic divided by the target's bound (absent without a target). */
  readonly ofTarget?: number;
}

/** Summarises `samples` into a row and judges it against `target`. */
export function metricRow(
  scenario: number,
  metric: string,
  unit: MetricRow["unit"],
  samples: readonly number[],
  target?: Target,
): MetricRow {
  const summary = summarize(samples);
  if (!target) return { scenario, metric, unit, summary };
  const value = summary[target.stat];
  const met = Number.isFinite(value) && (target.op === "<=" ? value <= target.value : value >= target.value);
  return {
    scenario,
    metric,
    unit,
    summary,
    target,
    met,
    ofTarget: target.value === 0 ? (value === 0 ? 0 : Number.POSITIVE_INFINITY) : value / target.value,
  };
}

/** A target's text for the table, e.g. "p99 ≤ 50 ms". */
export function targetText(row: MetricRow): string {
  const t = row.target;
  if (!t) return "";
  const unit = row.unit === "count" || row.unit === "×" ? (row.unit === "×" ? "×" : "") : ` ${row.unit}`;
  return `${t.stat} ${t.op === "<=" ? "≤" : "≥"} ${t.value}${unit}`;
}
