import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { re2ToRegExp } from "../src/validate/index.js";

describe("re2ToRegExp()", () => {
  it("should compile the patterns Envoy's protos use unchanged in meaning", () => {
    const prefix = re2ToRegExp("^[^?#]+[^?#/]$");
    assert.ok(prefix.test("/api"));
    assert.ok(!prefix.test("/api/"));
    assert.ok(!prefix.test("/api?x"));
    const name = re2ToRegExp("^[0-9a-zA-Z_\\-\\.~:]+$");
    assert.ok(name.test("envoy.filters:x-1~"));
    assert.ok(!name.test("a/b"));
  });

  it("should translate \\A, \\z and leading flag groups", () => {
    const re = re2ToRegExp("(?i)\\Aab\\z");
    assert.ok(re.test("AB"));
    assert.ok(!re.test("ab\n"));
    assert.ok(re2ToRegExp("(?s)^a.b$").test("a\nb"));
    assert.ok(!re2ToRegExp("^a.b$").test("a\nb"));
  });

  it("should keep RE2's meaning of `.` (only \\n excluded) and of \\s (ASCII only)", () => {
    assert.ok(re2ToRegExp("^a.b$").test("a\rb"));
    assert.ok(!re2ToRegExp("^\\s$").test("\u00a0"));
    assert.ok(re2ToRegExp("^[\\s]$").test("\t"));
  });

  it("should translate named groups, POSIX classes, Unicode classes, \\Q…\\E, \\x{…} and escaped punctuation", () => {
    assert.equal(re2ToRegExp("(?P<word>[[:alpha:]]+)").exec("abc1")?.groups?.word, "abc");
    assert.ok(re2ToRegExp("^\\pL+$").test("äöü"));
    assert.ok(re2ToRegExp("^\\p{Greek}+$").test("αβγ"));
    assert.ok(!re2ToRegExp("^\\PL$").test("a"));
    assert.ok(re2ToRegExp("^\\Q.*+\\E$").test(".*+"));
    assert.ok(re2ToRegExp("^\\x{1F600}$").test("😀"));
    assert.ok(re2ToRegExp("^\\#\\~\\:$").test("#~:"));
    assert.ok(re2ToRegExp("^a{$").test("a{"));
    assert.ok(re2ToRegExp("^a{2}$").test("aa"));
    assert.ok(re2ToRegExp("^[]a]+$").test("]a"));
  });

  it("should refuse constructs JavaScript cannot express with RE2's meaning", () => {
    assert.throws(() => re2ToRegExp("(?U)a+"), /ungreedy/);
    assert.throws(() => re2ToRegExp("a(?i)b"), /flag group/);
    assert.throws(() => re2ToRegExp("\\C"), /any byte/);
    assert.throws(() => re2ToRegExp("(a)\\1"), /back-reference/);
    assert.throws(() => re2ToRegExp("[[:^alpha:]]"), /negated POSIX/);
  });

  it("should cache compiled patterns", () => {
    assert.equal(re2ToRegExp("^x+$"), re2ToRegExp("^x+$"));
  });
});
