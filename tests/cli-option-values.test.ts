// Flag values as the CLI parses them: durations in Go syntax with units (a bare number is refused
// with a hint), and durations printed back with their units.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration } from "../src/cli/option-values.js";
import { formatGoDuration, goDurationProblem } from "../src/consul/go-duration.js";

describe("parseDuration()", () => {
  it("should read Go durations into milliseconds, and a bare 0", () => {
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration(" 10s "), 10_000);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("1.5h"), 5_400_000);
  });

  it("should refuse a bare non-zero number with a hint at the units it probably meant", () => {
    assert.throws(() => parseDuration("5"), /expected a duration with a unit: 5 has no unit \(did you mean 5ms or 5s\?\)/);
    assert.throws(() => parseDuration("10"), /did you mean 10ms or 10s\?/);
    assert.throws(() => parseDuration("1.5"), /did you mean 1\.5ms or 1\.5s\?/);
  });

  it("should refuse negative durations and words", () => {
    assert.throws(() => parseDuration("-1s"), /0 or more/);
    assert.throws(() => parseDuration("soon"), /"soon" is not a duration such as 250ms/);
  });
});

describe("goDurationProblem()", () => {
  it("should find nothing wrong with a valid duration", () => {
    assert.equal(goDurationProblem("5s"), undefined);
    assert.equal(goDurationProblem("0"), undefined);
  });
});

describe("formatGoDuration()", () => {
  it("should print milliseconds with their unit", () => {
    assert.deepEqual([0, 5, 250, 1000, 1500, 5000, 60_000, 90_000, 3_600_000, 3_661_000].map(formatGoDuration), [
      "0s",
      "5ms",
      "250ms",
      "1s",
      "1.5s",
      "5s",
      "1m",
      "1m30s",
      "1h",
      "1h1m1s",
    ]);
  });
});
