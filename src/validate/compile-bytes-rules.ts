import { isFieldSet } from "@bufbuild/protobuf";
import { type BytesRules, BytesRulesSchema } from "../gen/validate/validate_pb.js";
import { compilePatternTest } from "./compile-pattern-test.js";
import type { ValueCheck } from "./walk-context.js";

type BytesTest = (value: Uint8Array) => string | undefined;

function equalBytes(a: Uint8Array, b: Uint8Array, offset = 0): boolean {
  if (offset < 0 || offset + b.length > a.length) return false;
  for (let i = 0; i < b.length; i++) if (a[offset + i] !== b[i]) return false;
  return true;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  for (let i = 0; i + needle.length <= haystack.length; i++) if (equalBytes(haystack, needle, i)) return i;
  return -1;
}

const hex = (value: Uint8Array): string => Buffer.from(value).toString("hex");

/**
 * Compiles bytes field rules (const, len/min_len/max_len, pattern, prefix/suffix/contains,
 * in/not_in, ip/ipv4/ipv6 as 4- or 16-byte addresses) into one check, or undefined.
 */
export function compileBytesRules(rules: BytesRules): ValueCheck | undefined {
  const set = (name: keyof typeof BytesRulesSchema.field): boolean => isFieldSet(rules, BytesRulesSchema.field[name]);
  const tests: BytesTest[] = [];
  if (set("const")) {
    const expected = rules.const;
    tests.push((v) => (v.length === expected.length && equalBytes(v, expected) ? undefined : `value must equal 0x${hex(expected)}`));
  }
  if (set("len")) {
    const len = Number(rules.len);
    tests.push((v) => (v.length === len ? undefined : `value must be ${len} bytes long (got ${v.length})`));
  }
  if (set("minLen")) {
    const min = Number(rules.minLen);
    tests.push((v) => (v.length >= min ? undefined : `value must be at least ${min} bytes long (got ${v.length})`));
  }
  if (set("maxLen")) {
    const max = Number(rules.maxLen);
    tests.push((v) => (v.length <= max ? undefined : `value must be at most ${max} bytes long (got ${v.length})`));
  }
  if (set("pattern")) {
    // RE2 matches bytes as UTF-8 text; invalid UTF-8 cannot match a `u` pattern either way.
    const matches = compilePatternTest(rules.pattern);
    tests.push((v) => matches(Buffer.from(v).toString("utf8")));
  }
  if (set("prefix")) {
    const prefix = rules.prefix;
    tests.push((v) => (equalBytes(v, prefix) ? undefined : `value does not have prefix 0x${hex(prefix)}`));
  }
  if (set("suffix")) {
    const suffix = rules.suffix;
    tests.push((v) => (equalBytes(v, suffix, v.length - suffix.length) ? undefined : `value does not have suffix 0x${hex(suffix)}`));
  }
  if (set("contains")) {
    const part = rules.contains;
    tests.push((v) => (indexOfBytes(v, part) >= 0 ? undefined : `value does not contain 0x${hex(part)}`));
  }
  if (rules.in.length > 0) {
    const allowed = new Set(rules.in.map(hex));
    tests.push((v) => (allowed.has(hex(v)) ? undefined : `value must be in list (got 0x${hex(v)})`));
  }
  if (rules.notIn.length > 0) {
    const denied = new Set(rules.notIn.map(hex));
    tests.push((v) => (denied.has(hex(v)) ? `value must not be in list (got 0x${hex(v)})` : undefined));
  }
  const wellKnown = rules.wellKnown;
  if (wellKnown.case !== undefined && wellKnown.value) {
    const sizes = wellKnown.case === "ip" ? [4, 16] : wellKnown.case === "ipv4" ? [4] : [16];
    const what = wellKnown.case === "ip" ? "an IP address" : wellKnown.case === "ipv4" ? "an IPv4 address" : "an IPv6 address";
    tests.push((v) => (sizes.includes(v.length) ? undefined : `value must be ${what} in binary form (got ${v.length} bytes)`));
  }
  if (tests.length === 0) return undefined;
  return (value, ctx) => {
    const v = value as Uint8Array;
    for (const test of tests) {
      const message = test(v);
      if (message !== undefined) ctx.report(message);
    }
  };
}
