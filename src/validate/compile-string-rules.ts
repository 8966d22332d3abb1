import { isFieldSet } from "@bufbuild/protobuf";
import { type StringRules, StringRulesSchema } from "../gen/validate/validate_pb.js";
import { compilePatternTest } from "./compile-pattern-test.js";
import type { ValueCheck } from "./walk-context.js";
import { wellKnownStringFormat } from "./well-known-string-format.js";

type StringTest = (value: string) => string | undefined;

/** Counts code points (protoc-gen-validate's "runes"): UTF-16 length minus surrogate pairs. */
function runeCount(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const low = value.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** Counts UTF-8 bytes. */
function byteCount(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/**
 * Compiles string field rules (const, len/min_len/max_len in code points, len_bytes/min_bytes/
 * max_bytes, pattern, prefix/suffix/contains/not_contains, in/not_in, the well-known formats) into
 * one check, or undefined when they constrain nothing. `ignoreEmpty` skips every rule for `""`.
 */
export function compileStringRules(rules: StringRules, ignoreEmpty: boolean): ValueCheck | undefined {
  const set = (name: keyof typeof StringRulesSchema.field): boolean => isFieldSet(rules, StringRulesSchema.field[name]);
  const tests: StringTest[] = [];
  if (set("const")) {
    const expected = rules.const;
    tests.push((v) => (v === expected ? undefined : `value must equal ${JSON.stringify(expected)}`));
  }
  if (set("len")) {
    const len = Number(rules.len);
    tests.push((v) => (runeCount(v) === len ? undefined : `value length must be ${len} characters (got ${runeCount(v)})`));
  }
  if (set("minLen")) {
    const min = Number(rules.minLen);
    // A string of n UTF-16 units has between n/2 and n code points: count only when in doubt.
    tests.push((v) =>
      v.length >= 2 * min || (v.length >= min && runeCount(v) >= min)
        ? undefined
        : `value length must be at least ${min} characters (got ${runeCount(v)})`,
    );
  }
  if (set("maxLen")) {
    const max = Number(rules.maxLen);
    tests.push((v) =>
      v.length <= max || runeCount(v) <= max ? undefined : `value length must be at most ${max} characters (got ${runeCount(v)})`,
    );
  }
  if (set("lenBytes")) {
    const len = Number(rules.lenBytes);
    tests.push((v) => (byteCount(v) === len ? undefined : `value must be ${len} bytes long (got ${byteCount(v)})`));
  }
  if (set("minBytes")) {
    const min = Number(rules.minBytes);
    tests.push((v) =>
      v.length >= min || byteCount(v) >= min ? undefined : `value must be at least ${min} bytes long (got ${byteCount(v)})`,
    );
  }
  if (set("maxBytes")) {
    const max = Number(rules.maxBytes);
    // Each UTF-16 unit encodes to at most 3 UTF-8 bytes.
    tests.push((v) =>
      v.length * 3 <= max || byteCount(v) <= max ? undefined : `value must be at most ${max} bytes long (got ${byteCount(v)})`,
    );
  }
  if (set("pattern")) tests.push(compilePatternTest(rules.pattern));
  if (set("prefix")) {
    const prefix = rules.prefix;
    tests.push((v) => (v.startsWith(prefix) ? undefined : `value does not have prefix ${JSON.stringify(prefix)}`));
  }
  if (set("suffix")) {
    const suffix = rules.suffix;
    tests.push((v) => (v.endsWith(suffix) ? undefined : `value does not have suffix ${JSON.stringify(suffix)}`));
  }
  if (set("contains")) {
    const part = rules.contains;
    tests.push((v) => (v.includes(part) ? undefined : `value does not contain substring ${JSON.stringify(part)}`));
  }
  if (set("notContains")) {
    const part = rules.notContains;
    tests.push((v) => (v.includes(part) ? `value contains substring ${JSON.stringify(part)}` : undefined));
  }
  if (rules.in.length > 0) {
    const allowed = new Set(rules.in);
    const list = JSON.stringify(rules.in);
    tests.push((v) => (allowed.has(v) ? undefined : `value must be in list ${list} (got ${JSON.stringify(v)})`));
  }
  if (rules.notIn.length > 0) {
    const denied = new Set(rules.notIn);
    const list = JSON.stringify(rules.notIn);
    tests.push((v) => (denied.has(v) ? `value must not be in list ${list} (got ${JSON.stringify(v)})` : undefined));
  }
  const format = wellKnownStringFormat(rules);
  if (format) {
    tests.push((v) => (format.test(v) ? undefined : `value must be ${format.description} (got ${JSON.stringify(v)})`));
  }
  if (tests.length === 0) return undefined;
  return (value, ctx) => {
    const v = value as string;
    if (ignoreEmpty && v === "") return;
    for (const test of tests) {
      const message = test(v);
      if (message !== undefined) ctx.report(message);
    }
  };
}
