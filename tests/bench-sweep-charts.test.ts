// The cost curves' own pieces (bench/, issue 13): the SVG writer that draws the charts, and the
// plan that decides which bench set-ups a sweep runs. The sweep itself runs in tests/long.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBenchOptions } from "../bench/bench-options.js";
import { formatSize, lineChartSvg } from "../bench/svg-chart.js";
import { growthVsProportional, planSweep } from "../bench/sweep-plan.js";

/** The numeric attribute `name` of every `<tag …>` element, in document order. */
function attributes(svg: string, tag: string, name: string): number[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\b[^>]*\\b${name}="([-0-9.]+)"`, "g"))].map((m) => Number(m[1]));
}

const spec = {
  title: "Fan-out CPU by streams",
  subtitle: ["10k endpoints", "2 cores"],
  xLabel: "streams",
  yLabel: "CPU",
  yScale: "linear" as const,
  formatY: (y: number) => `${y} ms`,
  series: [
    {
      name: "bridge",
      points: [
        { x: 250, y: 10 },
        { x: 1000, y: 40 },
        { x: 4000, y: 160 },
      ],
    },
  ],
};

describe("lineChartSvg()", () => {
  it("should space sizes growing by equal factors equally along the x axis", () => {
    const xs = attributes(lineChartSvg(spec), "circle", "cx");
    assert.equal(xs.length, 3);
    assert.ok(xs[0]! < xs[1]! && xs[1]! < xs[2]!, `left to right: ${xs.join(", ")}`);
    assert.ok(Math.abs(xs[1]! - xs[0]! - (xs[2]! - xs[1]!)) < 0.2, `equal gaps for ×4 steps: ${xs.join(", ")}`);
  });

  it("should draw a higher value higher up, on a linear y axis starting at zero", () => {
    const svg = lineChartSvg(spec);
    const ys = attributes(svg, "circle", "cy");
    assert.ok(ys[0]! > ys[1]! && ys[1]! > ys[2]!, `SVG y grows downwards: ${ys.join(", ")}`);
    // 10 → 40 → 160: on a linear axis the second gap is four times the first.
    const ratio = (ys[1]! - ys[2]!) / (ys[0]! - ys[1]!);
    assert.ok(Math.abs(ratio - 4) < 0.05, `linear spacing, got ${ratio}`);
    assert.match(svg, />0 ms</, "the axis starts at 0");
  });

  it("should place values growing by equal factors equally on a log y axis", () => {
    const ys = attributes(lineChartSvg({ ...spec, yScale: "log" }), "circle", "cy");
    assert.ok(Math.abs(ys[0]! - ys[1]! - (ys[1]! - ys[2]!)) < 0.2, `equal gaps for ×4 values: ${ys.join(", ")}`);
  });

  it("should label every point and name every series in the legend", () => {
    const svg = lineChartSvg(spec);
    for (const label of ["10 ms", "40 ms", "160 ms", "bridge", "Fan-out CPU by streams", "10k endpoints", "2 cores"])
      assert.ok(svg.includes(`>${label}<`), `shows ${label}`);
    for (const size of ["250", "1k", "4k"]) assert.ok(svg.includes(`>${size}<`), `x tick ${size}`);
  });

  it("should draw a reference series dashed, without markers or point labels", () => {
    const svg = lineChartSvg({
      ...spec,
      series: [
        ...spec.series,
        {
          name: "proportional",
          reference: true,
          points: [
            { x: 250, y: 10 },
            { x: 4000, y: 1600 },
          ],
        },
      ],
    });
    assert.equal(attributes(svg, "circle", "cx").length, 3, "markers for the measured series only");
    assert.match(svg, /<path [^>]*stroke-dasharray/);
    assert.ok(!svg.includes(">1600 ms<"), "no label on the reference line");
  });

  it("should escape text that is not SVG", () => {
    const svg = lineChartSvg({ ...spec, title: 'a < b & c > "d"' });
    assert.ok(svg.includes("a &lt; b &amp; c &gt; &quot;d&quot;"));
    assert.ok(!svg.includes("a < b"));
  });
});

describe("formatSize()", () => {
  it("should write sizes as people do", () => {
    assert.deepEqual([250, 1_000, 2_500, 4_000, 400_000, 1_500_000].map(formatSize), ["250", "1k", "2.5k", "4k", "400k", "1.5M"]);
  });
});

describe("growthVsProportional()", () => {
  it("should be 1 for linear growth, below 1 for slower and above 1 for faster", () => {
    assert.equal(growthVsProportional(400, 40, 100, 10), 1);
    assert.equal(growthVsProportional(400, 20, 100, 10), 0.5);
    assert.equal(growthVsProportional(400, 160, 100, 10), 4);
  });
});

describe("planSweep()", () => {
  it("should run the issue's points, measuring a point shared by curves once", () => {
    const plan = planSweep(parseBenchOptions(["--sweep"]));
    const key = (p: { services: number; streams: number }) => `${p.services * 10}/${p.streams}`;
    assert.deepEqual(
      plan.map((p) => [key(p), p.curves.join("+")]),
      [
        ["10000/1000", "consul"],
        ["25000/1000", "memory"],
        ["100000/250", "fanout"],
        ["100000/1000", "consul+fanout+memory"],
        ["100000/4000", "fanout"],
        ["400000/1000", "consul+memory"],
      ],
    );
  });

  it("should take each curve's sizes from its own flag", () => {
    const plan = planSweep(
      parseBenchOptions([
        "--sweep",
        "--small",
        "--sweep-streams",
        "10,20",
        "--sweep-endpoints",
        "400",
        "--sweep-checks",
        "800",
        "--services",
        "100",
      ]),
    );
    assert.deepEqual(
      plan.map((p) => [p.services * p.instances, p.streams, p.curves.join("+")]),
      [
        [400, 10, "fanout"],
        [400, 20, "fanout"],
        [400, 50, "memory"],
        [800, 50, "consul"],
      ],
    );
  });
});

describe("parseBenchOptions() for --sweep", () => {
  it("should write the committed charts only at the issue's sizes, unless told where", () => {
    assert.equal(parseBenchOptions(["--sweep"]).images, "docs/images");
    assert.equal(parseBenchOptions(["--sweep", "--small"]).images, undefined);
    assert.equal(parseBenchOptions(["--sweep", "--sweep-streams", "100"]).images, undefined);
    assert.equal(parseBenchOptions(["--sweep", "--small", "--images", "/tmp/x"]).images, "/tmp/x");
  });

  it("should refuse a size that is not a positive integer", () => {
    assert.throws(
      () => parseBenchOptions(["--sweep", "--sweep-streams", "100,abc"]),
      /--sweep-streams must be a positive integer, got abc/,
    );
  });
});
