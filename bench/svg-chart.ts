// A small SVG line-chart writer for the cost curves (--sweep). Written here rather than taken from a
// chart library: the bench needs one kind of chart (a few series over three to six sizes, log-scaled
// sizes), the output must be a self-contained file that renders on GitHub and in any browser, and a
// dependency would be larger than this file.

/** One line of a chart: points joined in x order. */
export interface ChartSeries {
  readonly name: string;
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number }>;
  /** A reference line (such as "proportional to size"): dashed, grey, no markers or value labels. */
  readonly reference?: boolean;
}

/** What a chart shows. The x axis is always logarithmic (the sweep's sizes grow by factors). */
export interface ChartSpec {
  readonly title: string;
  /** Smaller lines under the title: sizes, machine, date. */
  readonly subtitle: readonly string[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly yScale: "linear" | "log";
  /** Formats a y value for tick and point labels (e.g. with its unit). */
  readonly formatY: (y: number) => string;
  /** On a log axis, the tick values between `min` and `max` (default: the powers of 10). */
  readonly logTicks?: (min: number, max: number) => number[];
  readonly series: readonly ChartSeries[];
}

const width = 760;
const height = 460;
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/** Escapes text for SVG content and attributes. */
function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A size as people write it: 250, 1k, 4k, 2.5k, 400k, 1.5M. */
export function formatSize(n: number): string {
  const unit = (value: number, suffix: string) => `${Number.parseFloat(value.toPrecision(3))}${suffix}`;
  if (n >= 1_000_000) return unit(n / 1_000_000, "M");
  if (n >= 1_000) return unit(n / 1_000, "k");
  return String(Number.parseFloat(n.toPrecision(3)));
}

/** Round tick values covering [0, max] (linear) or the decades over [min, max] (log). */
function yTicks(scale: "linear" | "log", min: number, max: number, logTicks?: ChartSpec["logTicks"]): number[] {
  if (scale === "log" && logTicks) return logTicks(min, max);
  if (scale === "log") {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) ticks.push(10 ** e);
    return ticks;
  }
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => i * step);
}

/** Renders `spec` as a standalone SVG document. */
export function lineChartSvg(spec: ChartSpec): string {
  const top = 58 + 16 * spec.subtitle.length;
  const left = 84;
  const right = 24;
  const legendRows = spec.series.length;
  const bottom = 56 + 18 * legendRows;
  const plotW = width - left - right;
  const plotH = height + 18 * legendRows - top - bottom;
  const totalH = height + 18 * legendRows;
  const points = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.x > 0);
  const xs = [...new Set(spec.series.filter((s) => !s.reference).flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const xMin = Math.min(...points.map((p) => p.x));
  const xMax = Math.max(...points.map((p) => p.x));
  const positive = points.map((p) => p.y).filter((y) => y > 0);
  // On a linear axis a reference line may leave the plot (clipped): the measured series set the range.
  const measured = spec.series.filter((s) => !s.reference || spec.yScale === "log").flatMap((s) => s.points);
  const yMaxData = Math.max(...measured.map((p) => p.y).filter(Number.isFinite), 0) * 1.08;
  const ticks = yTicks(spec.yScale, Math.min(...positive), Math.max(yMaxData, 1e-9), spec.logTicks);
  const yMin = spec.yScale === "log" ? ticks[0]! : 0;
  const yMax = ticks.at(-1)!;
  const lx = (x: number) => Math.log10(x);
  const xPos = (x: number) => left + (xMax === xMin ? plotW / 2 : ((lx(x) - lx(xMin)) / (lx(xMax) - lx(xMin))) * plotW);
  const yPos = (y: number) => {
    const t = spec.yScale === "log" ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : y / yMax;
    return top + plotH - t * plotH;
  };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${totalH}" viewBox="0 0 ${width} ${totalH}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${totalH}" fill="#ffffff"/>`,
    `<clipPath id="plot"><rect x="${left}" y="${top}" width="${plotW}" height="${plotH}"/></clipPath>`,
    `<text x="${left}" y="28" font-size="17" font-weight="bold" fill="#222">${esc(spec.title)}</text>`,
    ...spec.subtitle.map((line, i) => `<text x="${left}" y="${48 + 16 * i}" font-size="12" fill="#555">${esc(line)}</text>`),
  ];
  for (const tick of ticks) {
    const y = yPos(tick).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(
      `<text x="${left - 8}" y="${y}" font-size="11" fill="#444" text-anchor="end" dominant-baseline="middle">${esc(spec.formatY(tick))}</text>`,
    );
  }
  for (const x of xs) {
    const px = xPos(x).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${top + plotH}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px}" y="${top + plotH + 18}" font-size="11" fill="#444" text-anchor="middle">${esc(formatSize(x))}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  out.push(
    `<text x="${left + plotW / 2}" y="${top + plotH + 38}" font-size="12" fill="#222" text-anchor="middle">${esc(spec.xLabel)} (log scale)</text>`,
  );
  out.push(
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" font-size="12" fill="#222" text-anchor="middle">${esc(spec.yLabel)}${spec.yScale === "log" ? " (log scale)" : ""}</text>`,
  );
  let colour = 0;
  let labelled = 0;
  spec.series.forEach((series, i) => {
    // Every other measured series labels its points below them, so close lines keep readable labels.
    const below = !series.reference && labelled++ % 2 === 1;
    const stroke = series.reference ? "#888888" : palette[colour++ % palette.length]!;
    const drawn = series.points.filter((p) => Number.isFinite(p.y) && (spec.yScale === "linear" || p.y > 0)).sort((a, b) => a.x - b.x);
    const path = drawn.map((p, j) => `${j === 0 ? "M" : "L"}${xPos(p.x).toFixed(1)},${yPos(p.y).toFixed(1)}`).join(" ");
    if (path !== "")
      out.push(
        `<path d="${path}" clip-path="url(#plot)" fill="none" stroke="${stroke}" stroke-width="${series.reference ? 1.5 : 2.2}"${series.reference ? ' stroke-dasharray="6 4"' : ""}/>`,
      );
    if (!series.reference)
      for (const p of drawn) {
        const px = xPos(p.x).toFixed(1);
        const py = yPos(p.y);
        out.push(`<circle cx="${px}" cy="${py.toFixed(1)}" r="3.5" fill="${stroke}"/>`);
        out.push(
          `<text x="${px}" y="${(below ? py + 16 : py - 8).toFixed(1)}" font-size="10.5" fill="${stroke}" text-anchor="middle">${esc(spec.formatY(p.y))}</text>`,
        );
      }
    const ly = top + plotH + 58 + 18 * i;
    out.push(
      `<line x1="${left}" x2="${left + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${stroke}" stroke-width="2.2"${series.reference ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    out.push(`<text x="${left + 34}" y="${ly}" font-size="12" fill="#222">${esc(series.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
