import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilter, parseBexpr } from "../src/bexpr/index.js";

const healthRoots = new Set(["Node", "Service", "Checks"]);

// A `/v1/health/service` entry as Consul sends it (abridged).
const entry = {
  Node: { Node: "n1", Datacenter: "dc1", Meta: { zone: "a", "rack-id": "r7" } },
  Service: {
    ID: "web-1",
    Service: "web",
    Tags: ["v1", "canary"],
    Meta: { version: "2", path: "/api" },
    Port: 8080,
    EnableTagOverride: false,
    Weights: { Passing: 3, Warning: 1 },
  },
  Checks: [{ Status: "passing" }, { Status: "warning" }],
};

function matches(expression: string, value: unknown = entry): boolean {
  const compiled = compileFilter(expression, healthRoots);
  assert.ok(compiled.ok, compiled.ok ? "" : `${expression}: ${compiled.error}`);
  return compiled.matches(value);
}

describe("compileFilter()", () => {
  it("should evaluate every operator Consul documents, both ways", () => {
    const cases: Array<[string, boolean]> = [
      ['Service.Meta.version == "2"', true],
      ['Service.Meta.version == "3"', false],
      ['Service.Meta.version != "3"', true],
      ['Service.Meta.version != "2"', false],
      ['"v1" in Service.Tags', true],
      ['"v2" in Service.Tags', false],
      ['"v2" not in Service.Tags', true],
      ['"v1" not in Service.Tags', false],
      ['Service.Tags contains "canary"', true],
      ['Service.Tags contains "stable"', false],
      ['Service.Tags not contains "stable"', true],
      ['Service.Tags not contains "canary"', false],
      ["Service.Tags is not empty", true],
      ["Service.Tags is empty", false],
      ['Service.Service matches "^we"', true],
      ['Service.Service matches "^api"', false],
      ['Service.Service not matches "^api"', true],
      ['Service.Service not matches "^we"', false],
    ];
    for (const [expression, expected] of cases) assert.equal(matches(expression), expected, expression);
  });

  it("should combine with and, or, not and parentheses at the usual precedence", () => {
    assert.equal(matches('Node.Meta.zone == "a" and ("v9" in Service.Tags or not Service.Service == "api")'), true);
    // and binds tighter than or: false and false or true → true; false and (false or true) → false
    assert.equal(matches("Service.Port == 1 and Service.Port == 2 or Service.Port == 8080"), true);
    assert.equal(matches("Service.Port == 1 and (Service.Port == 2 or Service.Port == 8080)"), false);
    assert.equal(matches("not not Service.Port == 8080"), true);
    assert.equal(matches("not Service.Port == 8080"), false);
    assert.equal(matches("(Service.Port == 8080)"), true);
  });

  it("should answer a key missing from a map with each operator's not-present value", () => {
    const cases: Array<[string, boolean]> = [
      ['Service.Meta.missing == "x"', false],
      ['Service.Meta.missing != "x"', true],
      ['"x" in Service.Meta.missing', false],
      ['"x" not in Service.Meta.missing', true],
      ["Service.Meta.missing is empty", true],
      ["Service.Meta.missing is not empty", false],
      ['Service.Meta.missing matches "."', false],
      ['Service.Meta.missing not matches "."', true],
    ];
    for (const [expression, expected] of cases) assert.equal(matches(expression), expected, expression);
  });

  it("should coerce the literal to the type of the value it meets", () => {
    assert.equal(matches("Service.Port == 8080"), true);
    assert.equal(matches('Service.Port == "8080"'), true);
    assert.equal(matches("Service.Port == 8081"), false);
    assert.equal(matches("Service.Port == abc"), false, "a comparison that cannot be made is false");
    assert.equal(matches("Service.Weights.Passing == 3"), true);
    assert.equal(matches("Service.EnableTagOverride == false"), true);
    assert.equal(matches("Service.EnableTagOverride == F"), true, "strconv.ParseBool spellings");
    assert.equal(matches("Service.EnableTagOverride == true"), false);
  });

  it("should take bare, quoted, raw and escaped values alike", () => {
    assert.equal(matches("Service.Meta.version == 2"), true);
    assert.equal(matches("Service.Meta.version == `2`"), true);
    assert.equal(matches('Service.Meta.version == "\\x32"'), true);
    assert.equal(matches('Service.Meta.path == "/api"'), true);
    assert.equal(matches("Service.Service == web"), true);
  });

  it("should reach map keys that are not identifiers through an index or a JSON pointer", () => {
    assert.equal(matches('Node.Meta["rack-id"] == "r7"'), true);
    assert.equal(matches('Node.Meta[ "rack-id" ] != "r7"'), false);
    assert.equal(matches('"/Node/Meta/rack-id" == "r7"'), true);
    assert.equal(matches("Service.Tags.1 == canary"), true, "a list index");
    assert.equal(matches("Service.Tags.5 is empty"), true);
  });

  it("should match through a list when any element matches", () => {
    assert.equal(matches('Checks.Status == "warning"'), true);
    assert.equal(matches('Checks.Status == "critical"'), false);
    assert.equal(matches('Checks.Status != "critical"'), true);
  });

  it("should use RE2, not JavaScript regular expressions", () => {
    assert.equal(matches('Service.Service matches "(?i)^WEB$"'), true);
    const lookahead = compileFilter('Service.Service matches "w(?=e)"', healthRoots);
    assert.equal(lookahead.ok, false, "RE2 has no lookahead");
    if (!lookahead.ok) assert.match(lookahead.error, /^1:25 \(24\): Failed to compile regular expression/);
  });

  it("should reject broken expressions with go-bexpr's line:col (offset) position", () => {
    const cases = [
      "Service.Tags ==",
      '"v1" in',
      "(Service.Port == 1",
      "Service.Tags ~ 1",
      "Service.Port == 1 and",
      "Service.Port == 1 Service.Port == 2",
      'Service.Meta.version == "2',
      "Service.Meta.my-key == x",
      "Service.Port == 80x",
      "Service.Meta[version] == 1",
      "",
    ];
    for (const bad of cases) {
      const compiled = compileFilter(bad, healthRoots);
      assert.equal(compiled.ok, false, bad);
      if (!compiled.ok) assert.match(compiled.error, /^\d+:\d+ \(\d+\): /, bad);
    }
  });

  it("should refuse a selector outside the given roots, naming it", () => {
    const compiled = compileFilter('Foo.Bar == "x"', healthRoots);
    assert.deepEqual(compiled, { ok: false, error: '1:1 (0): Selector "Foo.Bar" is not valid' });
    assert.equal(compileFilter('Foo.Bar == "x"').ok, true, "without roots any selector goes");
  });

  it("should count lines and columns in a multi-line expression", () => {
    const compiled = compileFilter("Service.Port == 1 and\n  Service.Port ==", healthRoots);
    assert.equal(compiled.ok, false);
    if (!compiled.ok) assert.match(compiled.error, /^2:\d+ \(\d+\): /);
  });
});

describe("parseBexpr()", () => {
  it("should read contains as in with the operands swapped, as go-bexpr does", () => {
    const contains = parseBexpr('Service.Tags contains "v1"');
    const inForm = parseBexpr('"v1" in Service.Tags');
    assert.equal(contains.kind, "match");
    assert.equal(inForm.kind, "match");
    if (contains.kind === "match" && inForm.kind === "match") {
      assert.deepEqual([contains.operator, contains.selector, contains.value], ["in", ["Service", "Tags"], "v1"]);
      assert.deepEqual([inForm.operator, inForm.selector, inForm.value], ["in", ["Service", "Tags"], "v1"]);
    }
  });

  it("should not take a keyword prefix of an identifier for the keyword", () => {
    const parsed = parseBexpr("notable == 1 and order == 2");
    assert.equal(parsed.kind, "and");
    if (parsed.kind === "and") {
      assert.deepEqual(parsed.left.kind === "match" && parsed.left.selector, ["notable"]);
      assert.deepEqual(parsed.right.kind === "match" && parsed.right.selector, ["order"]);
    }
  });
});
