// RE2 patterns in the validator go through re2js: Envoy's rules mean RE2, not JavaScript RegExp.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type DescMessage, getOption, hasOption } from "@bufbuild/protobuf";
import { type FieldRules, rules } from "../src/gen/validate/validate_pb.js";
import { compilePatternTest } from "../src/validate/compile-pattern-test.js";
import { compileRe2 } from "../src/validate/compile-re2.js";

const matches = (pattern: string, text: string) => compilePatternTest(pattern)(text) === undefined;

describe("compilePatternTest()", () => {
  it("should check the patterns Envoy's protos use with their RE2 meaning", () => {
    assert.ok(matches("^[^?#]+[^?#/]$", "/api"));
    assert.ok(!matches("^[^?#]+[^?#/]$", "/api/"));
    assert.ok(!matches("^[^?#]+[^?#/]$", "/api?x"));
    assert.ok(matches("^[0-9a-zA-Z_\\-\\.~:]+$", "envoy.filters:x-1~"));
    assert.ok(!matches("^[0-9a-zA-Z_\\-\\.~:]+$", "a/b"));
    assert.match(compilePatternTest("^[0-9]+$")("x") ?? "", /does not match regex pattern "\^\[0-9\]\+\$"/);
  });

  it("should match anywhere in the value, as protoc-gen-validate does", () => {
    assert.ok(matches("b", "abc"));
    assert.ok(!matches("^b", "abc"));
  });

  it("should keep \\A, \\z, flag groups, `.` (only \\n excluded) and ASCII \\s as RE2 means them", () => {
    assert.ok(matches("(?i)\\Aab\\z", "AB"));
    assert.ok(!matches("(?i)\\Aab\\z", "ab\n"));
    assert.ok(matches("(?s)^a.b$", "a\nb"));
    assert.ok(!matches("^a.b$", "a\nb"));
    assert.ok(matches("^a.b$", "a\rb"));
    assert.ok(!matches("^\\s$", "\u00a0"));
    assert.ok(matches("^[\\s]$", "\t"));
  });

  it("should support named groups, POSIX and Unicode classes, \\Q…\\E, \\x{…} and escaped punctuation", () => {
    assert.ok(matches("^(?P<word>[[:alpha:]]+)1$", "abc1"));
    assert.ok(matches("^\\pL+$", "äöü"));
    assert.ok(matches("^\\p{Greek}+$", "αβγ"));
    assert.ok(!matches("^\\PL$", "a"));
    assert.ok(matches("^\\Q.*+\\E$", ".*+"));
    assert.ok(matches("^\\x{1F600}$", "😀"));
    assert.ok(matches("^\\#\\~\\:$", "#~:"));
    assert.ok(matches("^a{2}$", "aa"));
    assert.ok(matches("^[]a]+$", "]a"));
  });

  it("should support RE2 constructs a hand translation to RegExp could not express", () => {
    assert.ok(matches("(?U)^a+", "aaa"));
    assert.ok(matches("^a(?i)b$", "aB"));
    assert.ok(!matches("^a(?i)b$", "AB"));
    assert.ok(matches("^[[:^alpha:]]+$", "123"));
  });

  it("should report, never pass, a pattern RE2 refuses (a back-reference)", () => {
    assert.match(compilePatternTest("(a)\\1")("aa") ?? "", /cannot check pattern rule/);
  });

  it("should compile each pattern once", () => {
    assert.equal(compileRe2("^x+$"), compileRe2("^x+$"));
  });
});

/** Every RE2 pattern a field's rules carry, including those of repeated items and map keys/values. */
function patternsOf(fieldRules: FieldRules | undefined): string[] {
  const typed = fieldRules?.type;
  if (!typed) return [];
  switch (typed.case) {
    case "string":
    case "bytes":
      return typed.value.pattern ? [typed.value.pattern] : [];
    case "repeated":
      return patternsOf(typed.value.items);
    case "map":
      return [...patternsOf(typed.value.keys), ...patternsOf(typed.value.values)];
    default:
      return [];
  }
}

describe("every pattern rule in the pinned Envoy descriptors", () => {
  it("should compile with re2js", async () => {
    // Every generated file (Envoy's, xds', validate's…), not only what the validator's registry reaches.
    const gen = fileURLToPath(new URL("../src/gen/", import.meta.url));
    const files = readdirSync(gen, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith("_pb.ts"));
    const patterns = new Map<string, string>();
    for (const file of files) {
      const module = (await import(pathToFileURL(join(gen, file)).href)) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        if (!isMessageDesc(value)) continue;
        for (const field of value.fields) {
          if (!hasOption(field, rules)) continue;
          for (const pattern of patternsOf(getOption(field, rules))) patterns.set(`${value.typeName}.${field.name}`, pattern);
        }
      }
    }
    assert.ok(files.length > 50, `generated files found: ${files.length}`);
    assert.ok(patterns.size > 0, "the descriptors carry pattern rules");
    for (const [field, pattern] of patterns) {
      assert.doesNotThrow(() => compileRe2(pattern), `${field}: ${pattern}`);
      assert.doesNotMatch(compilePatternTest(pattern)("x") ?? "", /cannot check/, field);
    }
    console.log(`# ${patterns.size} pattern rules in ${files.length} generated files compiled with re2js`);
  });
});

function isMessageDesc(value: unknown): value is DescMessage {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "message";
}
